"""Sorting trial tables: direction by goal, missing values always last."""

from __future__ import annotations

from hpotui.cli.common import format_params
from hpotui.cli.tables import sort_trials, trial_rows
from hpotui.records import TrialRecord
from hpotui.states import TrialState

TRIALS = [
    TrialRecord(0, TrialState.FINISHED, {"lr": 0.1, "act": "tanh"}, value=0.5),
    TrialRecord(1, TrialState.FAILED, {"lr": 0.01, "act": "relu"}),
    TrialRecord(2, TrialState.FINISHED, {"lr": None, "act": "relu"}, value=0.9),
    TrialRecord(3, TrialState.RUNNING, {"lr": 0.3, "act": "tanh"}),
]


def _ids(trials: list[TrialRecord]) -> list[int]:
    return [t.id for t in trials]


def test_value_sorts_best_first_for_each_goal_and_missing_last() -> None:
    assert _ids(sort_trials(TRIALS, "value", "minimize")) == [0, 2, 1, 3]
    assert _ids(sort_trials(TRIALS, "value", "maximize")) == [2, 0, 1, 3]
    assert _ids(sort_trials(TRIALS, "value", "maximize", descending=True)) == [
        0,
        2,
        1,
        3,
    ]


def test_parameters_sort_with_missing_values_last_in_both_directions() -> None:
    assert _ids(sort_trials(TRIALS, "lr", "minimize")) == [1, 0, 3, 2]
    assert _ids(sort_trials(TRIALS, "lr", "minimize", descending=True)) == [3, 0, 1, 2]
    assert _ids(sort_trials(TRIALS, "act", "minimize")) == [1, 2, 0, 3]


def test_cells_spell_values_as_config_json_does() -> None:
    trials = [
        TrialRecord(0, TrialState.FINISHED, {"flag": True, "opt": None, "lr": 0.1}),
        TrialRecord(1, TrialState.FINISHED, {"flag": False, "lr": 1 / 3}),
    ]
    header, rows = trial_rows(trials, ["flag", "opt", "lr"])
    at = header.index("flag")
    assert [row[at : at + 3] for row in rows] == [
        ["true", "null", "0.1"],
        ["false", "-", "0.333333"],
    ]
    assert format_params(trials[0].params) == "flag=true opt=null lr=0.1"


def test_values_of_different_types_read_differently() -> None:
    params = {"a": 1, "b": 1.0, "c": "1", "d": "true", "e": "relu", "f": 2e-05}
    assert format_params(params) == 'a=1 b=1.0 c="1" d="true" e=relu f=2e-05'
