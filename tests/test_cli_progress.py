"""The headless progress lines of ``hpotui run``, fed engine events directly."""

from __future__ import annotations

import io
from pathlib import Path

from engine_support import experiment

from hpotui.cli.progress import RunPrinter
from hpotui.engine import events as ev
from hpotui.records import ExperimentSummary
from hpotui.states import ExperimentState, TrialState


def _summary(completed: int, best: tuple[int, float] | None) -> ExperimentSummary:
    return ExperimentSummary(
        name="exp",
        state=ExperimentState.RUNNING,
        algorithm="Random",
        metric="loss",
        goal="minimize",
        completed=completed,
        failed=0,
        running=0,
        max_jobs=10,
        best_trial=None if best is None else best[0],
        best_value=None if best is None else best[1],
    )


def _ended(trial_id: int, value: float) -> ev.TrialEnded:
    return ev.TrialEnded("exp", trial_id, TrialState.FINISHED, value, best_step=2)


def test_a_resumed_run_measures_new_trials_against_the_stored_best(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    printer = RunPrinter(experiment(tmp_path, "pass"), plain=True, stream=out)
    printer.carry_on(_summary(7, (0, 0.0981)))
    printer.handle(_ended(7, 1.27972))
    printer.handle(_ended(8, 0.05))

    assert out.getvalue().splitlines() == [
        "trial 7 FINISHED: loss 1.27972 (step 2); best 0.0981 (trial 0)",
        "trial 8 FINISHED: loss 0.05 (step 2); best 0.05 (trial 8)",
    ]
    assert printer.done == 9


def test_a_first_run_starts_with_no_best(tmp_path: Path) -> None:
    out = io.StringIO()
    printer = RunPrinter(experiment(tmp_path, "pass"), plain=True, stream=out)
    printer.carry_on(_summary(0, None))
    printer.handle(_ended(0, 0.5))

    assert out.getvalue().splitlines() == [
        "trial 0 FINISHED: loss 0.5 (step 2); best 0.5 (trial 0)"
    ]
