"""Dashboard speed: a 10,000-trial experiment, and a live one growing by 10 trials/s.

Three measurements, each printed with the target from the dashboard's design:

1. Stored: 10,000 trials × 8 hyperparameters from a recorded events file. Time to
   first paint (app start to a drawn table of every trial) and per key action
   (End, PageUp, sort, switching tabs), including the redraw.
   The reference is a bare Textual DataTable of the same rows, and for tab
   switches a bare TabbedContent, so the ratios show what hpotui adds.
2. Live: 5,000 stored trials, then 10 new trials a second for ``--seconds``. CPU
   time per refresh tick that drew something, and growth of the process's
   resident memory and of its live Python allocations.
3. Incremental against clear-and-re-add: the cost of drawing 10 changed trials
   into a 5,000-row table, against clearing it and adding every row again (what a
   table without keyed rows would do). The ratio shows what the keyed path pays.

Run: ``python benchmarks/dashboard.py [--seconds 60]`` (not part of make test).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from eventgen import (  # noqa: E402
    EPOCH,
    PARAM_NAMES,
    experiment_events,
    trial_events,
    write_events,
)
from textual.app import App, ComposeResult  # noqa: E402
from textual.binding import Binding, BindingType  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import (  # noqa: E402
    DataTable,
    Footer,
    Header,
    Static,
    TabbedContent,
    TabPane,
)

from hpotui.backends.base import ExperimentDetail  # noqa: E402
from hpotui.backends.replay import ReplayBackend  # noqa: E402
from hpotui.engine.events import Event  # noqa: E402
from hpotui.ui.app import HpotuiApp  # noqa: E402
from hpotui.ui.screens.monitor import MonitorScreen  # noqa: E402
from hpotui.ui.widgets.trial_table import TrialTable  # noqa: E402

SIZE = (120, 40)
NAME = "bench"


async def _wait(pilot: Pilot[Any], check: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the dashboard did not get there")
        await pilot.pause(0.01)


def _stored_file(folder: Path, trials: int) -> Path:
    events = experiment_events(NAME, trials=trials, params_count=8, seed=1)
    return write_events(folder / f"{trials}.jsonl", events)


async def _timed(pilot: Pilot[Any], *keys: str) -> float:
    """Milliseconds of this process's CPU for the keys and the redraw.

    CPU time rather than wall time: on a shared machine the wall clock counts
    other people's work too.
    """
    start = time.process_time()
    await pilot.press(*keys)
    await pilot.pause()
    return (time.process_time() - start) * 1000


class _PlainTabs(App[None]):
    """The reference for tab switches: Textual's tabs around two bare labels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show('one')", "One"),
        Binding("2", "show('two')", "Two"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent():
            with TabPane("One", id="one"):
                yield Static("one")
            with TabPane("Two", id="two"):
                yield Static("two")
        yield Footer()

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab


async def _bare_tab_switch() -> float:
    """Median CPU milliseconds of a tab switch in :class:`_PlainTabs`."""
    app = _PlainTabs()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        times = [await _timed(pilot, key) for key in "21212121"]
    return statistics.median(times)


class _PlainTable(App[None]):
    """The reference: a bare Textual DataTable holding the same rows as strings."""

    def __init__(self, rows: list[list[str]], columns: list[str]) -> None:
        super().__init__()
        self.rows, self.column_names = rows, columns

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in self.column_names:
            table.add_column(name, key=name)
        for index, row in enumerate(self.rows):
            table.add_row(*row, key=str(index))
        table.focus()


async def reference(trials: int) -> dict[str, float]:
    """The same figures for a bare DataTable, on the same machine, right now."""
    columns = ["id", "state", "objective", *PARAM_NAMES, "step", "duration"]
    rng = random.Random(1)
    rows = [
        [str(i), "FINISHED", f"{rng.random():.6g}", *(f"{rng.random():.5g}"
         for _ in PARAM_NAMES), "5", "13s"]
        for i in range(1, trials + 1)
    ]
    start = time.process_time()
    app = _PlainTable(rows, columns)
    figures: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:
        await _wait(pilot, lambda: app.query_one(DataTable).row_count == trials)
        await pilot.pause()
        figures["first paint (s)"] = time.process_time() - start
        figures["End (ms)"] = await _timed(pilot, "end")
        figures["PageUp (ms)"] = await _timed(pilot, "pageup")
        table = app.query_one(DataTable)
        start = time.process_time()
        table.sort("objective")
        await pilot.pause()
        figures["sort by objective (ms)"] = (time.process_time() - start) * 1000
    figures["tab switch (ms)"] = await _bare_tab_switch()
    return figures


async def stored(folder: Path) -> dict[str, float]:
    """First paint and key actions on 10,000 trials × 8 hyperparameters."""
    backend = ReplayBackend(_stored_file(folder, 10_000), max_jobs=10_000)
    start = time.process_time()
    app = HpotuiApp(backend, start="monitor", experiment=NAME)
    figures: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:

        def painted() -> bool:
            screen = app.screen
            return (
                isinstance(screen, MonitorScreen)
                and screen.query(TrialTable)
                and screen.query_one(TrialTable).row_count == 10_000
                and screen.refreshes > 0
            )

        await _wait(pilot, painted)
        await pilot.pause()
        figures["first paint (s)"] = time.process_time() - start
        await app.workers.wait_for_complete()
        figures["all events folded (s)"] = time.process_time() - start
        figures["End (ms)"] = await _timed(pilot, "end")
        figures["PageUp (ms)"] = await _timed(pilot, "pageup")
        figures["sort by state (ms)"] = await _timed(pilot, "o")
        figures["sort by objective (ms)"] = await _timed(pilot, "o")
        figures["reverse sort (ms)"] = await _timed(pilot, "O")
        figures["tab to history plot (ms)"] = await _timed(pilot, "2")
        figures["tab to curves plot (ms)"] = await _timed(pilot, "3")
        figures["tab back to trials (ms)"] = await _timed(pilot, "1")
        figures["tab to history plot again (ms)"] = await _timed(pilot, "2")
        figures["tab switch (ms)"] = await _timed(pilot, "1")
    return figures


class _LiveBackend(ReplayBackend):
    """Stored trials first, then new trials at a fixed rate, as a live run would."""

    def __init__(self, path: Path, rate: float, seconds: float, first_id: int) -> None:
        super().__init__(path)
        self.rate = rate
        self.seconds = seconds
        self.first_id = first_id

    async def get_experiment(self, name: str) -> ExperimentDetail:
        return await super().get_experiment(name)

    async def events(self, name: str) -> AsyncIterator[Event]:  # type: ignore[override]
        async for event in super().events(name):
            yield event
        rng = random.Random(3)
        trial_id = self.first_id
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            start = EPOCH + timedelta(seconds=trial_id)
            for event in trial_events(name, trial_id, rng, start, 8)[0]:
                yield event
            trial_id += 1
            await asyncio.sleep(1 / self.rate)


async def live(folder: Path, seconds: float) -> dict[str, float]:
    """CPU per refresh tick and memory growth with 10 new trials a second."""
    events = experiment_events(NAME, trials=5_000, params_count=8, seed=2)
    path = write_events(folder / "live.jsonl", events[:-1])  # still running
    backend = _LiveBackend(path, rate=10, seconds=seconds, first_id=5_001)
    app = HpotuiApp(backend, start="monitor", experiment=NAME)
    ticks: list[float] = []
    process = psutil.Process()
    async with app.run_test(size=SIZE) as pilot:
        await _wait(pilot, lambda: isinstance(app.screen, MonitorScreen))
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        await _wait(pilot, lambda: screen.query_one(TrialTable).row_count >= 5_000)
        await pilot.pause(0.5)
        original = screen.refresh_tick

        def measured_tick() -> None:
            before = time.process_time()
            drawn = screen.refreshes
            original()
            if screen.refreshes > drawn:
                ticks.append((time.process_time() - before) * 1000)

        screen.refresh_tick = measured_tick  # type: ignore[method-assign]
        for timer in screen._timers:
            if getattr(timer, "_callback", None) == original:
                timer._callback = measured_tick
        rss_before = process.memory_info().rss
        blocks_before = sys.getallocatedblocks()
        await pilot.pause(seconds)
        rss_after = process.memory_info().rss
        blocks_after = sys.getallocatedblocks()
        rows = screen.query_one(TrialTable).row_count
    return {
        "trials at the end": rows,
        "drawing ticks": len(ticks),
        "median CPU per tick (ms)": statistics.median(ticks) if ticks else 0.0,
        "95th percentile CPU per tick (ms)": _percentile(ticks, 95),
        "max CPU per tick (ms)": max(ticks, default=0.0),
        "memory growth (MB)": (rss_after - rss_before) / 2**20,
        # RSS can stay flat while the heap reuses memory freed by the load; the
        # count of live Python allocations shows what the new trials really hold.
        "Python allocations growth (thousands)": (blocks_after - blocks_before) / 1e3,
    }


def _percentile(values: list[float], share: int) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * share // 100)]


async def incremental_vs_rebuild(folder: Path) -> dict[str, float]:
    """10 changed trials in a 5,010-row table: keyed update against re-adding all."""
    backend = ReplayBackend(_stored_file(folder, 5_010))
    app = HpotuiApp(backend, start="monitor", experiment=NAME)
    async with app.run_test(size=SIZE) as pilot:
        await _wait(pilot, lambda: isinstance(app.screen, MonitorScreen))
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one(TrialTable)
        records = list(table.trials.values())
        now = app.now()
        keyed, readd, redraw = [], [], []
        for round_ in range(5):
            changed = [
                replace(trial, value=(trial.value or 0) + round_ + 1)
                for trial in records[-10:]
            ]
            start = time.process_time()
            table.update_trials(changed, now)
            table.apply_sort()
            keyed.append((time.process_time() - start) * 1000)
            start = time.process_time()
            await pilot.pause()
            redraw.append((time.process_time() - start) * 1000)
            start = time.process_time()
            table.trials = {}
            table.rebuild()
            table.update_trials(records, now)
            table.apply_sort()
            readd.append((time.process_time() - start) * 1000)
            await pilot.pause()
    bare = await _bare_readd(records)
    inc, full = statistics.median(keyed), statistics.median(readd)
    return {
        "keyed update of 10 trials (ms)": inc,
        "clear and re-add 5,010 trials (ms)": full,
        "bare DataTable clear and re-add (ms)": bare,
        "redraw of the visible rows (ms)": statistics.median(redraw),
        "re-add / keyed update": full / inc if inc else float("inf"),
        "bare re-add / keyed update": bare / inc if inc else float("inf"),
    }


async def _bare_readd(records: list[Any]) -> float:
    """Clearing a bare DataTable and adding every trial again, as strings."""
    rows = [[str(t.id), str(t.state), str(t.value)] for t in records]
    app = _PlainTable(rows, ["id", "state", "objective"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        times = []
        for _ in range(3):
            start = time.process_time()
            table.clear()
            for index, row in enumerate(rows):
                table.add_row(*row, key=str(index))
            await pilot.pause()
            times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def _print(title: str, figures: dict[str, float], targets: dict[str, float]) -> None:
    print(f"\n{title}")
    for key, value in figures.items():
        target = targets.get(key)
        note = ""
        if target is not None:
            note = f"   target {target:g}, ratio {value / target:.2f}"
        print(f"  {key:38s} {value:10.2f}{note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hpotui-bench-") as name:
        folder = Path(name)
        figures = asyncio.run(stored(folder))
        _print(
            "10,000 stored trials × 8 hyperparameters (CPU time)",
            figures,
            {"first paint (s)": 1.0, **{k: 100.0 for k in figures if "(ms)" in k}},
        )
        base = asyncio.run(reference(10_000))
        _print("reference: a bare Textual DataTable and bare tabs", base, {})
        print("  ratios hpotui / bare Textual:")
        for key, value in base.items():
            if value:
                print(f"    {key:36s} {figures[key] / value:8.2f}")
        figures = asyncio.run(live(folder, args.seconds))
        _print(
            f"live: 5,000 trials + 10 trials/s for {args.seconds:g} s",
            figures,
            {"95th percentile CPU per tick (ms)": 20.0, "memory growth (MB)": 100.0},
        )
        figures = asyncio.run(incremental_vs_rebuild(folder))
        _print("refresh: keyed update against clear-and-re-add", figures, {})


if __name__ == "__main__":
    main()
