"""The ``hyperparams`` section of the friendly form.

Documented: a mapping of name to ``{range: [min, max], step, log, type}`` or
``{values: [...], type}``. Also read, because tools write experiments that way: a
list of ``{name, type, low, high, step, log, values}`` items, the field names of
:class:`~hpotui.experiment.model.HyperParam`. Both go through the same rules.
"""

from __future__ import annotations

from typing import Any

from hpotui.experiment.model import HyperParam
from hpotui.experiment.param_rules import check_range, check_values
from hpotui.experiment.validate import Checker, PathT, show

_TYPES = ("int", "double", "str")
_LISTED_KEYS = ("name", "type", "low", "high", "step", "log", "values")


def check_hyperparams(ck: Checker, value: Any) -> list[HyperParam] | None:
    """The ``hyperparams`` section, or None when a parameter is invalid."""
    path: PathT = ("hyperparams",)
    if isinstance(value, list):
        return _listed(ck, value)
    data = ck.mapping(value, path, "{lr: {range: [1e-4, 1e-1], log: true}}")
    if data is None:
        return None
    params = [
        _hyperparam(ck, (*path, name), str(name), spec) for name, spec in data.items()
    ]
    if any(param is None for param in params):
        return None
    return params  # type: ignore[return-value]


def _hyperparam(ck: Checker, path: PathT, name: str, spec: Any) -> HyperParam | None:
    example = "{range: [0, 1]} or {values: [a, b]}"
    data = ck.mapping(spec, path, example)
    if data is None:
        return None
    ck.known_keys(data, path, ("range", "values", "step", "log", "type"))
    declared = data.get("type")
    if declared is not None and declared not in ("int", "double", "str"):
        ck.error((*path, "type"), f"must be int, double or str (got {show(declared)})")
        return None
    if ("range" in data) == ("values" in data):
        ck.error(path, f"give either range or values, e.g. {example}")
        return None
    if "values" in data:
        for key in ("step", "log"):
            if key in data:
                ck.error(
                    (*path, key), "applies to a range only; remove it or use range"
                )
                return None
        return check_values(
            ck, path, name, data["values"], declared=declared, at=(*path, "values")
        )
    return check_range(
        ck, path, name, data["range"], declared=declared,
        step=data.get("step"), log=data.get("log", False), at=(*path, "range"),
    )  # fmt: skip


def _listed(ck: Checker, items: list[Any]) -> list[HyperParam] | None:
    params = [
        _listed_item(ck, ("hyperparams", index), item)
        for index, item in enumerate(items)
    ]
    if any(param is None for param in params):
        return None
    seen: set[str] = set()
    for index, param in enumerate(params):
        assert param is not None
        if param.name in seen:
            ck.error(
                ("hyperparams", index, "name"),
                f"{param.name} is declared twice; rename or remove one",
            )
        seen.add(param.name)
    return None if ck.report.errors else params  # type: ignore[return-value]


def _listed_item(ck: Checker, path: PathT, item: Any) -> HyperParam | None:
    data = ck.mapping(item, path, "{name: lr, low: 0.001, high: 0.1, log: true}")
    if data is None:
        return None
    ck.known_keys(data, path, _LISTED_KEYS)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        ck.error((*path, "name"), f"must be the parameter's name (got {show(name)})")
        return None
    declared = data.get("type")
    if declared is not None and declared not in _TYPES:
        ck.error((*path, "type"), f"must be int, double or str (got {show(declared)})")
        return None
    if "values" in data:
        return check_values(ck, path, name, data["values"], declared=declared)
    bounds = [data.get("low"), data.get("high")]
    return check_range(
        ck, path, name, bounds, declared=declared,
        step=data.get("step"), log=data.get("log", False),
    )  # fmt: skip
