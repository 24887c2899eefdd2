"""Hyperband's brackets and rungs, with promoted and stopped trials.

Read from each trial's ``meta`` (``bracket`` and ``rung``), which the Hyperband
algorithm records; experiments of other algorithms show a short note instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Static

from hpotui.records import TrialRecord
from hpotui.states import TrialState
from hpotui.ui.format import STATE_SYMBOLS

_SHOWN_PER_RUNG = 12


def group_by_rung(
    trials: Iterable[TrialRecord],
) -> dict[int, dict[int, list[TrialRecord]]]:
    """Trials by bracket, then by rung; trials without the keys are left out."""
    groups: dict[int, dict[int, list[TrialRecord]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for trial in trials:
        bracket, rung = trial.meta.get("bracket"), trial.meta.get("rung")
        if isinstance(bracket, int) and isinstance(rung, int):
            groups[bracket][rung].append(trial)
    return groups


class BracketsView(Static):
    """Brackets and rungs as text: trials run, promoted and stopped in each."""

    def show(self, trials: Iterable[TrialRecord]) -> None:
        """Draw the brackets of ``trials``."""
        groups = group_by_rung(trials)
        if not groups:
            self.update("no Hyperband brackets: this algorithm does not use rungs")
            return
        text = Text()
        for bracket in sorted(groups):
            text.append(f"bracket {bracket}\n", style="bold")
            rungs = groups[bracket]
            for rung in sorted(rungs):
                text.append(_rung_line(rung, rungs[rung], rung + 1 in rungs))
        self.update(text)


def _rung_line(rung: int, trials: list[TrialRecord], has_next: bool) -> Text:
    stopped = sum(1 for t in trials if t.state == TrialState.PRUNED)
    running = sum(1 for t in trials if t.state == TrialState.RUNNING)
    done = len(trials) - stopped - running
    promoted = done if has_next else 0
    head = (
        f"  rung {rung}: {len(trials)} trials, {promoted} promoted, "
        f"{stopped} stopped, {running} running  "
    )
    ids = " ".join(
        f"{STATE_SYMBOLS.get(t.state, '?')}{t.id}"
        for t in sorted(trials, key=lambda t: t.id)[:_SHOWN_PER_RUNG]
    )
    more = len(trials) - _SHOWN_PER_RUNG
    return Text(head + ids + (f" +{more}" if more > 0 else "") + "\n")
