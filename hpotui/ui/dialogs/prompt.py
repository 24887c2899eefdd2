"""Ask for one line of text, such as a file path."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Button, Input, Static

from hpotui.ui.dialogs.base import BaseDialog


class PromptDialog(BaseDialog[str]):
    """A question and an input; Enter or OK returns the text, Escape returns None.

    Args:
        title: What the text is for.
        question: A line explaining what to type.
        value: The text the input starts with.
    """

    def __init__(self, title: str, question: str, value: str = "") -> None:
        super().__init__(title)
        self.question = question
        self.value = value

    def compose_body(self) -> ComposeResult:
        yield Static(self.question, classes="dialog-body", markup=False)
        yield Input(self.value, id="prompt-input")

    def compose_buttons(self) -> ComposeResult:
        yield Button("OK", id="ok", variant="primary")
        yield Button("Cancel", id="cancel")

    def focus_first(self, widget: Button) -> None:  # type: ignore[override]
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def result_for(self, button_id: str) -> str | None:
        return self.query_one(Input).value if button_id == "ok" else None
