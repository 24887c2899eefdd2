"""A scheduler that goes away, or is not there: the experiment stops, resumable.

The scheduler and its worker run as ``dask scheduler`` and ``dask worker``
processes, as a user starts them, so that the test can kill the scheduler.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_support import dask_experiment
from distributed import Client

import hpotui.engine.dask_executor as dask_executor
from hpotui.backends.local import LocalBackend
from hpotui.states import ExperimentState, TrialState

SLOW = """
for step in range(100):
    time.sleep(0.1)
    report([{"step": s, "loss": config["x"]} for s in range(step + 1)])
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def scheduler() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A scheduler process with one worker process of two threads."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli." + program, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for program, args in (
            ("dask_scheduler", ["--port", address.rsplit(":", 1)[1], "--no-dashboard"]),
            ("dask_worker", [address, "--nthreads", "2", "--no-dashboard"]),
        )
    ]
    try:
        with Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=30)
        yield address, started[0]
    finally:
        for process in started:
            process.kill()
            process.wait()


async def test_losing_the_scheduler_stops_the_experiment_resumably(
    tmp_path: Path, scheduler: tuple[str, subprocess.Popen[bytes]]
) -> None:
    address, process = scheduler
    exp = dask_experiment(
        tmp_path,
        SLOW,
        address,
        limits={"max_jobs": 4, "max_parallel_jobs": 2},
        hyperparams={"x": {"values": [1, 2, 3, 4]}},
    )
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    try:
        name = await backend.submit(exp)
        while len(backend.store.metrics(name)) < 2:  # both trials report live
            await asyncio.sleep(0.05)
        process.kill()
        result = await asyncio.wait_for(backend.wait(name), 30)
        trials = backend.store.trials(name)
    finally:
        await backend.close()
    assert result.state is ExperimentState.STOPPED
    assert result.reason.startswith(f"lost the Dask scheduler at {address}")
    assert result.reason.endswith("`hpotui resume exp` continues")
    assert [(t.id, t.state) for t in trials] == [
        (0, TrialState.INTERRUPTED),
        (1, TrialState.INTERRUPTED),
    ]


@pytest.mark.parametrize("scheme", ["tcp", "tls"])
async def test_an_unreachable_scheduler_stops_the_experiment_before_any_trial_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    """A scheduler nobody listens on (tcp), or one the client cannot even try to
    reach (tls without a TLS configuration, a TypeError inside Dask): either way
    the experiment stops with the reason and its trials wait for a resume."""
    monkeypatch.setattr(dask_executor, "CONNECT_SECONDS", 0.5)
    address = f"{scheme}://127.0.0.1:{_free_port()}"
    exp = dask_experiment(
        tmp_path,
        SLOW,
        address,
        limits={"max_jobs": 4, "max_parallel_jobs": 2},
    )
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = await backend.wait(await backend.submit(exp))
            trials = backend.store.trials("exp")
        finally:
            await backend.close()
        gc.collect()  # an unawaited coroutine warns when it is collected
    assert result.state is ExperimentState.STOPPED
    assert result.reason.startswith(f"cannot reach the Dask scheduler at {address}")
    assert "check executor.address (or --dask-address)" in result.reason
    # the trials asked for wait, interrupted, for a resume
    assert {t.state for t in trials} == {TrialState.INTERRUPTED}
    assert not [w for w in caught if "never awaited" in str(w.message)]
