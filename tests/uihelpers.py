"""Shared pieces of the dashboard tests: a fixed clock and apps over recorded runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from hpotui.backends.base import Backend
from hpotui.backends.replay import ReplayBackend
from hpotui.ui.app import HpotuiApp

DATA = Path(__file__).parent / "data"
EVENTS = DATA / "digits_random.events.jsonl"
SAMPLES = Path(__file__).resolve().parents[1] / "sample_experiments"
NOW = datetime(2026, 1, 1, 9, 5, tzinfo=UTC)
"""The fake clock's time: a few minutes after the recorded run started."""


def fixed_clock() -> datetime:
    return NOW


def replay_app(
    start: str = "monitor", events: Path = EVENTS, speed: float = 0.0, **kwargs: Any
) -> HpotuiApp:
    """The dashboard over a recorded run, on a fixed clock."""
    backend = ReplayBackend(events, speed=speed, max_jobs=12)
    experiment = backend.first_experiment()
    return app_over(backend, start=start, experiment=experiment, **kwargs)


def app_over(backend: Backend, **kwargs: Any) -> HpotuiApp:
    kwargs.setdefault("clock", fixed_clock)
    return HpotuiApp(backend, **kwargs)


async def settle(pilot: Pilot[Any], seconds: float = 0.0) -> None:
    """Let workers finish and the screen redraw."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(seconds)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
