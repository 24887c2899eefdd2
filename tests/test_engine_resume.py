"""Resume after a crash, single ownership and stop/interrupt across processes.

These run the real ``hpotui`` command line in subprocesses and kill it as a user
or the kernel would.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from engine_support import (
    hpotui,
    kill_trials_under,
    start_hpotui,
    wait_for,
    write_experiment,
)

from hpotui.states import ExperimentState, TrialState
from hpotui.store import open_store

STEPPING = """
for step in range(4):
    time.sleep(config.get("nap", 0.2))
    report([{"step": s, "loss": config["x"] + 1 / (s + 1)} for s in range(step + 1)])
"""

pytestmark = pytest.mark.slow


def _states(store, name="exp"):  # type: ignore[no-untyped-def]
    return [t.state for t in store.trials(name)]


def test_resume_after_kill_9_keeps_finished_and_reruns_interrupted_once(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    path = write_experiment(
        tmp_path,
        STEPPING,
        limits={"max_jobs": 6, "max_parallel_jobs": 2},
        hyperparams={"x": {"values": [1, 2, 3, 4, 5, 6]}},
    )
    engine = start_hpotui("run", str(path), "--no-ui", workspace=ws)
    store = open_store(ws)
    try:
        wait_for(
            lambda: (
                store.exists("exp")
                and TrialState.FINISHED in _states(store)
                and TrialState.RUNNING in _states(store)
            )
        )
        engine.send_signal(signal.SIGKILL)
        engine.wait(timeout=10)
        orphans = _trial_pids(ws)
        before = {t.id: t for t in store.trials("exp")}
        assert store.owner("exp") is not None and store.live_owner("exp") is None

        done = hpotui("resume", "exp", "--json", workspace=ws)
    finally:
        kill_trials_under(ws)

    # the trials the dead engine left running were ended by the new owner
    assert orphans and not [pid for pid in orphans if _alive(pid)]
    running_then = {i for i, t in before.items() if t.state is TrialState.RUNNING}
    finished_then = {i for i, t in before.items() if t.state is TrialState.FINISHED}
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["state"], report["completed"], report["failed"]) == (
        "FINISHED",
        6,
        0,
    )
    after = store.trials("exp")
    by_id = {t.id: t for t in after}
    assert [t.id for t in after] == list(range(len(after)))
    for trial_id in finished_then:
        assert by_id[trial_id].ended_at == before[trial_id].ended_at
    interrupted = {t.id for t in after if t.state is TrialState.INTERRUPTED}
    assert interrupted == running_then
    reruns = [t for t in after if t.retry_of is not None]
    assert sorted(t.retry_of for t in reruns) == sorted(running_then)
    for rerun in reruns:
        assert rerun.params == by_id[rerun.retry_of].params
        assert rerun.state is TrialState.FINISHED
    counted = [t for t in after if t.state is not TrialState.INTERRUPTED]
    assert sorted(t.params["x"] for t in counted) == [1, 2, 3, 4, 5, 6]
    assert TrialState.RUNNING not in _states(store)


def test_a_second_engine_is_refused_and_stop_reaches_the_owner(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    path = write_experiment(
        tmp_path, STEPPING, hyperparams={"x": {"values": [1]}, "nap": {"values": [30]}}
    )
    engine = start_hpotui("run", str(path), "--no-ui", workspace=ws)
    store = open_store(ws)
    try:
        wait_for(lambda: store.exists("exp") and TrialState.RUNNING in _states(store))

        twin = hpotui("run", str(path), "--no-ui", workspace=ws)
        again = hpotui("resume", "exp", workspace=ws)
        stop = hpotui("stop", "exp", workspace=ws)
        out, _ = engine.communicate(timeout=30)
    finally:
        kill_trials_under(ws)
    for refused in (twin, again):
        assert refused.returncode == 1
        assert f"already run by pid {engine.pid}" in refused.stderr
    assert stop.returncode == 0 and "stop sent" in stop.stdout
    assert engine.returncode == 1
    assert store.state("exp") == (ExperimentState.STOPPED, "stopped by user")
    assert _states(store) == [TrialState.STOPPED]
    assert "exp STOPPED: stopped by user" in out


def test_ctrl_c_terminates_trials_and_leaves_a_resumable_experiment(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    path = write_experiment(
        tmp_path,
        STEPPING,
        limits={"max_jobs": 2, "max_parallel_jobs": 2},
        hyperparams={"x": {"values": [1, 2]}, "nap": {"values": [0.5]}},
    )
    engine = start_hpotui("run", str(path), "--no-ui", workspace=ws)
    store = open_store(ws)
    wait_for(lambda: store.exists("exp") and TrialState.RUNNING in _states(store))
    pids = _trial_pids(ws)
    engine.send_signal(signal.SIGINT)
    engine.communicate(timeout=30)

    assert engine.returncode == 130
    assert TrialState.RUNNING not in _states(store)
    assert TrialState.INTERRUPTED in _states(store)
    assert store.state("exp")[0] is ExperimentState.STOPPED
    assert not [pid for pid in pids if _alive(pid)]

    done = hpotui("resume", "exp", "--json", workspace=ws)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["state"], report["completed"]) == ("FINISHED", 2)


def _trial_pids(folder: Path) -> list[int]:
    import psutil

    return [
        p.pid
        for p in psutil.process_iter(["cwd"])
        if (p.info.get("cwd") or "").startswith(str(folder))
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
