"""Screenshots of the dashboard at 80×24 and 120×40, compared with the stored ones.

Each app runs on a fixed clock over the recorded run in ``tests/data`` or the
sample experiments, with animations off and the cursor not blinking, so a
screenshot changes only when the dashboard does. Update them with
``pytest tests/test_ui_snapshots.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from uihelpers import SAMPLES, replay_app, settle

SMALL = (80, 24)
LARGE = (120, 40)


@pytest.fixture(autouse=True)
def _still(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


async def _ready(pilot: Pilot[Any]) -> None:
    await settle(pilot, 0.1)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_monitor(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(replay_app(), terminal_size=size, run_before=_ready)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_monitor_history_plot(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(
        replay_app(), press=["2"], terminal_size=size, run_before=_ready
    )


def test_monitor_curves_plot(snap_compare: Any) -> None:
    assert snap_compare(
        replay_app(), press=["3"], terminal_size=LARGE, run_before=_ready
    )


def test_monitor_sorted_by_objective_descending(snap_compare: Any) -> None:
    assert snap_compare(
        replay_app(), press=["o", "o", "O"], terminal_size=SMALL, run_before=_ready
    )


def test_monitor_high_contrast(snap_compare: Any) -> None:
    app = replay_app(theme_name="high-contrast")
    assert snap_compare(app, terminal_size=SMALL, run_before=_ready)


def test_monitor_light(snap_compare: Any) -> None:
    app = replay_app(theme_name="light")
    assert snap_compare(app, terminal_size=SMALL, run_before=_ready)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_experiments(snap_compare: Any, size: tuple[int, int]) -> None:
    app = replay_app(start="experiments")
    assert snap_compare(app, terminal_size=size, run_before=_ready)


def test_trial_detail(snap_compare: Any) -> None:
    assert snap_compare(
        replay_app(), press=["enter", "2"], terminal_size=SMALL, run_before=_ready
    )


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_editor_on_the_sample(snap_compare: Any, size: tuple[int, int]) -> None:
    relative = Path(SAMPLES.name) / "digits_random.yaml"
    app = replay_app(start="editor", path=relative)
    assert snap_compare(app, terminal_size=size, run_before=_ready)


def test_too_small(snap_compare: Any) -> None:
    assert snap_compare(replay_app(), terminal_size=(30, 8), run_before=_ready)


def test_logon(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HPOTUI_CONFIG_DIR", str(tmp_path))
    app = replay_app(start="logon")
    assert snap_compare(app, press=["down"], terminal_size=SMALL, run_before=_ready)
