"""The end of a run in two forms: a JSON object and a short text summary."""

from __future__ import annotations

from typing import Any

from hpotui.backends.base import ExperimentDetail
from hpotui.cli.common import format_params, format_value
from hpotui.records import TrialRecord
from hpotui.states import ExperimentState


def best_trial(detail: ExperimentDetail) -> TrialRecord | None:
    """The experiment's best trial by its objective, or None."""
    best_id = detail.summary.best_trial
    return next((t for t in detail.trials if t.id == best_id), None)


def run_report(detail: ExperimentDetail) -> dict[str, Any]:
    """What ``--json`` prints: the outcome, the counts and the best trial."""
    summary = detail.summary
    best = best_trial(detail)
    return {
        "name": summary.name,
        "state": summary.state.value,
        "reason": summary.reason,
        "completed": summary.completed,
        "failed": summary.failed,
        "running": summary.running,
        "max_jobs": summary.max_jobs,
        "metric": summary.metric,
        "goal": summary.goal,
        "best": None
        if best is None
        else {
            "id": best.id,
            "value": best.value,
            "params": best.params,
            "config_path": best.config_path,
        },
    }


def summary_lines(detail: ExperimentDetail) -> list[str]:
    """The closing lines of a headless run."""
    summary = detail.summary
    lines = [f"{summary.name} {summary.state.value}: {summary.reason or ''}".rstrip()]
    lines.append(f"{summary.completed} trials completed, {summary.failed} failed")
    best = best_trial(detail)
    if best is None:
        lines.append("no best trial: no trial finished with a value")
    else:
        lines.append(
            f"best trial {best.id}: {summary.metric} {format_value(best.value)} "
            f"({summary.goal})"
        )
        lines.append(f"  params: {format_params(best.params)}")
        lines.append(f"  config: {best.config_path}")
    if summary.state is ExperimentState.STOPPED:
        lines.append(f"continue it with `hpotui resume {summary.name}`")
    return lines
