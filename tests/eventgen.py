"""Deterministic event streams of made-up experiments, for UI tests and benchmarks.

The stream has what a real run has: trials started with parameters, per-epoch
metrics, failures with reasons, a best that improves, Hyperband bracket and rung
bookkeeping, and a final state. Times start at a fixed instant so screenshots of a
replay never change.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hpotui.engine.events import (
    BestChanged,
    Event,
    ExperimentStateChanged,
    TrialEnded,
    TrialMetrics,
    TrialStarted,
)
from hpotui.states import ExperimentState, TrialState

EPOCH = datetime(2026, 1, 1, 9, 0, 0, tzinfo=UTC)
PARAM_NAMES = (
    "learning_rate",
    "hidden_units",
    "activation",
    "batch_size",
    "momentum",
    "dropout",
    "weight_decay",
    "layers",
)


def make_params(rng: random.Random, count: int) -> dict[str, object]:
    values: dict[str, object] = {
        "learning_rate": round(10 ** rng.uniform(-4, -1), 6),
        "hidden_units": rng.randrange(16, 257, 16),
        "activation": rng.choice(["relu", "tanh"]),
        "batch_size": rng.choice([32, 64, 128]),
        "momentum": round(rng.uniform(0.5, 0.99), 3),
        "dropout": round(rng.uniform(0.0, 0.5), 3),
        "weight_decay": round(10 ** rng.uniform(-6, -2), 7),
        "layers": rng.randrange(1, 5),
    }
    return {name: values[name] for name in PARAM_NAMES[:count]}


def trial_events(
    name: str, trial_id: int, rng: random.Random, start: datetime, params_count: int
) -> tuple[list[Event], float | None]:
    """One trial's events, and its value (None when it failed)."""
    params = make_params(rng, params_count)
    bracket = trial_id % 3
    meta = {"bracket": bracket, "rung": rng.randrange(0, bracket + 1)}
    events: list[Event] = [
        TrialStarted(name, trial_id=trial_id, params=params, meta=meta, at=start)
    ]
    if trial_id % 7 == 3:
        ended = TrialEnded(
            name,
            trial_id=trial_id,
            state=TrialState.FAILED,
            reason="exit code 1: ValueError: learning rate too high",
            at=start + timedelta(seconds=4),
        )
        return [*events, ended], None
    floor = rng.uniform(0.05, 0.6)
    losses = [round(floor + 2.0 / (epoch + 1.5), 6) for epoch in range(6)]
    for epoch, loss in enumerate(losses):
        record = {"step": epoch, "loss": loss, "accuracy": round(1 - loss / 3, 6)}
        at = start + timedelta(seconds=2 * (epoch + 1))
        events.append(TrialMetrics(name, trial_id=trial_id, records=[record], at=at))
    value = min(losses)
    state = TrialState.PRUNED if trial_id % 11 == 5 else TrialState.FINISHED
    events.append(
        TrialEnded(
            name,
            trial_id=trial_id,
            state=state,
            value=value,
            best_step=losses.index(value),
            at=start + timedelta(seconds=13),
        )
    )
    return events, value


def experiment_events(
    name: str = "digits-random",
    trials: int = 12,
    params_count: int = 3,
    seed: int = 7,
    finished: bool = True,
) -> list[Event]:
    """A whole experiment's events in time order."""
    rng = random.Random(seed)
    events: list[Event] = [
        ExperimentStateChanged(name, state=ExperimentState.RUNNING, at=EPOCH)
    ]
    best: float | None = None
    for trial_id in range(1, trials + 1):
        start = EPOCH + timedelta(seconds=7 * trial_id)
        mine, value = trial_events(name, trial_id, rng, start, params_count)
        events.extend(mine)
        if value is not None and (best is None or value < best):
            best = value
            params = mine[0].params  # type: ignore[attr-defined]
            events.append(
                BestChanged(
                    name, trial_id=trial_id, value=value, params=params, at=mine[-1].at
                )
            )
    if finished:
        end = events[-1].at + timedelta(seconds=1)
        reason = f"reached max_jobs ({trials})"
        events.append(
            ExperimentStateChanged(
                name, state=ExperimentState.FINISHED, reason=reason, at=end
            )
        )
    return events


def write_events(path: Path, events: list[Event]) -> Path:
    path.write_text("".join(event.to_json() + "\n" for event in events))
    return path


if __name__ == "__main__":
    out = Path(__file__).parent / "data" / "digits_random.events.jsonl"
    write_events(out, experiment_events())
    print(out)
