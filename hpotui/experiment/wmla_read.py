"""Reading a WML-A request body (``modelSpec``, ``algoDef``, ``hyperParams``,
``experiments``) into an :class:`Experiment`, with the same checks as the friendly
form and messages that use WML-A's field names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hpotui.algorithms.options import option_problems
from hpotui.algorithms.registry import builtin_option_rules
from hpotui.experiment.friendly import (
    HYPERBAND_NAMES,
    check_algorithm_fits,
    check_resource,
    parse_run_time,
)
from hpotui.experiment.model import (
    AlgorithmSpec,
    Experiment,
    HyperParam,
    Limits,
    ModelSpec,
    Objective,
    WmlaSpec,
)
from hpotui.experiment.param_rules import check_range, check_values
from hpotui.experiment.rows import check_rows
from hpotui.experiment.validate import Checker, PathT, is_number, show, show_number

WMLA_KEYS = frozenset({"modelSpec", "algoDef", "hyperParams"})
_TOP = ("modelSpec", "algoDef", "hyperParams", "experiments")
_ALGO_KEYS = (
    "algorithm", "maxRunTime", "maxJobNum", "maxParalleJobNum", "objectiveMetric",
    "objective", "hyperbandEta", "algoParams",
)  # fmt: skip
_PARAM_KEYS = (
    "name", "type", "dataType", "minDbVal", "maxDbVal", "minIntVal", "maxIntVal",
    "discreteDbVal", "discreteIntVal", "discreateStrVal", "step", "power",
    "userDefined",
)  # fmt: skip
_DATA_TYPES = {"DOUBLE": "double", "INT": "int", "STR": "str", "STRING": "str"}
_LIST_KEYS = {
    "double": "discreteDbVal",
    "int": "discreteIntVal",
    "str": "discreateStrVal",
}
# dlicmd options that take a value and concern the platform, not the script.
_PLATFORM_FLAGS = {
    "--exec-start", "--cs-datastore-meta", "--python-version", "--gpuPerWorker",
    "--workerDeviceNum", "--model-main", "--model-dir", "--edt-options", "--appName",
    "--debug-level",
}  # fmt: skip


def experiment_from_wmla(
    ck: Checker, data: dict[str, Any], base_dir: Path, name: str
) -> Experiment | None:
    """Build the experiment from a request body, or None when it has errors."""
    ck.known_keys(data, (), _TOP)
    model, wmla = _model_spec(ck, data.get("modelSpec"), base_dir)
    algo = ck.mapping(data.get("algoDef"), ("algoDef",), "{algorithm: Random}") or {}
    ck.known_keys(algo, ("algoDef",), _ALGO_KEYS)
    algorithm = _algorithm(ck, algo)
    limits = _limits(ck, algo)
    objective = _objective(ck, algo)
    raw_params = data.get("hyperParams")
    params = _hyper_params(ck, raw_params)
    rows = _rows(ck, data.get("experiments"), algorithm)
    if "experiments" not in data and params == [] and algorithm is not None:
        ck.error(("hyperParams",), "no hyperparameters; give at least one")
    if algorithm is not None and params:
        paths = [("hyperParams", index) for index in range(len(params))]
        check_algorithm_fits(ck, algorithm, params, ("algoDef", "algorithm"), paths)
    if ck.report.errors or model is None or algorithm is None:
        return None
    return Experiment(
        name=name, objective=objective, algorithm=algorithm, limits=limits,
        model=model, hyperparams=tuple(params or ()), experiments=rows,
        wmla=wmla.model_copy(update=_style(raw_params)),
    )  # fmt: skip


def _model_spec(
    ck: Checker, value: Any, base_dir: Path
) -> tuple[ModelSpec | None, WmlaSpec]:
    path: PathT = ("modelSpec",)
    data = ck.mapping(value, path, "{sigName: my-ig, args: --model-main train.py}")
    if not data:
        if data == {}:
            ck.error(path, "missing; give args with --model-main and --model-dir")
        return None, WmlaSpec()
    ck.known_keys(data, path, ("sigName", "args"))
    args = data.get("args")
    if not isinstance(args, str) or "--model-main" not in args.split():
        ck.error(
            (*path, "args"),
            f"must name the training script with --model-main (got {show(args)})",
        )
        return None, WmlaSpec()
    flags, passthrough = _split_args(args)
    folder = base_dir / flags.get("--model-dir", ".")
    if not folder.is_dir():
        ck.warn(
            (*path, "args"),
            f"model folder {flags.get('--model-dir')} not found next to the file; "
            "a local run needs it there",
        )
    command = ["python", flags.get("--model-main", "main.py"), *passthrough]
    wmla = WmlaSpec(
        sig_name=data.get("sigName"),
        args=args,
        framework=flags.get("--exec-start", "PyTorch"),
    )
    return ModelSpec(dir=folder.resolve(), command=command), wmla


def _split_args(args: str) -> tuple[dict[str, str], list[str]]:
    """Platform options by flag, and the words passed through to the script."""
    words = args.split()  # continuations leave runs of spaces: split on any
    flags: dict[str, str] = {}
    passthrough: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in _PLATFORM_FLAGS and index + 1 < len(words):
            flags[word] = words[index + 1]
            index += 2
            continue
        passthrough.append(word)
        index += 1
    return flags, passthrough


def _algorithm(ck: Checker, algo: dict[str, Any]) -> AlgorithmSpec | None:
    name = algo.get("algorithm")
    if not isinstance(name, str) or not name:
        ck.error(
            ("algoDef", "algorithm"), f"must name the algorithm (got {show(name)})"
        )
        return None
    params = _algo_params(ck, algo.get("algoParams", []))
    if params is None:
        return None
    seed = params.pop("RandomSeed", None)
    options = _budget_options(ck, name, algo, params)
    options.update(_hyperband_params(ck, name, params))
    seed_value = _number(seed) if seed is not None else None
    if seed is not None and (not isinstance(seed_value, int) or seed_value < 0):
        ck.error(
            ("algoDef", "algoParams"),
            f"RandomSeed must be a whole number 0 or above (got {seed})",
        )
        return None
    return AlgorithmSpec(name=name, seed=seed_value, options=options)


_BUDGET_KEYS = ("ResourceName", "ResourceValue")
# Built-ins that have no budget; plugins may read any algoParams, so they keep them.
_SINGLE_FIDELITY = {"random", "tpe", "bayesian", "grid", "experimentgridsearch"}


def _budget_options(
    ck: Checker, name: str, algo: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """``hyperbandEta`` and algoParams ResourceName/ResourceValue as options.

    Hyperband, ASHA and BOHB need both budget parameters; the built-ins without a
    budget are warned that these settings do nothing (WML-A's own grid example
    sends ``hyperbandEta``), and they are left out.
    """
    path: PathT = ("algoDef", "algoParams")
    if name.lower() in _SINGLE_FIDELITY:
        given = [key for key in _BUDGET_KEYS if params.pop(key, None) is not None]
        if "hyperbandEta" in algo:
            given.append("hyperbandEta")
        if given:
            ck.warn(path, f"{', '.join(given)} used only by Hyperband, ASHA and "
                          f"BOHB; ignored for {name}")  # fmt: skip
        return {}
    options: dict[str, Any] = {}
    if name.lower() in HYPERBAND_NAMES or any(k in params for k in _BUDGET_KEYS):
        resource = _resource(ck, name, params.pop("ResourceName", None),
                             params.pop("ResourceValue", None))  # fmt: skip
        if resource:
            options["resource"] = resource
    if "hyperbandEta" in algo:
        eta = algo["hyperbandEta"]
        if not is_number(eta) or eta <= 1:
            ck.error(
                ("algoDef", "hyperbandEta"),
                f"must be a number > 1 (got {show_number(eta)})",
            )
        options["eta"] = eta
    return options


def _hyperband_params(ck: Checker, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """A plugin's own algoParams as given (strings); a Hyperband variant's as
    numbers where they read as numbers, checked by the rules its run checks."""
    if name.lower() not in HYPERBAND_NAMES:
        # TODO: TPE's and GP's algoParams reach them unchecked, as strings; which
        # names WML-A itself gives their settings is not documented, so refusing
        # unknown ones waits for that list.
        return params
    typed = {key: _number(value) for key, value in params.items()}
    rules = builtin_option_rules(name) or {}
    for key, message in option_problems(name, rules, typed):
        ck.error(("algoDef", "algoParams"), f"{key}: {message}")
    return typed


def _given(value: Any) -> str:
    return "missing" if value is None else f"got {show(value)}"


def _resource(
    ck: Checker, algorithm: str, name: Any, value: Any
) -> dict[str, Any] | None:
    path: PathT = ("algoDef", "algoParams")
    if not isinstance(name, str) or not name:
        ck.error(path, f"{algorithm} needs ResourceName, the config.json key of the "
                       f"budget, e.g. {{name: ResourceName, value: epochs}} "
                       f"({_given(name)})")  # fmt: skip
        return None
    maximum = _number(value)
    if isinstance(value, str) and isinstance(maximum, float) and maximum.is_integer():
        # WML-A sends ResourceValue as a string; "81.0" is 81 epochs, not 81.0.
        maximum = int(maximum)
    if not is_number(maximum) or maximum <= 0:
        ck.error(path, f"{algorithm} needs ResourceValue, the largest budget as a "
                       "positive number, e.g. {name: ResourceValue, value: '81'} "
                       f"({_given(value)})")  # fmt: skip
        return None
    return check_resource(ck, {"name": name, "max": maximum}, path)


def _algo_params(ck: Checker, value: Any) -> dict[str, Any] | None:
    path: PathT = ("algoDef", "algoParams")
    if not isinstance(value, list):
        ck.error(path, f"must be a list of {{name, value}} (got {show(value)})")
        return None
    params: dict[str, Any] = {}
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            ck.error(
                (*path, index), f"must be {{name: ..., value: ...}} (got {show(item)})"
            )
            return None
        params[item["name"]] = item.get("value")
    return params


def _number(value: Any) -> Any:
    """A number written as a string (``'81'``, ``'0.002'``), as WML-A sends them."""
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def _limits(ck: Checker, algo: dict[str, Any]) -> Limits:
    path: PathT = ("algoDef",)
    max_jobs = algo.get("maxJobNum", -1)
    if (
        not isinstance(max_jobs, int)
        or isinstance(max_jobs, bool)
        or (max_jobs < 1 and max_jobs != -1)
    ):
        ck.error(
            (*path, "maxJobNum"),
            f"must be -1 or a whole number >= 1 (got {show(max_jobs)})",
        )
        max_jobs = 1
    parallel = algo.get("maxParalleJobNum", 1)
    if not isinstance(parallel, int) or isinstance(parallel, bool) or parallel < 1:
        ck.error(
            (*path, "maxParalleJobNum"),
            f"must be a whole number >= 1 (got {show(parallel)})",
        )
        parallel = 1
    run_time = parse_run_time(ck, algo.get("maxRunTime", -1), (*path, "maxRunTime"))
    return Limits(max_jobs=max_jobs, max_parallel_jobs=parallel, max_run_time=run_time)


def _objective(ck: Checker, algo: dict[str, Any]) -> Objective:
    metric = algo.get("objectiveMetric")
    if not isinstance(metric, str) or not metric:
        ck.error(
            ("algoDef", "objectiveMetric"), f"must name the metric (got {show(metric)})"
        )
        metric = "loss"
    goal = algo.get("objective", "minimize")
    if goal not in ("minimize", "maximize"):
        ck.error(
            ("algoDef", "objective"), f"must be minimize or maximize (got {show(goal)})"
        )
        goal = "minimize"
    return Objective(metric=metric, goal=goal)


def _hyper_params(ck: Checker, value: Any) -> list[HyperParam] | None:
    if value is None:
        return []
    if not isinstance(value, list):
        ck.error(("hyperParams",), f"must be a list (got {show(value)})")
        return None
    params = [
        _hyper_param(ck, ("hyperParams", i), item) for i, item in enumerate(value)
    ]
    if any(param is None for param in params):
        return None
    return params  # type: ignore[return-value]


def _hyper_param(ck: Checker, path: PathT, item: Any) -> HyperParam | None:
    data = ck.mapping(item, path, "{name: lr, type: Range, dataType: DOUBLE}")
    if data is None:
        return None
    ck.known_keys(data, path, _PARAM_KEYS)
    name, kind = data.get("name"), str(data.get("type", "")).lower()
    data_type = _DATA_TYPES.get(str(data.get("dataType", "")).upper())
    if not isinstance(name, str) or not name:
        ck.error((*path, "name"), f"must be the parameter's name (got {show(name)})")
        return None
    if data_type is None:
        ck.error(
            (*path, "dataType"),
            f"must be DOUBLE, INT or STR (got {show(data.get('dataType'))})",
        )
        return None
    if kind == "discrete":
        values = data.get(_LIST_KEYS[data_type])
        return check_values(ck, path, name, values, declared=data_type)
    if kind != "range":
        ck.error(
            (*path, "type"), f"must be Range or Discrete (got {show(data.get('type'))})"
        )
        return None
    return _range(ck, path, name, data, data_type)


def _range(
    ck: Checker, path: PathT, name: str, data: dict[str, Any], data_type: str
) -> HyperParam | None:
    keys = (
        ("minIntVal", "maxIntVal") if data_type == "int" else ("minDbVal", "maxDbVal")
    )
    bounds = [data.get(keys[0]), data.get(keys[1])]
    step = _number(data.get("step"))
    power = data.get("power")
    if power is not None:
        if data_type != "double" or not is_number(power) or power <= 0 or power == 1:
            ck.error(
                (*path, "power"),
                "must be a number > 0 other than 1 on a DOUBLE range "
                f"(got {show(power)})",
            )
            return None
        if all(is_number(b) for b in bounds):
            bounds = [float(power) ** b for b in bounds]
    return check_range(
        ck, path, name, bounds, declared=data_type, step=step,
        log=power is not None, power=power,
    )  # fmt: skip


def _rows(
    ck: Checker, value: Any, algorithm: AlgorithmSpec | None
) -> tuple[dict[str, Any], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        ck.error(("experiments",), f"must be a list (got {show(value)})")
        return None
    rows: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        row = _fixed_row(ck, ("experiments", index), item)
        if row is None:
            return None
        rows.append(row)
    return check_rows(ck, rows, [], algorithm.name if algorithm else "")


def _fixed_row(ck: Checker, path: PathT, item: Any) -> dict[str, Any] | None:
    entries = item.get("hyperParams") if isinstance(item, dict) else None
    if not isinstance(entries, list):
        ck.error(path, "must be {id, hyperParams: [{name, dataType, fixedVal}]}")
        return None
    row: dict[str, Any] = {}
    for index, entry in enumerate(entries):
        where = (*path, "hyperParams", index)
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            ck.error(where, f"must be {{name, dataType, fixedVal}} (got {show(entry)})")
            return None
        value = _fixed_value(ck, where, entry)
        if value is None:
            return None
        row[entry["name"]] = value
    return row


def _fixed_value(ck: Checker, path: PathT, entry: dict[str, Any]) -> Any:
    data_type = _DATA_TYPES.get(str(entry.get("dataType", "")).upper())
    text = entry.get("fixedVal")
    try:
        if data_type == "int":
            return int(text)  # type: ignore[arg-type]
        if data_type == "double":
            return float(text)  # type: ignore[arg-type]
        if data_type == "str":
            return str(text)
    except (TypeError, ValueError):
        pass
    ck.error(
        path,
        f"fixedVal {show(text)} does not read as dataType {entry.get('dataType')}; "
        "use DOUBLE, INT or STR with a matching value",
    )
    return None


def _style(raw_params: Any) -> dict[str, Any]:
    """How the request wrote its parameters, so that writing it back matches."""
    entries = [p for p in raw_params or [] if isinstance(p, dict)]
    return {
        "all_bound_keys": any(
            "discreateStrVal" in p and "minIntVal" in p for p in entries
        ),
        "step_as_string": any(isinstance(p.get("step"), str) for p in entries),
    }
