"""Executor settings that cannot run are refused up front, before anything is
stored: in ``hpotui validate``, ``hpotui run`` and the embedded backend."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from engine_support import REPO, cli_env, experiment, hpotui, write_experiment

from hpotui.backends.local import LocalBackend
from hpotui.engine.dask_executor import DaskExecutor
from hpotui.errors import EngineError, ExperimentFileError
from hpotui.experiment.executor_rules import address_problem
from hpotui.experiment.model import ExecutorSpec
from hpotui.experiment.validate import check_experiment_file
from hpotui.store import open_store

FORM = "write it as tcp://host:port, e.g. tcp://127.0.0.1:8786"


def _errors(tmp_path: Path, executor: Any, **sections: Any) -> list[str]:
    """The file's errors without their ``file:line`` prefix."""
    path = write_experiment(tmp_path, "", executor=executor, **sections)
    report = check_experiment_file(path)
    return [re.sub(r"^\S+:\d+ ", "", line) for line in report.errors]


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("foo", f"'foo' has no port number; {FORM}"),
        ("tcp://127.0.0.1", f"'tcp://127.0.0.1' has no port number; {FORM}"),
        ("", f"the address is empty; {FORM}"),
        ("tcp://:8786", f"'tcp://:8786' names no host; {FORM}"),
        ("tcp://h:99999", f"'tcp://h:99999' has port '99999', not a number from 1 "
                          f"to 65535; {FORM}"),
        ("http://127.0.0.1:5000", "'http://127.0.0.1:5000' uses http://, which a "
         f"Dask scheduler does not speak; {FORM} (the scheduler's port, 8786 by "
         "default, not its dashboard)"),
    ],
)  # fmt: skip
def test_a_malformed_scheduler_address_is_named_with_the_expected_form(
    tmp_path: Path, address: str, message: str
) -> None:
    assert _errors(tmp_path, {"type": "dask", "address": address}) == [
        f"executor.address: {message}"
    ]


@pytest.mark.parametrize(
    "address", ["tcp://127.0.0.1:8786", "scheduler:8786", "tls://[::1]:8786"]
)
def test_well_formed_scheduler_addresses_pass(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize(
    ("executor", "extra", "errors"),
    [
        ({"type": "dask"}, {}, [
            "executor: type dask needs address (tcp://host:port of a running "
            "scheduler) or cluster: local (a LocalCluster started here)"]),
        ({"type": "dask", "cluster": "local", "workers": 0}, {}, [
            "executor.workers: must be 1 or more (got 0)"]),
        ({"type": "dask", "cluster": "local", "address": "tcp://h:8786"}, {}, [
            "executor.cluster: conflicts with executor.address; give address to "
            "use a running scheduler or cluster: local to start one, not both"]),
        ({"type": "local", "address": "tcp://h:8786"}, {}, [
            "executor.address: is a Dask setting, but executor.type is local; set "
            "type: dask to run on Dask, or remove address"]),
        ({"type": "dask", "address": "tcp://h:8786", "workers": 2}, {}, [
            "executor.workers: sizes a LocalCluster and needs cluster: local; a "
            "running scheduler has the workers started for it"]),
        ({"type": "dask", "cluster": "local"}, {"gpus_per_trial": 1}, [
            "gpus_per_trial: is not supported with executor.cluster: local; on one "
            "machine use executor: {type: local}, which hands out devices"]),
    ],
)  # fmt: skip
def test_executor_settings_that_cannot_run_are_errors_naming_their_keys(
    tmp_path: Path, executor: dict[str, Any], extra: dict[str, Any], errors: list[str]
) -> None:
    assert _errors(tmp_path, executor, **extra) == errors


def test_validate_and_run_refuse_a_bad_address_and_store_nothing(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    bad = write_experiment(tmp_path, "", executor={"type": "dask", "address": "foo"})
    validated = _validate(bad)
    assert validated.returncode == 2
    assert validated.stderr.endswith(
        f"executor.address: 'foo' has no port number; {FORM}\n"
    )
    good = write_experiment(tmp_path / "g", "", executor={"type": "local"})
    flagged = hpotui(
        "run", str(good), "--no-ui", "--dask-address", "tcp://127.0.0.1", workspace=ws
    )
    assert flagged.returncode == 2
    assert (
        "Invalid value for --dask-address: 'tcp://127.0.0.1' has no port number; "
        f"{FORM}" in flagged.stderr
    )
    nowhere = write_experiment(tmp_path / "n", "", executor={"type": "dask"})
    refused = hpotui("run", str(nowhere), "--no-ui", workspace=ws)
    assert refused.returncode == 2
    assert "executor: type dask needs address" in refused.stderr
    for result in (validated, flagged, refused):
        assert "Traceback" not in result.stderr
        assert "never awaited" not in result.stderr
    store = open_store(ws)
    try:
        assert not store.exists("exp")
    finally:
        store.close()


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    """``hpotui validate``, which takes no workspace."""
    return subprocess.run(
        [sys.executable, "-m", "hpotui", "validate", str(path)],
        capture_output=True, text=True, timeout=60, env=cli_env(), cwd=REPO,
    )  # fmt: skip


async def test_the_backend_stores_nothing_when_the_executor_cannot_run(
    tmp_path: Path,
) -> None:
    exp = experiment(tmp_path, "")
    settings = ExecutorSpec(type="dask", address="tcp://127.0.0.1")
    backend = LocalBackend(tmp_path / "ws")
    try:
        with pytest.raises(ExperimentFileError, match="executor.address: 'tcp://"):
            await backend.submit(exp.model_copy(update={"executor": settings}))
        assert not backend.store.exists("exp")
    finally:
        await backend.close()


def test_the_executor_itself_refuses_settings_that_cannot_run() -> None:
    with pytest.raises(EngineError, match="type dask needs address"):
        DaskExecutor(ExecutorSpec(type="dask"))
    with pytest.raises(EngineError, match="use executor: {type: local}"):
        DaskExecutor(ExecutorSpec(type="dask", cluster="local"), gpus_per_trial=1)
