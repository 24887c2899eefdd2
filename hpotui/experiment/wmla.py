"""The WML-A request body, both ways: read it as an experiment, write it back exactly.

WML-A's own spellings are kept on the wire (``maxParalleJobNum``,
``discreateStrVal``). Where an experiment uses something WML-A cannot express
(``objective.value: last``, a Hyperband minimum budget, mixed-type lists, data
sampling), :func:`to_wmla_request` refuses with a message rather than send
something else. A log range becomes ``power: 10`` with exponent bounds.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from hpotui.errors import ExperimentFileError
from hpotui.experiment.model import Experiment, HyperParam
from hpotui.experiment.source import LineMap
from hpotui.experiment.validate import Checker
from hpotui.experiment.wmla_read import WMLA_KEYS, experiment_from_wmla

__all__ = ["WMLA_KEYS", "experiment_from_wmla", "from_wmla_request", "to_wmla_request"]

_ZERO_BOUNDS: dict[str, Any] = {
    "minDbVal": 0, "maxDbVal": 0, "minIntVal": 0, "maxIntVal": 0,
    "discreteDbVal": [], "discreteIntVal": [], "discreateStrVal": [],
}  # fmt: skip


def from_wmla_request(
    data: dict[str, Any],
    base_dir: str | Path | None = None,
    *,
    name: str = "wmla-request",
    source_name: str = "request",
) -> Experiment:
    """The experiment a WML-A request body describes.

    Args:
        data: The request body (what goes in the multipart ``data`` field).
        base_dir: Where ``--model-dir`` is looked for; the current folder if None.
        name: The experiment's name (a request carries none).
        source_name: How messages name the request.

    Raises:
        ExperimentFileError: The body is invalid; every problem is listed.
    """
    ck = Checker(source_name, LineMap(), set())
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    experiment = experiment_from_wmla(ck, data, folder, name)
    ck.report.raise_for_errors()
    assert experiment is not None
    notes = ck.report.notes()
    return experiment.model_copy(update={"notes": notes})


def to_wmla_request(exp: Experiment) -> dict[str, Any]:
    """The exact WML-A request body for ``exp``.

    Raises:
        ExperimentFileError: ``exp`` uses a feature WML-A has no form for; the
            message names the field and how to drop it.
    """
    _refuse_unsupported(exp)
    body: dict[str, Any] = {"modelSpec": _model_spec(exp), "algoDef": _algo_def(exp)}
    if exp.experiments is not None:
        body["experiments"] = [
            _experiment_row(index + 1, row) for index, row in enumerate(exp.experiments)
        ]
    else:
        body["hyperParams"] = [_hyper_param(exp, hp) for hp in exp.hyperparams]
    return body


# Options with their own place in the request, or that only the local engine uses
# (how long it waits for a plugin process).
_NOT_ALGO_PARAMS = {"eta", "resource", "experiments", "plugin_timeout"}


def _refuse(field: str, why: str) -> ExperimentFileError:
    return ExperimentFileError(f"{field}: {why}; WML-A has no equivalent")


def _refuse_unsupported(exp: Experiment) -> None:
    if exp.objective.value != "best":
        raise _refuse("objective.value", "last (WML-A uses the best step); use best")
    if exp.data_fraction is not None:
        raise _refuse("data_fraction", "remove it to send this experiment to WML-A")
    if exp.early_stopping:
        raise _refuse("early_stopping", "remove it to send this experiment to WML-A")
    resource = exp.algorithm.options.get("resource")
    if resource and resource.get("min", 1) != 1:
        raise _refuse(
            "algorithm.resource.min", f"{resource['min']} (WML-A starts at 1)"
        )


def _model_spec(exp: Experiment) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if exp.wmla.sig_name is not None:
        spec["sigName"] = exp.wmla.sig_name
    spec["args"] = exp.wmla.args if exp.wmla.args is not None else _build_args(exp)
    return spec


def _build_args(exp: Experiment) -> str:
    command = exp.model.command
    if len(command) < 2 or not Path(command[0]).name.startswith("python"):
        raise ExperimentFileError(
            "model.command: WML-A runs a Python script; write it as "
            "python SCRIPT [ARGS], or set wmla.args"
        )
    words = [
        "--exec-start", exp.wmla.framework,
        "--cs-datastore-meta", "type=fs",
        "--model-main", command[1],
        "--model-dir", exp.model.dir.name,
    ]  # fmt: skip
    if exp.gpus_per_trial:
        words += ["--gpuPerWorker", str(exp.gpus_per_trial)]
    return " ".join([*words, *command[2:]])


def _algo_def(exp: Experiment) -> dict[str, Any]:
    limits, options = exp.limits, exp.algorithm.options
    algo: dict[str, Any] = {
        "algorithm": exp.algorithm.name,
        "maxRunTime": _minutes(limits.max_run_time),
        "maxJobNum": limits.max_jobs,
        "maxParalleJobNum": limits.max_parallel_jobs,
        "objectiveMetric": exp.objective.metric,
        "objective": exp.objective.goal,
    }
    if "eta" in options:
        algo["hyperbandEta"] = float(options["eta"])
    params = _algo_params(exp)
    if params:
        algo["algoParams"] = params
    return algo


def _minutes(seconds: float | None) -> int:
    if seconds is None:
        return -1
    minutes = seconds / 60
    if not float(minutes).is_integer():
        raise ExperimentFileError(
            f"limits.max_run_time: WML-A takes whole minutes ({minutes:g} given); "
            "round it to a whole number of minutes"
        )
    return int(minutes)


def _algo_params(exp: Experiment) -> list[dict[str, str]]:
    options = exp.algorithm.options
    params: list[dict[str, str]] = []
    resource = options.get("resource")
    if resource:
        params.append({"name": "ResourceName", "value": str(resource["name"])})
        params.append({"name": "ResourceValue", "value": number_text(resource["max"])})
    if exp.algorithm.seed is not None:
        params.append({"name": "RandomSeed", "value": str(exp.algorithm.seed)})
    for key, value in options.items():
        if key in _NOT_ALGO_PARAMS:
            continue
        text = value if isinstance(value, str) else number_text(value)
        params.append({"name": str(key), "value": text})
    return params


def number_text(value: Any) -> str:
    """A number as WML-A writes it in strings: ``81``, ``0.002``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _hyper_param(exp: Experiment, hp: HyperParam) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": hp.name}
    if hp.values is not None:
        entry.update(_discrete(hp))
    else:
        entry.update(_range(hp))
    if exp.wmla.all_bound_keys:
        entry = {**{"name": hp.name}, **_ZERO_BOUNDS, **entry}
        entry = _ordered(entry)
    if "step" in entry and exp.wmla.step_as_string:
        entry["step"] = number_text(entry["step"])
    return entry


def _ordered(entry: dict[str, Any]) -> dict[str, Any]:
    order = ["name", "type", "dataType", *_ZERO_BOUNDS, "step", "power"]
    return {key: entry[key] for key in order if key in entry}


def _discrete(hp: HyperParam) -> dict[str, Any]:
    values = list(hp.values or ())
    if hp.type == "int":
        return {"type": "Discrete", "dataType": "INT", "discreteIntVal": values}
    if hp.type == "double":
        floats = [float(v) for v in values]
        return {"type": "Discrete", "dataType": "DOUBLE", "discreteDbVal": floats}
    if hp.type == "str":
        return {"type": "Discrete", "dataType": "STR", "discreateStrVal": values}
    raise _refuse(
        f"hyperparams.{hp.name}",
        f"values {values} mix JSON types (a WML-A list is all DOUBLE, INT or STR); "
        "give them one type",
    )


def _range(hp: HyperParam) -> dict[str, Any]:
    assert hp.low is not None and hp.high is not None
    if hp.type == "int":
        if hp.log:
            raise _refuse(f"hyperparams.{hp.name}", "log scale on an int range")
        entry: dict[str, Any] = {"type": "Range", "dataType": "INT"}
        entry.update(minIntVal=int(hp.low), maxIntVal=int(hp.high))
        if hp.step is not None:
            entry["step"] = int(hp.step)
        return entry
    entry = {"type": "Range", "dataType": "DOUBLE"}
    if hp.log:
        power = hp.power or 10
        entry["minDbVal"] = _exponent(hp.low, power)
        entry["maxDbVal"] = _exponent(hp.high, power)
        entry["power"] = int(power) if float(power).is_integer() else power
        return entry
    entry.update(minDbVal=float(hp.low), maxDbVal=float(hp.high))
    if hp.step is not None:
        entry["step"] = float(hp.step)
    return entry


def _exponent(value: float, power: float) -> float | int:
    """``x`` with ``power ** x == value``, written as simply as it stays exact."""
    exponent = math.log(value) / math.log(power)
    for digits in range(0, 16):
        short = round(exponent, digits)
        if math.isclose(float(power) ** short, value, rel_tol=1e-12, abs_tol=0.0):
            return int(short) if float(short).is_integer() else short
    return exponent


def _experiment_row(row_id: int, row: dict[str, Any]) -> dict[str, Any]:
    entries = []
    for name, value in row.items():
        if isinstance(value, bool) or value is None:
            raise _refuse(
                f"experiments[{row_id - 1}].{name}",
                f"{value!r} (WML-A fixed values are DOUBLE, INT or STR)",
            )
        if isinstance(value, int):
            data_type, text = "INT", str(value)
        elif isinstance(value, float):
            data_type, text = "DOUBLE", repr(value)
        else:
            data_type, text = "STR", str(value)
        entries.append({"name": name, "dataType": data_type, "fixedVal": text})
    return {"id": row_id, "hyperParams": entries}
