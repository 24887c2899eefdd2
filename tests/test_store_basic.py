"""The workspace store: ids, counts, owners, requests and events."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from hpotui.engine.events import TrialEnded, event_from_json
from hpotui.errors import EngineError, StoreError
from hpotui.experiment.model import Experiment, HyperParam, ModelSpec, Objective
from hpotui.records import MetricRecord
from hpotui.states import ExperimentState, TrialState
from hpotui.store import Owner, Store, open_store


def _experiment(goal: str = "minimize") -> Experiment:
    return Experiment(
        name="exp",
        objective=Objective(metric="loss", goal=goal),  # type: ignore[arg-type]
        model=ModelSpec(dir=Path("/nowhere"), command=["python", "train.py"]),
        hyperparams=(HyperParam(name="n", type="int", values=(1, 2, 3)),),
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = open_store(tmp_path)
    store.create_experiment(_experiment())
    return store


def _ended(store: Store, state: TrialState, value: float | None = None) -> int:
    trial_id = store.add_trial("exp", {"n": 1})
    store.start_trial("exp", trial_id, Path("/t") / str(trial_id))
    store.end_trial("exp", trial_id, state, value=value)
    return trial_id


def test_definition_round_trips_with_json_types(store: Store) -> None:
    assert store.definition("exp") == _experiment()
    assert store.state("exp") == (ExperimentState.SUBMITTED, None)
    with pytest.raises(StoreError, match="exists already"):
        store.create_experiment(_experiment())


def test_ids_are_never_reused_and_reruns_replace_their_trial(store: Store) -> None:
    first = _ended(store, TrialState.FINISHED, 0.5)
    second = store.add_trial("exp", {"n": 2})
    store.start_trial("exp", second, Path("/t/1"))
    assert store.interrupt_running("exp", "engine died") == [second]
    rerun = store.add_trial("exp", {"n": 2}, retry_of=second)
    failed = _ended(store, TrialState.FAILED)

    assert (first, second, rerun, failed) == (0, 1, 2, 3)
    summary = store.summary("exp")
    # completed counts failed trials (as WML-A does) but not the interrupted one
    assert (summary.completed, summary.failed) == (2, 1)
    assert store.trial("exp", rerun).retry_of == second  # type: ignore[union-attr]
    assert store.trial("exp", second).state is TrialState.INTERRUPTED  # type: ignore[union-attr]


def test_best_follows_the_goal_and_ignores_unfinished(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.create_experiment(_experiment(goal="maximize"))
    _ended(store, TrialState.FINISHED, 0.2)
    _ended(store, TrialState.FINISHED, 0.9)
    _ended(store, TrialState.PRUNED, 5.0)
    _ended(store, TrialState.FAILED, None)
    summary = store.summary("exp")
    assert (summary.best_trial, summary.best_value) == (1, 0.9)


def test_metrics_replace_a_repeated_step(store: Store) -> None:
    trial = store.add_trial("exp", {"n": 1})
    store.add_metrics("exp", trial, [MetricRecord(1, {"loss": 2.0})])
    store.add_metrics("exp", trial, [MetricRecord(1, {"loss": 1.5})])
    store.end_trial(
        "exp",
        trial,
        TrialState.FINISHED,
        value=1.0,
        records=[MetricRecord(2, {"loss": 1.0})],
    )
    records = store.metrics("exp")[trial]
    assert records == [MetricRecord(1, {"loss": 1.5}), MetricRecord(2, {"loss": 1.0})]


def test_times_are_timezone_aware_utc(store: Store) -> None:
    _ended(store, TrialState.FINISHED, 1.0)
    (trial,) = store.trials("exp")
    assert trial.started_at and trial.started_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert store.summary("exp").created_at.tzinfo is not None  # type: ignore[union-attr]


def test_a_live_owner_is_refused_and_a_dead_one_replaced(store: Store) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = Owner(
            sleeper.pid,
            socket.gethostname(),
            Owner.me().since,
            psutil.Process(sleeper.pid).create_time(),
        )
        store.claim("exp", live)
        with pytest.raises(EngineError, match=f"already run by pid {sleeper.pid}"):
            store.claim("exp", Owner.me())
        assert store.summary("exp").owner == live.describe()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert store.live_owner("exp") is None
    assert store.claim("exp", Owner.me()).pid == sleeper.pid  # type: ignore[union-attr]
    assert store.live_owner("exp") is not None
    store.release("exp")
    assert store.owner("exp") is None


def test_a_reused_pid_is_not_taken_for_the_owner(store: Store) -> None:
    me = Owner.me()
    impostor = Owner(me.pid, me.host, me.since, me.process_start - 100)
    assert not impostor.is_alive()


def test_requests_are_handed_out_once_in_order(store: Store) -> None:
    store.add_request("exp", "stop_trial", 4)
    store.add_request("exp", "stop")
    taken = store.take_requests("exp")
    assert [(r.kind, r.trial_id) for r in taken] == [("stop_trial", 4), ("stop", None)]
    assert store.take_requests("exp") == []


def test_events_come_back_in_order_after_a_sequence_number(store: Store) -> None:
    events = [TrialEnded("exp", i, TrialState.FINISHED, value=i / 2) for i in range(3)]
    store.add_events("exp", events)
    stored = store.events_after("exp")
    assert [e for _, e in stored] == events
    assert [e for _, e in store.events_after("exp", stored[0][0])] == events[1:]
    assert event_from_json(events[0].to_json()) == events[0]


def test_delete_removes_everything_and_unknown_names_are_explained(
    store: Store,
) -> None:
    _ended(store, TrialState.FINISHED, 1.0)
    store.delete_experiment("exp")
    assert store.summaries() == []
    with pytest.raises(StoreError, match="no experiment named 'exp'.*hpotui list"):
        store.summary("exp")
