"""hpotui's records written as WML-A writes its answers.

Field names, types and formats follow what real clusters return: ``fixedVal`` is a
string, times are ``YYYY-MM-DD HH:MM:SS``, ``progress`` is ``N/M``, a failed trial's
``metricVal`` is 9999.99, and ``best`` is a copy of one experiment.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hpotui.engine.history import superseded_ids
from hpotui.experiment.model import Experiment
from hpotui.records import ExperimentSummary, TrialRecord
from hpotui.states import TrialState

FAILED_METRIC = 9999.99
_TRIAL_WORDS = {
    TrialState.QUEUED: "WAITING",
    TrialState.RUNNING: "RUNNING",
    TrialState.FINISHED: "FINISHED",
    TrialState.PRUNED: "FINISHED",
    TrialState.FAILED: "FAILED",
    TrialState.STOPPED: "STOPPED",
    TrialState.INTERRUPTED: "FAILED",
}


def wmla_time(moment: datetime | None) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` in the server's local time, as WML-A writes it."""
    if moment is None:
        return None
    local = moment.astimezone() if moment.tzinfo else moment
    return local.strftime("%Y-%m-%d %H:%M:%S")


def _duration(summary: ExperimentSummary) -> str:
    if summary.created_at is None:
        return "00:00:00"
    end = summary.ended_at or datetime.now(UTC)
    seconds = max(0, int((end - summary.created_at).total_seconds()))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def app_id(task: str, trial_id: int) -> str:
    """The exec id of a trial: ``<user>-<digits>-<trial>``, like WML-A's appIds."""
    user, _, digits = task.rpartition("-hpo-")
    return f"{user}-{digits}-{trial_id}"


def split_app_id(exec_id: str) -> tuple[str, int] | None:
    """The task name and trial id of an exec id, or None if it is not one of ours."""
    head, _, trial = exec_id.rpartition("-")
    user, _, digits = head.rpartition("-")
    if not (user and digits.isdigit() and trial.isdigit()):
        return None
    return f"{user}-hpo-{digits}", int(trial)


def _data_type(value: Any, declared: str | None) -> str:
    if declared:
        return declared
    if isinstance(value, (bool, str)):
        return "str"
    return "int" if isinstance(value, int) else "double"


def _param_json(name: str, value: Any, data_type: str) -> dict[str, Any]:
    return {
        "name": name, "dataType": data_type, "userDefined": False,
        "fixedVal": str(value),
    }  # fmt: skip


def experiment_json(
    task: str,
    trial: TrialRecord,
    types: dict[str, str],
    resource: str | None = None,
) -> dict[str, Any]:
    """One element of ``experiments``, keys in the order WML-A sends them.

    With Hyperband (or ASHA, BOHB) the trial's budget follows its parameters as
    one more entry of ``dataType`` ``str``, as WML-A lists ``ResourceName``.
    """
    params = [
        _param_json(name, value, _data_type(value, types.get(name)))
        for name, value in trial.params.items()
    ]
    if resource is not None and resource in trial.extra:
        params.append(_param_json(resource, trial.extra[resource], "str"))
    entry: dict[str, Any] = {
        "id": trial.id,
        "hyperParams": params,
        "state": _TRIAL_WORDS.get(trial.state, trial.state.value),
    }
    if trial.state in (TrialState.FAILED, TrialState.INTERRUPTED):
        entry["metricVal"] = FAILED_METRIC
    elif trial.value is not None:
        entry["metricVal"] = trial.value
    entry["maxiteration"] = 0
    if trial.state is not TrialState.QUEUED:
        entry["appId"] = app_id(task, trial.id)
    entry["startTime"] = wmla_time(trial.started_at)
    if trial.ended_at is not None:
        entry["endTime"] = wmla_time(trial.ended_at)
    return {k: v for k, v in entry.items() if v is not None}


def resource_name(experiment: Experiment | None) -> str | None:
    """The config.json key of a multi-fidelity algorithm's budget, if it has one."""
    if experiment is None:
        return None
    resource = experiment.algorithm.options.get("resource")
    return resource.get("name") if isinstance(resource, dict) else None


def task_json(
    summary: ExperimentSummary,
    trials: list[TrialRecord],
    experiment: Experiment | None,
    creator: str,
) -> dict[str, Any]:
    """A task object as GET /hypersearch/{hpoName} returns it."""
    types = {hp.name: hp.type for hp in experiment.hyperparams} if experiment else {}
    resource = resource_name(experiment)
    # A trial run again after an interruption is shown once, by its re-run.
    rerun = superseded_ids(trials)
    items = [
        experiment_json(summary.name, t, types, resource)
        for t in trials
        if t.id not in rerun
    ]
    total = "-" if summary.max_jobs < 0 else str(summary.max_jobs)
    body: dict[str, Any] = {
        "hpoName": summary.name,
        "state": summary.state.value,
        "running": summary.running,
        "complete": summary.completed,
        "failed": summary.failed,
        "progress": f"{summary.completed}/{total}",
        "createtime": wmla_time(summary.created_at),
        "creator": creator,
        "duration": _duration(summary),
        "experiments": items,
    }
    best = next((i for i in items if i["id"] == summary.best_trial), None)
    if best is not None and best["state"] == "FINISHED":
        body["best"] = best
    return body


def exec_json(task: str, trial: TrialRecord, creator: str) -> dict[str, Any]:
    """The exec object of one trial, as GET /execs/{id} returns it."""
    exec_id = app_id(task, trial.id)
    created = trial.started_at or datetime.now(UTC)
    return {
        "id": exec_id,
        "submissionId": exec_id,
        "creator": creator,
        "state": _TRIAL_WORDS.get(trial.state, trial.state.value),
        "appId": exec_id,
        "appName": "hpotui",
        "createTime": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "elastic": False,
        "numWorker": 1,
        "framework": "python",
    }
