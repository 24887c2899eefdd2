"""The pieces of the Dask executor that need no cluster: guard, model archive,
returned files, settings and command-line flags."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from dask_support import alive

import hpotui.engine.dask_worker as dask_worker
from hpotui.cli.main import _register_verbs, cli
from hpotui.engine.dask_bundle import ModelFiles, bundle_dir, pack_model
from hpotui.engine.dask_guard import GuardClient, watch
from hpotui.engine.trial_files import trial_paths


def _sleeper() -> subprocess.Popen[bytes]:
    """A process in a session (and group) of its own, as trial commands run."""
    return subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        start_new_session=True,
    )


def _gone(process: subprocess.Popen[bytes], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return True
        time.sleep(0.02)
    return False


def test_the_guard_ends_listed_groups_when_its_pipe_closes() -> None:
    kept, ended = _sleeper(), _sleeper()
    try:
        left = watch([f"+{kept.pid}", f"+{ended.pid}", f"-{kept.pid}"], grace=0.2)
        assert left == {ended.pid}
        assert _gone(ended) and ended.returncode == -15
        assert alive(kept.pid)
    finally:
        kept.kill()
        ended.kill()
        kept.wait()


def test_a_guard_process_outlives_its_worker_and_ends_its_trials() -> None:
    trial = _sleeper()
    guard = GuardClient(grace=1.0)
    try:
        guard.add(trial.pid)
        guard._process.stdin.close()  # what the kernel does when the worker dies
        assert _gone(trial)
        assert guard._process.wait(5) == 0
    finally:
        trial.kill()


def test_the_model_archive_skips_caches_and_the_workspace_and_keeps_modes(
    tmp_path: Path,
) -> None:
    model = tmp_path / "model"
    for name in ("train.py", "data/digits.csv", ".git/HEAD", "pkg/__pycache__/a.pyc"):
        (model / name).parent.mkdir(parents=True, exist_ok=True)
        (model / name).write_text(name)
    (model / "run.sh").write_text("#!/bin/sh\n")
    (model / "run.sh").chmod(0o755)
    workspace = model / "ws" / "experiments" / "exp" / "trials"
    workspace.mkdir(parents=True)
    (workspace / "old.txt").write_text("not a model file")

    digest, payload = pack_model(model, avoid=workspace)
    worker = SimpleNamespace(local_directory=str(tmp_path / "worker"))
    ModelFiles(digest, payload).setup(worker)

    unpacked = bundle_dir(worker.local_directory, digest)
    files = sorted(
        p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file()
    )
    assert files == ["data/digits.csv", "run.sh", "train.py"]
    assert os.access(unpacked / "run.sh", os.X_OK)
    assert pack_model(model, avoid=workspace)[0] == digest  # same files, same digest


def test_returned_files_keep_the_end_of_a_long_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dask_worker, "SHIP_BYTES", 64)
    paths = trial_paths(tmp_path)
    paths.log_dir.mkdir()
    paths.result_dir.mkdir()
    paths.stdout.write_text("".join(f"line {n:03d}\n" for n in range(100)))
    paths.metrics.write_text('[{"loss": 1}]')
    (paths.result_dir / "model.bin").write_bytes(b"x" * 65)

    files = dask_worker.collect_files(paths)

    assert sorted(files) == ["log/stdout.log", "result/val_dict_list.json"]
    log = files["log/stdout.log"].decode().splitlines()
    assert log[0] == "[... 836 bytes left on the worker ...]"
    assert log[1:] == [f"line {n:03d}" for n in range(93, 100)]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--dask-address", "tcp://h:8786", "--dask-workers", "2"], "not both"),
        (["--executor", "local", "--dask-workers", "2"], "need --executor dask"),
    ],
)
def test_contradicting_executor_flags_are_a_usage_error(
    tmp_path: Path, flags: list[str], message: str
) -> None:
    _register_verbs()
    path = tmp_path / "exp.yaml"
    path.write_text("name: exp\n")
    result = CliRunner().invoke(cli, ["run", str(path), "--no-ui", *flags])
    assert result.exit_code == 2
    assert message in result.output


def test_the_exit_signal_is_set_once_the_command_has_exited() -> None:
    popen = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    process = dask_worker.TrialProcess(popen)
    exited = dask_worker._exit_signal(process)
    assert not exited.is_set()
    assert exited.wait(30)
    assert process.returncode == 0
