"""Who runs an experiment: one engine process at a time, and how to tell it died."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

import psutil

from hpotui.engine.events import utcnow

HEARTBEAT_SECONDS = 2.0
"""How often an owning engine writes its heartbeat."""

_STALE_AFTER = timedelta(seconds=30)
"""An owner on another host is taken for dead after this long without a heartbeat."""


@dataclass(frozen=True)
class Owner:
    """The engine process that runs an experiment.

    Attributes:
        pid: Its process id.
        host: The machine it runs on.
        since: When it took the experiment over.
        process_start: The process's start time (seconds since the epoch), so that
            a reused pid is not mistaken for the owner.
        heartbeat: Its last sign of life.
    """

    pid: int
    host: str
    since: datetime
    process_start: float
    heartbeat: datetime | None = None

    @classmethod
    def me(cls) -> Owner:
        """This process as an owner."""
        return cls(
            pid=os.getpid(),
            host=socket.gethostname(),
            since=utcnow(),
            process_start=psutil.Process().create_time(),
        )

    def is_me(self) -> bool:
        return self.pid == os.getpid() and self.host == socket.gethostname()

    def is_alive(self) -> bool:
        """Whether the owning process still runs (by heartbeat on another host)."""
        if self.host != socket.gethostname():
            last = self.heartbeat or self.since
            return utcnow() - last < _STALE_AFTER
        try:
            process = psutil.Process(self.pid)
            started = process.create_time()
            zombie = process.status() == psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False
        return not zombie and abs(started - self.process_start) < 1.0

    def describe(self) -> str:
        """``pid 123 on host, since 2026-01-01 12:00:00 UTC``."""
        since = self.since.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"pid {self.pid} on {self.host}, since {since}"
