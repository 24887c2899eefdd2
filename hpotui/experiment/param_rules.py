"""The rules of one hyperparameter, shared by the friendly form and the WML-A form.

Ranges: bounds are inclusive; a stepped range holds ``min + k*step`` only, rounded
to the step's decimals; ``log`` needs ``min > 0`` (``min >= 1`` for int) and does
not combine with ``step``; ``min == max`` pins the value. Lists: not empty,
duplicates dropped, each item keeps its JSON type unless a type is declared, and an
unquoted ``yes``/``no`` is refused because YAML 1.1 tools read it as a boolean.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from hpotui.experiment.model import HyperParam
from hpotui.experiment.source import AMBIGUOUS_BOOLEANS
from hpotui.experiment.validate import Checker, PathT, is_number, show
from hpotui.space import RangeParam

_TYPE_WORDS = {"int": "an int", "double": "a double", "str": "a str"}


def check_range(
    ck: Checker,
    path: PathT,
    name: str,
    bounds: Any,
    *,
    declared: str | None,
    step: Any = None,
    log: Any = False,
    power: float | None = None,
    at: PathT | None = None,
) -> HyperParam | None:
    """A range hyperparameter, or None after recording why it is invalid.

    Args:
        ck: Where findings go.
        path: The parameter's field, e.g. ``("hyperparams", "lr")``.
        name: The parameter's name.
        bounds: ``[min, max]`` as written.
        declared: The declared type (int, double, str) or None to infer it.
        step: The step as written, or None.
        log: Whether the range is searched on a log scale.
        power: WML-A's ``power``, already applied to the bounds.
        at: Where to look up the line, when not at ``path``.
    """
    at = at or path
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        ck.error(path, f"range needs two numbers [min, max] (got {show(bounds)})", at)
        return None
    low, high = bounds
    written_low, written_high = show(low), show(high)  # messages quote the file
    bad = [b for b in (low, high) if not is_number(b)]
    if bad:
        ck.error(path, f"range bounds must be numbers (got {show(bad[0])})", at)
        return None
    endless = [b for b in (low, high) if not math.isfinite(b)]
    if endless:
        ck.error(
            path, f"range bounds must be finite numbers (got {show(endless[0])})", at
        )
        return None
    if declared == "str":
        ck.error(path, "type str needs values, not a range; list the strings", at)
        return None
    if not isinstance(log, bool):
        ck.error(path, f"log must be true or false (got {show(log)})", at)
        return None
    kind = declared or ("int" if all(isinstance(b, int) for b in bounds) else "double")
    if kind == "int":
        for bound in (low, high):
            if abs(bound) > _EXACT_INT:
                ck.error(
                    path,
                    f"int bounds must lie within +-{_EXACT_INT} (got {show(bound)}), "
                    "the integers a JSON number holds exactly; narrow the range or "
                    "use type: double",
                    at,
                )
                return None
            if float(bound) != int(bound):
                ck.error(
                    path,
                    f"int range needs integer bounds (got {show(bound)}); "
                    "round it or use type: double",
                    at,
                )
                return None
        low, high = int(low), int(high)
    else:
        low, high = float(low), float(high)
        if not math.isfinite(high - low):
            ck.error(
                path,
                f"range [{written_low}, {written_high}] is too wide to sample: "
                "max - min overflows; narrow it or use log: true",
                at,
            )
            return None
    if low > high:
        ck.error(
            path, f"min {written_low} is above max {written_high}; swap the bounds", at
        )
        return None
    step = _check_step(ck, path, kind, step, log, at)
    if step is False:
        return None
    if step is not None and (high - low) / step > _MOST_STEPS:
        ck.error(
            path,
            f"range holds more than {_MOST_STEPS:.0e} steps of {show(step)}, finer "
            "than a float tells apart; use a larger step or drop step",
            at,
        )
        return None
    if log and low <= 0:
        need = "min >= 1" if kind == "int" else "min > 0"
        what = "log scale of an int range" if kind == "int" else "log scale"
        ck.error(path, f"{what} needs {need} (got {written_low})", at)
        return None
    if log and low < _SMALLEST_LOG_MIN:
        ck.error(
            path,
            f"log scale needs min >= {_SMALLEST_LOG_MIN:g} (got {written_low}); "
            "smaller values are too close to the float limit to tell apart",
            at,
        )
        return None
    param = HyperParam(
        name=name, type=kind, low=low, high=high, step=step, log=log, power=power
    )
    _note_pin_and_last_step(ck, path, param, at)
    return param


# 2**53: beyond it a float, as JSON readers hold numbers, skips integers.
_EXACT_INT = 2**53
# More steps than this and neighbouring values differ by float rounding only.
_MOST_STEPS = 10**12
_SMALLEST_LOG_MIN = 1e-300


def _check_step(
    ck: Checker, path: PathT, kind: str, step: Any, log: bool, at: PathT
) -> float | int | None | bool:
    """The step to use, None for none, or False after an error."""
    if step is None:
        return None
    if not is_number(step) or step <= 0 or not math.isfinite(step):
        ck.error(path, f"step must be a positive number (got {show(step)})", at)
        return False
    if log:
        ck.error(
            path,
            "step and log cannot be combined; drop step (a log range is continuous) "
            "or drop log (a stepped range is evenly spaced)",
            at,
        )
        return False
    if kind == "int":
        if float(step) != int(step):
            ck.error(
                path, f"step of an int range must be a whole number (got {step})", at
            )
            return False
        return int(step)
    return float(step)


def _note_pin_and_last_step(
    ck: Checker, path: PathT, param: HyperParam, at: PathT
) -> None:
    assert param.low is not None and param.high is not None
    if param.low == param.high:
        ck.info(path, f"min == max pins it to {show(param.low)}", at)
        return
    if param.step is None:
        return
    span = Decimal(repr(param.high)) - Decimal(repr(param.low))
    if span % Decimal(repr(param.step)) == 0:
        return
    space_param = param.to_param()
    assert isinstance(space_param, RangeParam)
    assert space_param.last_index is not None
    largest = space_param.value_at(space_param.last_index)
    ck.warn(
        path,
        f"max {show(param.high)} is not min + k*step (step {show(param.step)}); "
        f"the largest value used is {show(largest)}",
        at,
    )


def check_values(
    ck: Checker,
    path: PathT,
    name: str,
    values: Any,
    *,
    declared: str | None,
    at: PathT | None = None,
) -> HyperParam | None:
    """A list-of-values hyperparameter, or None after recording why it is invalid."""
    at = at or path
    if not isinstance(values, list):
        ck.error(
            path, f"values must be a list such as [relu, tanh] (got {show(values)})"
        )
        return None
    if not values:
        ck.error(path, "values is empty; list at least one value", at)
        return None
    typed: list[tuple[int, Any]] = []
    for index, value in enumerate(values):
        item = _check_item(ck, (*path, "values", index), value, declared)
        if item is not _INVALID:
            typed.append((index, item))
    if len(typed) != len(values):
        return None
    kept = _drop_duplicates(ck, path, typed)
    kind = declared or _inferred_type(kept)
    if len(kept) == 1:
        ck.info(path, f"a single value pins it to {show(kept[0])}", at)
    return HyperParam(name=name, type=kind, values=tuple(kept))  # type: ignore[arg-type]


_INVALID = object()


def _check_item(ck: Checker, path: PathT, value: Any, declared: str | None) -> Any:
    if isinstance(value, dict | list):
        ck.error(path, "a value must be a number, a string, true, false or null")
        return _INVALID
    if isinstance(value, float) and not math.isfinite(value):
        ck.error(path, f"{show(value)} is not a finite number; JSON cannot carry it")
        return _INVALID
    if (
        path in ck.bare
        and isinstance(value, str)
        and value.lower() in AMBIGUOUS_BOOLEANS
    ):
        ck.error(
            path,
            f'{value} reads as a boolean in YAML 1.1 tools; quote it ("{value}") '
            "to mean text, or write true/false",
        )
        return _INVALID
    if declared is None:
        return value
    converted = _as_type(value, declared)
    if converted is _INVALID:
        fix = f'quote it ("{show(value)}")' if declared == "str" else "fix it"
        ck.error(
            path,
            f"{show(value)} is not {_TYPE_WORDS.get(declared, declared)}; {fix} or "
            f"remove type: {declared} to keep each value's own type",
        )
    return converted


def _as_type(value: Any, declared: str) -> Any:
    if declared == "str":
        return value if isinstance(value, str) else _INVALID
    if not is_number(value):
        return _INVALID
    if declared == "int":
        return int(value) if float(value) == int(value) else _INVALID
    return float(value)


def _drop_duplicates(
    ck: Checker, path: PathT, typed: list[tuple[int, Any]]
) -> list[Any]:
    kept: list[Any] = []
    seen: set[tuple[str, Any]] = set()
    for index, value in typed:
        identity = (type(value).__name__, value)
        if identity in seen:
            ck.warn(
                path,
                f"duplicate value {show(value)} dropped (kept the first)",
                (*path, "values", index),
            )
            continue
        seen.add(identity)
        kept.append(value)
    return kept


def _inferred_type(values: list[Any]) -> str:
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(is_number(v) for v in values):
        return "double"
    if all(isinstance(v, str) for v in values):
        return "str"
    return "mixed"
