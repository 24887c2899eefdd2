"""The monitor's model, sorting, formats and the replay backend (no Textual)."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from eventgen import EPOCH, experiment_events, write_events

from hpotui.backends.replay import ReplayBackend, read_events
from hpotui.engine.events import TrialEnded, TrialMetrics, TrialStarted
from hpotui.errors import BackendError
from hpotui.records import ExperimentSummary, TrialRecord
from hpotui.states import ExperimentState, TrialState
from hpotui.ui.format import format_duration, sort_trials, state_label
from hpotui.ui.model import MonitorModel

DATA = Path(__file__).parent / "data" / "digits_random.events.jsonl"


def _summary(goal: str = "minimize") -> ExperimentSummary:
    return ExperimentSummary(
        name="x",
        state=ExperimentState.RUNNING,
        algorithm="Random",
        metric="loss",
        goal=goal,
        completed=0,
        failed=0,
        running=0,
        max_jobs=10,
    )


def _trial(tid: int, state: TrialState, value: float | None) -> TrialRecord:
    return TrialRecord(id=tid, state=state, params={"lr": tid / 10}, value=value)


def test_sorting_puts_running_and_failed_last_in_both_directions() -> None:
    trials = [
        _trial(1, TrialState.FINISHED, 0.5),
        _trial(2, TrialState.RUNNING, None),
        _trial(3, TrialState.FAILED, math.nan),
        _trial(4, TrialState.FINISHED, 0.1),
        _trial(5, TrialState.FINISHED, 0.9),
    ]
    now = EPOCH
    assert sort_trials(trials, "objective", False, now) == [4, 1, 5, 2, 3]
    assert sort_trials(trials, "objective", True, now) == [5, 1, 4, 2, 3]


def test_sorting_by_a_mixed_column_never_compares_numbers_with_strings() -> None:
    trials = [
        TrialRecord(id=1, state=TrialState.FINISHED, params={"a": "relu"}),
        TrialRecord(id=2, state=TrialState.FINISHED, params={"a": 3}),
        TrialRecord(id=3, state=TrialState.FINISHED, params={"a": None}),
    ]
    assert sort_trials(trials, "param:a", False, EPOCH) == [2, 1, 3]


def test_model_marks_only_changed_trials_dirty() -> None:
    model = MonitorModel(summary=_summary())
    model.apply(TrialStarted("x", trial_id=1, params={"lr": 0.1}, at=EPOCH))
    model.apply(TrialStarted("x", trial_id=2, params={"lr": 0.2}, at=EPOCH))
    assert model.take_dirty() == {1, 2}
    model.apply(TrialEnded("x", trial_id=2, state=TrialState.FINISHED, value=0.3))
    assert model.take_dirty() == {2}
    assert model.trials[2].value == 0.3
    assert model.take_dirty() == set()


def test_a_late_start_event_never_reopens_an_ended_trial() -> None:
    model = MonitorModel.from_detail(
        _summary(), [_trial(1, TrialState.FINISHED, 0.2)]
    )
    model.take_dirty()
    model.apply(TrialStarted("x", trial_id=1, params={"lr": 0.1}, at=EPOCH))
    assert model.trials[1].state == TrialState.FINISHED
    assert model.take_dirty() == set()


def test_best_so_far_follows_the_goal_and_skips_nan() -> None:
    model = MonitorModel(summary=_summary("maximize"))
    for tid, value in [(1, 0.2), (2, math.nan), (3, 0.5), (4, 0.4)]:
        model.apply(TrialStarted("x", trial_id=tid, params={}, at=EPOCH))
        ended = TrialEnded("x", trial_id=tid, state=TrialState.FINISHED, value=value)
        model.apply(ended)
    assert model.best_so_far() == [(1, 0.2), (3, 0.5), (4, 0.5)]


def test_curves_keep_the_objective_per_step() -> None:
    model = MonitorModel(summary=_summary())
    records = [{"step": 0, "loss": 1.0, "acc": 0.1}, {"step": 1, "loss": "bad"}]
    model.apply(TrialMetrics("x", trial_id=1, records=records))
    assert model.curves[1] == [(0, 1.0)]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(59, "59s"), (61, "1m 01s"), (3600, "1h 00m 00s"), (90061, "1d 01h 01m 01s"),
     (-5, "0s"), (None, "-")],
)
def test_durations_read_as_documented(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_states_read_without_colour() -> None:
    assert state_label(TrialState.FAILED) == "✘ FAILED"
    assert state_label(TrialState.RUNNING) == "▶ RUNNING"


def test_replay_summarises_the_recorded_run() -> None:
    backend = ReplayBackend(DATA, max_jobs=12)
    (summary,) = asyncio.run(backend.list_experiments())
    assert summary.name == "digits-random"
    assert summary.state == ExperimentState.FINISHED
    assert summary.metric == "loss"
    assert summary.goal == "minimize"
    assert (summary.completed, summary.failed) == (10, 2)
    assert summary.progress == "10/12"
    assert summary.reason == "reached max_jobs (12)"


def test_replay_streams_every_event_and_refuses_changes() -> None:
    backend = ReplayBackend(DATA)

    async def collect() -> int:
        return len([e async for e in backend.events("digits-random")])

    assert asyncio.run(collect()) == len(read_events(DATA))
    with pytest.raises(BackendError, match="replay of a recorded run"):
        asyncio.run(backend.stop("digits-random"))


def test_replay_at_speed_waits_between_events(tmp_path: Path) -> None:
    events = experiment_events(trials=1)[:2]
    events[1] = TrialStarted(
        "digits-random", trial_id=1, params={}, at=EPOCH + timedelta(seconds=1)
    )
    backend = ReplayBackend(write_events(tmp_path / "e.jsonl", events), speed=10)

    async def timed() -> float:
        start = asyncio.get_running_loop().time()
        async for _ in backend.events("digits-random"):
            pass
        return asyncio.get_running_loop().time() - start

    assert 0.08 <= asyncio.run(timed()) < 1.0


def test_replay_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(experiment_events(trials=1)[0].to_json() + "\nnot json\n")
    with pytest.raises(BackendError, match=r"e\.jsonl:2: not an hpotui event"):
        ReplayBackend(path)


def test_replay_of_a_missing_file_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="hpotui run --events FILE"):
        ReplayBackend(tmp_path / "nope.jsonl")


def test_maximize_is_guessed_from_improving_best_values(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    from hpotui.engine.events import BestChanged

    events = [
        BestChanged("m", trial_id=1, value=0.5, params={}, at=start),
        BestChanged("m", trial_id=2, value=0.9, params={}, at=start),
    ]
    backend = ReplayBackend(write_events(tmp_path / "m.jsonl", events))
    (summary,) = asyncio.run(backend.list_experiments())
    assert summary.goal == "maximize"
    assert summary.best_trial == 2


def test_thinning_keeps_each_bins_extremes_and_small_series_whole() -> None:
    from hpotui.ui.widgets.plots import padded_limits, thin_points

    few = [(1.0, 0.5), (2.0, 0.1)]
    assert thin_points(few, bins=10) == few
    many = [(float(x), float(x % 7)) for x in range(1000)]
    thinned = thin_points(many, bins=10)
    assert len(thinned) == 20
    assert {y for _, y in thinned} == {0.0, 6.0}
    assert padded_limits([2.0]) == (1.9, 2.1)
    assert padded_limits([0.0, 0.0]) == (-1.0, 1.0)


def test_a_step_line_keeps_its_corners_and_ends() -> None:
    from hpotui.ui.widgets.plots import step_corners

    best = [(1, 0.9), (2, 0.9), (3, 0.5), (4, 0.5), (5, 0.5), (6, 0.2), (7, 0.2)]
    assert step_corners(best) == [(1, 0.9), (2, 0.9), (3, 0.5), (5, 0.5), (6, 0.2),
                                  (7, 0.2)]
    assert step_corners([(1, 0.3)]) == [(1, 0.3)]
    assert step_corners([]) == []


def test_replay_in_time_starts_from_the_runs_first_moment() -> None:
    """At a replay speed the monitor must watch trials arrive: the experiment it
    opens on has no trial yet and is still running, but knows its metric."""
    detail = asyncio.run(
        ReplayBackend(DATA, speed=1.0).get_experiment("digits-random")
    )
    assert detail.trials == []
    assert detail.summary.state == ExperimentState.RUNNING
    assert (detail.summary.metric, detail.summary.goal) == ("loss", "minimize")
    assert detail.summary.best_value is None and detail.summary.ended_at is None
