"""The scheduler with real trial processes: limits, exhaustion, best, failures."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from engine_support import experiment

from hpotui.engine import events as ev
from hpotui.engine.executor import TrialSpec
from hpotui.engine.local_executor import LocalExecutor, LocalTrialHandle
from hpotui.engine.session import record_experiment, run_session
from hpotui.errors import ExperimentFileError
from hpotui.plugin_host.installed import PluginRegistry
from hpotui.states import ExperimentState, TrialState
from hpotui.store import Store, open_store
from hpotui.workspace import plugins_dir

QUADRATIC = """
x = config["x"]
report([{"step": s, "loss": (x - 3) ** 2 + 1 / (s + 1), "acc": x * 10 + s}
        for s in range(3)])
"""


async def _run(store: Store, exp, **kwargs):  # type: ignore[no-untyped-def]
    recorded = record_experiment(store, exp)
    events: list[ev.Event] = []
    result = await run_session(
        store, recorded, listeners=[events.append], poll_seconds=0.05, **kwargs
    )
    return result, events


async def test_two_by_two_space_is_exhausted_after_four_trials(tmp_path: Path) -> None:
    exp = experiment(
        tmp_path,
        'report([{"loss": config["a"] + config["b"]}])',
        algorithm={"name": "Random", "seed": 3},
        limits={"max_jobs": 10, "max_parallel_jobs": 2},
        hyperparams={"a": {"values": [1, 2]}, "b": {"values": [10, 20]}},
    )
    store = open_store(tmp_path / "ws")
    result, _ = await _run(store, exp)
    trials = store.trials("exp")
    assert result.state is ExperimentState.FINISHED
    assert result.reason == "search space exhausted after 4 configurations"
    assert len(trials) == 4
    assert {(t.params["a"], t.params["b"]) for t in trials} == {
        (1, 10),
        (1, 20),
        (2, 10),
        (2, 20),
    }
    assert store.state("exp") == (
        ExperimentState.FINISHED,
        "search space exhausted after 4 configurations",
    )


class _SlowStart(LocalExecutor):
    """Starts trials after a pause, as a slow disk or a busy machine would."""

    def __init__(self) -> None:
        super().__init__()
        self.starting = asyncio.Event()

    async def start(self, spec: TrialSpec) -> LocalTrialHandle:
        self.starting.set()
        await asyncio.sleep(0.5)
        return await super().start(spec)


async def test_a_trial_stopped_while_it_starts_ends_stopped(tmp_path: Path) -> None:
    exp = experiment(
        tmp_path,
        "time.sleep(60)\nreport([{'loss': 1.0}])",
        hyperparams={"x": {"values": [1]}},
    )
    store = open_store(tmp_path / "ws")
    executor = _SlowStart()
    schedulers = []
    run = asyncio.ensure_future(
        run_session(
            store,
            record_experiment(store, exp),
            executor=executor,
            scheduler_ready=[schedulers.append],
            poll_seconds=0.05,
        )
    )
    await asyncio.wait_for(executor.starting.wait(), 30)
    asked = time.monotonic()
    schedulers[0].stop_trial(0)
    result = await asyncio.wait_for(run, 30)

    assert time.monotonic() - asked < 20
    assert (result.state, result.reason) == (
        ExperimentState.FAILED,
        "no successful trials",
    )
    [trial] = store.trials("exp")
    assert (trial.state, trial.reason) == (TrialState.STOPPED, "stopped by user")


async def test_maximize_picks_the_largest_value_everywhere(tmp_path: Path) -> None:
    exp = experiment(
        tmp_path,
        QUADRATIC,
        objective={"metric": "acc", "goal": "maximize"},
        hyperparams={"x": {"values": [1, 4, 2]}},
    )
    store = open_store(tmp_path / "ws")
    result, events = await _run(store, exp)
    trials = {t.id: t for t in store.trials("exp")}
    assert result.state is ExperimentState.FINISHED
    # Each trial's value is its best (largest) step: x * 10 + 2.
    assert [trials[i].value for i in range(3)] == [12.0, 42.0, 22.0]
    assert [trials[i].best_step for i in range(3)] == [2, 2, 2]
    summary = store.summary("exp")
    assert (summary.best_trial, summary.best_value) == (1, 42.0)
    bests = [(e.trial_id, e.value) for e in events if isinstance(e, ev.BestChanged)]
    assert bests == [(0, 12.0), (1, 42.0)]


async def test_max_jobs_ends_the_experiment_with_its_reason(tmp_path: Path) -> None:
    exp = experiment(
        tmp_path,
        QUADRATIC,
        algorithm={"name": "Random", "seed": 1},
        limits={"max_jobs": 3, "max_parallel_jobs": 2},
        hyperparams={"x": {"range": [0.0, 6.0]}},
    )
    store = open_store(tmp_path / "ws")
    result, _ = await _run(store, exp)
    assert (result.state, result.reason) == (
        ExperimentState.FINISHED,
        "max_jobs reached: 3 trials",
    )
    assert [t.id for t in store.trials("exp")] == [0, 1, 2]


async def test_max_run_time_stops_running_trials_and_finishes(tmp_path: Path) -> None:
    exp = experiment(
        tmp_path,
        """
        report([{"loss": 1.0 + config["nap"]}])
        time.sleep(config["nap"])
        """,
        limits={"max_jobs": 5, "max_parallel_jobs": 1, "max_run_time": "2s"},
        hyperparams={"nap": {"values": [0, 30]}},
    )
    store = open_store(tmp_path / "ws")
    result, _ = await _run(store, exp)
    first, second = store.trials("exp")
    assert (result.state, result.reason) == (
        ExperimentState.FINISHED,
        "max_run_time of 2s reached",
    )
    assert first.state is TrialState.FINISHED
    assert second.state is TrialState.STOPPED
    assert second.reason == "max_run_time of 2s reached"
    assert 1.9 <= store.run_seconds("exp") < 10


async def test_every_failure_is_recorded_and_all_failed_fails(tmp_path: Path) -> None:
    exp = experiment(
        tmp_path,
        'print("bad batch", file=sys.stderr); sys.exit(3)',
        hyperparams={"x": {"values": [1, 2, 3]}},
    )
    store = open_store(tmp_path / "ws")
    result, _ = await _run(store, exp)
    trials = store.trials("exp")
    assert (result.state, result.reason) == (
        ExperimentState.FAILED,
        "no successful trials",
    )
    assert [t.state for t in trials] == [TrialState.FAILED] * 3
    assert all("bad batch" in (t.reason or "") for t in trials)
    assert store.summary("exp").failed == 3


async def test_without_a_job_limit_constant_failure_ends_the_search(
    tmp_path: Path,
) -> None:
    exp = experiment(
        tmp_path,
        "sys.exit(1)",
        algorithm={"name": "Random", "seed": 2},
        limits={"max_jobs": -1, "max_parallel_jobs": 4},
        hyperparams={"x": {"range": [0.0, 1.0]}},
    )
    store = open_store(tmp_path / "ws")
    result, _ = await _run(store, exp)
    assert (result.state, result.reason) == (
        ExperimentState.FAILED,
        "no successful trials",
    )
    # the trials still running when the 20th failure came in end as well
    states = [t.state for t in store.trials("exp")]
    assert states.count(TrialState.FAILED) >= 20 and len(states) <= 23
    assert TrialState.RUNNING not in states


async def test_failures_do_not_stop_the_search_or_become_best(tmp_path: Path) -> None:
    exp = experiment(
        tmp_path,
        """
        if config["x"] == 2:
            report([{"loss": float("nan")}])
        else:
            report([{"loss": float(config["x"])}])
        """,
        hyperparams={"x": {"values": [3, 2, 5]}},
    )
    store = open_store(tmp_path / "ws")
    result, _ = await _run(store, exp)
    states = [t.state for t in store.trials("exp")]
    assert result.state is ExperimentState.FINISHED
    assert states == [TrialState.FINISHED, TrialState.FAILED, TrialState.FINISHED]
    assert store.summary("exp").best_trial == 0


async def test_config_json_gets_params_and_data_fraction(tmp_path: Path) -> None:
    exp = experiment(
        tmp_path,
        'report([{"loss": 1.0}])',
        hyperparams={"units": {"range": [32, 32], "type": "int"}},
        data_fraction=0.25,
        limits={"max_jobs": 1, "max_parallel_jobs": 1},
    )
    store = open_store(tmp_path / "ws")
    await _run(store, exp)
    (trial,) = store.trials("exp")
    config = json.loads(Path(trial.config_path or "").read_text())
    assert config == {"units": 32, "data_fraction": 0.25}
    assert isinstance(config["units"], int)


async def test_everything_is_stored_with_utc_times(tmp_path: Path) -> None:
    exp = experiment(tmp_path, QUADRATIC, limits={"max_jobs": 1})
    store = open_store(tmp_path / "ws")
    _, events = await _run(store, exp)
    (trial,) = store.trials("exp")
    records = store.metrics("exp")[0]
    assert [r.step for r in records] == [0, 1, 2]
    assert trial.started_at is not None and trial.started_at.utcoffset() is not None
    assert trial.ended_at is not None and trial.ended_at >= trial.started_at
    stored = [e.kind for _, e in store.events_after("exp")]
    assert stored == [e.kind for e in events if not isinstance(e, ev.TrialLog)]
    assert stored[0] == "experiment_state" and stored[-1] == "experiment_state"


class _AboveAtStep:
    """Stops a trial whose loss is above a bound once it reaches a step."""

    def should_stop(self, trial_id, curve, others):  # type: ignore[no-untyped-def]
        if curve and curve[-1][0] >= 2 and curve[-1][1] > 5:
            return f"loss {curve[-1][1]:g} above 5 at step {curve[-1][0]}"
        return None


async def test_trials_a_stopping_rule_flags_end_pruned(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        "hpotui.engine.scheduler.create_stopping_rule",
        lambda spec, goal: _AboveAtStep(),
    )
    exp = experiment(
        tmp_path,
        """
        for step in range(1, 16):
            report([{"step": s, "loss": config["x"] * 1.0} for s in range(1, step + 1)])
            time.sleep(0.05)
        """,
        hyperparams={"x": {"values": [1, 9]}},
        early_stopping={"rule": "median"},
        limits={"max_jobs": 2, "max_parallel_jobs": 2},
    )
    store = open_store(tmp_path / "ws")
    result, _ = await _run(store, exp)
    kept, pruned = store.trials("exp")
    assert result.state is ExperimentState.FINISHED
    assert kept.state is TrialState.FINISHED and kept.value == 1.0
    assert pruned.state is TrialState.PRUNED
    assert pruned.reason is not None and pruned.reason.startswith("loss 9 above 5 at")
    assert pruned.value == 9.0
    assert store.summary("exp").best_trial == 0


RAISING_PLUGIN = """
from plugins.core.base_plugin_opt import BasePluginOptimizer


class PluginOptimizer(BasePluginOptimizer):
    def search(self, number_samples, last_exp_results):
        if last_exp_results:
            raise ValueError("boom")
        return [{"x": 1.0}] * number_samples
"""


async def test_a_plugin_that_raises_fails_the_experiment_with_its_error(
    tmp_path: Path,
) -> None:
    source = tmp_path / "boom"
    source.mkdir()
    (source / "optimizer.py").write_text(RAISING_PLUGIN)
    store = open_store(tmp_path / "ws")
    PluginRegistry(plugins_dir(store.workspace)).install(source, "boom")
    exp = experiment(
        tmp_path,
        QUADRATIC,
        algorithm={"name": "boom"},
        limits={"max_jobs": 6, "max_parallel_jobs": 1},
        hyperparams={"x": {"range": [0.0, 5.0]}},
    )
    result, _ = await _run(store, exp)
    assert result.state is ExperimentState.FAILED
    assert result.reason == "plugin search() raised ValueError: boom"
    trials = store.trials("exp")
    assert [t.state for t in trials] == [TrialState.FINISHED]
    assert store.state("exp") == (ExperimentState.FAILED, result.reason)


def test_a_changed_file_names_what_differs_from_the_stored_run(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "ws")
    record_experiment(store, experiment(tmp_path, "pass"))
    more = experiment(tmp_path, "pass", limits={"max_jobs": 99})
    assert record_experiment(store, more).limits.max_jobs == 99

    changed = experiment(
        tmp_path,
        "pass",
        algorithm={"name": "Random"},
        hyperparams={"x": {"values": [1, 2, 3]}},
    )
    with pytest.raises(ExperimentFileError) as raised:
        record_experiment(store, changed)
    message = str(raised.value)
    assert "exists with a different algorithm.name, hyperparams.x;" in message
    assert "`hpotui delete exp`" in message
