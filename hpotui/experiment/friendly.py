"""The friendly YAML form, checked key by key into an :class:`Experiment`.

The documented keys (``name``, ``objective``, ``algorithm``, ``limits``, ``model``,
``hyperparams``, ``experiments``, plus ``data_fraction``, ``gpus_per_trial``,
``gpus``, ``executor``, ``early_stopping`` and ``wmla``) are the contract with users
and other tools: a misspelt key is an error that names the closest known one.
"""

from __future__ import annotations

import difflib
import re
import shlex
from pathlib import Path
from typing import Any

from hpotui.algorithms.hyperband.schedule import one_bracket_note
from hpotui.algorithms.options import option_problems
from hpotui.algorithms.registry import (
    builtin_names,
    builtin_option_rules,
    is_known,
    unknown_algorithm,
)
from hpotui.durations import parse_duration
from hpotui.experiment.hyperparams_form import check_hyperparams
from hpotui.experiment.model import (
    AlgorithmSpec,
    Experiment,
    HyperParam,
    Limits,
    ModelSpec,
    Objective,
)
from hpotui.experiment.rows import check_rows
from hpotui.experiment.trial_settings import check_trial_settings
from hpotui.experiment.validate import (
    Checker,
    PathT,
    is_finite_number,
    is_number,
    show,
    show_number,
)

TOP_KEYS = (
    "name", "objective", "algorithm", "limits", "model", "hyperparams",
    "experiments", "data_fraction", "gpus_per_trial", "gpus", "executor",
    "early_stopping", "wmla",
)  # fmt: skip
HYPERBAND_NAMES = {"hyperband", "asha", "bohb"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def experiment_from_friendly(
    ck: Checker, data: dict[str, Any], base_dir: Path, default_name: str
) -> Experiment | None:
    """Build the experiment from the friendly form, or None when it has errors."""
    ck.known_keys(data, (), TOP_KEYS)
    name = _name(ck, data.get("name", default_name))
    objective = _objective(ck, data.get("objective"))
    algorithm = _algorithm(ck, data.get("algorithm"))
    limits = _limits(ck, data.get("limits"))
    model = _model(ck, data.get("model"), base_dir)
    hyperparams = check_hyperparams(ck, data.get("hyperparams"))
    algo_name = algorithm.name if algorithm else ""
    experiments = check_rows(ck, data.get("experiments"), hyperparams, algo_name)
    extras = check_trial_settings(ck, data)
    if algorithm and hyperparams is not None:
        _check_resource_name(ck, algorithm, hyperparams)
        paths = [("hyperparams", hp.name) for hp in hyperparams]
        check_algorithm_fits(ck, algorithm, hyperparams, ("algorithm", "name"), paths)
    if ck.report.errors:
        return None
    return Experiment(
        name=name,
        objective=objective,
        algorithm=algorithm,
        limits=limits,
        model=model,
        hyperparams=tuple(hyperparams or ()),
        experiments=experiments,
        **extras,
    )


def _name(ck: Checker, value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        ck.error(
            ("name",),
            f"use letters, digits, '.', '_' and '-', starting with a letter or digit "
            f"(got {show(value)}); e.g. digits-mlp",
        )
        return "invalid"
    return value


def _objective(ck: Checker, value: Any) -> Objective | None:
    data = ck.mapping(value, ("objective",), "{metric: loss, goal: minimize}")
    if data is None:
        return None
    ck.known_keys(data, ("objective",), ("metric", "goal", "value"))
    metric = data.get("metric", "loss")
    if not isinstance(metric, str) or not metric:
        ck.error(("objective", "metric"), f"must be a metric name (got {show(metric)})")
    goal = data.get("goal", "minimize")
    if goal not in ("minimize", "maximize"):
        ck.error(
            ("objective", "goal"), f"must be minimize or maximize (got {show(goal)})"
        )
    rule = data.get("value", "best")
    if rule not in ("best", "last"):
        ck.error(
            ("objective", "value"),
            f"must be best (the best step) or last (the last step) (got {show(rule)})",
        )
    if ck.report.errors:
        return None
    return Objective(metric=metric, goal=goal, value=rule)


def _algorithm(ck: Checker, value: Any) -> AlgorithmSpec | None:
    path: PathT = ("algorithm",)
    data = ck.mapping(value, path, "{name: Random, seed: 7}")
    if data is None:
        return None
    ck.known_keys(data, path, ("name", "seed", "eta", "resource", "options"))
    name = data.get("name", "Random")
    if not isinstance(name, str) or not name:
        ck.error((*path, "name"), f"must be an algorithm name (got {show(name)})")
        return None
    seed = data.get("seed")
    if seed is not None and (
        not isinstance(seed, int) or isinstance(seed, bool) or seed < 0
    ):
        ck.error(
            (*path, "seed"), f"must be a whole number 0 or above (got {show(seed)})"
        )
    options = _plugin_options(ck, data.get("options"))
    _check_builtin_options(ck, name, options)
    options.update(_hyperband_options(ck, data, name.lower() in HYPERBAND_NAMES))
    if ck.report.errors:
        return None
    return AlgorithmSpec(name=name, seed=seed, options=options)


RESERVED_OPTIONS = ("eta", "resource", "experiments")


def _check_builtin_options(ck: Checker, name: str, options: dict[str, Any]) -> None:
    rules = builtin_option_rules(name)
    if rules is None:
        return
    for key, message in option_problems(name, rules, options):
        ck.error(("algorithm", "options", key), message)


def _plugin_options(ck: Checker, value: Any) -> dict[str, Any]:
    """Settings a plugin algorithm receives as keyword arguments, e.g. random_seed."""
    path: PathT = ("algorithm", "options")
    options = ck.mapping(value, path, "{random_seed: 2}") or {}
    for key in options:
        if key in RESERVED_OPTIONS:
            ck.error((*path, key), f"set {key} in its own place, not under options")
        elif isinstance(options[key], dict | list):
            ck.error((*path, key), "must be a number, a string, true or false")
    return dict(options)


def _hyperband_options(
    ck: Checker, data: dict[str, Any], is_hyperband: bool
) -> dict[str, Any]:
    path: PathT = ("algorithm",)
    if not is_hyperband:
        for key in ("eta", "resource"):
            if key in data:
                ck.warn((*path, key), "used only by Hyperband; ignored here")
        return {}
    options: dict[str, Any] = {}
    eta = data.get("eta", 3)
    if not is_finite_number(eta) or eta <= 1:
        ck.error(
            (*path, "eta"), f"must be a number > 1 (got {show_number(eta)}); 3 is usual"
        )
    else:
        options["eta"] = eta
    resource = check_resource(ck, data.get("resource"), (*path, "resource"))
    if resource:
        options["resource"] = resource
    if resource and "eta" in options:
        note = one_bracket_note(options["eta"], resource["max"], resource["min"])
        if note:
            ck.warn((*path, "resource", "max"), note)
    return options


def check_resource(ck: Checker, value: Any, path: PathT) -> dict[str, Any] | None:
    """Hyperband's ``resource: {name, max, min}``, or None after an error."""
    if value is None:
        ck.error(
            path, "Hyperband needs a resource, e.g. resource: {name: epochs, max: 81}"
        )
        return None
    data = ck.mapping(value, path, "{name: epochs, max: 81}")
    if data is None:
        return None
    ck.known_keys(data, path, ("name", "max", "min"))
    name = data.get("name")
    if not isinstance(name, str) or not name:
        ck.error(
            (*path, "name"),
            f"must name the config.json key, e.g. epochs (got {show(name)})",
        )
    maximum, minimum = data.get("max"), data.get("min", 1)
    for key, number in (("max", maximum), ("min", minimum)):
        if not is_finite_number(number) or number <= 0:
            ck.error(
                (*path, key), f"must be a positive number (got {show_number(number)})"
            )
            return None
    if minimum > maximum:
        ck.error((*path, "min"), f"{show(minimum)} is above max {show(maximum)}")
        return None
    return {"name": name, "max": maximum, "min": minimum}


def _check_resource_name(
    ck: Checker, algorithm: AlgorithmSpec, hyperparams: list[HyperParam]
) -> None:
    resource = algorithm.options.get("resource")
    if resource and resource["name"] in {hp.name for hp in hyperparams}:
        ck.error(
            ("algorithm", "resource", "name"),
            f"{resource['name']} is also a hyperparameter; Hyperband sets it itself, "
            "so remove it from hyperparams",
        )


# Algorithms WML-A lists that may be added here later or by a plugin of that name.
_WMLA_ALGORITHMS = ("Random", "TPE", "Bayesian", "Hyperband", "ExperimentGridSearch")


def check_algorithm_fits(
    ck: Checker,
    algorithm: AlgorithmSpec,
    hyperparams: list[HyperParam],
    name_path: PathT,
    param_paths: list[PathT],
) -> None:
    """Refuse an algorithm name that is neither built in nor installed (warn of it
    when the installed plugins are not known); refuse a grid over a continuous
    range."""
    if ck.plugins is not None:
        if not is_known(algorithm.name, ck.plugins):
            ck.error(name_path, unknown_algorithm(algorithm.name, sorted(ck.plugins)))
        _check_grid(ck, algorithm, hyperparams, param_paths)
        return
    # TODO: the dashboard's editor and WML-A requests sent to hpotui serve are
    # checked without the workspace's plugin list, so they only warn here; giving
    # it to them needs their backends to expose the installed plugins.
    known = list(dict.fromkeys([*builtin_names(), *_WMLA_ALGORITHMS]))
    if algorithm.name.lower() not in {name.lower() for name in known}:
        close = difflib.get_close_matches(algorithm.name, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}? " if close else ""
        ck.warn(
            name_path,
            f"{algorithm.name} is not a built-in algorithm; {hint}it must be an "
            "installed plugin",
        )
    _check_grid(ck, algorithm, hyperparams, param_paths)


def _check_grid(
    ck: Checker,
    algorithm: AlgorithmSpec,
    hyperparams: list[HyperParam],
    param_paths: list[PathT],
) -> None:
    if algorithm.name.lower() != "grid":
        return
    for hp, path in zip(hyperparams, param_paths, strict=True):
        if hp.to_param().n_values is None:
            ck.error(
                path,
                "Grid needs a finite space; give this range a step or a list of "
                "values, or use Random",
            )


def _limits(ck: Checker, value: Any) -> Limits | None:
    path: PathT = ("limits",)
    data = ck.mapping(value, path, "{max_jobs: 30, max_parallel_jobs: 2}")
    if data is None:
        return None
    ck.known_keys(data, path, ("max_jobs", "max_parallel_jobs", "max_run_time"))
    max_jobs = data.get("max_jobs", 10)
    if not _whole(max_jobs) or (max_jobs < 1 and max_jobs != -1):
        ck.error(
            (*path, "max_jobs"),
            f"must be -1 (no limit) or a whole number >= 1 (got {show(max_jobs)})",
        )
    parallel = data.get("max_parallel_jobs", 1)
    if not _whole(parallel) or parallel < 1:
        ck.error(
            (*path, "max_parallel_jobs"),
            f"must be a whole number >= 1 (got {show(parallel)})",
        )
    run_time = parse_run_time(ck, data.get("max_run_time", -1), (*path, "max_run_time"))
    if ck.report.errors:
        return None
    return Limits(max_jobs=max_jobs, max_parallel_jobs=parallel, max_run_time=run_time)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_run_time(ck: Checker, value: Any, path: PathT) -> float | None:
    """``max_run_time`` in seconds: -1 (None, no limit), minutes, or ``1h30m``."""
    fix = (
        "use -1 (no limit), a positive number of minutes, or a duration like 20m "
        "or 1h30m"
    )
    if value is None or value == -1:
        return None
    if is_number(value):
        if value > 0:
            return float(value) * 60
        ck.error(path, f"{fix} (got {show(value)})")
        return None
    if isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except ValueError:
            seconds = 0.0
        if seconds > 0:
            return seconds
    ck.error(path, f"{fix} (got {show(value)})")
    return None


def _model(ck: Checker, value: Any, base_dir: Path) -> ModelSpec | None:
    path: PathT = ("model",)
    if value is None:
        ck.error(
            path, "missing; add model: {dir: ./my_model, command: python train.py}"
        )
        return None
    data = ck.mapping(value, path, "{dir: ./my_model, command: python train.py}")
    if data is None:
        return None
    ck.known_keys(data, path, ("dir", "command"))
    folder = _model_dir(ck, data.get("dir"), base_dir)
    command = _command(ck, data.get("command"))
    if folder is None or command is None:
        return None
    return ModelSpec(dir=folder, command=command)


def _model_dir(ck: Checker, value: Any, base_dir: Path) -> Path | None:
    path: PathT = ("model", "dir")
    if not isinstance(value, str) or not value:
        ck.error(path, f"must be the folder of the training code (got {show(value)})")
        return None
    folder = (base_dir / Path(value).expanduser()).resolve()
    if not folder.is_dir():
        ck.error(path, f"folder {value} not found (looked at {folder}); fix the path")
        return None
    return folder


def _command(ck: Checker, value: Any) -> list[str] | None:
    path: PathT = ("model", "command")
    words: list[str] | None = None
    if isinstance(value, str):
        try:
            words = shlex.split(value)
        except ValueError as err:
            ck.error(
                path, f"cannot split {value!r} into words ({err}); check the quotes"
            )
            return None
    elif isinstance(value, list) and all(isinstance(w, str) for w in value):
        words = list(value)
    if not words:
        ck.error(
            path,
            f"must be the training command, e.g. python train.py (got {show(value)})",
        )
        return None
    return words
