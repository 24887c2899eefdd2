"""Trials on a real Dask LocalCluster with two worker processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_support import (
    PIDS,
    WORKERS,
    alive,
    dask_experiment,
    kill_leftovers,
    read_pids,
    run_with_events,
)
from distributed import Client, LocalCluster
from engine_support import (
    experiment,
    hpotui,
    start_hpotui,
    wait_for,
    write_experiment,
)

from hpotui.backends.local import LocalBackend
from hpotui.engine import events as ev
from hpotui.states import ExperimentState, TrialState
from hpotui.store import open_store

STEPS = """
for step in range(3):
    time.sleep(config.get("nap", 0.05))
    print("step", step, flush=True)
    print("note", step, file=sys.stderr, flush=True)
    report([{"step": s, "loss": config["x"] * (3 - s)} for s in range(step + 1)])
"""
SEARCH = {"x": {"range": [1, 50], "type": "int"}}


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """A LocalCluster of two single-thread worker processes, on loopback."""
    with LocalCluster(
        n_workers=WORKERS,
        threads_per_worker=1,
        processes=True,
        scheduler_port=0,
        dashboard_address=None,
    ) as local:
        yield local


@pytest.fixture
def address(cluster: LocalCluster) -> Iterator[str]:
    """The scheduler's address, once both workers are up (again)."""
    with Client(cluster.scheduler_address) as client:
        client.wait_for_workers(WORKERS, timeout=30)
    yield cluster.scheduler_address


def _table(backend: LocalBackend) -> list[tuple]:
    return [
        (t.id, t.state, t.params, t.value, t.best_step)
        for t in backend.store.trials("exp")
    ]


async def test_same_seed_gives_the_same_trials_as_the_local_executor(
    tmp_path: Path, address: str
) -> None:
    common = {
        "algorithm": {"name": "Random", "seed": 3},
        "limits": {"max_jobs": 4, "max_parallel_jobs": 2},
        "hyperparams": SEARCH,
    }
    local = LocalBackend(tmp_path / "local-ws", poll_seconds=0.05)
    remote = LocalBackend(tmp_path / "dask-ws", poll_seconds=0.05)
    try:
        await run_with_events(local, experiment(tmp_path / "l", STEPS, **common))
        result, _ = await run_with_events(
            remote, dask_experiment(tmp_path / "d", STEPS, address, **common)
        )
        assert result.state is ExperimentState.FINISHED
        assert _table(remote) == _table(local)
        assert {row[1] for row in _table(remote)} == {TrialState.FINISHED}
        assert [row[4] for row in _table(remote)] == [2, 2, 2, 2]

        # the local trial folder holds what a local trial's holds
        trial = remote.store.trial("exp", 0)
        folder = Path(trial.config_path).parent
        assert json.loads(Path(trial.config_path).read_text()) == trial.params
        assert (folder / "log" / "stdout.log").read_text() == (
            "step 0\nstep 1\nstep 2\n"
        )
        assert (folder / "log" / "stderr.log").read_text() == (
            "note 0\nnote 1\nnote 2\n"
        )
        records = json.loads((folder / "result" / "val_dict_list.json").read_text())
        assert records[-1]["loss"] == trial.params["x"]
        tail = await remote.trial_log("exp", 0)
        assert tail.lines == ["step 0", "step 1", "step 2", "── stderr ──",
                              "note 0", "note 1", "note 2"]  # fmt: skip
    finally:
        await local.close()
        await remote.close()


async def test_live_metrics_and_log_lines_arrive_while_the_trial_runs(
    tmp_path: Path, address: str
) -> None:
    exp = dask_experiment(
        tmp_path,
        STEPS,
        address,
        limits={"max_jobs": 1, "max_parallel_jobs": 1},
        hyperparams={"x": {"values": [5]}, "nap": {"values": [0.6]}},
    )
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    try:
        result, seen = await run_with_events(backend, exp)
    finally:
        await backend.close()
    assert result.state is ExperimentState.FINISHED
    kinds = [type(event) for event in seen]
    ended = kinds.index(ev.TrialEnded)
    live = [e for e in seen[:ended] if isinstance(e, ev.TrialMetrics)]
    steps = [record["step"] for event in live for record in event.records]
    assert steps[:2] == [0, 1]  # at least two steps seen before the end
    logs = [
        line for e in seen[:ended] if isinstance(e, ev.TrialLog) for line in e.lines
    ]
    assert "step 0" in logs and "note 0" in logs
    assert seen[ended].value == 5.0


async def test_stop_cancels_remote_trials_and_kills_their_processes(
    tmp_path: Path, address: str
) -> None:
    pids = tmp_path / "pids"
    exp = dask_experiment(
        tmp_path,
        PIDS + "time.sleep(60)\n",
        address,
        limits={"max_jobs": 4, "max_parallel_jobs": 2},
        hyperparams={"x": {"values": [1, 2, 3, 4]}, "pids": {"values": [str(pids)]}},
    )
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    try:
        name = await backend.submit(exp)
        while len(read_pids(pids)) < 2:
            await asyncio.sleep(0.05)
        await backend.stop(name)
        result = await backend.wait(name)
        trials = backend.store.trials(name)
    finally:
        kill_leftovers(pids)
        await backend.close()
    assert result.state is ExperimentState.STOPPED
    assert [(t.id, t.state, t.reason) for t in trials] == [
        (0, TrialState.STOPPED, "stopped by user"),
        (1, TrialState.STOPPED, "stopped by user"),
    ]
    # the two trials ran on different workers, and neither command survives
    started = read_pids(pids).values()
    assert len({worker for _, worker in started}) == 2
    assert not [pid for pid, _ in started if alive(pid)]


@pytest.mark.parametrize(
    ("on_worker_lost", "state", "reason"),
    [("fail", TrialState.FAILED, "worker lost"), ("retry", TrialState.FINISHED, None)],
)
async def test_a_killed_worker_fails_or_reruns_its_trial_and_the_rest_goes_on(
    tmp_path: Path, address: str, on_worker_lost: str, state: TrialState, reason: str
) -> None:
    pids = tmp_path / "pids"
    body = (
        PIDS
        + """
if config["x"] == 1 and not os.path.exists(os.path.join(pids, "rerun")):
    open(os.path.join(pids, "rerun"), "w").close()
    time.sleep(60)  # the first run waits for its worker to be killed
report([{"step": 0, "loss": config["x"]}])
"""
    )
    exp = dask_experiment(
        tmp_path,
        body,
        address,
        executor={"on_worker_lost": on_worker_lost},
        limits={"max_jobs": 3, "max_parallel_jobs": 2},
        hyperparams={"x": {"values": [1, 2, 3]}, "pids": {"values": [str(pids)]}},
    )
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    try:
        name = await backend.submit(exp)
        while "1" not in read_pids(pids):
            await asyncio.sleep(0.05)
        trial_pid, worker_pid = read_pids(pids)["1"]
        os.kill(worker_pid, signal.SIGKILL)
        result = await asyncio.wait_for(backend.wait(name), 60)
        trials = {t.params["x"]: t for t in backend.store.trials(name)}
        for _ in range(200):  # the worker's guard ends the orphaned command
            if not alive(trial_pid):
                break
            await asyncio.sleep(0.05)
        orphan_alive = alive(trial_pid)
    finally:
        kill_leftovers(pids)
        await backend.close()
    assert result.state is ExperimentState.FINISHED
    assert not orphan_alive
    assert (trials[1].state, trials[1].reason) == (state, reason)
    assert [(trials[x].state, trials[x].value) for x in (2, 3)] == [
        (TrialState.FINISHED, 2.0),
        (TrialState.FINISHED, 3.0),
    ]


def test_resume_after_the_engine_is_killed_reruns_the_interrupted_trial(
    tmp_path: Path, address: str
) -> None:
    pids = tmp_path / "pids"
    body = (
        PIDS
        + """
if config["x"] == 2 and not os.path.exists(os.path.join(pids, "rerun")):
    open(os.path.join(pids, "rerun"), "w").close()
    time.sleep(60)  # the first run waits for its engine to be killed
report([{"step": 0, "loss": config["x"]}])
"""
    )
    path = write_experiment(
        tmp_path,
        body,
        limits={"max_jobs": 3, "max_parallel_jobs": 2},
        hyperparams={"x": {"values": [1, 2, 3]}, "pids": {"values": [str(pids)]}},
    )
    ws = tmp_path / "ws"
    engine = start_hpotui(
        "run", str(path), "--no-ui", "--dask-address", address, workspace=ws
    )
    store = open_store(ws)
    try:
        wait_for(lambda: "2" in read_pids(pids) and _finished(store) >= 1)
        engine.send_signal(signal.SIGKILL)
        engine.wait(timeout=10)
        orphan, _ = read_pids(pids)["2"]
        # the scheduler drops the dead engine's tasks; their workers end them
        wait_for(lambda: not alive(orphan))
        resumed = hpotui(
            "resume", "exp", "--json", "--dask-address", address, workspace=ws
        )
        trials = store.trials("exp")
    finally:
        kill_leftovers(pids)
        store.close()
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["state"] == "FINISHED"
    by_id = {t.id: t for t in trials}
    interrupted = [t for t in trials if t.state is TrialState.INTERRUPTED]
    finished = [t for t in trials if t.state is TrialState.FINISHED]
    assert 2 in [t.params["x"] for t in interrupted]
    assert sorted(t.params["x"] for t in finished) == [1, 2, 3]
    assert len(trials) == len(finished) + len(interrupted)
    # each interrupted trial ran again exactly once, with the same parameters
    reruns = sorted(t.retry_of for t in finished if t.retry_of is not None)
    assert reruns == sorted(t.id for t in interrupted)
    for rerun in (t for t in finished if t.retry_of is not None):
        assert by_id[rerun.retry_of].params == rerun.params


def _finished(store) -> int:  # type: ignore[no-untyped-def]
    if not store.exists("exp"):
        return 0
    return sum(t.state is TrialState.FINISHED for t in store.trials("exp"))
