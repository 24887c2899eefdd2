"""Ask before doing something that cannot be undone."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Button, Static

from hpotui.ui.dialogs.base import BaseDialog


class ConfirmDialog(BaseDialog[bool]):
    """A question with Yes and No; Escape means No.

    Args:
        title: What is about to happen, in a few words.
        question: The full question, naming what it acts on.
        yes: The label of the button that goes ahead.
    """

    def __init__(self, title: str, question: str, yes: str = "Yes") -> None:
        super().__init__(title)
        self.question = question
        self.yes = yes

    def compose_body(self) -> ComposeResult:
        yield Static(self.question, classes="dialog-body", markup=False)

    def compose_buttons(self) -> ComposeResult:
        yield Button(self.yes, id="yes", variant="error")
        yield Button("No", id="no", variant="primary")

    def focus_first(self, widget: Button) -> None:  # type: ignore[override]
        # The safe answer has focus, so a stray Enter never deletes anything.
        self.query_one("#no", Button).focus()

    def cancel_result(self) -> bool:
        return False

    def result_for(self, button_id: str) -> bool:
        return button_id == "yes"
