"""The best trial so far: its value, id and hyperparameters."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from hpotui.ui.format import format_param, format_value
from hpotui.ui.model import BestPoint


class BestPanel(Static):
    """One or two lines naming the best trial, or that there is none yet."""

    _shown: Text | None = None

    def show(self, best: BestPoint | None, metric: str, goal: str) -> None:
        """Draw ``best`` for an objective ``metric`` to ``goal``."""
        if best is None:
            self._show(Text(f"best {metric} ({goal}): none yet"))
            return
        params = ", ".join(f"{k}={format_param(v)}" for k, v in best.params.items())
        line = Text.assemble(
            ("★ best ", "bold"),
            f"{metric} = ",
            (format_value(best.value), "bold"),
            f"  trial {best.trial_id}  ",
            (params, "italic"),
        )
        self._show(line)

    def _show(self, line: Text) -> None:
        # Redrawing the same line would still lay the screen out again.
        if line != self._shown:
            self._shown = line
            self.update(line)
