"""The editor's experiment document: friendly YAML kept with its comments.

The editor changes a ruamel round-trip document in place, so comments and key
order in the user's file survive a save. Validation goes through the same loader as
``hpotui validate``, so the editor shows the very same messages.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from hpotui.errors import ExperimentFileError, HpotuiError
from hpotui.experiment.loader import check_text
from hpotui.experiment.model import Experiment
from hpotui.experiment.validate import ValidationReport

_TEMPLATE = """\
name: new-experiment
objective: {metric: loss, goal: minimize}
algorithm: {name: Random, seed: 1}
limits: {max_jobs: 20, max_parallel_jobs: 2, max_run_time: 20m}
model: {dir: ., command: python train.py}
hyperparams: {}
"""


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def new_document() -> CommentedMap:
    """An experiment with sensible limits and no hyperparameters yet."""
    return _yaml().load(_TEMPLATE)


def read_document(path: Path) -> CommentedMap:
    """The YAML file as an editable document, comments included.

    Raises:
        ExperimentFileError: The file cannot be read, is not YAML (the message is
            the one ``hpotui validate`` prints) or is not a mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ExperimentFileError(
            f"{path}: cannot read ({err.strerror}); check the path"
        ) from err
    except UnicodeDecodeError as err:
        raise ExperimentFileError(
            f"{path}: not UTF-8 text; save the file as UTF-8"
        ) from err
    try:
        data = _yaml().load(text)
    except YAMLError as err:
        # The same words and line number as `hpotui validate`.
        check_text(text, str(path), path.parent).raise_for_errors()
        raise ExperimentFileError(f"{path}: not valid YAML ({err})") from err
    if not isinstance(data, CommentedMap):
        raise ExperimentFileError(
            f"{path}: expected a mapping of experiment keys (name, hyperparams, ...)"
        )
    return data


def document_text(doc: CommentedMap) -> str:
    """The document as YAML text, comments kept."""
    buffer = io.StringIO()
    _yaml().dump(doc, buffer)
    return buffer.getvalue()


def set_path(doc: CommentedMap, dotted: str, value: Any) -> None:
    """Set ``a.b`` in ``doc``, creating mappings on the way; None removes the key.

    Removing the last key of a nested mapping removes the mapping too, so clearing
    every resource field leaves no empty ``resource: {}`` for validation to refuse.
    """
    *parents, last = dotted.split(".")
    nodes = [doc]
    for key in parents:
        if not isinstance(nodes[-1].get(key), dict):
            nodes[-1][key] = CommentedMap()
        nodes.append(nodes[-1][key])
    if value is not None and value != "":
        nodes[-1][last] = value
        return
    nodes[-1].pop(last, None)
    for key, parent, node in zip(
        reversed(parents), reversed(nodes[:-1]), reversed(nodes[1:]), strict=True
    ):
        if node:
            break
        parent.pop(key)


def get_path(doc: CommentedMap, dotted: str) -> Any:
    """The value at ``a.b`` in ``doc``, or None."""
    node: Any = doc
    for key in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def check_document(doc: CommentedMap, path: Path | None) -> ValidationReport:
    """Every error, warning and note ``hpotui validate`` would print for the document.

    Relative paths resolve from ``path``'s folder (the working folder for a new
    file), exactly as when the file is run.
    """
    shown = path or Path("new-experiment.yaml")
    base = (path.parent if path else Path.cwd()).resolve()
    return check_text(document_text(doc), str(shown), base)


def load_document(doc: CommentedMap, path: Path | None) -> Experiment:
    """The experiment the document describes.

    Raises:
        ExperimentFileError: The document is invalid; ``problems`` lists every
            error as ``hpotui validate`` prints it.
    """
    report = check_document(doc, path)
    report.raise_for_errors()
    assert report.experiment is not None
    source = path.resolve() if path else None
    return report.experiment.model_copy(update={"source": source})


def save_document(doc: CommentedMap, path: Path) -> None:
    """Write the document to ``path``.

    Raises:
        HpotuiError: The file cannot be written.
    """
    try:
        path.write_text(document_text(doc), encoding="utf-8")
    except OSError as err:
        raise HpotuiError(
            f"cannot save {path}: {err.strerror}; choose another file",
            title="Save",
        ) from err
