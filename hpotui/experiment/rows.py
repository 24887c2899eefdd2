"""The explicit list of configurations that ExperimentGridSearch runs in order."""

from __future__ import annotations

import json
from typing import Any

from hpotui.experiment.model import HyperParam
from hpotui.experiment.validate import Checker, PathT, show
from hpotui.space import SearchSpace
from hpotui.space.params import ChoiceParam

EXPLICIT = "experimentgridsearch"


def check_rows(
    ck: Checker,
    value: Any,
    hyperparams: list[HyperParam] | None,
    algorithm: str,
) -> tuple[dict[str, Any], ...] | None:
    """The rows of ``experiments``, checked against the declared hyperparameters.

    Integer parameters get JSON integers (``64.0`` becomes ``64``). Identical rows
    are kept, each runs as its own trial, with a warning.
    """
    path: PathT = ("experiments",)
    explicit = algorithm.lower() == EXPLICIT
    if value is None:
        if explicit:
            ck.error(
                path, "ExperimentGridSearch needs the list of configurations to run"
            )
        elif hyperparams == [] and algorithm:
            ck.error(("hyperparams",), "no hyperparameters; declare at least one")
        return None
    if not explicit:
        ck.error(
            path,
            "only ExperimentGridSearch runs an explicit list; set algorithm.name: "
            "ExperimentGridSearch or remove experiments",
        )
        return None
    if not isinstance(value, list) or not value:
        ck.error(
            path, f"must be a non-empty list of configurations (got {show(value)})"
        )
        return None
    space = SearchSpace(tuple(hp.to_param() for hp in hyperparams or ()))
    rows = [_row(ck, (*path, i), row, space) for i, row in enumerate(value)]
    if any(row is None for row in rows):
        return None
    _warn_repeats(ck, path, rows)  # type: ignore[arg-type]
    return tuple(rows)  # type: ignore[arg-type]


def _row(
    ck: Checker, path: PathT, row: Any, space: SearchSpace
) -> dict[str, Any] | None:
    if not isinstance(row, dict) or not row:
        ck.error(path, f"must be a mapping of name to value (got {show(row)})")
        return None
    for name, value in row.items():
        if isinstance(value, dict | list):
            ck.error(
                (*path, name), "a value must be a number, a string, true, false or null"
            )
            return None
    if not space.params:
        return dict(row)
    typed = {name: _typed(space, name, value) for name, value in row.items()}
    problems = space.problems_with(typed)
    for problem in problems:
        ck.error(path, problem)
    return None if problems else typed


def _typed(space: SearchSpace, name: str, value: Any) -> Any:
    try:
        param = space[name]
    except KeyError:
        return value
    if isinstance(param, ChoiceParam):
        # the listed value, so a row's 2.0 reaches config.json as the int 2
        try:
            return param.choices[param.index_of(value)]
        except ValueError:
            return value  # reported by problems_with
    if param.type == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _warn_repeats(ck: Checker, path: PathT, rows: list[dict[str, Any]]) -> None:
    first_seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        key = json.dumps(row, sort_keys=True)
        if key in first_seen:
            ck.warn(
                (*path, index),
                f"repeats experiments[{first_seen[key]}]; both run, as two trials",
            )
        else:
            first_seen[key] = index
