"""The monitor screen, driven by keys over a recorded run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from engine_support import experiment
from eventgen import experiment_events, write_events
from textual.pilot import Pilot
from textual.widgets import Label, TabbedContent
from uihelpers import app_over, replay_app, settle

from hpotui.backends.local import LocalBackend
from hpotui.states import TrialState
from hpotui.ui.dialogs import ConfirmDialog, ErrorDialog
from hpotui.ui.dialogs.columns import ColumnsDialog
from hpotui.ui.format import state_label
from hpotui.ui.screens.monitor import MonitorScreen
from hpotui.ui.screens.trial import TrialScreen
from hpotui.ui.widgets.best_panel import BestPanel
from hpotui.ui.widgets.brackets import BracketsView
from hpotui.ui.widgets.trial_table import TrialTable


def _ids(table: TrialTable) -> list[int]:
    return [int(table.row_texts(i)[0]) for i in range(table.row_count)]


async def test_monitor_shows_every_trial_best_and_progress() -> None:
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        table = screen.query_one(TrialTable)
        assert table.row_count == 12
        assert table.columns_shown[:3] == ["id", "state", "objective"]
        assert table.row_texts(2)[:3] == ["3", "✘ FAILED", "-"]
        progress = str(screen.query_one("#progress-text", Label).render())
        assert "FINISHED" in progress and "12/12" in progress
        assert "reached max_jobs (12)" in progress
        best = str(screen.query_one(BestPanel).render())
        assert "loss = 0.378315" in best and "trial 1" in best


async def test_at_80x24_id_state_and_objective_stay_while_the_rest_scrolls() -> None:
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TrialTable)
        header, first = table.render_line(0).text, table.render_line(1).text
        assert header.split()[:4] == ["id▲", "state", "objective", "learning_rate"]
        assert "duration" not in header
        assert first.split()[:3] == ["1", "✔", "FINISHED"]
        await pilot.press("right")
        await pilot.pause()
        header, first = table.render_line(0).text, table.render_line(1).text
        assert header.split()[:3] == ["id▲", "state", "objective"]
        assert "learning_rate" not in header and header.rstrip().endswith("duration")
        assert first.split()[:4] == ["1", "✔", "FINISHED", "0.378315"]
        assert first.rstrip().endswith("13s")
        await pilot.press("left")
        await pilot.pause()
        assert "learning_rate" in table.render_line(0).text


async def test_sorting_keeps_the_cursor_on_its_trial_and_failures_last() -> None:
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TrialTable)
        table.select_trial(6)
        await pilot.press("o", "o")  # id -> state -> objective
        await pilot.pause()
        assert table.sort_column == "objective"
        ids = _ids(table)
        assert ids[-2:] == [3, 10]  # the failed trials
        assert ids[0] == 1  # the best
        assert table.selected_trial == 6
        await pilot.press("O")
        await pilot.pause()
        assert _ids(table)[-2:] == [3, 10]
        assert table.selected_trial == 6


async def test_filter_cycles_through_states() -> None:
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TrialTable)
        await pilot.press("f")  # running: none in a finished run
        assert table.row_count == 0
        await pilot.press("f")
        assert table.state_filter == TrialState.FINISHED
        assert table.row_count == 9
        await pilot.press("f", "f")
        assert set(_ids(table)) == {5}
        await pilot.press("f")
        assert table.row_count == 12


async def test_columns_dialog_hides_a_hyperparameter() -> None:
    app = replay_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ColumnsDialog)
        dialog.query_one("SelectionList").deselect("param:activation")
        await pilot.click("#apply")
        await pilot.pause()
        table = app.screen.query_one(TrialTable)
        assert "param:activation" not in table.columns_shown
        assert "param:hidden_units" in table.columns_shown


async def test_tabs_draw_plots_and_brackets() -> None:
    app = replay_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key, tab in (("2", "history"), ("3", "curves"), ("4", "brackets")):
            await pilot.press(key)
            await pilot.pause(0.1)
            assert app.screen.query_one(TabbedContent).active == tab
        text = str(app.screen.query_one(BracketsView).render())
        assert "bracket 0" in text and "rung 0" in text
        assert app.screen.model is not None and not app.screen.model.plots_dirty


async def test_enter_opens_the_trial_and_escape_returns() -> None:
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.query_one(TrialTable).select_trial(3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrialScreen)
        reason = str(app.screen.query_one("#trial-reason").render())
        assert "learning rate too high" in reason
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MonitorScreen)


async def test_stop_on_a_replay_shows_the_backend_error_in_a_dialog() -> None:
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "replay of a recorded run" in app.screen.message
        await pilot.press("escape")
        assert isinstance(app.screen, MonitorScreen)


async def test_kill_trial_on_a_replay_is_a_notification() -> None:
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, MonitorScreen)
        notes = [n.message for n in app._notifications]
        assert any("cannot stop single trials" in note for note in notes)


async def test_live_rows_append_while_the_cursor_stays_and_ticks_coalesce(
    tmp_path: Path,
) -> None:
    """Newest first, so each new trial lands above the cursor: the cursor must
    follow its trial down, not stay on its row number."""
    recorded = experiment_events(trials=30)
    events = write_events(tmp_path / "e.jsonl", recorded)
    app = replay_app(events=events, speed=100.0, refresh_rate=5)
    async with app.run_test(size=(80, 24)) as pilot:
        started = time.monotonic()
        await pilot.pause()
        table = app.screen.query_one(TrialTable)
        while table.row_count < 3:  # a trial every 70 ms
            await pilot.pause(0.02)
        await pilot.press("O")
        table.select_trial(2)
        row_before = table.cursor_row
        assert table.row_count <= 20  # most trials are still to come
        await settle(pilot, 0.3)
        assert table.row_count == 30
        assert table.selected_trial == 2
        assert table.cursor_row == 28 > row_before
        assert _ids(table)[:2] == [30, 29]
        # At most 5 draws a second (one more for the first paint), however many
        # events arrived in between.
        ticks_allowed = 5 * (time.monotonic() - started) + 1
        assert 2 <= app.screen.refreshes <= ticks_allowed
        assert app.screen.refreshes < len(recorded) / 4


async def test_resizing_fast_never_raises_and_keeps_the_selection() -> None:
    app = replay_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TrialTable)
        table.select_trial(7)
        for size in [(20, 5), (120, 40), (30, 8), (80, 24), (20, 5)] * 3:
            await pilot.resize_terminal(*size)
        await pilot.pause()
        assert app.screen.has_class("-too-small")
        notice = str(app.screen.query_one("#too-small").render())
        assert "Terminal too small (20×5)" in notice
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not app.screen.has_class("-too-small")
        assert table.selected_trial == 7


async def test_the_table_has_the_keys_again_after_the_too_small_notice() -> None:
    """Hiding the screen behind the notice used to drop the table's focus for good:
    Down did nothing until Tab was pressed twice. Down must move the cursor."""
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TrialTable)
        table.select_trial(2)
        await pilot.resize_terminal(20, 5)
        await pilot.pause()
        assert app.screen.has_class("-too-small")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.focused is table
        await pilot.press("down")
        await pilot.pause()
        assert table.selected_trial == 3


async def test_no_color_keeps_states_readable_as_symbols_and_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = replay_app()
    assert app.no_color
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TrialTable)
        states = {table.row_texts(i)[1] for i in range(table.row_count)}
        assert states == {"✔ FINISHED", "✘ FAILED", "✂ PRUNED"}


async def test_k_stops_the_running_trial_under_the_cursor(tmp_path: Path) -> None:
    """A real run whose only trial would train for a minute: k ends it now, and
    the row reads STOPPED with the reason."""
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    slow = "time.sleep(60)\nreport([{'step': 1, 'loss': 1.0}])\n"
    name = await backend.submit(
        experiment(tmp_path, slow, hyperparams={"x": {"values": [1]}})
    )
    app = app_over(backend, start="monitor", experiment=name)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(TrialTable)
        while table.selected_trial is None or (
            table.cell_text(0, "state") != "▶ RUNNING"
        ):
            await pilot.pause(0.05)
        started = time.monotonic()
        await pilot.press("k")
        await backend.wait(name)
        await settle(pilot, 0.3)
        assert time.monotonic() - started < 30
        assert table.cell_text(0, "state") == state_label(TrialState.STOPPED)
        assert table.trials[0].reason == "stopped by user"
        notes = [n.message for n in app._notifications]
        assert "stopping trial 0" in notes


@pytest.mark.parametrize("theme", ["dark", "light", "high-contrast"])
async def test_the_cursor_row_has_its_own_background_in_every_theme(theme: str) -> None:
    """The cursor's style used to go under the segments' own background, so the row
    looked like the others; its cells must be drawn on a different background."""
    app = replay_app(theme_name=theme)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TrialTable)
        table.select_trial(2)
        await pilot.pause()

        def backgrounds(y: int) -> set[object]:
            return {seg.style.bgcolor for seg in table.render_line(y) if seg.style}

        cursor, other = backgrounds(2), backgrounds(3)
        assert len(cursor) == 1 and len(other) == 1
        assert cursor != other
        assert backgrounds(1) == other


async def _open_after_down(pilot: Pilot[int]) -> int:
    await pilot.press("down", "enter")
    await settle(pilot)
    trial = pilot.app.screen
    assert isinstance(trial, TrialScreen)
    await pilot.press("escape")
    await settle(pilot)
    return trial.trial_id


async def test_the_table_has_the_keys_again_after_trial_detail_and_tabs() -> None:
    """After Esc from a trial, or tabs 2, 3, 4 and back to 1, Down used to go
    nowhere and Enter reopened the old trial; Down must move the table's cursor."""
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(TrialTable)
        assert await _open_after_down(pilot) == 2
        assert app.focused is table
        assert await _open_after_down(pilot) == 3
        for key in ("2", "3", "4", "1"):
            await pilot.press(key)
            await pilot.pause(0.1)
        assert app.focused is table
        assert await _open_after_down(pilot) == 4


def _fails_once(mark: Path) -> str:
    return f"""
if config["x"] == 2 and not os.path.exists({str(mark)!r}):
    open({str(mark)!r}, "w").close()
    sys.exit("a transient fault")
report([{{"step": 1, "loss": config["x"] / 10}}])
"""


async def test_retry_in_the_monitor_shows_the_retried_trials(tmp_path: Path) -> None:
    """t on an ended run with a failed trial used to rerun it unseen: the monitor
    stopped following. The rerun must appear in the table, FINISHED."""
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    name = await backend.submit(experiment(tmp_path, _fails_once(tmp_path / "mark")))
    await backend.wait(name)
    app = app_over(backend, start="monitor", experiment=name)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        table = app.screen.query_one(TrialTable)
        before = set(table.trials)
        await pilot.press("t")
        await pilot.pause(0.2)
        await backend.wait(name)
        await settle(pilot, 0.3)
        new = [table.trials[i] for i in sorted(set(table.trials) - before)]
        assert [(t.params, t.state, t.value) for t in new] == [
            ({"x": 2}, TrialState.FINISHED, 0.2)
        ]
        assert table.row_count == len(before) + 1
        # The failed trial that ran again no longer counts, as in the list.
        summary = (await backend.get_experiment(name)).summary
        model = app.screen.model
        assert model.completed() == summary.completed == len(before)


async def test_trial_detail_shows_the_final_state_once_the_trial_ends(
    tmp_path: Path,
) -> None:
    """The detail of a running trial kept reading RUNNING after the trial finished;
    its header must turn to FINISHED with the value."""
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    body = "time.sleep(3)\nreport([{'step': 1, 'loss': 0.25}])\n"
    name = await backend.submit(
        experiment(tmp_path, body, hyperparams={"x": {"values": [1]}})
    )
    app = app_over(backend, start="monitor", experiment=name)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(TrialTable)
        while table.selected_trial is None or (
            table.cell_text(0, "state") != "▶ RUNNING"
        ):
            await pilot.pause(0.05)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrialScreen)
        header = screen.query_one("#trial-header")
        while not str(header.render()):  # not settle: the run's follow never ends
            await pilot.pause(0.05)
        assert state_label(TrialState.RUNNING) in str(header.render())
        await backend.wait(name)
        finished = state_label(TrialState.FINISHED)
        deadline = time.monotonic() + 10
        while finished not in str(header.render()) and time.monotonic() < deadline:
            await pilot.pause(0.1)
        text = str(header.render())
        assert state_label(TrialState.FINISHED) in text and "value 0.25" in text


async def test_brackets_count_as_promoted_only_trials_that_went_on(
    tmp_path: Path,
) -> None:
    """Every ended trial of a rung used to count as promoted. In a real Hyperband
    bracket of 9, 3 and 1 trials (eta 3), rung 0 promotes 3 and stops 6, rung 1
    promotes 1 and stops 2, and the top rung's trial finishes."""
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    body = "report([{'step': 1, 'loss': config['x'] / config['epochs']}])\n"
    hyperband = {
        "name": "Hyperband",
        "seed": 3,
        "eta": 3,
        "resource": {"name": "epochs", "max": 9, "min": 1},
    }
    name = await backend.submit(
        experiment(
            tmp_path,
            body,
            hyperparams={"x": {"range": [0.0, 1.0]}},
            algorithm=hyperband,
            limits={"max_jobs": 13, "max_parallel_jobs": 1},
        )
    )
    await backend.wait(name)
    app = app_over(backend, start="monitor", experiment=name)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("4")
        await pilot.pause(0.2)
        lines = str(app.screen.query_one(BracketsView).render()).splitlines()
    heads = [line.split("  ")[1] for line in lines if "rung" in line]
    assert heads == [
        "rung 0: 9 trials, 3 promoted, 6 stopped, 0 running",
        "rung 1: 3 trials, 1 promoted, 2 stopped, 0 running",
        "rung 2: 1 trials, 0 promoted, 0 stopped, 0 running, 1 finished",
    ]


async def test_a_filter_shows_in_the_tab_title_and_an_empty_result_says_so() -> None:
    """After f nothing showed that a filter was on, and an empty table looked like
    a run with no trials; the tab's title must name the filter and an empty result
    must say that no trials match."""
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        tab = screen.query_one(TabbedContent).get_tab("trials")
        note = screen.query_one("#filter-note")
        assert str(tab.label) == "Trials" and not note.display
        await pilot.press("f")  # running: none in a finished run
        await pilot.pause()
        assert str(tab.label) == "Trials: RUNNING only"
        assert note.display and note.region.height > 0
        assert "no trials match the filter RUNNING" in str(note.render())
        await pilot.press("f")
        await pilot.pause()
        assert str(tab.label) == "Trials: FINISHED only"
        assert not note.display
        await pilot.press("f", "f", "f")
        await pilot.pause()
        assert str(tab.label) == "Trials" and not note.display
