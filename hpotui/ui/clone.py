"""A new editor document from a stored experiment's definition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from hpotui.backends.base import ExperimentDetail
from hpotui.errors import HpotuiError
from hpotui.experiment.writer import to_friendly_data


def clone_document(detail: ExperimentDetail, base_dir: Path) -> CommentedMap:
    """The experiment of ``detail`` in the friendly YAML form, renamed ``NAME-copy``.

    Args:
        detail: The stored experiment.
        base_dir: Where the clone will be saved; paths are written relative to it.

    Raises:
        HpotuiError: The backend keeps no definition of the experiment.
    """
    experiment = detail.experiment
    if experiment is None:
        raise HpotuiError(
            f"the backend keeps no definition of {detail.summary.name}; "
            "open its YAML file with n instead",
            title="Clone",
        )
    data = to_friendly_data(experiment, base_dir)
    data["name"] = f"{experiment.name}-copy"
    return _commented(data)


def _commented(data: dict[str, Any]) -> CommentedMap:
    # Short mappings (objective, limits, each hyperparameter) read best on one
    # line, as in the documented examples.
    node = CommentedMap()
    for key, value in data.items():
        node[key] = _node(value, top=True)
    return node


def _node(value: Any, top: bool = False) -> Any:
    if isinstance(value, dict):
        node = CommentedMap((k, _node(v)) for k, v in value.items())
        if not top or all(not isinstance(v, dict) for v in value.values()):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        return [_node(item) for item in value]
    return value
