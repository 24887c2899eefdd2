"""Checking an experiment file: every problem with its file, line, field and fix.

A message reads ``digits.yaml:9 hyperparams.lr: log scale needs min > 0 (got 0)``.
:class:`Checker` collects errors, warnings and notes while the loaders build an
:class:`~hpotui.experiment.model.Experiment`; the rules shared by the friendly form
and the WML-A form (ranges, lists of values) live here too.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from hpotui.errors import ExperimentFileError
from hpotui.experiment.model import Experiment, HyperParam
from hpotui.experiment.source import AMBIGUOUS_BOOLEANS, LineMap
from hpotui.space import RangeParam

PathT = tuple[Hashable, ...]
_TYPE_WORDS = {"int": "an int", "double": "a double", "str": "a str"}


@dataclass
class ValidationReport:
    """What a check found: each line reads ``file:line field: message``.

    Attributes:
        source: How the file is named in messages.
        errors: Problems that stop the experiment from running.
        warnings: Things that run, but maybe not as meant.
        infos: Notes on how a setting is read (e.g. a pinned parameter).
        experiment: The experiment, when there are no errors.
    """

    source: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)
    experiment: Experiment | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        """Every finding, errors first, each prefixed with its level."""
        return (
            [f"error: {line}" for line in self.errors]
            + [f"warning: {line}" for line in self.warnings]
            + [f"note: {line}" for line in self.infos]
        )

    def raise_for_errors(self) -> None:
        """Raise the errors as one :class:`ExperimentFileError`, if there are any."""
        if not self.errors:
            return
        count = len(self.errors)
        heading = f"{self.source} has {count} error{'s' if count > 1 else ''}:"
        message = "\n".join([heading, *(f"  {line}" for line in self.errors)])
        raise ExperimentFileError(message, problems=list(self.errors))


class Checker:
    """Collects findings about one document and renders them with line numbers."""

    def __init__(self, source: str, lines: LineMap, bare: set[PathT]) -> None:
        self.report = ValidationReport(source)
        self.lines = lines
        self.bare = bare

    def error(self, path: PathT, message: str, at: PathT | None = None) -> None:
        self.report.errors.append(self.render(path, message, at))

    def warn(self, path: PathT, message: str, at: PathT | None = None) -> None:
        self.report.warnings.append(self.render(path, message, at))

    def info(self, path: PathT, message: str, at: PathT | None = None) -> None:
        self.report.infos.append(self.render(path, message, at))

    def render(self, path: PathT, message: str, at: PathT | None = None) -> str:
        """``file:line field: message``; the line is looked up at ``at`` or ``path``."""
        line = self.lines.line_of(at if at is not None else path)
        where = f"{self.report.source}:{line}" if line else self.report.source
        dotted = dotted_path(path)
        return f"{where} {dotted}: {message}" if dotted else f"{where}: {message}"

    def known_keys(
        self, mapping: dict[str, Any], path: PathT, known: Iterable[str]
    ) -> None:
        """An error for each key not in ``known``, suggesting the closest one."""
        known = list(known)
        for key in mapping:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = (
                f"did you mean {close[0]}?"
                if close
                else f"known keys are {', '.join(known)}"
            )
            self.error((*path, key), f"unknown key; {hint}")

    def mapping(self, value: Any, path: PathT, example: str) -> dict[str, Any] | None:
        """``value`` when it is a mapping; an error and None otherwise."""
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        self.error(path, f"must be a mapping such as {example} (got {show(value)})")
        return None


def dotted_path(path: PathT) -> str:
    """``("hyperparams", "lr", "values", 2)`` as ``hyperparams.lr.values[2]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def show(value: Any) -> str:
    """A value as the user wrote it, in JSON spelling (``true``, ``null``, ``"x"``)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except TypeError:
        return repr(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def suggest_name(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


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
    bad = [b for b in (low, high) if not is_number(b)]
    if bad:
        ck.error(path, f"range bounds must be numbers (got {show(bad[0])})", at)
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
    if low > high:
        ck.error(
            path, f"min {show(low)} is above max {show(high)}; swap the bounds", at
        )
        return None
    step = _check_step(ck, path, kind, step, log, at)
    if step is False:
        return None
    if log and low <= 0:
        need = "min >= 1" if kind == "int" else "min > 0"
        what = "log scale of an int range" if kind == "int" else "log scale"
        ck.error(path, f"{what} needs {need} (got {show(low)})", at)
        return None
    param = HyperParam(
        name=name, type=kind, low=low, high=high, step=step, log=log, power=power
    )
    _note_pin_and_last_step(ck, path, param, at)
    return param


def _check_step(
    ck: Checker, path: PathT, kind: str, step: Any, log: bool, at: PathT
) -> float | int | None | bool:
    """The step to use, None for none, or False after an error."""
    if step is None:
        return None
    if not is_number(step) or step <= 0:
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
    largest = space_param.values()[-1]
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
        ck.error(path, f"values must be a list such as [relu, tanh] (got {show(values)})")
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
    if path in ck.bare and isinstance(value, str) and value.lower() in AMBIGUOUS_BOOLEANS:
        ck.error(
            path,
            f"{value} reads as a boolean in YAML 1.1 tools; quote it (\"{value}\") "
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


def check_experiment_file(path: str | Path) -> ValidationReport:
    """Check a file without running it or storing anything.

    Args:
        path: A friendly YAML file or a WML-A request (YAML or JSON).

    Returns:
        The findings, with the experiment when there are no errors.
    """
    from hpotui.experiment.loader import check_text, read_file_text

    path = Path(path)
    text = read_file_text(path)
    return check_text(text, str(path), path.resolve().parent)
