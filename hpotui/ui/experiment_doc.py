"""The editor's experiment document: friendly YAML kept with its comments.

The editor changes a ruamel round-trip document in place, so comments and key
order in the user's file survive a save. Validation goes through the same loader as
``hpotui validate``, so the editor shows the very same messages.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from hpotui.errors import ExperimentFileError, HpotuiError
from hpotui.experiment.model import Experiment

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
        ExperimentFileError: The file cannot be read or is not a YAML mapping.
    """
    try:
        data = _yaml().load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ExperimentFileError(
            f"{path}: cannot read ({err.strerror}); check the path"
        ) from err
    except YAMLError as err:
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
    """Set ``a.b`` in ``doc``, creating mappings on the way; None removes the key."""
    *parents, last = dotted.split(".")
    node = doc
    for key in parents:
        if not isinstance(node.get(key), dict):
            node[key] = CommentedMap()
        node = node[key]
    if value is None or value == "":
        node.pop(last, None)
    else:
        node[last] = value


def get_path(doc: CommentedMap, dotted: str) -> Any:
    """The value at ``a.b`` in ``doc``, or None."""
    node: Any = doc
    for key in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def load_document(doc: CommentedMap, path: Path | None) -> Experiment:
    """The experiment the document describes, checked by the standard loader.

    Relative paths resolve from ``path``'s folder (the working folder for a new
    file), exactly as when the file is run.

    Raises:
        ExperimentFileError: The document is invalid; ``problems`` lists every
            message, naming ``path`` and the line as ``hpotui validate`` does.
    """
    from hpotui.experiment.loader import load_experiment

    shown = path or Path("new-experiment.yaml")
    base = (path.parent if path else Path.cwd()).resolve()
    with tempfile.TemporaryDirectory(prefix="hpotui-edit-") as folder:
        draft = Path(folder) / shown.name
        draft.write_text(document_text(_anchored(doc, base)), encoding="utf-8")
        try:
            return load_experiment(draft)
        except ExperimentFileError as err:
            problems = [p.replace(str(draft), str(shown)) for p in err.problems]
            raise ExperimentFileError(problems[0], problems) from err


def _anchored(doc: CommentedMap, base: Path) -> CommentedMap:
    # The draft is checked in a temporary folder; an absolute model folder makes
    # it resolve as it would next to the real file. Only a value changes, so line
    # numbers in the messages stay those of the user's file.
    copy = _yaml().load(document_text(doc))
    model_dir = get_path(copy, "model.dir")
    if isinstance(model_dir, str) and not Path(model_dir).is_absolute():
        set_path(copy, "model.dir", str((base / model_dir).resolve()))
    return copy


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
