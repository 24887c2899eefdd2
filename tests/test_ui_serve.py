"""The dashboard against ``hpotui serve`` on loopback: log on, submit, watch it end.

Then one trial's detail: its log read from the server and its results downloaded.

The server is the real one (the embedded engine behind the WML-A REST API) in a
thread; the dashboard reaches it only through the profile chosen on the log-on
screen, as a user would. The digits sample runs for real, cut to 4 trials.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Log, Select
from uihelpers import SAMPLES, replay_app, settle
from wmla_loopback import serving

from hpotui.backends.profiles import load_profiles
from hpotui.backends.wmla import WmlaBackend
from hpotui.server.app import API, create_app
from hpotui.server.users import add_user
from hpotui.states import ExperimentState, TrialState
from hpotui.ui.dialogs import PromptDialog
from hpotui.ui.screens.editor import EditorScreen
from hpotui.ui.screens.experiments import ExperimentsScreen
from hpotui.ui.screens.logon import LogonScreen
from hpotui.ui.screens.monitor import MonitorScreen
from hpotui.ui.screens.trial import TrialScreen
from hpotui.ui.widgets.trial_table import TrialTable

pytestmark = pytest.mark.slow

PROFILE = "lab"


def _small_sample(folder: Path) -> Path:
    shutil.copytree(SAMPLES / "digits_mlp", folder / "digits_mlp")
    text = (SAMPLES / "digits_random.yaml").read_text()
    assert "max_jobs: 12" in text
    path = folder / "digits.yaml"
    path.write_text(text.replace("max_jobs: 12", "max_jobs: 4"))
    return path


def _saved_profile(config: Path, port: int) -> None:
    """A profile saved earlier with a short poll interval, so the test is quick.

    Its URL is stale (the server's port changes every run): the user corrects it
    in the form, and the interval, which the form does not show, must survive.
    """
    config.mkdir(parents=True, exist_ok=True)
    stale = {"url": "http://127.0.0.1:9/old", "user": "alice", "auth": "token",
             "poll_interval": 1.0}
    (config / "profiles.json").write_text(json.dumps({PROFILE: stale}))


async def _until(pilot: Pilot[Any], check: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the dashboard never got there"
        await pilot.pause(0.2)


async def _log_on(pilot: Pilot[Any], port: int) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, LogonScreen)
    await pilot.press("down")  # the saved profile, below the embedded engine
    await pilot.pause()
    assert screen.query_one("#field-user", Input).value == "alice"
    assert screen.query_one("#field-auth", Select).value == "token"
    url = f"http://127.0.0.1:{port}{API}"
    screen.query_one("#field-url", Input).value = url
    screen.query_one("#field-password", Input).value = "alice-pw"
    await pilot.press("ctrl+s")
    await _until(pilot, lambda: isinstance(pilot.app.screen, ExperimentsScreen))


async def _submit(pilot: Pilot[Any], sample: Path) -> MonitorScreen:
    app = pilot.app
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
    return monitor


async def _trial_log_and_results(pilot: Pilot[Any], folder: Path) -> None:
    """Open trial 1: its log comes from the server, d downloads its results."""
    app = pilot.app
    monitor = app.screen
    monitor.query_one(TrialTable).select_trial(1)
    await pilot.press("enter")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, TrialScreen)
    await pilot.press("3")
    await pilot.pause()
    lines = screen.query_one(Log).lines
    assert any(line.startswith("epoch 10/10 loss") for line in lines)
    await pilot.press("d")
    await settle(pilot)
    saved = folder / f"{screen.experiment}-trial-1"
    notes = [n.message for n in app._notifications]
    assert any(note.startswith(f"results saved in {saved}") for note in notes)
    (records,) = [json.loads(p.read_text()) for p in saved.rglob("val_dict_list.json")]
    assert len(records) == 10
    await pilot.press("escape")
    await pilot.pause()
    assert app.screen is monitor


async def test_log_on_to_serve_submit_the_sample_and_see_it_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(config))
    monkeypatch.chdir(tmp_path)  # where d saves a trial's results
    users = tmp_path / "users.json"
    add_user(users, "alice", "alice-pw")
    sample = _small_sample(tmp_path)
    with serving(create_app(tmp_path / "server", users)) as port:
        _saved_profile(config, port)
        app = replay_app(start="logon")
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await _log_on(pilot, port)
            await settle(pilot)
            assert isinstance(app.backend, WmlaBackend)
            assert app.backend.profile.poll_interval == 1.0
            assert app.screen.query_one(DataTable).row_count == 0

            monitor = await _submit(pilot, sample)
            assert monitor.experiment.startswith("alice-hpo-")
            await _until(
                pilot,
                lambda: monitor.model is not None and monitor.model.state.is_final,
            )
            await pilot.pause(0.3)
            model = monitor.model
            assert model is not None and model.state is ExperimentState.FINISHED
            trials = list(model.trials.values())
            assert [t.state for t in trials] == [TrialState.FINISHED] * 4
            assert all(0 < t.value < 3 for t in trials if t.value is not None)
            table = monitor.query_one(TrialTable)
            assert table.row_count == 4
            assert table.cell_text(1, "state") == "✔ FINISHED"
            best = min(t.value for t in trials if t.value is not None)
            assert model.best is not None and model.best.value == pytest.approx(best)

            await _trial_log_and_results(pilot, tmp_path)

            await pilot.press("escape")
            await settle(pilot)
            listed = app.screen.query_one(DataTable)
            assert listed.row_count == 1
            row = [str(cell) for cell in listed.get_row_at(0)]
            assert row[0] == monitor.experiment and row[1] == "✔ FINISHED"
    saved = load_profiles()[PROFILE]
    assert saved.url.endswith(f":{port}{API}") and saved.poll_interval == 1.0
    assert "alice-pw" not in (config / "profiles.json").read_text()
