"""Small training scripts and specs for the trial-runner tests."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path
from typing import Any

from hpotui.engine.executor import TrialSpec

PRELUDE = """\
import json, os, sys, time
from pathlib import Path
RESULT = Path(os.environ["RESULT_DIR"])
CONFIG = json.loads(Path("config.json").read_text())
def write_metrics(items):
    tmp = RESULT / "tmp.json"
    tmp.write_text(json.dumps(items))
    tmp.replace(RESULT / "val_dict_list.json")
def wait_for(name):
    while not Path(name).exists():
        time.sleep(0.01)
"""


def make_model(root: Path, body: str, name: str = "model") -> Path:
    """A model folder whose train.py is PRELUDE followed by ``body``."""
    model = root / name
    model.mkdir(parents=True, exist_ok=True)
    (model / "train.py").write_text(PRELUDE + textwrap.dedent(body))
    return model


def make_spec(
    root: Path, model: Path, trial_id: int = 1, config: dict[str, Any] | None = None
) -> TrialSpec:
    return TrialSpec(
        experiment="exp",
        trial_id=trial_id,
        workdir=root / "trials" / str(trial_id),
        model_dir=model,
        command=["python", "train.py"],
        config=config if config is not None else {"lr": 0.1},
        metric="loss",
    )


async def wait_for_file(path: Path, timeout: float = 10.0) -> str:
    """The file's text once it exists (and is complete: written by rename)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not path.exists():
        if loop.time() > deadline:
            raise AssertionError(f"{path} never appeared")
        await asyncio.sleep(0.01)
    return path.read_text()


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())
