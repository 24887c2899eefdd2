"""Ask what to do with edits that were never saved."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.widgets import Button, Static

from hpotui.ui.dialogs.base import BaseDialog

UnsavedChoice = Literal["save", "discard"]


class UnsavedDialog(BaseDialog[UnsavedChoice]):
    """Save, Discard or Cancel; Escape and Cancel mean stay and keep editing.

    Args:
        what: What holds the edits, e.g. ``digits.yaml`` or ``the new experiment``.
    """

    def __init__(self, what: str) -> None:
        super().__init__("Unsaved changes")
        self.what = what

    def compose_body(self) -> ComposeResult:
        question = f"{self.what} has changes that are not saved. Save them first?"
        yield Static(question, classes="dialog-body", markup=False)

    def compose_buttons(self) -> ComposeResult:
        yield Button("Save", id="save", variant="primary")
        yield Button("Discard", id="discard", variant="error")
        yield Button("Cancel", id="cancel")

    def focus_first(self, widget: Button) -> None:  # type: ignore[override]
        # Enter on the first focus keeps the work.
        self.query_one("#save", Button).focus()

    def result_for(self, button_id: str) -> UnsavedChoice | None:
        if button_id in ("save", "discard"):
            return button_id  # type: ignore[return-value]
        return None
