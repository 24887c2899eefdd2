"""Every experiment of the backend: open, create, clone, stop, delete, retry."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from hpotui.records import ExperimentSummary
from hpotui.ui.dialogs import ConfirmDialog, PromptDialog
from hpotui.ui.format import format_duration, format_value, state_label
from hpotui.ui.screens.base import HpotuiScreen

_COLUMNS = (
    ("name", 22),
    ("state", 12),
    ("progress", 9),
    ("best", 10),
    ("algorithm", 12),
    ("started", 17),
    ("duration", 11),
)
_AUTO_REFRESH = 5.0
"""Seconds between re-reading the list, so runs started elsewhere show up."""


class ExperimentsScreen(HpotuiScreen):
    """The list of experiments: the dashboard's home."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=False),
        Binding("n", "new_from_file", "New from YAML"),
        Binding("e", "new_blank", "New"),
        Binding("c", "clone", "Clone"),
        Binding("s", "stop", "Stop"),
        Binding("d", "delete", "Delete"),
        Binding("t", "retry", "Retry failed"),
        Binding("u", "resume", "Resume"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.summaries: dict[str, ExperimentSummary] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable[str | Text] = DataTable(
            id="experiment-table", cursor_type="row", zebra_stripes=True
        )
        for title, width in _COLUMNS:
            table.add_column(title, key=title, width=width)
        yield table
        yield Static("", id="empty-note")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        self.title = "hpotui · experiments"
        self.sub_title = self.hpo.backend_status
        self.query_one(DataTable).focus()
        self.set_interval(_AUTO_REFRESH, self._refresh_quietly)

    def on_screen_resume(self) -> None:
        # Shown first, or again after the monitor: read the list now rather than
        # show a state up to one auto-refresh old.
        self._refresh_quietly()

    @property
    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return key.value

    @work(exclusive=True, group="experiments-list", exit_on_error=False)
    async def action_refresh(self) -> None:
        """Read the list again; the cursor stays on the same experiment."""
        summaries = await self.backend.list_experiments()
        self.show(summaries)

    @work(exclusive=True, group="experiments-list", exit_on_error=False)
    async def _refresh_quietly(self) -> None:
        # Automatic reads run again every few seconds and whenever a dialog closes:
        # a failure is a notification, or a broken backend would stack dialogs.
        try:
            summaries = await self.backend.list_experiments()
        except Exception as err:  # noqa: BLE001 - reported, and the next read retries
            self.log.warning("reading the experiments failed", err)
            self.hpo.note_error(err)
            return
        self.show(summaries)

    def show(self, summaries: list[ExperimentSummary]) -> None:
        """Bring the table up to date in place: rows change, appear or go, and the
        cursor and the scroll position stay where they were."""
        table = self.query_one(DataTable)
        selected = self.selected
        self.summaries = {s.name: s for s in summaries}
        now = self.hpo.now()
        gone = [key for key in table.rows if key.value not in self.summaries]
        for key in gone:
            table.remove_row(key)
        for summary in summaries:
            self._show_row(table, summary, now)
        self._keep_order(table, [s.name for s in summaries])
        if selected in self.summaries:
            row = table.get_row_index(selected)
            if row != table.cursor_row:
                table.move_cursor(row=row, animate=False)
        note = "" if summaries else "No experiments yet: press n to open a YAML file."
        self.query_one("#empty-note", Static).update(note)
        self.query_one("#empty-note").display = not summaries

    def _show_row(
        self, table: DataTable[str | Text], summary: ExperimentSummary, now: object
    ) -> None:
        cells = _cells(summary, now)
        if summary.name not in table.rows:
            table.add_row(*cells, key=summary.name)
            return
        for (title, _), cell in zip(_COLUMNS, cells, strict=True):
            if str(table.get_cell(summary.name, title)) != str(cell):
                table.update_cell(summary.name, title, cell)

    def _keep_order(self, table: DataTable[str | Text], names: list[str]) -> None:
        # New experiments are added last; sort only when that breaks the
        # backend's order, so a quiet refresh moves nothing.
        shown = [str(row.key.value) for row in table.ordered_rows]
        if shown != names:
            position = {name: index for index, name in enumerate(names)}
            table.sort("name", key=lambda name: position[str(name)])

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        if self.selected is not None:
            self.hpo.open_monitor(self.selected)

    def action_new_from_file(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.hpo.open_editor(Path(path).expanduser())

        prompt = PromptDialog(
            "New from YAML", "Experiment file to open in the editor:", "experiment.yaml"
        )
        self.app.push_screen(prompt, chosen)

    def action_new_blank(self) -> None:
        self.hpo.open_editor(None)

    def action_clone(self) -> None:
        if self.selected is not None:
            self.hpo.open_editor(None, clone_of=self.selected)

    def action_stop(self) -> None:
        self._confirm("Stop", "Stop experiment {}? Running trials are ended.", "stop")

    def action_delete(self) -> None:
        self._confirm(
            "Delete", "Delete experiment {} and all its trials? This cannot be undone.",
            "delete",
        )

    def _confirm(self, title: str, question: str, verb: str) -> None:
        name = self.selected
        if name is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._act(verb, name)

        dialog = ConfirmDialog(title, question.format(name), yes=title)
        self.app.push_screen(dialog, confirmed)

    @work(group="experiments-actions", exit_on_error=False)
    async def _act(self, verb: str, name: str) -> None:
        await getattr(self.backend, verb)(name)
        self.notify(f"{verb}: {name}")
        self.action_refresh()

    @work(group="experiments-actions", exit_on_error=False)
    async def action_resume(self) -> None:
        """Continue the selected experiment and open its monitor."""
        name = self.selected
        if name is None:
            return
        await self.backend.resume(name)
        self.hpo.open_monitor(name)

    @work(group="experiments-actions", exit_on_error=False)
    async def action_retry(self) -> None:
        if self.selected is None:
            return
        count = await self.backend.retry_failed(self.selected)
        self.notify(f"{count} failed trials of {self.selected} queued again")
        self.action_refresh()


def _cells(summary: ExperimentSummary, now: object) -> list[str | Text]:
    started = summary.created_at
    elapsed = None
    if started is not None:
        end = summary.ended_at or now
        elapsed = (end - started).total_seconds()  # type: ignore[operator]
    return [
        summary.name,
        Text(state_label(summary.state)),
        summary.progress,
        Text(format_value(summary.best_value), justify="right"),
        summary.algorithm,
        started.strftime("%Y-%m-%d %H:%M") if started else "-",
        format_duration(elapsed),
    ]
