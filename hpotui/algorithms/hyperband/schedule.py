"""Hyperband's brackets and rungs, computed in exact arithmetic.

Notation (Li et al., "Hyperband", JMLR 2018):

- ``eta``: the halving rate (> 1); a rung keeps ``1/eta`` of its configurations.
- ``R``: the largest resource one configuration gets (``resource.max``).
- ``r_min``: the smallest resource a rung may use (``resource.min``, default 1).
- ``s_max``: the largest ``s`` with ``r_min * eta**s <= R``; there are
  ``s_max + 1`` brackets, ``s = s_max`` (most aggressive) down to ``s = 0``.
- ``n``: configurations bracket ``s`` starts with,
  ``ceil((s_max + 1) / (s + 1) * eta**s)``.
- rung ``i = 0..s`` of bracket ``s`` runs ``floor(n / eta**i)`` configurations at
  resource ``R * eta**(i - s)``.

Every quantity is computed with :class:`fractions.Fraction`, never with floating
logarithms: ``log(243) / log(3)`` is 4.999999999999999 in floating point, which
silently drops a bracket.

Rounding rule for an integer resource (``max`` and ``min`` both integers): a rung's
resource is ``floor(R * eta**(i - s))``. It is never below ``r_min`` (the choice of
``s_max`` guarantees that), the resources of a bracket never decrease, and the last
rung of every bracket is exactly ``R``. Floor rather than ceiling keeps the cheap
rungs cheap, so a bracket never spends more than its nominal budget. With
``R = 100, eta = 3`` the most aggressive bracket runs at ``[1, 3, 11, 33, 100]``.
A fractional resource (e.g. a data fraction up to ``1.0``) is not rounded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from hpotui.algorithms.options import Rule, whole
from hpotui.errors import ExperimentFileError

Resource = int | float


@dataclass(frozen=True)
class Rung:
    """One step of successive halving: ``n`` configurations at resource ``r``."""

    n: int
    r: Resource


@dataclass(frozen=True)
class Bracket:
    """One run of successive halving; ``s`` is how many times it halves."""

    s: int
    rungs: tuple[Rung, ...]

    @property
    def trials(self) -> int:
        """Trials the bracket runs, counting each promotion as a new trial."""
        return sum(rung.n for rung in self.rungs)

    @property
    def budget(self) -> Resource:
        """Total resource the bracket consumes when every promotion re-runs."""
        return sum(rung.n * rung.r for rung in self.rungs)


@dataclass(frozen=True)
class HyperbandSettings:
    """Hyperband's options, validated.

    Attributes:
        eta: The halving rate, greater than 1.
        resource_name: The config.json key that receives the resource.
        max_resource: ``R``, the largest resource of one trial.
        min_resource: The smallest resource of a rung.
        iterations: How many passes over all brackets; None repeats until the
            experiment's ``max_jobs`` ends it.
    """

    eta: Fraction
    resource_name: str
    max_resource: Fraction
    min_resource: Fraction = Fraction(1)
    integer: bool = True
    iterations: int | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def typed(self, value: Fraction) -> Resource:
        """``value`` as config.json receives it: int for an integer resource."""
        return math.floor(value) if self.integer else float(value)


def plan(settings: HyperbandSettings) -> list[Bracket]:
    """Every bracket of one Hyperband pass, most aggressive (largest ``s``) first."""
    eta, r_max, r_min = settings.eta, settings.max_resource, settings.min_resource
    s_max = _largest_power(eta, r_max / r_min)
    brackets = []
    for s in range(s_max, -1, -1):
        n = math.ceil(Fraction(s_max + 1, s + 1) * eta**s)
        rungs = tuple(
            Rung(math.floor(n / eta**i), settings.typed(r_max * eta ** (i - s)))
            for i in range(s + 1)
        )
        brackets.append(Bracket(s, rungs))
    return brackets


def _largest_power(eta: Fraction, ratio: Fraction) -> int:
    """The largest ``s`` with ``eta**s <= ratio`` (``ratio >= 1``)."""
    s = 0
    while eta ** (s + 1) <= ratio:
        s += 1
    return s


# Read by parse_settings: the YAML form's eta and resource, placed there by the
# experiment file's own fields, and WML-A's spelling of the same settings.
SCHEDULE_KEYS = frozenset(
    {"eta", "resource", "hyperbandEta", "ResourceName", "ResourceValue", "ResourceMin"}
)
# What a user may set under algorithm.options for every Hyperband variant.
HYPERBAND_OPTIONS: dict[str, Rule] = {"iterations": whole(None)}


def parse_settings(options: Mapping[str, Any]) -> HyperbandSettings:
    """Hyperband settings from ``algorithm.options``.

    Accepts the YAML form ``{eta: 3, resource: {name: epochs, max: 81, min: 1}}``
    and, for requests passed through unchanged, WML-A's spelling
    ``{hyperbandEta: 3.0, ResourceName: epochs, ResourceValue: "81"}``.

    Raises:
        ExperimentFileError: A value is missing or out of range; the message names
            the field.
    """
    resource = options.get("resource") or {}
    if not isinstance(resource, Mapping):
        raise ExperimentFileError(
            "algorithm.resource: expected a mapping such as "
            "{name: epochs, max: 81, min: 1}"
        )
    eta = _number("algorithm.eta", options.get("eta", options.get("hyperbandEta", 3)))
    if eta <= 1:
        raise ExperimentFileError(
            f"algorithm.eta: {_show(eta)} must be greater than 1; "
            "3 keeps a third of the configurations at each rung"
        )
    name = resource.get("name", options.get("ResourceName"))
    if not name or not isinstance(name, str):
        raise ExperimentFileError(
            "algorithm.resource.name: missing; name the config.json key that "
            "receives the budget, e.g. epochs"
        )
    raw_max = resource.get("max", options.get("ResourceValue"))
    if raw_max is None:
        raise ExperimentFileError(
            "algorithm.resource.max: missing; give the largest budget of one "
            "trial, e.g. 81 epochs"
        )
    r_max = _positive("algorithm.resource.max", raw_max)
    raw_min = resource.get("min", options.get("ResourceMin", 1))
    r_min = _positive("algorithm.resource.min", raw_min)
    if r_min > r_max:
        raise ExperimentFileError(
            f"algorithm.resource.min: {_show(r_min)} is above max {_show(r_max)}; "
            "lower min or raise max"
        )
    return HyperbandSettings(
        eta=eta,
        resource_name=name,
        max_resource=r_max,
        min_resource=r_min,
        integer=_is_integer(raw_max) and _is_integer(raw_min),
        iterations=_iterations(options.get("iterations")),
        warnings=_warnings(eta, r_max, r_min),
    )


def _warnings(eta: Fraction, r_max: Fraction, r_min: Fraction) -> tuple[str, ...]:
    note = one_bracket_note(eta, r_max, r_min)
    return () if note is None else (f"algorithm.resource.max: {note}",)


def one_bracket_note(eta: Any, r_max: Any, r_min: Any) -> str | None:
    """Why a resource range too short for ``eta`` gives a single bracket, or None."""
    eta, r_max, r_min = (Fraction(str(v)) for v in (eta, r_max, r_min))
    if r_max / r_min >= eta:
        return None
    return (
        f"{_show(r_max)} is less than eta {_show(eta)} times min {_show(r_min)}, so "
        "Hyperband reduces to one bracket that runs every configuration at the "
        "full budget (plain random search); raise max or lower eta"
    )


def _iterations(value: Any) -> int | None:
    if value is None:
        return None
    number = _positive("algorithm.iterations", value)
    if number.denominator != 1:
        raise ExperimentFileError(
            f"algorithm.iterations: {value!r} must be a whole number of passes"
        )
    return int(number)


def _number(field_name: str, value: Any) -> Fraction:
    # WML-A sends algoParams values as strings ("81"); YAML gives numbers.
    if isinstance(value, bool):
        raise ExperimentFileError(f"{field_name}: expected a number, got {value!r}")
    try:
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError) as err:
        raise ExperimentFileError(
            f"{field_name}: expected a number, got {value!r}"
        ) from err


def _positive(field_name: str, value: Any) -> Fraction:
    number = _number(field_name, value)
    if number <= 0:
        raise ExperimentFileError(f"{field_name}: {_show(number)} must be positive")
    return number


def _is_integer(value: Any) -> bool:
    """Whether the user wrote an integer: ``81`` or ``"81"``, not ``81.0``."""
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return False
    return str(value).strip().lstrip("+").isdigit()


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
