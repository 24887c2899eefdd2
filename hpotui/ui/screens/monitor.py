"""The monitor: a live experiment's trials, best, progress, plots and brackets.

Events from the backend are folded into a :class:`MonitorModel` as fast as they
arrive; a refresh tick (at most ``refresh_rate`` times a second) draws only what
changed since the previous tick.
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from hpotui.backends.base import ExperimentDetail
from hpotui.states import TrialState
from hpotui.ui.dialogs import ConfirmDialog
from hpotui.ui.messages import TrialsChanged
from hpotui.ui.model import MonitorModel
from hpotui.ui.screens.base import HpotuiScreen
from hpotui.ui.widgets.best_panel import BestPanel
from hpotui.ui.widgets.brackets import BracketsView
from hpotui.ui.widgets.plots import CurvesPlot, HistoryPlot
from hpotui.ui.widgets.progress import ExperimentProgress
from hpotui.ui.widgets.trial_table import TrialTable

_FILTERS: list[TrialState | None] = [
    None,
    TrialState.RUNNING,
    TrialState.FINISHED,
    TrialState.FAILED,
    TrialState.PRUNED,
]
_PLOT_INTERVAL = 0.5
"""Seconds between plot redraws; plotext is slow next to a table update."""
_YIELD_EVERY = 500
"""Events folded before giving the event loop a turn, so keys stay responsive."""


class MonitorScreen(HpotuiScreen):
    """Watch one experiment live, or replay a finished one.

    Args:
        experiment: The experiment's name in the backend.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("enter", "open_trial", "Trial", show=False),
        Binding("s", "stop", "Stop"),
        Binding("k", "kill_trial", "Kill trial"),
        Binding("t", "retry", "Retry failed"),
        Binding("u", "resume", "Resume"),
        Binding("o", "sort_next", "Sort"),
        Binding("O", "sort_reverse", "Reverse", show=False),
        Binding("f", "filter", "Filter"),
        Binding("c", "columns", "Columns"),
        Binding("1", "tab('trials')", "Trials", show=False),
        Binding("2", "tab('history')", "History", show=False),
        Binding("3", "tab('curves')", "Curves", show=False),
        Binding("4", "tab('brackets')", "Brackets", show=False),
    ]

    def __init__(self, experiment: str) -> None:
        super().__init__()
        self.experiment = experiment
        self.model: MonitorModel | None = None
        self.refreshes = 0
        """How many refresh ticks drew something (read by tests and benchmarks)."""
        self._pending = False
        self._last_plot = 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        yield ExperimentProgress(id="progress")
        yield BestPanel(id="best")
        with TabbedContent(id="tabs"):
            with TabPane("Trials", id="trials"):
                yield Static("", id="filter-note")
                yield TrialTable(id="trial-table")
            with TabPane("History", id="history"):
                yield HistoryPlot(id="history-plot")
            with TabPane("Curves", id="curves"):
                yield CurvesPlot(id="curves-plot")
            with TabPane("Brackets", id="brackets"):
                yield BracketsView(id="brackets-view")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        self.title = f"hpotui · {self.experiment}"
        self.sub_title = self.hpo.backend_status
        self.set_interval(1 / self.hpo.refresh_rate, self.refresh_tick)
        self.set_interval(1.0, self._tick_clock)
        self.query_one(TrialTable).focus()
        self.follow()

    @property
    def table(self) -> TrialTable:
        return self.query_one(TrialTable)

    def default_focus(self) -> Widget | None:
        return self.table

    @work(exclusive=True, group="monitor-events", exit_on_error=False)
    async def follow(self) -> None:
        """Load the stored trials, then fold in every event until the run ends."""
        detail = await self.backend.get_experiment(self.experiment)
        model = MonitorModel.from_detail(detail.summary, detail.trials)
        self.model = model
        self.table.trials = dict(model.trials)
        self.table.set_params(_param_names(detail))
        model.take_dirty()  # the rebuild above drew every stored trial
        self._pending = True
        self.refresh_tick()
        folded = 0
        async for event in self.backend.events(self.experiment):
            model.apply(event)
            folded += 1
            if (model.dirty or model.header_dirty) and not self._pending:
                self._pending = True
                self.post_message(TrialsChanged(self.experiment))
            if folded % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
        self._pending = True
        self.post_message(TrialsChanged(self.experiment))

    @on(TrialsChanged)
    def _changed(self, message: TrialsChanged) -> None:
        # The tick draws; the message only says that there is something to draw.
        self._pending = True

    def refresh_tick(self) -> None:
        """Draw what changed since the last tick; nothing if nothing did."""
        model = self.model
        if model is None or not self._pending:
            return
        self._pending = False
        now = self.hpo.now()
        changed = model.take_dirty()
        if changed:
            self._add_new_params(model, changed)
            self.table.update_trials((model.trials[i] for i in changed), now)
            self.table.apply_sort()
            self._show_filter()
        if model.header_dirty:
            model.header_dirty = False
            self._draw_header(model)
        self._draw_plots(force=False)
        self.refreshes += 1

    def _add_new_params(self, model: MonitorModel, changed: set[int]) -> None:
        # A live run with no stored definition names its parameters only as
        # trials start; a column appears with the first trial that has it.
        known = set(self.table.params)
        extra: dict[str, None] = {}
        for trial_id in changed:
            extra.update(dict.fromkeys(k for k in model.trials[trial_id].params))
        new = [name for name in extra if name not in known]
        if new:
            self.table.set_params([*self.table.params, *new])

    def _tick_clock(self) -> None:
        if self.model is None:
            return
        self.table.tick_durations(self.hpo.now())
        if not self.model.state.is_final:
            self._draw_header(self.model)
        if self.model.plots_dirty:
            self._draw_plots(force=False)

    def _draw_header(self, model: MonitorModel) -> None:
        done = model.completed()
        elapsed = None
        if model.started_at is not None:
            end = model.ended_at or self.hpo.now()
            elapsed = (end - model.started_at).total_seconds()
        self.query_one(ExperimentProgress).show(
            model.state,
            done,
            model.summary.max_jobs,
            len(model.trials),
            elapsed,
            model.reason,
        )
        self.query_one(BestPanel).show(
            model.best, model.metric, model.summary.goal
        )

    def _draw_plots(self, force: bool) -> None:
        model = self.model
        if model is None or not (model.plots_dirty or force):
            return
        if not force and time.monotonic() - self._last_plot < _PLOT_INTERVAL:
            return
        active = self.query_one(TabbedContent).active
        if active == "history":
            values = model.values_in_order()
            self.query_one(HistoryPlot).show(
                values, model.best_so_far(values), model.metric
            )
        elif active == "curves":
            self.query_one(CurvesPlot).show(
                model.curves, self.table.selected_trial, model.metric
            )
        elif active == "brackets":
            self.query_one(BracketsView).show(model.trials.values())
        else:
            return
        model.plots_dirty = False
        self._last_plot = time.monotonic()

    # TODO: the first switch to the history tab costs about 6 bare Textual tab
    # switches (300 ms at 120x40 on 2 cores; the pane's first layout and styling,
    # with 100 trials as with 10,000), later switches about 2; the aim is 100 ms.
    # Waits for a profile of Textual's first layout of a PlotextPlot, to see
    # whether building the plots lazily helps (docs/benchmarks-dashboard.md).
    @on(TabbedContent.TabActivated)
    def _tab_shown(self) -> None:
        self._draw_plots(force=True)
        self._focus_table()

    def on_screen_resume(self) -> None:
        # Back from a trial or a dialog, the keys go to the table again.
        self._focus_table()

    def _focus_table(self) -> None:
        # A hidden tab takes the table's focus with it; showing the trials again
        # gives it back, or Down goes nowhere and Enter opens the old trial.
        if self.query_one(TabbedContent).active == "trials":
            self.table.focus()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_back(self) -> None:
        self.hpo.leave(self)

    @on(TrialTable.RowSelected, "#trial-table")
    def _row_chosen(self, event: TrialTable.RowSelected) -> None:
        event.stop()
        self.action_open_trial()

    def action_open_trial(self) -> None:
        trial_id = self.table.selected_trial
        if trial_id is not None:
            self.hpo.open_trial(self.experiment, trial_id, self.model)

    def action_sort_next(self) -> None:
        columns = self.table.columns_shown
        column = self.table.sort_column
        following = columns[(columns.index(column) + 1) % len(columns)] if (
            column in columns
        ) else columns[0]
        self.table.sort_by(following, self.table.descending)
        self.notify(f"sorted by {following.removeprefix('param:')}", timeout=2)

    def action_sort_reverse(self) -> None:
        self.table.sort_by(self.table.sort_column, not self.table.descending)
        order = "descending" if self.table.descending else "ascending"
        self.notify(f"{order}, missing values last", timeout=2)

    def action_filter(self) -> None:
        current = _FILTERS.index(self.table.state_filter)
        chosen = _FILTERS[(current + 1) % len(_FILTERS)]
        self.table.filter_state(chosen)
        self._show_filter()
        self.notify(f"showing {chosen or 'all'} trials", timeout=2)

    def _show_filter(self) -> None:
        # The tab's title says a filter is on, and a note says when it hides
        # every trial, so a short or empty table is never a mystery.
        state = self.table.state_filter
        title = "Trials" if state is None else f"Trials: {state} only"
        self.query_one(TabbedContent).get_tab("trials").label = title
        note = self.query_one("#filter-note", Static)
        empty = state is not None and self.table.row_count == 0
        shown = f"no trials match the filter {state}; press f for the next one"
        note.update(shown if empty else "")
        note.display = empty

    def action_columns(self) -> None:
        from hpotui.ui.dialogs.columns import ColumnsDialog

        table = self.table
        choices = [*table.columns_shown, *sorted(table.hidden)]

        def apply(hidden: set[str] | None) -> None:
            if hidden is not None:
                table.hidden = hidden
                table.rebuild()

        self.app.push_screen(ColumnsDialog(choices, table.hidden), apply)

    def action_stop(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self._stop()

        question = f"Stop experiment {self.experiment}? Running trials are ended."
        self.app.push_screen(ConfirmDialog("Stop", question, yes="Stop"), confirmed)

    @work(group="monitor-actions", exit_on_error=False)
    async def _stop(self) -> None:
        await self.backend.stop(self.experiment)
        self.notify(f"stopping {self.experiment}")

    @work(group="monitor-actions", exit_on_error=False)
    async def action_kill_trial(self) -> None:
        trial_id = self.table.selected_trial
        if trial_id is None:
            return
        await self.backend.stop_trial(self.experiment, trial_id)
        self.notify(f"stopping trial {trial_id}")

    @work(group="monitor-actions", exit_on_error=False)
    async def action_resume(self) -> None:
        """Continue a stopped or interrupted experiment and follow it again."""
        await self.backend.resume(self.experiment)
        self.notify(f"resuming {self.experiment}")
        self.follow()

    @work(group="monitor-actions", exit_on_error=False)
    async def action_retry(self) -> None:
        count = await self.backend.retry_failed(self.experiment)
        self.notify(f"{count} failed trials queued again")
        if count:
            # An ended experiment runs again for the retries: follow the new run.
            self.follow()


def _param_names(detail: ExperimentDetail) -> list[str]:
    experiment = detail.experiment
    if experiment is not None and experiment.hyperparams:
        return [hp.name for hp in experiment.hyperparams]
    names: dict[str, None] = {}
    for trial in detail.trials:
        names.update(dict.fromkeys(trial.params))
    return list(names)

