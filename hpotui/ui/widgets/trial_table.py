"""The monitor's table of trials, updated row by row as events arrive.

Rows are keyed by trial id, so the cursor stays on the same trial while rows are
appended, updated, sorted or filtered. A refresh touches only the trials that
changed since the last one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

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
"""Always shown and pinned on the left, so 80 columns show what matters."""
TAIL_COLUMNS = ("best_step", "duration")
_WIDTHS = {"id": 5, "state": 12, "objective": 10, "best_step": 5, "duration": 11}
_TITLES = {"best_step": "step", "objective": "objective"}
_STATE_STYLES = {
    TrialState.RUNNING: "bold",
    TrialState.FAILED: "bold red",
    TrialState.FINISHED: "green",
    TrialState.PRUNED: "yellow",
    TrialState.STOPPED: "dim",
    TrialState.INTERRUPTED: "magenta",
}


def param_column(name: str) -> str:
    return f"param:{name}"


class TrialTable(DataTable[Text | str]):
    """Trials as rows: id, state, objective, each hyperparameter, step, duration."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("end", "scroll_bottom", "Last", show=False),
        Binding("home", "scroll_top", "First", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.fixed_columns = 1
        self.trials: dict[int, TrialRecord] = {}
        self.params: list[str] = []
        self.hidden: set[str] = set()
        self.sort_column = "id"
        self.descending = False
        self.state_filter: TrialState | None = None
        self._unsorted = False
        self._now = datetime.now(UTC)

    @property
    def columns_shown(self) -> list[str]:
        """Column keys in display order, hidden ones left out."""
        keys = [*FIXED_COLUMNS, *map(param_column, self.params), *TAIL_COLUMNS]
        return [key for key in keys if key not in self.hidden]

    @property
    def selected_trial(self) -> int | None:
        """The id of the trial under the cursor, if any."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return int(key.value) if key.value is not None else None

    def set_params(self, names: Iterable[str]) -> None:
        """Declare the hyperparameter columns and lay the table out again."""
        self.params = list(names)
        self.rebuild()

    def rebuild(self) -> None:
        """Clear and re-add every column and row, keeping the selected trial."""
        selected = self.selected_trial
        self.clear(columns=True)
        for key in self.columns_shown:
            title = _TITLES.get(key, key.removeprefix("param:"))
            self.add_column(title, key=key, width=_WIDTHS.get(key, max(len(title), 9)))
        rows = [t for t in self.trials.values() if self._passes(t)]
        for trial in sorted(rows, key=lambda t: t.id):
            self.add_row(*self._cells(trial, None), key=str(trial.id))
        self._unsorted = True
        self.apply_sort()
        self.select_trial(selected)

    def update_trials(self, trials: Iterable[TrialRecord], now: datetime) -> int:
        """Draw the given trials' new state; returns how many rows were touched."""
        touched = 0
        self._now = now
        for trial in trials:
            previous = self.trials.get(trial.id)
            if previous == trial and self._has_row(trial.id):
                continue
            self.trials[trial.id] = trial
            touched += self._show(trial, previous, now)
        if touched and (self.sort_column != "id" or self.descending):
            self._unsorted = True
        return touched

    def tick_durations(self, now: datetime) -> None:
        """Advance the duration of running trials (once a second is enough)."""
        if "duration" in self.hidden:
            return
        for trial in self.trials.values():
            if trial.state == TrialState.RUNNING and self._has_row(trial.id):
                seconds = trial_duration(trial, now)
                self.update_cell(str(trial.id), "duration", format_duration(seconds))

    def sort_by(self, column: str, descending: bool = False) -> None:
        """Order rows by ``column``, missing values and failures last either way."""
        self.sort_column = column
        self.descending = descending
        self._unsorted = True
        self.apply_sort()

    def apply_sort(self) -> None:
        """Re-sort if rows changed since the last sort, keeping the cursor's trial."""
        if not self._unsorted or not self.row_count:
            return
        self._unsorted = False
        selected = self.selected_trial
        shown = (self.trials[int(k.value)] for k in self.rows if k.value is not None)
        order = sort_trials(shown, self.sort_column, self.descending, self._now)
        rank = {trial_id: index for index, trial_id in enumerate(order)}
        self.sort("id", key=lambda cell: rank[int(str(cell))])
        self.select_trial(selected)

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
        if trial_id is None or not self._has_row(trial_id):
            return
        row = self.get_row_index(str(trial_id))
        self.move_cursor(row=row, animate=False, scroll=False)

    def _has_row(self, trial_id: int) -> bool:
        try:
            self.get_row_index(str(trial_id))
        except RowDoesNotExist:
            return False
        return True

    def _passes(self, trial: TrialRecord) -> bool:
        return self.state_filter is None or trial.state == self.state_filter

    def _show(
        self, trial: TrialRecord, previous: TrialRecord | None, now: datetime
    ) -> int:
        if not self._passes(trial):
            if self._has_row(trial.id):
                self.remove_row(str(trial.id))
                return 1
            return 0
        if not self._has_row(trial.id):
            self.add_row(*self._cells(trial, now), key=str(trial.id))
            return 1
        old = dict(zip(self.columns_shown, self._cells(previous, now), strict=True))
        new = dict(zip(self.columns_shown, self._cells(trial, now), strict=True))
        for key, cell in new.items():
            if old[key] != cell:
                self.update_cell(str(trial.id), key, cell)
        return 1

    def _cells(
        self, trial: TrialRecord | None, now: datetime | None
    ) -> list[Text | str]:
        if trial is None:
            return [""] * len(self.columns_shown)
        return [self._cell(trial, key, now) for key in self.columns_shown]

    def _cell(self, trial: TrialRecord, key: str, now: datetime | None) -> Text | str:
        if key == "id":
            return str(trial.id)
        if key == "state":
            style = _STATE_STYLES.get(trial.state, "")
            return Text(state_label(trial.state), style=style)
        if key == "objective":
            return Text(format_value(trial.value), justify="right")
        if key == "best_step":
            return "-" if trial.best_step is None else str(trial.best_step)
        if key == "duration":
            return format_duration(trial_duration(trial, now or self._now))
        return format_param(trial.params.get(key.removeprefix("param:")))


