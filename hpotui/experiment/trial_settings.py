"""How trials run, in the friendly form: data sampling, GPUs, the executor, an
early-stopping rule and the WML-A settings. Checked for shape here; the engine and
the backends give them meaning.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from hpotui.engine.stopping import create_stopping_rule
from hpotui.errors import ExperimentFileError
from hpotui.experiment.executor_rules import executor_problems
from hpotui.experiment.model import ExecutorSpec, WmlaSpec
from hpotui.experiment.validate import Checker, PathT, is_number, show


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_trial_settings(ck: Checker, data: dict[str, Any]) -> dict[str, Any]:
    """The settings of the friendly form beyond the search, as Experiment fields."""
    extras: dict[str, Any] = {}
    fraction = data.get("data_fraction")
    if fraction is not None:
        if not is_number(fraction) or not 0 < fraction <= 1:
            ck.error(
                ("data_fraction",),
                f"must be a number in (0, 1], e.g. 0.25 (got {show(fraction)})",
            )
        else:
            extras["data_fraction"] = float(fraction)
    gpus_per_trial = data.get("gpus_per_trial", 0)
    if not _whole(gpus_per_trial) or gpus_per_trial < 0:
        ck.error(
            ("gpus_per_trial",),
            f"must be a whole number >= 0 (got {show(gpus_per_trial)})",
        )
    else:
        extras["gpus_per_trial"] = gpus_per_trial
    gpus = _gpus(ck, data.get("gpus"))
    if gpus is not None:
        extras["gpus"] = gpus
    executor = _executor(ck, data.get("executor"), extras.get("gpus_per_trial", 0))
    if executor is not None:
        extras["executor"] = executor
    extras["early_stopping"] = _early_stopping(ck, data.get("early_stopping"))
    wmla = _wmla(ck, data.get("wmla"))
    if wmla is not None:
        extras["wmla"] = wmla
    return extras


def _gpus(ck: Checker, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if (
        isinstance(value, list)
        and value
        and all(isinstance(g, str | int) and not isinstance(g, bool) for g in value)
    ):
        return tuple(str(g) for g in value)
    ck.error(
        ("gpus",), f"must be a list of device ids such as [0, 1] (got {show(value)})"
    )
    return None


def _executor(ck: Checker, value: Any, gpus_per_trial: int) -> ExecutorSpec | None:
    path: PathT = ("executor",)
    data = ck.mapping(value, path, "{type: dask, cluster: local, workers: 2}")
    if not data:
        return None
    ck.known_keys(data, path, ExecutorSpec.model_fields)
    try:
        spec = ExecutorSpec(
            **{k: v for k, v in data.items() if k in ExecutorSpec.model_fields}
        )
    except ValidationError as err:
        for problem in err.errors():
            key = (*path, *problem["loc"])
            ck.error(
                key, f"{problem['msg'].lower()} (got {show(problem.get('input'))})"
            )
        return None
    problems = executor_problems(spec, gpus_per_trial)
    for field, text in problems:
        ck.error(field, text)
    return None if problems else spec


def _early_stopping(ck: Checker, value: Any) -> dict[str, Any] | None:
    if value is None or value is False:
        return None
    data = ck.mapping(
        value, ("early_stopping",), "{rule: median, grace_steps: 3, min_trials: 5}"
    )
    if not data:
        return None
    try:
        create_stopping_rule(data)
    except ExperimentFileError as err:
        # The rule's message starts with its dotted field, e.g. early_stopping.eta.
        field, _, text = err.message.partition(": ")
        ck.error(tuple(field.split(".")), text)
        return None
    return data


def _wmla(ck: Checker, value: Any) -> WmlaSpec | None:
    path: PathT = ("wmla",)
    data = ck.mapping(value, path, "{sig_name: my-ig, framework: PyTorch}")
    if not data:
        return None
    ck.known_keys(data, path, ("sig_name", "args", "framework"))
    for key in ("sig_name", "args", "framework"):
        if key in data and not isinstance(data[key], str):
            ck.error((*path, key), f"must be text (got {show(data[key])})")
    if ck.report.errors:
        return None
    return WmlaSpec(**{k: v for k, v in data.items() if k in WmlaSpec.model_fields})
