"""Writing an experiment in the friendly YAML form, keeping the file's comments.

When the file exists and is friendly YAML, its document is updated in place with
ruamel.yaml's round-trip mode: unchanged settings keep their comments, order and
flow style, and only what changed is rewritten. Otherwise (a new file, or a WML-A
request or unreadable file being replaced) a fresh document is written under a
header note that says so.
"""

from __future__ import annotations

import io
import os
import shlex
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from hpotui.durations import compact_duration
from hpotui.errors import ExperimentFileError
from hpotui.experiment.model import Experiment, HyperParam
from hpotui.experiment.source import AMBIGUOUS_BOOLEANS

HEADER = (
    "hpotui experiment (friendly form); written by hpotui. Comments of an earlier\n"
    "file at this path could not be kept."
)


def to_friendly_data(exp: Experiment, base_dir: Path) -> dict[str, Any]:
    """The friendly form of ``exp`` as plain data; paths relative to ``base_dir``."""
    data: dict[str, Any] = {"name": exp.name}
    data["objective"] = {"metric": exp.objective.metric, "goal": exp.objective.goal}
    if exp.objective.value != "best":
        data["objective"]["value"] = exp.objective.value
    data["algorithm"] = _algorithm(exp)
    data["limits"] = _limits(exp)
    data["model"] = {
        "dir": _relative(exp.model.dir, base_dir),
        "command": shlex.join(exp.model.command),
    }
    if exp.hyperparams:
        data["hyperparams"] = {hp.name: _hyperparam(hp) for hp in exp.hyperparams}
    if exp.experiments is not None:
        data["experiments"] = [dict(row) for row in exp.experiments]
    data.update(_extras(exp))
    return data


def _algorithm(exp: Experiment) -> dict[str, Any]:
    algo: dict[str, Any] = {"name": exp.algorithm.name}
    if exp.algorithm.seed is not None:
        algo["seed"] = exp.algorithm.seed
    options = dict(exp.algorithm.options)
    for key in ("eta", "resource"):
        if key in options:
            algo[key] = options.pop(key)
    options.pop("experiments", None)  # written as the top-level experiments list
    if options:
        algo["options"] = options
    return algo


def _limits(exp: Experiment) -> dict[str, Any]:
    run_time = exp.limits.max_run_time
    return {
        "max_jobs": exp.limits.max_jobs,
        "max_parallel_jobs": exp.limits.max_parallel_jobs,
        "max_run_time": -1 if run_time is None else compact_duration(run_time),
    }


def _relative(folder: Path, base_dir: Path) -> str:
    """``./name`` for a folder beside the file; an absolute path otherwise."""
    try:
        relative = folder.resolve().relative_to(base_dir.resolve())
    except ValueError:
        return str(folder)
    return f"./{relative.as_posix()}"


def _hyperparam(hp: HyperParam) -> dict[str, Any]:
    if hp.values is not None:
        spec: dict[str, Any] = {"values": list(hp.values)}
        if hp.type in ("int", "double", "str") and _needs_type(hp):
            spec["type"] = hp.type
        return spec
    spec = {"range": [hp.low, hp.high]}
    if hp.step is not None:
        spec["step"] = hp.step
    if hp.log:
        spec["log"] = True
    inferred = "int" if all(isinstance(b, int) for b in (hp.low, hp.high)) else "double"
    if hp.type != inferred:
        spec["type"] = hp.type
    return spec


def _needs_type(hp: HyperParam) -> bool:
    """Whether the list reads back as another type without ``type``."""
    values = hp.values or ()
    return hp.type == "double" and any(isinstance(v, int) for v in values)


def _extras(exp: Experiment) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if exp.data_fraction is not None:
        extras["data_fraction"] = exp.data_fraction
    if exp.gpus_per_trial:
        extras["gpus_per_trial"] = exp.gpus_per_trial
    if exp.gpus is not None:
        extras["gpus"] = list(exp.gpus)
    executor = exp.executor.model_dump(exclude_defaults=True)
    if executor:
        extras["executor"] = executor
    if exp.early_stopping:
        extras["early_stopping"] = dict(exp.early_stopping)
    wmla = exp.wmla.model_dump(
        exclude_defaults=True, include={"sig_name", "args", "framework"}
    )
    if wmla:
        extras["wmla"] = wmla
    return extras


def dump_experiment(exp: Experiment, path: str | Path) -> None:
    """Write ``exp`` to ``path`` in the friendly YAML form.

    An existing friendly file keeps its comments and layout where the settings did
    not change; anything else is replaced by a fresh document with a header note.
    The file is replaced atomically, so a crash never leaves half a file.

    Raises:
        ExperimentFileError: The file cannot be written.
    """
    path = Path(path)
    data = to_friendly_data(exp, path.resolve().parent)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # one setting per line, however long
    document = _existing_document(yaml, path)
    if document is None:
        document = _fresh(data)
        if path.exists():
            document.yaml_set_start_comment(HEADER)
    else:
        _merge(document, data)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    _write_atomically(path, buffer.getvalue())


def _existing_document(yaml: YAML, path: Path) -> CommentedMap | None:
    if not path.is_file():
        return None
    try:
        document = yaml.load(path.read_text(encoding="utf-8"))
    except Exception:  # unreadable YAML: replaced below with a header note
        return None
    if not isinstance(document, CommentedMap) or "modelSpec" in document:
        return None
    return document


def _fresh(value: Any, depth: int = 0) -> Any:
    """Block style at the top, flow style for each hyperparameter and row."""
    if isinstance(value, dict):
        node = CommentedMap((k, _fresh(v, depth + 1)) for k, v in value.items())
        if depth >= 2 or (depth == 1 and len(value) <= 3 and _flat(value)):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        node = CommentedSeq(_fresh(v, depth + 1) for v in value)
        if depth >= 2:
            node.fa.set_flow_style()
        return node
    if isinstance(value, str) and value.lower() in AMBIGUOUS_BOOLEANS:
        return DoubleQuotedScalarString(value)  # reads back as text, not a boolean
    return value


def _flat(value: dict[str, Any]) -> bool:
    return not any(isinstance(v, dict | list) for v in value.values())


def _merge(node: CommentedMap, data: dict[str, Any], depth: int = 0) -> None:
    for key in [k for k in node if k not in data]:
        del node[key]
    for key, value in data.items():
        old = node.get(key)
        if _same(old, value):
            continue
        if isinstance(old, CommentedMap) and isinstance(value, dict):
            _merge(old, value, depth + 1)
        else:
            node[key] = _fresh(value, depth + 1)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in new)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(map(_same, old, new))
    return type(old) is type(new) and old == new or _same_scalar(old, new)


def _same_scalar(old: Any, new: Any) -> bool:
    # ruamel's scalar subclasses (ScalarFloat, ScalarInt) equal their plain values.
    plain = (bool, int, float, str)
    return (
        isinstance(old, plain)
        and isinstance(new, plain)
        and isinstance(old, bool) == isinstance(new, bool)
        and isinstance(old, float) == isinstance(new, float)
        and old == new
    )


def _write_atomically(path: Path, text: str) -> None:
    try:
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError as err:
        raise ExperimentFileError(
            f"{path}: cannot be written ({err.strerror})"
        ) from err
