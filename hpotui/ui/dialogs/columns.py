"""Choose which trial-table columns to show."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Button, SelectionList

from hpotui.ui.dialogs.base import BaseDialog
from hpotui.ui.widgets.trial_table import FIXED_COLUMNS


class ColumnsDialog(BaseDialog[set[str]]):
    """A checklist of columns; id, state and objective are always shown.

    Args:
        columns: Every column key that can be shown.
        hidden: The keys hidden now.

    Returns the set of keys to hide, or None when cancelled.
    """

    def __init__(self, columns: list[str], hidden: set[str]) -> None:
        super().__init__("Columns")
        self.columns = [key for key in columns if key not in FIXED_COLUMNS]
        self.hidden = hidden

    def compose_body(self) -> ComposeResult:
        yield SelectionList[str](
            *[
                (key.removeprefix("param:"), key, key not in self.hidden)
                for key in self.columns
            ],
            id="column-list",
        )

    def compose_buttons(self) -> ComposeResult:
        yield Button("Apply", id="apply", variant="primary")
        yield Button("Cancel", id="cancel")

    def focus_first(self, widget: Button) -> None:  # type: ignore[override]
        self.query_one(SelectionList).focus()

    def result_for(self, button_id: str) -> set[str] | None:
        if button_id != "apply":
            return None
        shown = set(self.query_one(SelectionList).selected)
        return {key for key in self.columns if key not in shown}
