"""Tiny real experiments for engine, store and CLI tests.

Each test writes a model folder whose ``train.py`` is generated from a short body
of Python, and an experiment YAML loaded through the real loader. Trials take a few
hundredths of a second, so a test runs real processes and stays fast.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import yaml

from hpotui.experiment.loader import load_experiment
from hpotui.experiment.model import Experiment

REPO = Path(__file__).resolve().parents[1]

_PRELUDE = """\
import json, os, sys, time
config = json.load(open("config.json"))
def report(records):
    path = os.path.join(os.environ["RESULT_DIR"], "val_dict_list.json")
    with open(path + ".tmp", "w") as out:
        json.dump(records, out)
    os.replace(path + ".tmp", path)
"""


def write_experiment(
    folder: Path,
    body: str,
    *,
    name: str = "exp",
    hyperparams: dict[str, Any] | None = None,
    **sections: Any,
) -> Path:
    """Write ``model/train.py`` (prelude + ``body``) and ``exp.yaml``; return the YAML.

    ``sections`` are top-level keys of the experiment file (limits, objective, ...).
    """
    model = folder / "model"
    model.mkdir(parents=True, exist_ok=True)
    (model / "train.py").write_text(_PRELUDE + textwrap.dedent(body))
    document = {
        "name": name,
        "algorithm": {"name": "Grid"},
        "limits": {"max_jobs": 10, "max_parallel_jobs": 1},
        "model": {"dir": "./model", "command": f"{sys.executable} train.py"},
        "hyperparams": hyperparams or {"x": {"values": [1, 2]}},
        **sections,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def experiment(folder: Path, body: str, **kwargs: Any) -> Experiment:
    return load_experiment(write_experiment(folder, body, **kwargs))


def hpotui(
    *args: str, workspace: Path, timeout: float = 60, **popen: Any
) -> subprocess.CompletedProcess[str]:
    """Run the ``hpotui`` command line in a fresh process and wait for it."""
    return subprocess.run(
        [sys.executable, "-m", "hpotui", *args, "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(),
        cwd=REPO,
        **popen,
    )


def start_hpotui(*args: str, workspace: Path) -> subprocess.Popen[str]:
    """Start the ``hpotui`` command line in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "hpotui", *args, "--workspace", str(workspace)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=REPO,
    )


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.pop("HPOTUI_HOME", None)
    return env


def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``check`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.05)


def kill_trials_under(folder: Path) -> None:
    """Kill trial processes left in ``folder`` (after a kill -9 of their engine)."""
    for process in psutil.process_iter(["cwd"]):
        cwd = process.info.get("cwd") or ""
        if cwd.startswith(str(folder)):
            with contextlib.suppress(psutil.Error):
                process.kill()
