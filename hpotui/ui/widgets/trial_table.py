"""The monitor's table of trials: a virtual table that draws only what is on screen.

Rows are keyed by trial id, so the cursor stays on the same trial while rows are
appended, updated, sorted or filtered. Nothing is built per row ahead of time: a
line is rendered from the trial record when it scrolls into view, so 10,000
trials open as fast as 10, and a refresh costs only the rows that changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from hpotui.records import TrialRecord
from hpotui.states import TrialState
from hpotui.ui.format import (
    format_duration,
    format_param,
    format_value,
    sort_trials,
    state_label,
    trial_duration,
)

FIXED_COLUMNS = ("id", "state", "objective")
"""Always shown, in this order, and pinned on the left while the rest scroll
sideways, so even 40 columns show which trial, its state and its value."""
PINNED = len(FIXED_COLUMNS)
TAIL_COLUMNS = ("best_step", "duration")
_WIDTHS = {"id": 5, "state": 13, "objective": 10, "best_step": 4, "duration": 11}
_TITLES = {"best_step": "step"}
_RIGHT = {"id", "objective", "best_step", "duration"}
_STATE_CLASSES = {
    TrialState.RUNNING: "trial-table--running",
    TrialState.FAILED: "trial-table--failed",
    TrialState.FINISHED: "trial-table--finished",
    TrialState.PRUNED: "trial-table--pruned",
    TrialState.STOPPED: "trial-table--stopped",
    TrialState.INTERRUPTED: "trial-table--stopped",
}


def param_column(name: str) -> str:
    return f"param:{name}"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int


class TrialTable(ScrollView, can_focus=True):
    """Trials as rows: id, state, objective, each hyperparameter, step, duration."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("left", "sideways(-8)", "Left", show=False),
        Binding("right", "sideways(8)", "Right", show=False),
        Binding("enter", "choose", "Open trial", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "trial-table--header",
        "trial-table--cursor",
        "trial-table--running",
        "trial-table--failed",
        "trial-table--finished",
        "trial-table--pruned",
        "trial-table--stopped",
    }
    DEFAULT_CSS = """
    TrialTable { height: 1fr; }
    TrialTable > .trial-table--header { text-style: bold; background: $panel; }
    TrialTable > .trial-table--cursor { background: $accent 40%; }
    TrialTable:focus > .trial-table--cursor { background: $accent 70%; }
    TrialTable > .trial-table--running { text-style: bold; }
    TrialTable > .trial-table--failed { color: $error; text-style: bold; }
    TrialTable > .trial-table--finished { color: $success; }
    TrialTable > .trial-table--pruned { color: $warning; }
    TrialTable > .trial-table--stopped { text-style: dim; }
    """

    @dataclass
    class RowSelected(Message):
        """Enter (or a click on the chosen row) asked to open a trial."""

        table: TrialTable
        trial_id: int

        @property
        def control(self) -> TrialTable:
            return self.table

    cursor_row: reactive[int] = reactive(0)
    """The row under the cursor, as an index into the shown order."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.trials: dict[int, TrialRecord] = {}
        self.params: list[str] = []
        self.hidden: set[str] = set()
        self.sort_column = "id"
        self.descending = False
        self.state_filter: TrialState | None = None
        self.order: list[int] = []
        """Shown trial ids, top to bottom."""
        self._row_of: dict[int, int] = {}
        self._columns: list[Column] = []
        self._unsorted = False
        self._now = datetime.now(UTC)
        self._set_columns()

    @property
    def row_count(self) -> int:
        return len(self.order)

    @property
    def columns_shown(self) -> list[str]:
        """Column keys in display order, hidden ones left out."""
        keys = [*FIXED_COLUMNS, *map(param_column, self.params), *TAIL_COLUMNS]
        return [key for key in keys if key not in self.hidden]

    @property
    def selected_trial(self) -> int | None:
        """The id of the trial under the cursor, if any."""
        if not self.order:
            return None
        return self.order[min(self.cursor_row, len(self.order) - 1)]

    def cell_text(self, trial_id: int, key: str) -> str:
        """What the cell of ``trial_id`` in column ``key`` reads."""
        return self._cell(self.trials[trial_id], key, self._now)

    def row_texts(self, row: int) -> list[str]:
        """The cells of the shown row ``row``, as text."""
        trial = self.trials[self.order[row]]
        return [self._cell(trial, key, self._now) for key in self.columns_shown]

    def set_params(self, names: Iterable[str]) -> None:
        """Declare the hyperparameter columns and lay the table out again."""
        self.params = list(names)
        self.rebuild()

    def rebuild(self) -> None:
        """Recompute columns and the shown rows, keeping the selected trial."""
        selected = self.selected_trial
        self._set_columns()
        self.order = sorted(t.id for t in self.trials.values() if self._passes(t))
        self._unsorted = True
        self.apply_sort()
        self._reindex()
        self.select_trial(selected)
        self._resize()

    def update_trials(self, trials: Iterable[TrialRecord], now: datetime) -> int:
        """Take the given trials' new state; returns how many rows changed."""
        self._now = now
        touched = 0
        appended = False
        for trial in trials:
            previous = self.trials.get(trial.id)
            if previous == trial:
                continue
            self.trials[trial.id] = trial
            touched += 1
            shown = trial.id in self._row_of
            if self._passes(trial) and not shown:
                self._row_of[trial.id] = len(self.order)
                self.order.append(trial.id)
                appended = True
            elif shown and not self._passes(trial):
                self.order.remove(trial.id)
                self._reindex()
        if touched:
            self._unsorted = self.sort_column != "id" or self.descending
            if appended:
                self._resize()
            self.refresh()
        return touched

    def tick_durations(self, now: datetime) -> None:
        """Advance the duration of running trials (once a second is enough)."""
        self._now = now
        if "duration" not in self.hidden:
            self.refresh()

    def sort_by(self, column: str, descending: bool = False) -> None:
        """Order rows by ``column``, missing values and failures last either way."""
        self.sort_column = column
        self.descending = descending
        self._unsorted = True
        self.apply_sort()

    def apply_sort(self) -> None:
        """Re-sort if rows changed since the last sort, keeping the cursor's trial."""
        if not self._unsorted:
            return
        self._unsorted = False
        selected = self.selected_trial
        shown = (self.trials[trial_id] for trial_id in self.order)
        self.order = sort_trials(shown, self.sort_column, self.descending, self._now)
        self._reindex()
        self.select_trial(selected)
        self.refresh()

    def filter_state(self, state: TrialState | None) -> None:
        """Show only trials in ``state`` (None shows all)."""
        self.state_filter = state
        self.rebuild()

    def toggle_column(self, key: str) -> None:
        """Hide a shown column or show a hidden one; id, state, objective stay."""
        if key in FIXED_COLUMNS:
            return
        self.hidden.symmetric_difference_update({key})
        self.rebuild()

    def select_trial(self, trial_id: int | None) -> None:
        """Put the cursor on ``trial_id``'s row, if it is shown."""
        row = self._row_of.get(trial_id) if trial_id is not None else None
        if row is not None:
            self.cursor_row = row
            self._scroll_to_cursor()

    def _passes(self, trial: TrialRecord) -> bool:
        return self.state_filter is None or trial.state == self.state_filter

    def _reindex(self) -> None:
        self._row_of = {trial_id: row for row, trial_id in enumerate(self.order)}

    def _set_columns(self) -> None:
        self._columns = []
        for key in self.columns_shown:
            title = _TITLES.get(key, key.removeprefix("param:"))
            width = _WIDTHS.get(key, max(len(title), 9))
            self._columns.append(Column(key, title, width))

    def _resize(self) -> None:
        width = sum(column.width + 1 for column in self._columns)
        self.virtual_size = Size(width, len(self.order) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._scroll_to_cursor()

    # Cursor and scrolling.

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self.order) - 1))

    def watch_cursor_row(self) -> None:
        self.refresh()

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        page = self._page()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + page:
            target = self.cursor_row - page + 1
            self.scroll_to(y=target, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.cursor_row += delta
        self._scroll_to_cursor()

    def action_page(self, direction: int) -> None:
        self.cursor_row += direction * self._page()
        self._scroll_to_cursor()

    def action_jump(self, row: int) -> None:
        self.cursor_row = row if row >= 0 else len(self.order) - 1
        self._scroll_to_cursor()

    def action_sideways(self, delta: int) -> None:
        self.scroll_to(x=self.scroll_x + delta, animate=False)

    def action_choose(self) -> None:
        if self.selected_trial is not None:
            self.post_message(self.RowSelected(self, self.selected_trial))

    def on_click(self, event: events.Click) -> None:
        row = event.y - 1 + round(self.scroll_y)
        if event.y >= 1 and 0 <= row < len(self.order):
            chosen_again = row == self.cursor_row
            self.cursor_row = row
            if chosen_again or event.chain > 1:
                self.action_choose()

    # Drawing.

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._fit(self._header_segments(), width)
        row = y - 1 + round(self.scroll_y)
        if row >= len(self.order):
            return Strip.blank(width, self.rich_style)
        strip = self._fit(self._row_segments(row), width)
        if row == self.cursor_row:
            strip = self._highlight(strip)
        return strip

    def _highlight(self, strip: Strip) -> Strip:
        # Every segment already carries the table's background, so the cursor's
        # background has to go over them (a post style); its colour is left out so
        # the state column keeps its colour.
        cursor = self.get_component_rich_style("trial-table--cursor")
        over = Style(bgcolor=cursor.bgcolor) + cursor.without_color
        return Strip(Segment.apply_style(strip, post_style=over), strip.cell_length)

    def _fit(self, cells: list[list[Segment]], width: int) -> Strip:
        pinned = Strip([seg for cell in cells[:PINNED] for seg in cell])
        rest = Strip([seg for cell in cells[PINNED:] for seg in cell])
        start = round(self.scroll_x)
        visible = rest.crop(start, start + max(0, width - pinned.cell_length))
        base = self.rich_style
        return Strip.join([pinned, visible]).adjust_cell_length(width, base)

    def _header_segments(self) -> list[list[Segment]]:
        style = self.get_component_rich_style("trial-table--header")
        marker = "▼" if self.descending else "▲"
        cells = []
        for column in self._columns:
            title = column.title
            if column.key == self.sort_column:
                title = f"{title}{marker}"
            text = _pad(title, column.width, column.key in _RIGHT)
            cells.append([Segment(text + " ", style)])
        return cells

    def _row_segments(self, row: int) -> list[list[Segment]]:
        trial = self.trials[self.order[row]]
        base = self.rich_style
        state_style = base + self._state_style(trial.state)
        cells = []
        for column in self._columns:
            text = _pad(
                self._cell(trial, column.key, self._now),
                column.width,
                column.key in _RIGHT,
            )
            style = state_style if column.key == "state" else base
            cells.append([Segment(text, style), Segment(" ", base)])
        return cells

    def _state_style(self, state: TrialState) -> Style:
        name = _STATE_CLASSES.get(state)
        return self.get_component_rich_style(name) if name else Style()

    def _cell(self, trial: TrialRecord, key: str, now: datetime) -> str:
        if key == "id":
            return str(trial.id)
        if key == "state":
            return state_label(trial.state)
        if key == "objective":
            return format_value(trial.value)
        if key == "best_step":
            return "-" if trial.best_step is None else str(trial.best_step)
        if key == "duration":
            return format_duration(trial_duration(trial, now))
        return format_param(trial.params.get(key.removeprefix("param:")))


def _pad(text: str, width: int, right: bool) -> str:
    if len(text) > width:
        return text[: width - 1] + "…"
    return text.rjust(width) if right else text.ljust(width)
