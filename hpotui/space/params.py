"""One hyperparameter each: how a unit coordinate maps to a value and back.

Notation: ``u`` is a coordinate in ``[0, 1]``; ``K`` is the largest step index, so a
stepped range holds the ``K + 1`` values ``low + k * step`` for ``k = 0..K``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

NumberType = Literal["int", "double"]
Value = Any


def decimals_of(number: float) -> int:
    """How many decimals ``number`` is written with (``0.002`` gives 3)."""
    exponent = Decimal(repr(number)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class RangeParam:
    """A numeric range with inclusive bounds.

    ``int`` ranges without a step use a step of 1. ``log`` ranges are uniform in
    the logarithm; an int log range rounds to the nearest integer. A range whose
    bounds are equal is pinned to that value.
    """

    name: str
    type: NumberType
    low: float
    high: float
    log: bool = False
    step: float | None = None
    _decimals: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        step = self.effective_step
        decimals = 0 if step is None else max(decimals_of(self.low), decimals_of(step))
        object.__setattr__(self, "_decimals", decimals)

    @property
    def effective_step(self) -> float | None:
        """The step in use: the given one, 1 for a plain int range, None otherwise."""
        if self.step is not None:
            return self.step
        return 1 if self.type == "int" and not self.log else None

    @property
    def is_pinned(self) -> bool:
        return self.low == self.high

    @property
    def last_index(self) -> int | None:
        """``K``: the index of the largest stepped value, or None when continuous."""
        step = self.effective_step
        if step is None:
            return None
        return int(math.floor((self.high - self.low) / step + 1e-9))

    @property
    def n_values(self) -> int | None:
        """How many distinct values the range holds, or None when it is continuous."""
        if self.is_pinned:
            return 1
        if self.last_index is not None:
            return self.last_index + 1
        if self.type == "int":
            return int(self.high - self.low) + 1
        return None

    def values(self) -> list[Value]:
        """Every value, in order; only for a finite range."""
        if self.is_pinned:
            return [self._typed(self.low)]
        if self.last_index is not None:
            return [self.value_at(k) for k in range(self.last_index + 1)]
        if self.type == "int":
            return list(range(int(self.low), int(self.high) + 1))
        raise ValueError(f"{self.name} is continuous and has no finite list of values")

    def value_at(self, index: int) -> Value:
        """The stepped value ``low + index * step``, rounded to the step's decimals."""
        step = self.effective_step
        assert step is not None
        return self._typed(round(self.low + index * step, self._decimals))

    def decode(self, u: float) -> Value:
        """The value at unit coordinate ``u``."""
        u = min(max(float(u), 0.0), 1.0)
        if self.is_pinned:
            return self._typed(self.low)
        if self.last_index is not None:
            return self.value_at(min(int(u * (self.last_index + 1)), self.last_index))
        if self.log:
            low, high = self._log_bounds()
            return self._clip(self._typed(math.exp(low + u * (high - low))))
        return self._typed(self.low + u * (self.high - self.low))

    def encode(self, value: Value) -> float:
        """The unit coordinate of ``value`` (the centre of its cell when stepped)."""
        if self.is_pinned:
            return 0.5
        value = float(value)
        if self.last_index is not None:
            index = round((value - self.low) / self.effective_step)  # type: ignore[operator]
            index = min(max(index, 0), self.last_index)
            return (index + 0.5) / (self.last_index + 1)
        if self.log:
            low, high = self._log_bounds()
            return _unit((math.log(max(value, 1e-300)) - low) / (high - low))
        return _unit((value - self.low) / (self.high - self.low))

    def problem_with(self, value: Value) -> str | None:
        """Why ``value`` is not a value of this range, or None when it is."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{self.name}: {value!r} is not a number"
        if self.type == "int" and float(value) != int(value):
            return f"{self.name}: {value!r} is not an integer"
        if not self.low <= value <= self.high:
            return f"{self.name}: {value!r} is outside [{self.low}, {self.high}]"
        step = self.effective_step
        if step is not None and not self.is_pinned:
            index = (value - self.low) / step
            if abs(index - round(index)) > 1e-6:
                return (
                    f"{self.name}: {value!r} is not on a step of {step} from {self.low}"
                )
        return None

    def _log_bounds(self) -> tuple[float, float]:
        if self.type == "int":
            return math.log(self.low - 0.5), math.log(self.high + 0.5)
        return math.log(self.low), math.log(self.high)

    def _typed(self, value: float) -> Value:
        return int(round(value)) if self.type == "int" else float(value)

    def _clip(self, value: Value) -> Value:
        return min(max(value, self._typed(self.low)), self._typed(self.high))


@dataclass(frozen=True)
class ChoiceParam:
    """A list of values, each keeping its own JSON type (str, number, bool or null)."""

    name: str
    choices: tuple[Value, ...]

    @property
    def is_pinned(self) -> bool:
        return len(self.choices) == 1

    @property
    def n_values(self) -> int:
        return len(self.choices)

    def values(self) -> list[Value]:
        return list(self.choices)

    def index_of(self, value: Value) -> int:
        """The position of ``value``, matching its type too (1 is not True)."""
        for index, choice in enumerate(self.choices):
            if type(choice) is type(value) and choice == value:
                return index
        for index, choice in enumerate(self.choices):
            if _same_number(choice, value):
                return index
        raise ValueError(f"{self.name}: {value!r} is not one of {list(self.choices)}")

    def decode(self, u: float) -> Value:
        n = len(self.choices)
        return self.choices[min(int(min(max(float(u), 0.0), 1.0) * n), n - 1)]

    def encode(self, value: Value) -> float:
        return (self.index_of(value) + 0.5) / len(self.choices)

    def problem_with(self, value: Value) -> str | None:
        try:
            self.index_of(value)
        except ValueError as err:
            return str(err)
        return None


Param = RangeParam | ChoiceParam


def _unit(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def _same_number(a: Value, b: Value) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    return isinstance(a, numbers) and isinstance(b, numbers) and float(a) == float(b)
