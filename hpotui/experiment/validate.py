"""Checking an experiment file: every problem with its file, line, field and fix.

A message reads ``digits.yaml:9 hyperparams.lr: log scale needs min > 0 (got 0)``.
:class:`Checker` collects errors, warnings and notes while the loaders build an
:class:`~hpotui.experiment.model.Experiment`; the rules shared by the friendly form
and the WML-A form (ranges, lists of values) are in ``param_rules.py``.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpotui.errors import ExperimentFileError
from hpotui.experiment.model import Experiment
from hpotui.experiment.source import LineMap

PathT = tuple[Hashable, ...]


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

    def notes(self) -> tuple[str, ...]:
        """The warnings and notes, each prefixed with its level, for display."""
        return tuple(line for line in self.lines() if not line.startswith("error: "))

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

    def __init__(
        self,
        source: str,
        lines: LineMap,
        bare: set[PathT],
        plugins: Collection[str] | None = None,
    ) -> None:
        self.report = ValidationReport(source)
        self.lines = lines
        self.bare = bare
        # The installed plugins' names when the workspace is known, else None: a
        # name that is not built in can then only be warned about.
        self.plugins = plugins

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


def show_number(value: Any) -> str:
    """A value that should be a number, as the user wrote it; a string is quoted
    and called one, since ``"3"`` and ``3`` look alike once printed."""
    if isinstance(value, str):
        return f"{json.dumps(value)}, a string; write the number without quotes"
    return show(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """A number JSON can carry: not NaN, not infinite."""
    return is_number(value) and math.isfinite(value)


def check_experiment_file(
    path: str | Path, plugins: Collection[str] | None = None
) -> ValidationReport:
    """Check a file without running it or storing anything.

    Args:
        path: A friendly YAML file or a WML-A request (YAML or JSON).
        plugins: Names of the installed plugins; None when unknown.

    Returns:
        The findings, with the experiment when there are no errors.
    """
    from hpotui.experiment.loader import check_text, read_file_text

    path = Path(path)
    text = read_file_text(path)
    return check_text(text, str(path), path.resolve().parent, plugins)
