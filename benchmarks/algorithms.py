"""The algorithm benchmark suite: ``python -m benchmarks`` (or ``make bench``).

Runs every method on every problem for each seed, sequentially and with 4 parallel
suggestions, then writes a markdown report to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.peers import METHODS
from benchmarks.problems import PROBLEMS
from benchmarks.report import write_report
from benchmarks.timing import suggestion_times

RESULTS = Path(__file__).resolve().parent / "results"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "--seeds", type=int, default=10, help="seeds per synthetic problem"
    )
    parser.add_argument(
        "--real-seeds", type=int, default=5, help="seeds per real model"
    )
    parser.add_argument("--budget", type=int, default=100, help="trials per run")
    parser.add_argument("--batches", default="1,4", help="parallel suggestions to test")
    parser.add_argument("--problems", default=",".join(PROBLEMS), help="comma list")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma list")
    parser.add_argument(
        "--timing-sizes", default="100,500,1000", help="history sizes for timings"
    )
    parser.add_argument(
        "--timing-limit",
        type=float,
        default=60.0,
        help="skip larger histories once one suggestion took this many seconds",
    )
    parser.add_argument(
        "--runs-file",
        default="runs.jsonl",
        help="file under results/ for this invocation's runs (to split a suite)",
    )
    parser.add_argument(
        "--runs-only", action="store_true", help="skip the timings and the report"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="no new runs: time suggestions and report on every results/runs*.jsonl",
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 seeds, 20 trials, 2 problems"
    )
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    if args.quick:
        args.seeds, args.real_seeds, args.budget = 2, 1, 20
        args.problems, args.timing_sizes = "branin,mixed", "100"
    problems = [PROBLEMS[name] for name in args.problems.split(",")]
    methods = args.methods.split(",")
    batches = [int(b) for b in args.batches.split(",")]
    RESULTS.mkdir(exist_ok=True)
    if not args.report_only:
        _run_all(args, problems, methods, batches)
    if args.runs_only:
        return
    done: dict = {}
    for path in sorted(RESULTS.glob("runs*.jsonl")):
        done.update(_load_runs(path))
    problems = [p for p in problems if any(k[1] == p.name for k in done)]
    sizes = tuple(int(size) for size in args.timing_sizes.split(","))
    print("timing suggestions", flush=True)
    times = suggestion_times(sizes, methods, args.timing_limit)
    report = write_report(
        RESULTS, done, problems, methods, batches, args.budget, times, vars(args)
    )
    print(f"report: {report}")


def _run_all(
    args: argparse.Namespace, problems: list, methods: list[str], batches: list[int]
) -> None:
    runs_path = RESULTS / args.runs_file
    done = _load_runs(runs_path)
    with runs_path.open("a") as sink:
        for batch in batches:
            for problem in problems:
                seeds = args.real_seeds if problem.real else args.seeds
                for seed in range(seeds):
                    for method in methods:
                        key = (method, problem.name, seed, batch, args.budget)
                        if key not in done:
                            done[key] = _run(
                                method, problem, seed, batch, args.budget, sink
                            )


def _run(method: str, problem, seed: int, batch: int, budget: int, sink) -> dict:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    values = METHODS[method](problem, seed, budget, batch)
    record = {
        "method": method,
        "problem": problem.name,
        "seed": seed,
        "batch": batch,
        "budget": budget,
        "values": values,
        "seconds": time.perf_counter() - started,
    }
    sink.write(json.dumps(record) + "\n")
    sink.flush()
    print(
        f"{problem.name:12s} batch={batch} seed={seed} {method:24s} "
        f"best={min(values):.4g} ({record['seconds']:.1f}s)",
        flush=True,
    )
    return record


def _load_runs(path: Path) -> dict:
    """Runs already on disk, so an interrupted suite resumes where it stopped."""
    if not path.exists():
        return {}
    runs = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        key = (
            record["method"],
            record["problem"],
            record["seed"],
            record["batch"],
            record["budget"],
        )
        runs[key] = record
    return runs


if __name__ == "__main__":
    main()
