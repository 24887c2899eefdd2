"""The experiments list stays put while it refreshes itself."""

from __future__ import annotations

from pathlib import Path

from engine_support import experiment
from textual.widgets import DataTable
from uihelpers import app_over, settle

from hpotui.backends.local import LocalBackend
from hpotui.ui.screens.experiments import ExperimentsScreen

_BODY = "report([{'step': 1, 'loss': config['x'] / 10}])\n"


async def _run(backend: LocalBackend, folder: Path, name: str) -> str:
    submitted = await backend.submit(experiment(folder, _BODY, name=name))
    await backend.wait(submitted)
    return submitted


async def test_a_refresh_keeps_the_cursor_and_the_sideways_scroll(
    tmp_path: Path,
) -> None:
    """Every refresh used to clear and re-add the rows, jumping back to the left;
    rows must update in place, a new experiment must appear, and the cursor and
    the scroll position must stay."""
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    for name in ("alpha", "beta"):
        await _run(backend, tmp_path / name, name)
    app = app_over(backend, start="experiments")
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExperimentsScreen)
        table = screen.query_one(DataTable)
        start = [str(row.key.value) for row in table.ordered_rows]
        assert sorted(start) == ["alpha", "beta"]
        await pilot.press("down")
        chosen = screen.selected
        table.scroll_to(x=30, animate=False, immediate=True)
        await pilot.pause()
        assert table.scroll_x == 30

        await _run(backend, tmp_path / "gamma", "gamma")
        screen.action_refresh()
        await settle(pilot)
        assert table.row_count == 3
        assert "gamma" in screen.summaries
        assert screen.selected == chosen
        assert table.scroll_x == 30
        assert [str(c) for c in table.get_row(chosen)][:2] == [chosen, "✔ FINISHED"]
