"""Trials per second through the local executor against bare process starts.

Run: ``python benchmarks/local_executor.py [--trials 60]``. For 1 and 4 parallel
jobs it measures the rate of bare ``python -c`` processes and the rate of no-op
trials started through :class:`~hpotui.engine.local_executor.LocalExecutor` (folder,
config.json, process group, exit, metrics read), and prints their ratio. The trial
command is the bare command plus writing a one-record metrics file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hpotui.engine.executor import TrialSpec
from hpotui.engine.local_executor import LocalExecutor
from hpotui.states import TrialState

NOOP = (
    "import os; open(os.environ['RESULT_DIR'] + '/val_dict_list.json', 'w')"
    ".write('[{\"loss\": 1}]')"
)


async def bare_rate(count: int, parallel: int, root: Path) -> float:
    """Processes per second, ``parallel`` at a time, with no engine around them."""
    slots = asyncio.Semaphore(parallel)
    env = {**os.environ, "RESULT_DIR": str(root)}

    async def one() -> None:
        async with slots:
            await asyncio.to_thread(
                subprocess.run, [sys.executable, "-c", NOOP], env=env
            )

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(count)))
    return count / (time.perf_counter() - started)


async def executor_rate(count: int, parallel: int, root: Path) -> float:
    """No-op trials per second through the local executor."""
    model = root / "model"
    model.mkdir(parents=True, exist_ok=True)
    (model / "train.py").write_text("# no-op\n")
    executor = LocalExecutor()
    slots = asyncio.Semaphore(parallel)

    async def one(trial_id: int) -> None:
        spec = TrialSpec(
            experiment="bench",
            trial_id=trial_id,
            workdir=root / f"p{parallel}" / str(trial_id),
            model_dir=model,
            command=[sys.executable, "-c", NOOP],
            config={"lr": 0.1},
            metric="loss",
        )
        async with slots:
            outcome = await (await executor.start(spec)).wait()
        if outcome.state is not TrialState.FINISHED:
            raise RuntimeError(f"no-op trial failed: {outcome.reason}")

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(count)))
    return count / (time.perf_counter() - started)


async def main(trials: int, rounds: int) -> None:
    """Best of ``rounds`` alternating runs, so load from elsewhere hits both alike."""
    for parallel in (1, 4):
        bare = engine = 0.0
        for round_number in range(rounds):
            with tempfile.TemporaryDirectory() as folder:
                root = Path(folder)
                bare = max(bare, await bare_rate(trials, parallel, root))
                run_root = root / f"round{round_number}"
                engine = max(engine, await executor_rate(trials, parallel, run_root))
        print(
            f"parallel {parallel}: bare {bare:6.1f}/s  executor {engine:6.1f}/s  "
            f"ratio {engine / bare:.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.trials, arguments.rounds))
