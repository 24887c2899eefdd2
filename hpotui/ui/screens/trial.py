"""One trial: its config.json, metrics, curve, failure reason and log tail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Log,
    Static,
    TabbedContent,
    TabPane,
)

from hpotui.backends.base import LogTail
from hpotui.records import TrialRecord
from hpotui.states import TrialState
from hpotui.ui.format import format_param, format_value, state_label
from hpotui.ui.model import MonitorModel
from hpotui.ui.screens.base import HpotuiScreen
from hpotui.ui.widgets.plots import CurvesPlot

LOG_LINES = 500
"""Lines of the log tail shown; the note gives the path to the whole file."""
_FOLLOW_INTERVAL = 1.0


class TrialScreen(HpotuiScreen):
    """The detail of one trial, following its log while it runs.

    Args:
        experiment: The experiment's name.
        trial_id: The trial's id.
        model: The monitor's model, for the trial's record and curve, if open.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("d", "download", "Download results"),
        Binding("1", "tab('config')", "Config", show=False),
        Binding("2", "tab('metrics')", "Metrics", show=False),
        Binding("3", "tab('log')", "Log", show=False),
        Binding("4", "tab('reason')", "Reason", show=False),
    ]

    def __init__(
        self, experiment: str, trial_id: int, model: MonitorModel | None = None
    ) -> None:
        super().__init__()
        self.experiment = experiment
        self.trial_id = trial_id
        self.model = model
        self._log_shown: list[str] = []
        self._drawn_state: TrialState | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="trial-header")
        yield Static("", id="trial-reason")
        with TabbedContent(id="trial-tabs"):
            with TabPane("Config", id="config"), VerticalScroll():
                yield Static("", id="trial-config")
            with TabPane("Metrics", id="metrics"), Horizontal():
                yield DataTable(id="trial-metrics", cursor_type="row")
                yield CurvesPlot(id="trial-curve")
            with TabPane("Log", id="log"), Vertical():
                yield Static("", id="log-note")
                yield Log(id="trial-log", max_lines=LOG_LINES * 4)
            with TabPane("Reason", id="reason"), VerticalScroll():
                yield Static("", id="trial-reason-full")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        self.title = f"hpotui · {self.experiment} · trial {self.trial_id}"
        self.load()
        self.set_interval(_FOLLOW_INTERVAL, self._follow)

    @property
    def trial(self) -> TrialRecord | None:
        if self.model is None:
            return None
        return self.model.trials.get(self.trial_id)

    @work(exclusive=True, group="trial-load", exit_on_error=False)
    async def load(self) -> None:
        """Fetch the trial when no monitor handed it over, then draw everything."""
        if self.trial is None:
            # TODO: a trial opened without the monitor's live model is read once
            # and does not follow; every way into this screen passes the monitor's
            # model today, so a separate event subscription waits for a need.
            detail = await self.backend.get_experiment(self.experiment)
            self.model = MonitorModel.from_detail(detail.summary, detail.trials)
        self._draw()
        await self._read_log()

    def _draw(self) -> None:
        trial = self.trial
        if trial is None:
            self.query_one("#trial-header", Static).update(
                f"trial {self.trial_id} is not in {self.experiment}"
            )
            return
        self._drawn_state = trial.state
        self.query_one("#trial-header", Static).update(_header(trial))
        self._draw_reason(trial.reason)
        config = {**trial.params, **trial.extra}
        self.query_one("#trial-config", Static).update(
            _config_text(config, trial.config_path)
        )
        self._draw_metrics()

    def _draw_reason(self, reason: str | None) -> None:
        # The header quotes a few lines so the tabs keep the screen; a failure's
        # stderr tail can be long, and the Reason tab scrolls through all of it.
        quoted = self.query_one("#trial-reason", Static)
        # Plain content: stderr is no markup, and a stray `[/x]` must not raise.
        quoted.update(Content(_quote_reason(reason) if reason else ""))
        quoted.display = bool(reason)
        self.query_one("#trial-reason-full", Static).update(Content(reason or ""))
        tabs = self.query_one(TabbedContent)
        if reason:
            tabs.show_tab("reason")
        else:
            tabs.hide_tab("reason")

    def _draw_metrics(self) -> None:
        assert self.model is not None
        curve = self.model.curves.get(self.trial_id, [])
        table: DataTable[str] = self.query_one("#trial-metrics", DataTable)
        if not table.columns:
            table.add_columns("step", self.model.metric)
        for step, value in curve[table.row_count :]:
            table.add_row(str(step), format_value(value))
        self.query_one(CurvesPlot).show(
            {self.trial_id: curve}, self.trial_id, self.model.metric
        )

    async def _read_log(self) -> None:
        try:
            tail = await self.backend.trial_log(
                self.experiment, self.trial_id, LOG_LINES
            )
        except NotImplementedError as err:
            self.query_one("#log-note", Static).update(str(err))
            return
        self.query_one("#log-note", Static).update(self._log_note(tail))
        self._show_log(tail.lines)

    def _show_log(self, lines: list[str]) -> None:
        # Follow the end unless the user scrolled up to read; append what is new
        # so the scroll position means something, rewrite only when the tail
        # changed in some other way (stderr lines come after stdout's).
        log = self.query_one(Log)
        following = log.is_vertical_scroll_end
        new = _new_lines(self._log_shown, lines)
        if new is None:
            log.clear()
            new = lines
        self._log_shown = lines
        log.write_lines(new, scroll_end=False)
        if following:
            log.scroll_end(animate=False, x_axis=False)

    def _log_note(self, tail: LogTail) -> str:
        if not tail.truncated:
            return tail.path or ""
        shown = f"last {len(tail.lines)} lines"
        if tail.path:
            return f"{shown}; the whole log is {tail.path}"
        # A remote log has no local file: name the command that prints it all.
        profile = f"--profile {self.backend.label} "
        command = f"hpotui {profile}logs {self.experiment} {self.trial_id} -n 0"
        return f"{shown}; `{command}` prints the whole log"

    def _follow(self) -> None:
        # Redraw while it runs, and once more when it has ended, so the header,
        # reason and log show the final state rather than the last running one.
        trial = self.trial
        if trial is None:
            return
        if trial.state == TrialState.RUNNING or trial.state != self._drawn_state:
            self._draw()
            self._refresh_log()

    @work(exclusive=True, group="trial-log", exit_on_error=False)
    async def _refresh_log(self) -> None:
        await self._read_log()

    def action_tab(self, tab: str) -> None:
        trial = self.trial
        if tab == "reason" and (trial is None or not trial.reason):
            return
        self.query_one(TabbedContent).active = tab

    def action_back(self) -> None:
        self.hpo.leave(self)

    @work(group="trial-download", exit_on_error=False)
    async def action_download(self) -> None:
        dest = Path.cwd() / f"{self.experiment}-trial-{self.trial_id}"
        saved = await self.backend.download_results(
            self.experiment, self.trial_id, dest
        )
        self.notify(f"results saved in {saved}")


def _header(trial: TrialRecord) -> str:
    parts = [
        f"trial {trial.id}",
        state_label(trial.state),
        f"value {format_value(trial.value)}",
    ]
    if trial.best_step is not None:
        parts.append(f"best step {trial.best_step}")
    return "   ".join(parts)


_REASON_LINES = 3
"""Lines of a failure reason quoted above the tabs."""


def _quote_reason(reason: str) -> str:
    """The reason's first and last lines, with a note when some are left out."""
    lines = reason.splitlines()
    if len(lines) <= _REASON_LINES:
        return "reason: " + reason
    hidden = len(lines) - 2
    note = f"… {hidden} more lines in the Reason tab (4)"
    return "\n".join([f"reason: {lines[0]}", note, lines[-1]])


def _config_text(config: dict[str, object], path: str | None) -> str:
    body = json.dumps(config, indent=2, default=format_param)
    return body + (f"\n\n{path}" if path else "")


def _new_lines(shown: list[str], tail: list[str]) -> list[str] | None:
    """The lines of ``tail`` that come after those ``shown``, or None if ``tail``
    does not continue ``shown`` (the old lines scrolled off its start are fine)."""
    for start in range(len(shown)):
        kept = shown[start:]
        if tail[: len(kept)] == kept:
            return tail[len(kept) :]
    return tail if not shown else None
