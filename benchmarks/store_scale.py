"""Store cost per trial at 10,000 trials against the cost at 100.

Records trials the way the engine does (queued, started, ended with ten metric
records, four events) and reads them back the way ``hpotui show``, the dashboard
and a resume do. A growth ratio near 1.0 means the cost per trial does not grow
with the number of trials (indexes work, nothing scans the table per trial).

Run: ``python benchmarks/store_scale.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from hpotui.engine.events import TrialEnded, TrialStarted
from hpotui.engine.ledger import Ledger
from hpotui.experiment.model import Experiment, HyperParam, ModelSpec
from hpotui.records import MetricRecord
from hpotui.states import TrialState
from hpotui.store import Store, open_store

_RECORDS = 10
_BATCH = 100


def _record_trials(store: Store, start: int, count: int) -> float:
    """Seconds per trial to record ``count`` more trials."""
    began = time.perf_counter()
    for index in range(start, start + count):
        params = {"lr": 1.0 / (index + 1), "units": 16 + index % 8}
        trial_id = store.add_trial("exp", params)
        store.start_trial("exp", trial_id, Path(f"/trials/{trial_id}"))
        records = [MetricRecord(s, {"loss": 1 / (s + 1)}) for s in range(_RECORDS)]
        store.end_trial(
            "exp",
            trial_id,
            TrialState.FINISHED,
            value=0.1,
            best_step=9,
            records=records,
        )
        store.add_events(
            "exp",
            [
                TrialStarted("exp", trial_id, params),
                TrialEnded("exp", trial_id, TrialState.FINISHED, 0.1, 9),
            ],
        )
    return (time.perf_counter() - began) / count


def _read_all(store: Store, experiment: Experiment) -> dict[str, float]:
    timings = {}
    for label, read in (
        ("summary", lambda: store.summary("exp")),
        ("trials", lambda: store.trials("exp")),
        ("metrics", lambda: store.metrics("exp")),
        (
            "resume load",
            lambda: Ledger(experiment.objective, -1).load(
                store.trials("exp"), store.metrics("exp")
            ),
        ),
    ):
        began = time.perf_counter()
        read()
        timings[label] = time.perf_counter() - began
    return timings


def main() -> None:
    experiment = Experiment(
        name="exp",
        model=ModelSpec(dir=Path("/model"), command=["python", "train.py"]),
        hyperparams=(HyperParam(name="lr", type="double", low=1e-4, high=1.0),),
    )
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(folder)
        store.create_experiment(experiment)
        early = _record_trials(store, 0, _BATCH)
        small = _read_all(store, experiment)
        _record_trials(store, _BATCH, 10_000 - 2 * _BATCH)
        late = _record_trials(store, 10_000 - _BATCH, _BATCH)
        large = _read_all(store, experiment)
    print(
        f"record one trial: {early * 1e3:.2f} ms at 100 trials, "
        f"{late * 1e3:.2f} ms at 10,000; growth {late / early:.2f}"
    )
    for label in small:
        per_small = small[label] / _BATCH
        per_large = large[label] / 10_000
        print(
            f"{label:>12}: {large[label] * 1e3:8.1f} ms for 10,000 trials "
            f"({per_large * 1e6:.0f} us/trial; at 100: {per_small * 1e6:.0f} "
            f"us/trial; growth {per_large / per_small:.2f})"
        )


if __name__ == "__main__":
    main()
