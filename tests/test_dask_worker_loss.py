"""A worker that dies while no other worker is free: its trial is lost at once.

The scheduler only hands a lost task to another worker once one is free, so the
engine watches the scheduler's worker-removal events itself. The worker runs as
``dask worker --no-nanny``, so that nothing brings it back after it is killed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_support import (
    PIDS,
    alive,
    dask_experiment,
    free_port,
    kill_leftovers,
    read_pids,
    start_dask,
)
from distributed import Client

from hpotui.backends.local import LocalBackend
from hpotui.states import ExperimentState, TrialState

# The first run of trial x=1 waits to be killed with its worker; the rest finish.
BODY = (
    PIDS
    + """
if config["x"] == 1 and not os.path.exists(os.path.join(pids, "rerun")):
    open(os.path.join(pids, "rerun"), "w").close()
    time.sleep(60)
report([{"step": 0, "loss": config["x"]}])
"""
)


@pytest.fixture
def cluster() -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A scheduler and one worker without a nanny; more workers join the list."""
    address = f"tcp://127.0.0.1:{free_port()}"
    started = [start_dask("scheduler", "--port", address.rsplit(":", 1)[1],
                          "--no-dashboard")]  # fmt: skip
    started.append(_worker(address))
    try:
        with Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=30)
        yield address, started
    finally:
        for process in started:
            process.kill()
            process.wait()


def _worker(address: str) -> subprocess.Popen[bytes]:
    return start_dask(
        "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"
    )


async def _until(condition, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize(
    ("on_worker_lost", "state", "reason"),
    [("fail", TrialState.FAILED, "worker lost"), ("retry", TrialState.FINISHED, None)],
)
async def test_a_lost_worker_is_noticed_while_no_other_worker_is_there(
    tmp_path: Path,
    cluster: tuple[str, list[subprocess.Popen[bytes]]],
    caplog: pytest.LogCaptureFixture,
    on_worker_lost: str,
    state: TrialState,
    reason: str | None,
) -> None:
    address, started = cluster
    pids = tmp_path / "pids"
    exp = dask_experiment(
        tmp_path,
        BODY,
        address,
        executor={"on_worker_lost": on_worker_lost},
        limits={"max_jobs": 2, "max_parallel_jobs": 1},
        hyperparams={"x": {"values": [1, 2]}, "pids": {"values": [str(pids)]}},
    )
    caplog.set_level(logging.INFO, logger="hpotui.engine")
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    try:
        name = await backend.submit(exp)
        await _until(lambda: "1" in read_pids(pids))
        trial_pid, worker_pid = read_pids(pids)["1"]
        os.kill(worker_pid, signal.SIGKILL)

        # with no worker left, the trial gets its outcome (or its second run)
        await _until(lambda: "waits for workers to join" in caplog.text)
        if on_worker_lost == "fail":
            lost = lambda: backend.store.trial(name, 0).state is TrialState.FAILED  # noqa: E731
            await _until(lost)
        else:
            await _until(lambda: "lost its worker; running it again" in caplog.text)
        assert backend.store.trials(name)[0].params["x"] == 1

        started.append(_worker(address))  # the experiment goes on on a new worker
        result = await asyncio.wait_for(backend.wait(name), 60)
        trials = {t.params["x"]: t for t in backend.store.trials(name)}
        await _until(lambda: not alive(trial_pid))  # its guard ends the command
    finally:
        kill_leftovers(pids)
        await backend.close()
    assert result.state is ExperimentState.FINISHED
    assert (trials[1].state, trials[1].reason) == (state, reason)
    assert (trials[2].state, trials[2].value) == (TrialState.FINISHED, 2.0)
    assert len(trials) == 2


async def test_stop_ends_trials_that_wait_for_a_worker(
    tmp_path: Path, cluster: tuple[str, list[subprocess.Popen[bytes]]]
) -> None:
    """With no worker at all, submitted trials never start; a stop still ends
    the experiment, its trials STOPPED, instead of waiting for a worker."""
    address, started = cluster
    started[1].kill()
    with Client(address, timeout=30) as client:
        for _ in range(600):
            if not client.scheduler_info()["workers"]:
                break
            await asyncio.sleep(0.05)
    exp = dask_experiment(
        tmp_path, BODY, address, limits={"max_jobs": 2, "max_parallel_jobs": 2}
    )
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    try:
        name = await backend.submit(exp)
        await _until(lambda: len(backend.store.trials(name)) == 2)
        await backend.stop(name)
        result = await asyncio.wait_for(backend.wait(name), 30)
        trials = backend.store.trials(name)
    finally:
        await backend.close()
    assert result.state is ExperimentState.STOPPED
    assert [(t.state, t.reason) for t in trials] == [
        (TrialState.STOPPED, "stopped by user")
    ] * 2
