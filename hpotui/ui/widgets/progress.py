"""The experiment's progress: done of total, elapsed time, and why it ended."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from hpotui.ui.format import format_duration, state_label


class ExperimentProgress(Horizontal):
    """A bar of finished trials, then state, ``12/30``, elapsed and the stop reason."""

    DEFAULT_CSS = """
    ExperimentProgress { height: 1; }
    ExperimentProgress ProgressBar { width: 24; }
    ExperimentProgress Label { width: 1fr; height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield ProgressBar(show_eta=False, show_percentage=False, id="bar")
        yield Label("", id="progress-text")

    def show(
        self,
        state: str,
        done: int,
        total: int,
        seen: int,
        elapsed: float | None,
        reason: str | None,
    ) -> None:
        """Draw the bar and the line beside it.

        Args:
            state: The experiment's state.
            done: Trials that have ended.
            total: The trial limit, or -1 for none.
            seen: Trials started so far.
            elapsed: Seconds since the start, or None.
            reason: Why the experiment ended, if it has.
        """
        bar = self.query_one(ProgressBar)
        # Without a trial limit the bar shows the ended share of the trials seen,
        # never the endless pulse, which would redraw every frame.
        known = total if total > 0 else max(seen, 1)
        bar.update(total=known, progress=min(done, known))
        count = f"{done}/{total if total > 0 else '-'}"
        text = f" {state_label(state)}  {count}  {format_duration(elapsed)}"
        if reason:
            text += f"  — {reason}"
        label = self.query_one("#progress-text", Label)
        if str(label.content) != text:
            label.update(text, layout=False)
