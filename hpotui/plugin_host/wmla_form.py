"""What a plugin receives and returns, in the shapes WML-A plugins expect.

``hyper_parameters``: one dict per hyperparameter, as in a WML-A request's
``hyperParams``::

    {"name": "lr", "type": "Range", "dataType": "DOUBLE",
     "minDbVal": 0.0001, "maxDbVal": 0.1, "log": true}
    {"name": "layers", "type": "Range", "dataType": "INT",
     "minIntVal": 1, "maxIntVal": 4}
    {"name": "opt", "type": "Discrete", "dataType": "STR",
     "discreateStrVal": ["adam", "sgd"]}

A stepped range carries ``step``. A log range keeps its real bounds and adds
``"log": true`` (WML-A's ``power`` form would hand plugins exponents, and plugins
return values, not exponents). A list mixing types (numbers with text, booleans,
null) is sent as STR with each value written as JSON, and those strings are read
back as the original values.

``last_exp_results``: the trials that ended since the previous ``search`` call, in
trial-id order (empty on the first call, never None)::

    {"id": 3, "hyperParams": {"lr": 0.01, "opt": "adam"},
     "metricVal": 0.93, "state": "FINISHED"}

``metricVal`` is the trial's objective value in the experiment's own direction
(accuracy stays accuracy), or null when the trial has none. ``state`` is FINISHED,
FAILED, PRUNED (stopped early by a stopping rule; ``metricVal`` is its last value)
or STOPPED. WML-A never published this shape: its FAILED trials carry 9999.99 where
hpotui sends null.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hpotui.algorithms.base import Observation
from hpotui.space import ChoiceParam, Param, RangeParam, SearchSpace


def hyper_parameters(space: SearchSpace) -> list[dict[str, Any]]:
    """The search space in WML-A request form, one dict per hyperparameter."""
    # TODO: share one conversion with the experiment package's WML-A request
    # writer; it works from the experiment file, while plugins are built from the
    # search space alone, so this one follows the same field names until both
    # agree on log ranges (real bounds plus "log" here, WML-A's power there).
    return [
        _range_entry(p) if isinstance(p, RangeParam) else _choice_entry(p)
        for p in space.params
    ]


def algorithm_kwargs(options: dict[str, Any], seed: int | None) -> dict[str, str]:
    """Algorithm options as WML-A hands them to a plugin: every value a string.

    The experiment's seed, when set, arrives as ``random_seed`` unless the options
    name one themselves.
    """
    kwargs = {name: _as_text(value) for name, value in options.items()}
    if seed is not None:
        kwargs.setdefault("random_seed", str(seed))
    return kwargs


def exp_result(observation: Observation, goal: str) -> dict[str, Any]:
    """One element of ``last_exp_results`` for a trial that ended."""
    loss = observation.loss
    metric = None if loss is None else (-loss if goal == "maximize" else loss)
    return {
        "id": observation.trial_id,
        "hyperParams": dict(observation.params),
        "metricVal": metric,
        "state": str(observation.state),
    }


def coerce(space: SearchSpace, suggestion: dict[str, Any]) -> dict[str, Any]:
    """A plugin's suggestion with each value in its parameter's own type.

    WML-A writes every suggested value into a string, so plugins get away with
    ``3.0`` for an INT, ``"0.1"`` for a DOUBLE or a numpy float; the same values
    are accepted here. Anything that cannot be read is left for
    :meth:`SearchSpace.problems_with` to refuse by name.
    """
    known = set(space.names)
    return {
        name: _coerce_value(space[name], value) if name in known else value
        for name, value in suggestion.items()
    }


def _range_entry(param: RangeParam) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": param.name, "type": "Range"}
    if param.type == "int":
        entry.update(
            dataType="INT", minIntVal=int(param.low), maxIntVal=int(param.high)
        )
    else:
        entry.update(
            dataType="DOUBLE", minDbVal=float(param.low), maxDbVal=float(param.high)
        )
    if param.step is not None:
        entry["step"] = param.step
    if param.log:
        entry["log"] = True
    return entry


def _choice_entry(param: ChoiceParam) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": param.name, "type": "Discrete"}
    values = list(param.choices)
    if all(isinstance(v, str) for v in values):
        entry.update(dataType="STR", discreateStrVal=values)
    elif all(_is_number(v) and isinstance(v, int) for v in values):
        entry.update(dataType="INT", discreteIntVal=values)
    elif all(_is_number(v) for v in values):
        entry.update(dataType="DOUBLE", discreteDbVal=[float(v) for v in values])
    else:
        entry.update(dataType="STR", discreateStrVal=[_as_text(v) for v in values])
    return entry


def _coerce_value(param: Param, value: Any) -> Any:
    if isinstance(param, ChoiceParam):
        return _coerce_choice(param, value)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if not _is_number(value):
        return value
    if param.type == "int" and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return float(value) if param.type == "double" else value


def _coerce_choice(param: ChoiceParam, value: Any) -> Any:
    try:
        return param.choices[param.index_of(value)]
    except ValueError:
        pass
    if isinstance(value, str):
        for choice in param.choices:
            if _as_text(choice) == value:
                return choice
        try:
            return _coerce_choice(param, float(value))
        except ValueError:
            return value
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if _is_number(value):
        return str(value)
    return json.dumps(value)
