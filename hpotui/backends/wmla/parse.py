"""Reading WML-A answers into hpotui's records, whatever build wrote them.

Builds differ (see the fixtures): the submit answer is a bare string or ``{uid}``;
``progress`` is ``N/M``, ``N/-`` or a bare percentage; keys such as ``best``,
``endTime``, ``metricVal`` and ``appId`` may be missing; ``dataType`` comes in either
case; ``fixedVal`` is always a string; failed trials carry the metric 9999.99.
Everything here is pure: JSON in, records out.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from hpotui.records import ExperimentSummary, TrialRecord
from hpotui.states import ExperimentState, TrialState

FAILED_METRIC_SENTINEL = 9999.99
"""What WML-A writes as ``metricVal`` of a failed trial, even when maximising."""

# The server's zone is never sent, so times read as this machine's current offset;
# one fixed offset (not a per-time astimezone) keeps mapping 10,000 trials fast.
_LOCAL_ZONE = datetime.now().astimezone().tzinfo
_WMLA_TIME_LENGTH = len("2020-02-18 21:06:43")


def offset_text(zone: tzinfo | None) -> str:
    """A fixed zone's offset as ISO text (``+01:00``, ``-05:30``, ``+05:53:28``)."""
    delta = zone.utcoffset(None) if zone else None
    seconds = int(delta.total_seconds()) if delta is not None else 0
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


# Appending the offset lets fromisoformat build an aware time in one C call, about
# 8 times cheaper than parsing and then ``replace(tzinfo=...)``.
_LOCAL_OFFSET = offset_text(_LOCAL_ZONE)
_PROGRESS = re.compile(r"^\s*(\d+)\s*/\s*(\d+|-)\s*$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*$")

_TRIAL_STATES = {
    "RUNNING": TrialState.RUNNING,
    "FINISHED": TrialState.FINISHED,
    "FAILED": TrialState.FAILED,
    "ERROR": TrialState.FAILED,
    "STOPPED": TrialState.STOPPED,
    "KILLED": TrialState.STOPPED,
}


@dataclass(frozen=True)
class TaskFacts:
    """What is known of a task besides its JSON: from the local submit record."""

    algorithm: str = ""
    metric: str = ""
    goal: str = ""
    max_jobs: int | None = None
    param_types: dict[str, str] | None = None
    """Declared value type of each hyperparameter (``int``, ``double``, ``str``)."""
    resource: str | None = None
    """The Hyperband resource key (``ResourceName``), which WML-A lists among the
    hyperparameters of each experiment."""


@dataclass(frozen=True)
class Progress:
    """A parsed ``progress`` string; fields are None where the format says nothing."""

    completed: int | None
    total: int | None
    percent: float | None
    raw: str


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a large answer is decoded and mapped.

    A 10,000-experiment task makes some 10^5 new dicts and lists, none of them in
    a reference cycle; the collector would walk them again and again as they are
    made, about a third of the time ``benchmarks/wmla_parse.py`` measures.
    Reference counting still frees everything; nothing here awaits, so no other
    task runs while collection is off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_submit_response(body: Any) -> str:
    """The task name from a submit answer: a bare string, or an object with ``uid``.

    Raises:
        ValueError: Neither form.
    """
    if isinstance(body, str) and body.strip():
        return body.strip()
    if isinstance(body, dict):
        for key in ("uid", "hpoName", "name"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
    raise ValueError(f"no task name in the submit answer {str(body)[:120]!r}")


def parse_progress(text: Any) -> Progress:
    """``N/M`` (complete of total), ``N/-`` (no limit) or ``P`` (a percentage)."""
    raw = "" if text is None else str(text)
    match = _PROGRESS.match(raw)
    if match:
        total = -1 if match[2] == "-" else int(match[2])
        return Progress(int(match[1]), total, None, raw)
    match = _PERCENT.match(raw)
    if match:
        return Progress(None, None, float(match[1]), raw)
    return Progress(None, None, None, raw)


def parse_time(text: Any) -> datetime | None:
    """A WML-A time; ``YYYY-MM-DD HH:MM:SS`` carries no zone, so it is read as local.

    The server's zone is never sent; taking it as this machine's is right for the
    usual case of a cluster in the same site and keeps durations correct anyway.
    """
    if not isinstance(text, str) or not text:
        return None
    return _parse_time(text)


@lru_cache(maxsize=8192)
def _parse_time(text: str) -> datetime | None:
    # fromisoformat (C code) reads both WML-A forms, the space-separated HPO times
    # and the ISO ``...Z`` exec times, many times faster than strptime; the cache
    # helps because thousands of trials share start and end seconds.
    if len(text) == _WMLA_TIME_LENGTH:
        try:
            return datetime.fromisoformat(text + _LOCAL_OFFSET)
        except ValueError:
            pass  # not the usual form; the general reading below decides
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=_LOCAL_ZONE) if moment.tzinfo is None else moment


def typed_value(fixed: Any, data_type: Any, declared: str | None = None) -> Any:
    """A ``fixedVal`` string turned back into the parameter's type.

    The declared type (from the experiment) wins over the server's ``dataType``;
    a value that does not parse stays as the server sent it.
    """
    if not isinstance(fixed, str):
        return fixed
    kind = declared or data_type
    reader = _READERS.get(kind) or _READERS.get(str(kind or "").lower())
    if reader is None:
        return fixed
    try:
        return reader(fixed)
    except ValueError:
        return fixed


def _read_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return int(float(text))  # "3.0", "1e3": a whole number written as a double


def _read_number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


_READERS: dict[Any, Any] = {
    "int": _read_int, "double": float, "float": float, "number": _read_number,
}  # fmt: skip


def _number(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _metric(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number == FAILED_METRIC_SENTINEL else number


def trial_state(raw: Any) -> tuple[TrialState, str | None]:
    """hpotui's state and, when it has no equivalent, the server's word for it.

    States WML-A may add (WAITING, PENDING_CRD_SCHEDULER, ...) read as queued, so
    the trial is shown as not yet final and polling goes on.
    """
    word = str(raw or "").upper()
    if word in _TRIAL_STATES:
        return _TRIAL_STATES[word], None
    return TrialState.QUEUED, word or None


def experiment_state(raw: Any) -> tuple[ExperimentState, str | None]:
    """hpotui's state and, for a state outside WML-A's documented five, its name.

    An unknown state (RECOVERPEND, ...) reads as RUNNING: only the known end states
    end the monitoring.
    """
    word = str(raw or "").upper()
    if word in ExperimentState.__members__:
        return ExperimentState(word), None
    return ExperimentState.RUNNING, word or None


def trial_from_json(item: dict[str, Any], facts: TaskFacts) -> TrialRecord:
    """One element of a task's ``experiments`` as a trial record.

    The Hyperband budget comes back as one more ``hyperParams`` entry; when the
    local record names the resource, it goes to ``extra`` (as the embedded engine
    keeps it) instead of passing for a hyperparameter.
    """
    types = facts.param_types or {}
    params: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for entry in item.get("hyperParams") or ():
        name = entry.get("name") if isinstance(entry, dict) else None
        if name is None:
            continue
        if name == facts.resource:
            extra[name] = typed_value(entry.get("fixedVal"), "number")
        else:
            params[name] = typed_value(
                entry.get("fixedVal"), entry.get("dataType"), types.get(name)
            )
    state, remote_state = trial_state(item.get("state"))
    value = _metric(item.get("metricVal")) if state is TrialState.FINISHED else None
    # The cluster's bookkeeping, not config.json's: kept apart from ``extra``.
    meta: dict[str, Any] = {}
    if item.get("appId"):
        meta["appId"] = item["appId"]
    if remote_state:
        meta["remote_state"] = remote_state
    failed = state is TrialState.FAILED
    return TrialRecord(
        id=_number(item.get("id")),
        state=state,
        params=params,
        value=value,
        started_at=parse_time(item.get("startTime")),
        ended_at=parse_time(item.get("endTime")),
        reason="the cluster reported the trial as failed" if failed else None,
        extra=extra,
        meta=meta,
    )


def _best(
    task: dict[str, Any], trials: list[TrialRecord], goal: str
) -> tuple[float | None, int | None]:
    best = task.get("best")
    if isinstance(best, dict) and str(best.get("state", "FINISHED")).upper() == (
        "FINISHED"
    ):
        value = _metric(best.get("metricVal"))
        if value is not None:
            return value, _number(best.get("id"))
    scored = [t for t in trials if t.value is not None]
    if not scored or goal not in ("minimize", "maximize"):
        return None, None
    pick = max if goal == "maximize" else min
    chosen = pick(scored, key=lambda t: t.value)  # type: ignore[arg-type,return-value]
    return chosen.value, chosen.id


def _max_jobs(task: dict[str, Any], progress: Progress, facts: TaskFacts) -> int:
    if progress.total is not None:
        return progress.total
    algo = task.get("algoDef") if isinstance(task.get("algoDef"), dict) else {}
    if facts.max_jobs is not None:
        return facts.max_jobs
    if "maxJobNum" in algo:
        return _number(algo["maxJobNum"])
    complete = _number(task.get("complete"))
    if progress.percent and complete:
        # A percentage build: total = complete / fraction done.
        return round(complete * 100 / progress.percent)
    return -1


def task_from_json(
    task: dict[str, Any], facts: TaskFacts | None = None
) -> tuple[ExperimentSummary, list[TrialRecord]]:
    """A task object (one element of GET /hypersearch) as a summary and its trials."""
    with collection_paused():
        return _task_from_json(task, facts or TaskFacts())


def _task_from_json(
    task: dict[str, Any], facts: TaskFacts
) -> tuple[ExperimentSummary, list[TrialRecord]]:
    algo = task.get("algoDef") if isinstance(task.get("algoDef"), dict) else {}
    goal = facts.goal or str(algo.get("objective", "")).lower()
    items = [i for i in task.get("experiments") or [] if isinstance(i, dict)]
    trials = sorted((trial_from_json(i, facts) for i in items), key=lambda t: t.id)
    state, remote_state = experiment_state(task.get("state"))
    progress = parse_progress(task.get("progress"))
    best_value, best_trial = _best(task, trials, goal)
    ends = [t.ended_at for t in trials if t.ended_at is not None]
    summary = ExperimentSummary(
        name=str(task.get("hpoName", "")),
        state=state,
        algorithm=facts.algorithm or str(algo.get("algorithm", "")),
        metric=facts.metric or str(algo.get("objectiveMetric", "")),
        goal=goal,
        completed=_number(task.get("complete", progress.completed)),
        failed=_number(task.get("failed")),
        running=_number(task.get("running")),
        max_jobs=_max_jobs(task, progress, facts),
        best_value=best_value,
        best_trial=best_trial,
        reason=f"the server reports state {remote_state}" if remote_state else None,
        created_at=parse_time(task.get("createtime")),
        ended_at=max(ends) if state.is_final and ends else None,
        owner=task.get("creator"),
        remote_state=remote_state,
    )
    return summary, trials
