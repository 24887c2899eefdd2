"""``hpotui run --executor dask`` as a user calls it, on a LocalCluster it starts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from engine_support import REPO, cli_env, write_experiment

SCORES = """
report([{"step": 0, "loss": 1.0 / config["x"]}])
"""


def test_a_successful_run_on_a_local_cluster_writes_nothing_to_stderr(
    tmp_path: Path,
) -> None:
    """The last trials end just before the cluster closes, while their workers
    still wait on the scheduler for a stop request: closing must not log the
    cancelled waits (or anything else) as errors."""
    path = write_experiment(
        tmp_path,
        SCORES,
        limits={"max_jobs": 4, "max_parallel_jobs": 2},
        hyperparams={"x": {"values": [1, 2, 3, 4]}},
    )
    done = _run(
        "run", str(path), "--no-ui", "--json", "--executor", "dask",
        "--dask-workers", "2", "--workspace", str(tmp_path / "ws"),
    )  # fmt: skip

    report = json.loads(done.stdout)
    assert (done.returncode, report["state"], report["completed"]) == (0, "FINISHED", 4)
    assert (report["best"]["params"], report["best"]["value"]) == ({"x": 4}, 0.25)
    assert "Traceback" not in done.stderr, done.stderr
    assert "ERROR" not in done.stderr, done.stderr


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line in a session of its own, so that a hang kills its cluster's
    worker processes too."""
    with subprocess.Popen(
        [sys.executable, "-m", "hpotui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=REPO,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
