"""The search-space editor's failure paths: saving, opening and leaving."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from uihelpers import EVENTS, SAMPLES, app_over, replay_app, settle

from hpotui.backends.replay import ReplayBackend
from hpotui.cli.ui import exit_code
from hpotui.errors import HpotuiError
from hpotui.experiment.validate import check_experiment_file
from hpotui.ui.dialogs import ErrorDialog, PromptDialog
from hpotui.ui.dialogs.hyperparam import HyperparamDialog
from hpotui.ui.dialogs.unsaved import UnsavedDialog
from hpotui.ui.screens.editor import EditorScreen
from hpotui.ui.screens.experiments import ExperimentsScreen


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the main sample experiment, with its model folder."""
    shutil.copytree(SAMPLES / "digits_mlp", tmp_path / "digits_mlp")
    target = tmp_path / "digits_random.yaml"
    shutil.copy(SAMPLES / "digits_random.yaml", target)
    return target


async def test_saving_where_no_file_can_be_written_shows_why_and_keeps_the_edits(
    tmp_path: Path,
) -> None:
    """ctrl+s to a file in a missing folder used to end the app with a traceback;
    it must show the reason in a dialog and leave the editor open, edits intact."""
    target = tmp_path / "missing" / "x.yaml"
    app = replay_app(start="editor", path=target)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.query_one("#field-name", Input).value = "kept-edit"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert f"cannot save {target}" in dialog.message
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is editor
        assert editor.doc["name"] == "kept-edit"
        assert editor.query_one("#field-name", Input).value == "kept-edit"
    assert app.return_code in (0, None)
    assert not target.exists()


async def test_save_as_to_an_unwritable_path_keeps_the_editor_and_its_path(
    tmp_path: Path,
) -> None:
    """Save as to a missing folder shows the error; the editor keeps no file, so a
    second ctrl+s asks again and can save somewhere valid."""
    app = replay_app(start="editor", path=None)
    good = tmp_path / "good.yaml"
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = str(tmp_path / "missing" / "x.yaml")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is editor and editor.path is None
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = str(good)
        await pilot.press("enter")
        await settle(pilot)
        assert editor.path == good
    assert "name: new-experiment" in good.read_text()


_BROKEN = "name: bad\n  objective: [\n"
"""A file that is not YAML: a mapping value where none may start (line 2)."""


def _validate_message(path: Path) -> str:
    report = check_experiment_file(str(path))
    assert len(report.errors) == 1
    return report.errors[0]


def test_opening_a_file_that_is_not_yaml_prints_validates_message(
    tmp_path: Path,
) -> None:
    """`hpotui broken.yaml` used to crash in the editor's mount; it must print what
    `hpotui validate` prints, with the line, and exit 2 without a traceback."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(_BROKEN)
    result = subprocess.run(
        [sys.executable, "-m", "hpotui", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    assert result.returncode == 2
    assert f"{broken}:2: not valid YAML" in result.stderr
    assert _validate_message(broken) in result.stderr
    assert "Traceback" not in result.stderr


async def test_new_from_a_file_that_is_not_yaml_shows_the_error_dialog(
    tmp_path: Path,
) -> None:
    """n on the experiments list with a broken file shows validate's message in a
    dialog and stays on the list."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(_BROKEN)
    app = replay_app(start="experiments")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = str(broken)
        await pilot.press("enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert _validate_message(broken) in dialog.message
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
    assert app.return_code in (0, None)


async def test_starting_the_editor_on_a_file_that_is_not_yaml_shows_the_error(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(_BROKEN)
    app = replay_app(start="editor", path=broken)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert f"{broken}:2" in dialog.message
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
    assert app.return_code in (0, None)


class _Poked(Message):
    """Asks the raising screen's handler to run."""


class _RaisingScreen(ExperimentsScreen):
    """The experiments list with a key and a handler that raise a user error."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "explode", "Explode")]

    def action_explode(self) -> None:
        raise HpotuiError("the x key failed; press y instead", title="X")

    @on(_Poked)
    def _poked(self) -> None:
        raise HpotuiError("the poke failed; poke gently", title="Poke")


async def test_a_user_error_from_a_key_or_a_handler_is_a_dialog_not_a_crash() -> None:
    """A screen's action or message handler that raises HpotuiError shows it in the
    error dialog, and the screen keeps answering keys and messages afterwards."""
    backend = ReplayBackend(EVENTS, speed=0.0, max_jobs=12)
    app = app_over(backend, start="logon")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = _RaisingScreen()
        app.switch_screen(screen)
        await settle(pilot)
        for _ in range(2):
            screen.post_message(_Poked())
            await settle(pilot)
            assert isinstance(app.screen, ErrorDialog)
            assert app.screen.message == "the poke failed; poke gently"
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.message == "the x key failed; press y instead"
    assert app.return_code in (0, None)


async def test_a_real_crash_gives_a_failing_exit_code() -> None:
    """An unexpected exception outside any worker ends the app; its exit code must
    not read as success."""
    app = replay_app(start="experiments")

    def crash() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.call_later(crash)
            await pilot.pause()
    assert exit_code(app, app.return_value) == 1


async def test_many_problems_scroll_into_view(tmp_path: Path) -> None:
    """The problems panel showed its first 6 lines and no more; with 9 findings it
    must say how many there are and scroll to the last one."""
    target = tmp_path / "many.yaml"
    bad = "".join(f"  p{i}: {{range: [0, 1], log: true}}\n" for i in range(9))
    target.write_text(
        "name: many\nobjective: {metric: loss, goal: minimize}\n"
        "model: {dir: ., command: python train.py}\nhyperparams:\n" + bad
    )
    app = replay_app(start="editor", path=target)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        assert len(editor.problems) == 9
        box = editor.query_one("#problems-box", VerticalScroll)
        text = str(editor.query_one("#problems").render())
        assert text.splitlines()[0].startswith("9 findings")
        assert box.max_scroll_y > 0
        box.focus()
        await pilot.press("end")
        await pilot.pause()
        assert box.scroll_y == box.max_scroll_y
        assert box.scroll_y + box.size.height == box.virtual_size.height
        assert "hyperparams.p8" in text.splitlines()[-1]


def _visible(screen: Screen[object], selector: str) -> bool:
    """Whether the widget is drawn whole inside the terminal and its clip."""
    geometry = screen.find_widget(screen.query_one(selector))
    shown = geometry.region.intersection(geometry.clip)
    return shown == geometry.region and geometry.region.area > 0


_PARTS = ("#hp-name", "#hp-type", "#hp-low", "#hp-step", "#hp-log", "#hp-values")


async def test_the_hyperparameter_dialog_fits_at_80x24() -> None:
    """At 80x24 the log checkbox, the values and OK/Cancel used to be off-screen;
    every part of the dialog must be drawn."""
    app = replay_app(start="editor", path=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        dialog = await _add_dialog(pilot)
        for selector in (*_PARTS, "#ok", "#cancel"):
            assert _visible(dialog, selector), selector


async def test_a_short_terminal_scrolls_the_dialog_to_the_focused_field() -> None:
    """Shorter than the dialog, the form scrolls: Tab to OK brings OK into view and
    Enter there adds the hyperparameter."""
    app = replay_app(start="editor", path=None)
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        editor = app.screen
        dialog = await _add_dialog(pilot)
        assert not _visible(dialog, "#ok")
        dialog.query_one("#hp-name", Input).value = "lr"
        while dialog.focused is not dialog.query_one("#ok"):
            await pilot.press("tab")
        await pilot.pause()
        assert _visible(dialog, "#ok")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is editor
        assert "lr" in editor.doc["hyperparams"]


async def _edit_then_escape(pilot: Pilot[int], editor: EditorScreen) -> None:
    editor.query_one("#field-name", Input).value = "renamed"
    await pilot.pause()
    await pilot.press("escape")
    await settle(pilot)


async def test_escape_with_unsaved_edits_asks_and_cancel_keeps_them(
    sample: Path,
) -> None:
    """Esc used to leave the editor and drop the edits; it must ask, Cancel must
    keep editing, and Discard must leave with the file untouched."""
    original = sample.read_text()
    app = replay_app(start="experiments")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.open_editor(sample)
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        await _edit_then_escape(pilot, editor)
        dialog = app.screen
        assert isinstance(dialog, UnsavedDialog)
        assert dialog.what == sample.name
        await pilot.click("#cancel")
        await settle(pilot)
        assert app.screen is editor and editor.doc["name"] == "renamed"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#discard")
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
    assert sample.read_text() == original


async def test_escape_then_save_writes_the_file_and_leaves(sample: Path) -> None:
    app = replay_app(start="experiments")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.open_editor(sample)
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        await _edit_then_escape(pilot, editor)
        assert isinstance(app.screen, UnsavedDialog)
        await pilot.press("enter")  # Save has the focus
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
        app.open_editor(sample)
        await settle(pilot)
        await pilot.press("escape")  # nothing edited: no question
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)
    assert "name: renamed" in sample.read_text()


async def test_quitting_with_unsaved_edits_asks_first(sample: Path) -> None:
    """ctrl+q in an edited editor must ask too: Cancel stays, Save writes the file
    and then quits."""
    app = replay_app(start="editor", path=sample)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.query_one("#field-name", Input).value = "renamed"
        await pilot.pause()
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, UnsavedDialog)
        await pilot.click("#cancel")
        await settle(pilot)
        assert app.screen is editor and app.is_running
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("enter")  # Save has the focus
        await settle(pilot)
    assert "name: renamed" in sample.read_text()
    assert app.return_code == 0


async def _press_ok(pilot: Pilot[int]) -> None:
    # A button ignores presses during its 0.2 s press effect, so a second OK
    # right after a refused one waits for the effect to end, as a person would.
    ok = pilot.app.screen.query_one("#ok")
    while ok.has_class("-active"):
        await pilot.pause(0.05)
    await pilot.click("#ok")
    await settle(pilot)


async def _add_dialog(pilot: Pilot[int]) -> HyperparamDialog:
    """The hyperparameter dialog that ctrl+a opens, to add one."""
    await pilot.press("ctrl+a")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, HyperparamDialog)
    return dialog


def _fill(dialog: HyperparamDialog, **fields: str) -> None:
    """Types into the dialog's inputs, ``low="0.1"`` going to ``#hp-low``."""
    for name, text in fields.items():
        dialog.query_one(f"#hp-{name}", Input).value = text


def _message(dialog: HyperparamDialog) -> str:
    return str(dialog.query_one("#hp-message", Static).render())


async def _open_param(pilot: Pilot[int], row: int) -> HyperparamDialog:
    editor = pilot.app.screen
    table = editor.query_one("#hyperparams", DataTable)
    table.focus()
    table.move_cursor(row=row)
    await pilot.press("enter")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, HyperparamDialog)
    return dialog


async def test_renaming_onto_another_parameter_is_refused_in_the_dialog(
    sample: Path,
) -> None:
    """Renaming hidden_units to learning_rate used to replace learning_rate; OK must
    keep the dialog open with why, and both parameters must survive."""
    app = replay_app(start="editor", path=sample)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        before = dict(editor.doc["hyperparams"])
        dialog = await _open_param(pilot, 1)
        dialog.query_one("#hp-name", Input).value = "learning_rate"
        await _press_ok(pilot)
        await settle(pilot)
        assert app.screen is dialog
        message = _message(dialog)
        assert message == "learning_rate already exists; choose another name"
        assert dialog.query_one("#hp-message").display
        dialog.query_one("#hp-name", Input).value = "units"
        await _press_ok(pilot)
        await settle(pilot)
        assert app.screen is editor
        params = editor.doc["hyperparams"]
        assert list(params) == ["learning_rate", "units", "activation"]
        assert params["learning_rate"] == before["learning_rate"]
        assert params["units"]["range"] == [16, 128]


async def test_adding_a_parameter_under_a_taken_name_is_refused(sample: Path) -> None:
    app = replay_app(start="editor", path=sample)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        dialog = await _add_dialog(pilot)
        _fill(dialog, name="activation", values="a, b")
        await _press_ok(pilot)
        await settle(pilot)
        assert app.screen is dialog
        assert "activation already exists" in _message(dialog)
    assert editor.doc["hyperparams"]["activation"]["values"] == ["relu", "tanh"]


async def test_ok_with_no_name_keeps_the_dialog_and_what_was_typed() -> None:
    """OK with an empty Name closed the dialog like Cancel and lost the range."""
    app = replay_app(start="editor", path=None)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        dialog = await _add_dialog(pilot)
        _fill(dialog, low="0.1", high="0.9")
        await _press_ok(pilot)
        await settle(pilot)
        assert app.screen is dialog
        assert "a name is needed" in _message(dialog)
        assert dialog.focused is dialog.query_one("#hp-name", Input)
        assert dialog.query_one("#hp-low", Input).value == "0.1"
        await pilot.press(*"dropout")
        await _press_ok(pilot)
        await settle(pilot)
        assert app.screen is editor
        assert editor.doc["hyperparams"]["dropout"]["range"] == [0.1, 0.9]


async def test_the_cursor_stays_on_the_edited_parameter(sample: Path) -> None:
    """After an edit the table was refilled and the cursor went back to row 0."""
    app = replay_app(start="editor", path=sample)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        table = editor.query_one("#hyperparams", DataTable)
        dialog = await _open_param(pilot, 2)
        dialog.query_one("#hp-values", Input).value = "relu, tanh, gelu"
        await _press_ok(pilot)
        await settle(pilot)
        assert app.screen is editor
        assert table.cursor_row == 2
        assert [str(c) for c in table.get_row_at(2)][2] == "relu, tanh, gelu"
        dialog = await _open_param(pilot, 1)
        dialog.query_one("#hp-name", Input).value = "units"
        await _press_ok(pilot)
        await settle(pilot)
        assert table.cursor_row == 1
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        assert key.value == "units"
        dialog = await _add_dialog(pilot)
        dialog.query_one("#hp-name", Input).value = "dropout"
        await _press_ok(pilot)
        await settle(pilot)
        assert table.cursor_row == 3


async def test_add_and_remove_param_work_and_show_while_a_field_has_focus(
    sample: Path,
) -> None:
    """The form's Input took ctrl+a and ctrl+d, and the footer dropped them."""
    app = replay_app(start="editor", path=sample)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        field = editor.query_one("#field-name", Input)
        field.focus()
        await pilot.pause()
        shown = {b.binding.description for b in app.active_bindings.values()}
        assert {"Add param", "Remove param"} <= shown
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert list(editor.doc["hyperparams"]) == ["hidden_units", "activation"]
        assert field.value == "digits-random"
        field.focus()
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert isinstance(app.screen, HyperparamDialog)


async def _type_field(pilot: Pilot[int], dotted: str, text: str) -> None:
    field = pilot.app.screen.query_one(f"#field-{dotted.replace('.', '-')}", Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)


async def test_a_hyperband_experiment_is_built_from_nothing_and_reads_back(
    tmp_path: Path,
) -> None:
    """The editor had no eta or resource fields, so a Hyperband experiment could not
    be built in it; the fields show for Hyperband, check inline as validate does,
    and the saved file carries them."""
    (tmp_path / "train.py").write_text("print('loss=1')\n")
    target = tmp_path / "hb.yaml"
    app = replay_app(start="editor", path=target)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        eta_row = editor.query_one("#field-algorithm-eta").parent
        assert eta_row is not None and not eta_row.display
        await _type_field(pilot, "algorithm.name", "Hyperband")
        await settle(pilot, 0.6)
        assert eta_row.display
        assert any("needs a resource" in p for p in editor.problems)

        await _type_field(pilot, "algorithm.eta", "1")
        await _type_field(pilot, "algorithm.resource.name", "epochs")
        await _type_field(pilot, "algorithm.resource.max", "27")
        await settle(pilot, 0.6)
        save_and_check = editor.problems
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert save_and_check == check_experiment_file(str(target)).errors
        assert any("algorithm.eta" in p and "> 1 (got 1)" in p for p in save_and_check)

        await _type_field(pilot, "algorithm.eta", "3")
        await _type_field(pilot, "algorithm.resource.min", "1")
        dialog = await _add_dialog(pilot)
        _fill(dialog, name="lr", low="0.001", high="0.1")
        await _press_ok(pilot)
        await settle(pilot, 0.6)
        assert editor.problems == []
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert "resource: {name: epochs, max: 27, min: 1}" in target.read_text()
    report = check_experiment_file(str(target))
    assert report.errors == []
    assert report.experiment is not None
    options = report.experiment.algorithm.options
    assert report.experiment.algorithm.name == "Hyperband"
    assert options["eta"] == 3
    assert options["resource"] == {"name": "epochs", "max": 27, "min": 1}


async def test_algorithm_settings_rows_follow_the_algorithm(tmp_path: Path) -> None:
    """ASHA and BOHB show the rows too; Random hides them once they are empty."""
    app = replay_app(start="editor", path=None)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        row = editor.query_one("#field-algorithm-resource-max").parent
        assert row is not None
        for name, shown in (("ASHA", True), ("bohb", True), ("TPE", False)):
            await _type_field(pilot, "algorithm.name", name)
            await pilot.pause()
            assert row.display is shown, name
        await _type_field(pilot, "algorithm.name", "Hyperband")
        await _type_field(pilot, "algorithm.resource.max", "9")
        await _type_field(pilot, "algorithm.name", "Random")
        await settle(pilot, 0.6)
        assert row.display
        problems = str(editor.query_one("#problems").render())
        assert "algorithm.resource" in problems and "used only by Hyperband" in problems
