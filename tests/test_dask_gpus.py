"""``gpus_per_trial`` on a Dask cluster whose worker offers two ``GPU`` resources."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from dask_support import dask_experiment, run_with_events
from distributed import Client, LocalCluster

from hpotui.backends.local import LocalBackend
from hpotui.states import ExperimentState, TrialState

# Writes the devices it was given and when it ran to a folder named in config.
DEVICES = """
start = time.time()
time.sleep(0.6)
os.makedirs(config["out"], exist_ok=True)
with open(os.path.join(config["out"], f"{config['x']}.json"), "w") as out:
    json.dump({"devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
               "start": start, "end": time.time()}, out)
report([{"step": 0, "loss": config["x"]}])
"""


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    """One worker process of two threads that offers two GPUs."""
    with LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=True,
        scheduler_port=0,
        dashboard_address=None,
        resources={"GPU": 2},
    ) as cluster, Client(cluster.scheduler_address) as client:
        client.wait_for_workers(1, timeout=30)
        yield cluster.scheduler_address


async def test_parallel_trials_never_share_a_gpu(
    tmp_path: Path, address: str, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    exp = dask_experiment(
        tmp_path,
        DEVICES,
        address,
        gpus_per_trial=1,
        limits={"max_jobs": 4, "max_parallel_jobs": 2},
        hyperparams={"x": {"values": [1, 2, 3, 4]}, "out": {"values": [str(out)]}},
    )
    backend = LocalBackend(tmp_path / "ws", poll_seconds=0.05)
    caplog.set_level(logging.WARNING, logger="hpotui.engine.dask_executor")
    try:
        result, _ = await run_with_events(backend, exp)
        trials = backend.store.trials("exp")
    finally:
        await backend.close()
    assert result.state is ExperimentState.FINISHED
    assert [t.state for t in trials] == [TrialState.FINISHED] * 4
    assert "no Dask worker offers" not in caplog.text  # the worker's GPUs were seen

    runs = [json.loads(path.read_text()) for path in sorted(out.glob("*.json"))]
    assert len(runs) == 4
    assert {run["devices"] for run in runs} == {"0", "1"}
    overlapping = [
        (a, b)
        for a, b in itertools.combinations(runs, 2)
        if a["start"] < b["end"] and b["start"] < a["end"]
    ]
    assert overlapping  # two trials did run at once
    assert all(a["devices"] != b["devices"] for a, b in overlapping)
