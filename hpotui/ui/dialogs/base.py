"""The frame every dialog shares: a title, a body and a row of buttons."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Label

ResultT = TypeVar("ResultT")


class BaseDialog(ModalScreen[ResultT], Generic[ResultT]):
    """A centred box; subclasses give the body, the buttons and what Escape returns.

    Args:
        title: A few words at the top of the box.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.dialog_title = title

    def compose(self) -> ComposeResult:
        # The frame scrolls when the terminal is shorter than the dialog, and
        # Textual scrolls the focused field into view, so Tab reaches every part.
        with VerticalScroll(classes="dialog", can_focus=False):
            yield Label(self.dialog_title, classes="dialog-title")
            yield from self.compose_body()
            with Horizontal(classes="dialog-buttons"):
                yield from self.compose_buttons()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def compose_buttons(self) -> ComposeResult:
        yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        buttons = self.query(Button)
        if buttons:
            self.focus_first(buttons.first())

    def focus_first(self, widget: Widget) -> None:
        widget.focus()

    def cancel_result(self) -> ResultT | None:
        """What the dialog returns when it is closed without a choice."""
        return None

    def action_cancel(self) -> None:
        self.dismiss(self.cancel_result())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.result_for(event.button.id or ""))

    def result_for(self, button_id: str) -> ResultT | None:
        """What pressing the button ``button_id`` returns."""
        return self.cancel_result()
