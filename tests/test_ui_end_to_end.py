"""The dashboard over the embedded engine: submit, watch, stop, reopen, resume.

Runs the real digits sample (real trial processes, a real workspace store), kept
small: 2 trials at a time, 3 epochs each on a fifth of the data.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from uihelpers import SAMPLES, settle

from hpotui.backends.local import LocalBackend
from hpotui.states import ExperimentState, TrialState
from hpotui.ui.app import HpotuiApp
from hpotui.ui.dialogs import ConfirmDialog, PromptDialog
from hpotui.ui.screens.editor import EditorScreen
from hpotui.ui.screens.experiments import ExperimentsScreen
from hpotui.ui.screens.monitor import MonitorScreen
from hpotui.ui.widgets.plots import HistoryPlot
from hpotui.ui.widgets.trial_table import TrialTable

pytestmark = pytest.mark.slow


def _small_sample(folder: Path) -> Path:
    shutil.copytree(SAMPLES / "digits_mlp", folder / "digits_mlp")
    text = (SAMPLES / "digits_random.yaml").read_text()
    assert "max_jobs: 12" in text
    # More trials than the test waits for, so the experiment is still running when
    # it is stopped however slow the machine is.
    text = text.replace("max_jobs: 12", "max_jobs: 200")
    text += "data_fraction: 0.2\n"
    path = folder / "digits.yaml"
    path.write_text(text)
    return path


async def _until(pilot: Pilot[Any], check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the dashboard never got there"
        await pilot.pause(0.2)


def _finished(screen: MonitorScreen) -> int:
    if screen.model is None:
        return 0
    return sum(
        1 for t in screen.model.trials.values() if t.state == TrialState.FINISHED
    )


def _text(plot: HistoryPlot) -> str:
    return "\n".join(line.text for line in plot.render_lines(plot.region.reset_offset))


def _ended(screen: MonitorScreen) -> int:
    assert screen.model is not None
    return sum(1 for t in screen.model.trials.values() if t.state.is_final)


async def test_submit_watch_stop_reopen_resume(tmp_path: Path) -> None:
    sample = _small_sample(tmp_path)
    backend = LocalBackend(tmp_path / "workspace")
    app = HpotuiApp(backend, refresh_rate=10)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)

        await pilot.press("n")
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = str(sample)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert app.screen.problems == []
        await pilot.press("ctrl+r")
        await _until(pilot, lambda: isinstance(app.screen, MonitorScreen))

        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        await pilot.press("2")
        await _until(pilot, lambda: monitor.model is not None)
        await pilot.pause(0.1)
        plot = monitor.query_one(HistoryPlot)
        if _finished(monitor) == 0:
            assert "no data yet" in _text(plot)
        await _until(pilot, lambda: _finished(monitor) >= 2)
        await pilot.pause(0.7)  # the plot redraws at most twice a second
        drawn = _text(plot)
        assert "no data yet" not in drawn and "loss per trial" in drawn
        await pilot.press("1")
        await pilot.pause(0.3)
        table = monitor.query_one(TrialTable)
        finished = [
            t for t in monitor.model.trials.values() if t.state == TrialState.FINISHED
        ]
        assert finished and all(t.value is not None for t in finished)
        # Refreshes are coalesced: the table catches up with the model at its next tick.
        await _until(
            pilot, lambda: table.row_count == len(monitor.model.trials), timeout=30
        )

        await pilot.press("s")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await _until(pilot, lambda: monitor.model.state == ExperimentState.STOPPED)
        stopped_ids = set(monitor.model.trials)

        await pilot.press("escape")
        await settle(pilot)
        experiments = app.screen
        assert isinstance(experiments, ExperimentsScreen)
        await _until(
            pilot,
            lambda: experiments.summaries.get("digits-random") is not None
            and experiments.summaries["digits-random"].state
            == ExperimentState.STOPPED,
        )
        await pilot.press("enter")
        await settle(pilot)
        reopened = app.screen
        assert isinstance(reopened, MonitorScreen)
        await _until(
            pilot,
            lambda: reopened.model is not None
            and set(reopened.query_one(TrialTable).trials) >= stopped_ids - {None},
        )

        await pilot.press("u")
        await _until(
            pilot,
            lambda: reopened.model is not None
            and len(reopened.model.trials) > len(stopped_ids)
            and _ended(reopened) > len(stopped_ids) - 2,
            timeout=180,  # several real trainings end here, slow on a busy machine
        )
        await pilot.press("s")
        await pilot.click("#yes")
        await _until(pilot, lambda: reopened.model.state.is_final)
        reopened_table = reopened.query_one(TrialTable)
        await _until(
            pilot,
            lambda: reopened_table.row_count == len(reopened.model.trials),
            timeout=30,
        )
