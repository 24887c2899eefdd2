"""Helpers for the Dask executor tests.

Each test module starts one cluster with two worker processes (starting one costs
seconds). A test that kills a worker lets the nanny bring it back, and the
``address`` fixture waits for it, so the next test again finds two workers.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
from engine_support import experiment

from hpotui.backends.local import LocalBackend
from hpotui.engine import events as ev
from hpotui.engine.scheduler import RunResult

WORKERS = 2

# Writes its own pid and its worker's pid (the parent) to a folder named in config.
PIDS = """
pids = config["pids"]
os.makedirs(pids, exist_ok=True)
open(os.path.join(pids, f"{config['x']}.pid"), "w").write(
    f"{os.getpid()} {os.getppid()}"
)
"""


def dask_experiment(folder: Path, body: str, address: str, **kwargs: Any) -> Any:
    """An experiment whose trials run on the cluster at ``address``."""
    executor = {"type": "dask", "address": address, **kwargs.pop("executor", {})}
    return experiment(folder, body, executor=executor, **kwargs)


async def run_with_events(
    backend: LocalBackend, exp: Any
) -> tuple[RunResult, list[ev.Event]]:
    """Submit ``exp``, collect every event until it ends."""
    name = await backend.submit(exp)
    seen: list[ev.Event] = []

    async def consume() -> None:
        async for event in backend.events(name):
            seen.append(event)

    consumer = asyncio.ensure_future(consume())
    result = await backend.wait(name)
    await consumer
    return result, seen


def read_pids(folder: Path) -> dict[str, tuple[int, int]]:
    """``{x: (trial pid, worker pid)}`` of the trials that have started."""
    found = {}
    for path in folder.glob("*.pid") if folder.is_dir() else []:
        text = path.read_text().split()
        if len(text) == 2:
            found[path.stem] = (int(text[0]), int(text[1]))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def kill_leftovers(folder: Path) -> None:
    """Kill trial processes a failed test may have left behind."""
    for trial_pid, _ in read_pids(folder).values():
        if alive(trial_pid):
            os.kill(trial_pid, 9)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_dask(program: str, *args: str) -> subprocess.Popen[bytes]:
    """``dask scheduler`` or ``dask worker`` as a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", f"distributed.cli.dask_{program}", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
