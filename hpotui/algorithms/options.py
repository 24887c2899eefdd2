"""Settings a built-in algorithm accepts under ``algorithm.options``, and their checks.

An algorithm that declares its rules gets every option checked when the experiment
file loads, so a typo or a wrong type is reported with the file's line instead of
being ignored or failing mid-search.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from hpotui.errors import ExperimentFileError


class Rule(Protocol):
    """What an option's check offers: a default and a reason to refuse a value."""

    @property
    def default(self) -> Any: ...

    def problem_with(self, value: Any) -> str | None: ...


@dataclass(frozen=True)
class OptionRule:
    """One numeric option: its type, default and the interval it must lie in.

    Attributes:
        default: The value used when the file does not set it.
        whole: True for a whole number, False for any real number.
        low: The smallest allowed value.
        high: The largest allowed value (None: no upper bound).
        low_open: True when ``low`` itself is not allowed.
    """

    default: int | float | None
    whole: bool
    low: float
    high: float | None = None
    low_open: bool = False

    def problem_with(self, value: Any) -> str | None:
        """Why ``value`` is not allowed, or None."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be {self._kind()} (got {value!r})"
        if self.whole and not isinstance(value, int):
            return f"must be {self._kind()} (got {value!r})"
        if not math.isfinite(value) or not self._inside(value):
            return f"must be {self._interval()} (got {value!r})"
        return None

    def _inside(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and (self.high is None or value <= self.high)

    def _kind(self) -> str:
        return "a whole number" if self.whole else "a number"

    def _interval(self) -> str:
        low = f"> {self.low:g}" if self.low_open else f">= {self.low:g}"
        return low if self.high is None else f"{low} and <= {self.high:g}"


@dataclass(frozen=True)
class NameRule:
    """An option naming one of a set of choices, in any letter case.

    Attributes:
        default: The value used when the file does not set it.
        choices: The allowed names, asked when checking (the set may grow as
            modules register themselves).
        advice: What the value must be, e.g. "must be TPE or GP".
    """

    default: str
    choices: Callable[[], list[str]]
    advice: str

    def problem_with(self, value: Any) -> str | None:
        """Why ``value`` is not allowed, or None."""
        if isinstance(value, str) and value.lower() in {
            name.lower() for name in self.choices()
        }:
            return None
        return f"{self.advice} (got {value!r})"


@dataclass(frozen=True)
class MappingRule:
    """An option holding settings of its own, checked by whatever receives them."""

    default: None = None

    def problem_with(self, value: Any) -> str | None:
        """Why ``value`` is not allowed, or None."""
        if isinstance(value, Mapping):
            return None
        return f"must be a mapping of settings (got {value!r})"


def whole(default: int | None, low: int = 1) -> OptionRule:
    return OptionRule(default, whole=True, low=low)


def fraction(default: float) -> OptionRule:
    """A share in (0, 1]."""
    return OptionRule(default, whole=False, low=0.0, high=1.0, low_open=True)


def positive(default: float) -> OptionRule:
    return OptionRule(default, whole=False, low=0.0, low_open=True)


def defaults(rules: Mapping[str, Rule]) -> dict[str, Any]:
    return {key: rule.default for key, rule in rules.items()}


def _unknown(algorithm: str, key: str, rules: Mapping[str, Rule]) -> str:
    close = difflib.get_close_matches(key, list(rules), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    known = ", ".join(rules) or "none"
    return f"{algorithm} has no such option; {hint}it takes {known}"


def option_problems(
    algorithm: str, rules: Mapping[str, Rule], options: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """``(option, message)`` for every option the rules refuse."""
    problems = []
    for key, value in options.items():
        rule = rules.get(key)
        if rule is None:
            problems.append((key, _unknown(algorithm, key, rules)))
            continue
        message = rule.problem_with(value)
        if message is not None:
            problems.append((key, message))
    return problems


def check_options(
    algorithm: str, rules: Mapping[str, Rule], options: Mapping[str, Any]
) -> None:
    """Refuse the first option the rules refuse, as loading the file would.

    Raises:
        ExperimentFileError: Named ``algorithm.options.<option>``, with the same
            message the experiment file's check gives.
    """
    problems = option_problems(algorithm, rules, options)
    if problems:
        key, message = problems[0]
        raise ExperimentFileError(f"algorithm.options.{key}: {message}")
