"""The dialog that shows an error a user can act on."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from hpotui.ui.dialogs.base import BaseDialog


class ErrorDialog(BaseDialog[None]):
    """What failed and what to do, with one button to close it.

    Args:
        title: The error's title (e.g. ``Invalid experiment``).
        message: The full message, which already says what to do.
    """

    def __init__(self, title: str, message: str) -> None:
        super().__init__(title)
        self.message = message
        self.add_class("error-dialog")

    def compose_body(self) -> ComposeResult:
        yield Static(self.message, classes="dialog-body", markup=False)
