"""A watchdog that ends a Dask worker's trials when the worker itself dies.

Trial commands run in sessions of their own, so they outlive a worker process that
is killed (``kill -9``, the kernel's out-of-memory killer, a lost batch job).
Each worker starts one guard, a tiny process that reads the trial process groups
to watch from a pipe: ``+PID`` when a trial starts and ``-PID`` when it has ended.
When the pipe closes (the worker is gone, however it went) the guard sends SIGTERM
to every group still listed, then SIGKILL after the grace period.

Run as ``python -m hpotui.engine.dask_guard GRACE``; it imports only the standard
library so that it starts in a few milliseconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

_STEP_SECONDS = 0.05


def watch(lines: list[str] | None = None, grace: float = 5.0) -> set[int]:
    """Follow the pipe on stdin until it closes, then end the groups left.

    Args:
        lines: The messages to follow instead of stdin (for tests).
        grace: Seconds between SIGTERM and SIGKILL.

    Returns:
        The process groups that were still listed when the pipe closed.
    """
    groups: set[int] = set()
    for line in sys.stdin if lines is None else lines:
        line = line.strip()
        if line[:1] == "+" and line[1:].isdigit():
            groups.add(int(line[1:]))
        elif line[:1] == "-" and line[1:].isdigit():
            groups.discard(int(line[1:]))
    _end_groups(groups, grace)
    return groups


def _end_groups(groups: set[int], grace: float) -> None:
    live = {group for group in groups if _signal(group, signal.SIGTERM)}
    deadline = time.monotonic() + grace
    while live and time.monotonic() < deadline:
        time.sleep(_STEP_SECONDS)
        live = {group for group in live if _signal(group, 0)}
    for group in live:
        _signal(group, signal.SIGKILL)


def _signal(group: int, signum: int) -> bool:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


class GuardClient:
    """The worker's end of the pipe to its guard process.

    Args:
        grace: Seconds the guard waits between SIGTERM and SIGKILL.
    """

    def __init__(self, grace: float) -> None:
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(grace)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            # its own session: a Ctrl-C aimed at the worker's group spares it
            start_new_session=True,
        )

    def add(self, group: int) -> None:
        """Watch the process group ``group``."""
        self._send(f"+{group}")

    def remove(self, group: int) -> None:
        """Stop watching ``group``; its trial has ended."""
        self._send(f"-{group}")

    def _send(self, line: str) -> None:
        assert self._process.stdin is not None
        with self._lock:
            try:
                self._process.stdin.write(line + "\n")
                self._process.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass  # the guard is gone; trials still end through the worker


if __name__ == "__main__":
    watch(grace=float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
