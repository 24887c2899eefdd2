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
        trials = list(trials)
        groups = group_by_rung(trials)
        if not groups:
            self.update("no Hyperband brackets: this algorithm does not use rungs")
            return
        promoted = promoted_ids(trials)
        text = Text()
        for bracket in sorted(groups):
            text.append(f"bracket {bracket}\n", style="bold")
            rungs = groups[bracket]
            for rung in sorted(rungs):
                text.append(_rung_line(rung, rungs[rung], promoted, rung + 1 in rungs))
        self.update(text)


def promoted_ids(trials: Iterable[TrialRecord]) -> set[int]:
    """Ids of the trials whose configuration went on to the next rung.

    The trial at the next rung names the one it continues (``meta["continues"]``);
    failing that, it is the same configuration (``config_id``) of the same
    bracket one rung up.
    """
    trials = list(trials)
    promoted = {t.meta["continues"] for t in trials if "continues" in t.meta}
    upper = {_config_key(t, 0) for t in trials}
    promoted.update(
        t.id for t in trials if t.meta.get("config_id") is not None
        and _config_key(t, 1) in upper
    )
    return promoted


def _config_key(trial: TrialRecord, up: int) -> tuple[object, ...]:
    meta = trial.meta
    rung = meta.get("rung")
    shifted = rung + up if isinstance(rung, int) else None
    config = meta.get("config_id")
    return (meta.get("iteration", 0), meta.get("bracket"), shifted, config)


def rung_counts(
    trials: list[TrialRecord], promoted: set[int], has_next: bool
) -> dict[str, int]:
    """How many of a rung's trials are running, were promoted, stopped or ended.

    Once the next rung has started, a trial of this rung that ended and did not go
    on was stopped there. Without a next rung, ended trials are ``finished``: the
    top rung, or a rung whose promotions are still to come.
    """
    counts = {"promoted": 0, "stopped": 0, "running": 0, "finished": 0}
    for trial in trials:
        if trial.state == TrialState.RUNNING:
            counts["running"] += 1
        elif trial.id in promoted:
            counts["promoted"] += 1
        elif has_next or trial.state != TrialState.FINISHED:
            # TODO: ASHA promotes one trial at a time, so a trial ended in a rung
            # with a next rung may still go on; it counts as stopped until then,
            # as the meta records no "waiting for promotion" mark to read.
            counts["stopped"] += 1
        else:
            counts["finished"] += 1
    return counts


def _rung_line(
    rung: int, trials: list[TrialRecord], promoted: set[int], has_next: bool
) -> Text:
    counts = rung_counts(trials, promoted, has_next)
    head = (
        f"  rung {rung}: {len(trials)} trials, {counts['promoted']} promoted, "
        f"{counts['stopped']} stopped, {counts['running']} running"
    )
    if counts["finished"]:
        head += f", {counts['finished']} finished"
    ids = " ".join(
        f"{STATE_SYMBOLS.get(t.state, '?')}{t.id}"
        for t in sorted(trials, key=lambda t: t.id)[:_SHOWN_PER_RUNG]
    )
    more = len(trials) - _SHOWN_PER_RUNG
    return Text(head + "  " + ids + (f" +{more}" if more > 0 else "") + "\n")
