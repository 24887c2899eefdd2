"""LocalBackend as the dashboard drives it: submit, events, control, logs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine_support import experiment

from hpotui.backends.local import LocalBackend
from hpotui.engine import events as ev
from hpotui.states import ExperimentState, TrialState

SLOW_UNLESS_QUICK = """
print("hello from trial", config["x"])
report([{"step": 1, "loss": float(config["x"])}])
if config["x"] != 1:
    time.sleep(30)
"""
FAILS_ONCE = """
marker = os.path.join(os.environ["DATA_DIR"], "..", "..", "..", "failed-once")
if not os.path.exists(marker):
    open(marker, "w").close()
    sys.exit("first attempt fails")
report([{"loss": 1.0}])
"""


async def _until(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


async def test_events_replay_then_follow_live_and_stop_trial(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    exp = experiment(
        tmp_path,
        SLOW_UNLESS_QUICK,
        limits={"max_jobs": 2, "max_parallel_jobs": 2},
        hyperparams={"x": {"values": [1, 2]}},
    )
    name = await backend.submit(exp)
    seen: list[ev.Event] = []

    async def follow() -> None:
        async for event in backend.events(name):
            seen.append(event)

    follower = asyncio.ensure_future(follow())
    await _until(
        lambda: any(isinstance(e, ev.TrialMetrics) and e.trial_id == 1 for e in seen)
    )
    log = await backend.trial_log(name, 0)
    await backend.stop_trial(name, 1)
    result = await backend.wait(name)
    await follower

    assert result.state is ExperimentState.FINISHED
    assert log.lines == ["hello from trial 1"] and log.path.endswith("stdout.log")
    detail = await backend.get_experiment(name)
    assert [t.state for t in detail.trials] == [TrialState.FINISHED, TrialState.STOPPED]
    assert detail.trials[1].reason == "stopped by user"
    assert (
        seen[0].kind == "experiment_state"
        and seen[-1].state is ExperimentState.FINISHED
    )  # type: ignore[attr-defined]
    replay = [e async for e in backend.events(name)]
    assert [e.kind for e in replay] == [
        e.kind for e in seen if not isinstance(e, ev.TrialLog)
    ]
    await backend.close()


async def test_retry_failed_reruns_failures_under_new_ids(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    exp = experiment(tmp_path, FAILS_ONCE, limits={"max_jobs": 1})
    name = await backend.submit(exp)
    first = await backend.wait(name)
    assert (first.state, first.reason) == (
        ExperimentState.FAILED,
        "no successful trials",
    )

    assert await backend.retry_failed(name) == 1
    second = await backend.wait(name)

    trials = (await backend.get_experiment(name)).trials
    assert second.state is ExperimentState.FINISHED
    assert [(t.id, t.state, t.retry_of) for t in trials] == [
        (0, TrialState.FAILED, None),
        (1, TrialState.FINISHED, 0),
    ]
    summary = (await backend.list_experiments())[0]
    assert (summary.completed, summary.failed, summary.best_trial) == (1, 0, 1)
    await backend.close()


async def test_close_interrupts_runs_so_they_can_resume(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    exp = experiment(
        tmp_path,
        SLOW_UNLESS_QUICK,
        hyperparams={"x": {"values": [2]}},
        limits={"max_jobs": 1},
    )
    name = await backend.submit(exp)
    await _until(lambda: backend.store.summary(name).running == 1)
    await backend.close()

    again = LocalBackend(tmp_path / "ws")
    detail = await again.get_experiment(name)
    assert detail.summary.state is ExperimentState.STOPPED
    assert [t.state for t in detail.trials] == [TrialState.INTERRUPTED]
    assert detail.summary.owner is None
    await again.delete(name)
    assert await again.list_experiments() == []
    assert not (tmp_path / "ws" / "experiments" / name).exists()
    await again.close()
