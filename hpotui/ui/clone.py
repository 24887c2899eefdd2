"""A new editor document from a stored experiment's definition."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from hpotui.backends.base import ExperimentDetail
from hpotui.errors import HpotuiError
from hpotui.experiment.model import Experiment, HyperParam


def clone_document(detail: ExperimentDetail) -> CommentedMap:
    """The experiment of ``detail`` in the friendly YAML form, renamed ``NAME-copy``.

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
    return _document(experiment, f"{experiment.name}-copy")


def _document(experiment: Experiment, name: str) -> CommentedMap:
    doc = CommentedMap()
    doc["name"] = name
    doc["objective"] = _flow(experiment.objective.model_dump(exclude_defaults=True))
    algorithm = {"name": experiment.algorithm.name}
    if experiment.algorithm.seed is not None:
        algorithm["seed"] = experiment.algorithm.seed
    doc["algorithm"] = _flow({**algorithm, **experiment.algorithm.options})
    limits = experiment.limits
    doc["limits"] = _flow(
        {
            "max_jobs": limits.max_jobs,
            "max_parallel_jobs": limits.max_parallel_jobs,
            "max_run_time": (
                -1 if limits.max_run_time is None else f"{limits.max_run_time:g}s"
            ),
        }
    )
    doc["model"] = _flow(
        {
            "dir": str(experiment.model.dir),
            "command": " ".join(experiment.model.command),
        }
    )
    doc["hyperparams"] = CommentedMap(
        (hp.name, _flow(_param_spec(hp))) for hp in experiment.hyperparams
    )
    if experiment.experiments is not None:
        doc["experiments"] = [_flow(dict(row)) for row in experiment.experiments]
    return doc


def _param_spec(hp: HyperParam) -> dict[str, Any]:
    if hp.values is not None:
        return {"values": list(hp.values), "type": hp.type}
    spec: dict[str, Any] = {"range": [hp.low, hp.high], "type": hp.type}
    if hp.type == "int":
        spec["range"] = [int(hp.low or 0), int(hp.high or 0)]
    if hp.step is not None:
        spec["step"] = hp.step
    if hp.log:
        spec["log"] = True
    return spec


def _flow(data: dict[str, Any]) -> CommentedMap:
    node = CommentedMap(data)
    node.fa.set_flow_style()
    return node
