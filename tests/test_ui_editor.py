"""The search-space editor's failure paths: saving, opening and leaving."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input
from uihelpers import replay_app, settle

from hpotui.ui.dialogs import ErrorDialog, PromptDialog
from hpotui.ui.screens.editor import EditorScreen


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
