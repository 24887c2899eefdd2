"""One engine session: take an experiment over, run it, let it go.

A session records a new experiment or picks up a stored one, becomes its single
owner, marks trials whose engine died as INTERRUPTED and queues each of them once
more, then runs the :class:`Scheduler` until the experiment ends or is interrupted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from hpotui.engine.executor import Executor
from hpotui.engine.gpus import GpuPool
from hpotui.engine.history import superseded_ids
from hpotui.engine.local_executor import LocalExecutor
from hpotui.engine.process import end_stale_trial
from hpotui.engine.scheduler import Listener, RunResult, Scheduler
from hpotui.errors import ExperimentFileError
from hpotui.experiment.model import Experiment
from hpotui.records import TrialRecord
from hpotui.states import TrialState
from hpotui.store import Owner, Store

logger = logging.getLogger(__name__)

_DIED = "the engine running this trial stopped ({owner}); it runs again on resume"


def record_experiment(store: Store, experiment: Experiment) -> Experiment:
    """Store a new experiment, or match a file against the stored one of its name.

    Running a file whose experiment exists continues that experiment: only its
    limits may change (to run more trials or for longer).

    Returns:
        The experiment to run.

    Raises:
        ExperimentFileError: The stored experiment differs in more than its limits.
    """
    if not store.exists(experiment.name):
        store.create_experiment(experiment)
        return experiment
    stored = store.definition(experiment.name)
    changed = _changed_fields(_comparable(stored), _comparable(experiment))
    if changed:
        raise ExperimentFileError(
            f"experiment {experiment.name!r} exists with a different "
            f"{', '.join(changed)}; only its limits and executor may change when "
            "it continues. Give the file another `name:`, or remove the old "
            f"experiment with `hpotui delete {experiment.name}`"
        )
    # where trials run is no part of the search: a stored experiment may move
    updated = stored.model_copy(
        update={"limits": experiment.limits, "executor": experiment.executor}
    )
    store.update_definition(updated)
    return updated


def prepare_takeover(store: Store, name: str) -> Owner | None:
    """Become the experiment's owner and queue its interrupted trials once more.

    Returns:
        The previous owner, when the experiment had one.

    Raises:
        EngineError: Another live engine owns the experiment.
    """
    previous = store.claim(name, Owner.me())
    what = previous.describe() if previous else "no owner"
    if previous is None or previous.host == Owner.me().host:
        for trial_id, pid, workdir in store.running_processes(name):
            if end_stale_trial(pid, workdir):
                logger.info("ended trial %d (pid %d) left by %s", trial_id, pid, what)
    store.interrupt_running(name, _DIED.format(owner=what))
    for trial in _unrequeued_interruptions(store, name):
        store.add_trial(name, trial.params, trial.extra, trial.meta, retry_of=trial.id)
        logger.info("trial %d of %s queued again after an interruption", trial.id, name)
    return previous


def default_executor(experiment: Experiment) -> Executor:
    """The executor the experiment asks for.

    Raises:
        EngineError: The experiment asks for one this engine cannot start here.
    """
    if experiment.executor.type == "dask":
        # imported here: loading Dask takes a second that local runs need not pay
        from hpotui.engine.dask_executor import DaskExecutor

        return DaskExecutor.for_experiment(experiment)
    pool = GpuPool.from_settings(experiment.gpus_per_trial, experiment.gpus)
    return LocalExecutor(gpus=pool)


async def run_session(
    store: Store,
    experiment: Experiment,
    *,
    executor: Executor | None = None,
    listeners: Sequence[Listener] = (),
    scheduler_ready: Sequence[Callable[[Scheduler], None]] = (),
    poll_seconds: float | None = None,
) -> RunResult:
    """Own, run and release one experiment already recorded in ``store``.

    Args:
        store: The workspace store.
        experiment: The experiment as recorded (see :func:`record_experiment`).
        executor: Where trials run; by default the one the experiment names.
        listeners: Receive every event.
        scheduler_ready: Called with the scheduler once it exists, so that a
            caller can stop or interrupt it.
        poll_seconds: Overrides the scheduler's poll interval.
    """
    executor = executor or default_executor(experiment)
    prepare_takeover(store, experiment.name)
    try:
        experiment = _fit_to_executor(experiment, executor)
        extra = {} if poll_seconds is None else {"poll_seconds": poll_seconds}
        scheduler = Scheduler(experiment, store, executor, listeners=listeners, **extra)
        for callback in scheduler_ready:
            callback(scheduler)
        return await scheduler.run()
    finally:
        try:
            await executor.close()
        finally:
            store.release(experiment.name)


def _fit_to_executor(experiment: Experiment, executor: Executor) -> Experiment:
    # A GPU pool smaller than max_parallel_jobs would make the executor wait
    # inside start(); run no more trials at once than it can hold.
    capacity = executor.capacity
    limits = experiment.limits
    if capacity is None or capacity >= limits.max_parallel_jobs:
        return experiment
    logger.warning(
        "running %d trials at once, not %d: the GPU pool holds that many; list "
        "more devices under gpus: to run more",
        capacity,
        limits.max_parallel_jobs,
    )
    limits = limits.model_copy(update={"max_parallel_jobs": max(1, capacity)})
    return experiment.model_copy(update={"limits": limits})


def _unrequeued_interruptions(store: Store, name: str) -> list[TrialRecord]:
    trials = store.trials(name)
    rerun = superseded_ids(trials)
    return [
        t for t in trials if t.state is TrialState.INTERRUPTED and t.id not in rerun
    ]


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Dotted names of what differs, one level into each section."""
    changed = []
    for key in sorted(old.keys() | new.keys()):
        before, after = _by_name(old.get(key)), _by_name(new.get(key))
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            inner = before.keys() | after.keys()
            changed += [
                f"{key}.{k}" for k in sorted(inner) if before.get(k) != after.get(k)
            ]
        else:
            changed.append(key)
    return changed


def _by_name(section: Any) -> Any:
    """A list of named entries (the hyperparameters) as a mapping by name."""
    if isinstance(section, list) and all(
        isinstance(item, dict) and "name" in item for item in section
    ):
        return {item["name"]: item for item in section}
    return section


def _comparable(experiment: Experiment) -> dict[str, Any]:
    unsearched = {"limits", "executor", "source", "notes"}
    return experiment.model_dump(mode="json", exclude=unsearched)
