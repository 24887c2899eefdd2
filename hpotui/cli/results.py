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


def config_line(name: str, trial: TrialRecord, profile: str | None) -> str:
    """Where the trial's config.json is; a remote trial's stays on the server.

    Args:
        name: The experiment.
        trial: The trial.
        profile: The remote profile the experiment runs on; None for this machine.
    """
    if trial.config_path is not None:
        return f"config: {trial.config_path}"
    prefix = f"hpotui --profile {profile}" if profile else "hpotui"
    return (
        f"config.json is on the server; `{prefix} download {name} {trial.id}` "
        "fetches it"
    )


def summary_lines(detail: ExperimentDetail, profile: str | None = None) -> list[str]:
    """The closing lines of a headless run.

    Args:
        detail: The experiment as it ended.
        profile: The remote profile it ran on; None for this machine.
    """
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
        lines.append(f"  {config_line(summary.name, best, profile)}")
    if summary.state is ExperimentState.STOPPED and profile is None:
        lines.append(f"continue it with `hpotui resume {summary.name}`")
    return lines
