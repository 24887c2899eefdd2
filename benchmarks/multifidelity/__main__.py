"""``python -m benchmarks.multifidelity``: best final loss against epochs consumed.

Prints, per problem, the median over seeds of the best full-budget loss after a
quarter, half and all of the epoch budget, and how many epochs each method needs
(median curve) to reach the best median final loss of the Optuna methods.
Writes each table to ``benchmarks/results/multifidelity-<problem>.md``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from benchmarks.multifidelity.methods import (
    BASELINES,
    HPOTUI_METHODS,
    OPTUNA_METHODS,
)
from benchmarks.multifidelity.problems import PROBLEMS, Problem
from benchmarks.multifidelity.runners import Anytime, run

RESULTS = Path(__file__).resolve().parents[1] / "results"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.multifidelity")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    args = parser.parse_args()
    for name in args.problems:
        problem = PROBLEMS[name]()
        started = time.perf_counter()
        curves = _run_all(problem, args.seeds)
        lines = _table(problem, curves, args.seeds)
        lines.append(f"({time.perf_counter() - started:.0f} s)")
        print("\n".join(lines), flush=True)
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"multifidelity-{problem.name}.md"
        path.write_text("\n".join(lines) + "\n")


def _run_all(problem: Problem, seeds: int) -> dict[str, list[Anytime]]:
    methods = {**HPOTUI_METHODS, **OPTUNA_METHODS, **BASELINES}
    return {
        label: [run(problem, make(problem, seed)) for seed in range(seeds)]
        for label, make in methods.items()
    }


def _median_at(runs: list[Anytime], epochs: int) -> float:
    return statistics.median(r.at(epochs) for r in runs)


def _epochs_to(runs: list[Anytime], target: float, budget: int) -> int | None:
    """First epoch count at which the median best-so-far reaches ``target``."""
    for epochs in range(1, budget + 1, max(1, budget // 500)):
        if _median_at(runs, epochs) <= target:
            return epochs
    return None


def _table(problem: Problem, curves: dict[str, list[Anytime]], seeds: int) -> list[str]:
    budget = problem.budget
    target = min(_median_at(curves[label], budget) for label in OPTUNA_METHODS)
    lines = [
        f"## {problem.name}: max {problem.max_epochs} epochs per trial, budget "
        f"{budget} epochs, {seeds} seeds, 4 parallel workers",
        "",
        f"Target: Optuna's best median final loss {target:.4f}.",
        "",
        "Columns B/4, B/2, B: median over seeds of the best full-budget loss after "
        "that many epochs (inf: no trial had trained the full budget yet). Epochs "
        "to target: first epoch count at which that median reaches the target. "
        "Promotions re-train from scratch unless the method says resumed.",
        "",
        "| method | trials | B/4 | B/2 | B | epochs to target | share of B |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, runs in curves.items():
        reach = _epochs_to(runs, target, budget)
        trials = statistics.median(r.trials for r in runs)
        lines.append(
            f"| {label} | {trials:.0f} | {_median_at(runs, budget // 4):.4f} | "
            f"{_median_at(runs, budget // 2):.4f} | {_median_at(runs, budget):.4f} | "
            f"{reach if reach else 'not reached'} | "
            f"{f'{reach / budget:.2f}' if reach else '-'} |"
        )
    best = [_epochs_to(curves[label], target, budget) for label in HPOTUI_METHODS]
    reached = [epochs for epochs in best if epochs]
    verdict = (
        f"met: {min(reached)} epochs, {min(reached) / budget:.2f} of the budget"
        if reached and min(reached) <= budget / 2
        else "not met"
    )
    lines += ["", f"Aim (hpotui reaches the target within half the budget): {verdict}."]
    return lines


if __name__ == "__main__":
    main()
