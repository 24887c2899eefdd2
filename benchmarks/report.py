"""The markdown report: best values per problem, mean ranks, suggestion times."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata

from benchmarks.problems import Problem


def _best_at(record: dict, trials: int) -> float:
    return float(min(record["values"][:trials]))


def _regrets(
    runs: dict, problem: Problem, method: str, batch: int, budget: int, trials: int
) -> np.ndarray:
    offset = problem.optimum or 0.0
    values = [
        _best_at(record, trials) - offset
        for (m, p, _, b, bud), record in runs.items()
        if m == method and p == problem.name and b == batch and bud == budget
    ]
    return np.array(values)


def _cell(values: np.ndarray) -> str:
    if len(values) == 0:
        return "–"
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return f"{median:.3g} [{q1:.3g}, {q3:.3g}]"


def _budgets(budget: int) -> list[int]:
    return sorted({min(50, budget), budget})


def _quality_table(runs, problems, methods, batch, budget) -> tuple[list[str], dict]:  # type: ignore[no-untyped-def]
    lines = [
        "| problem | trials | seeds | " + " | ".join(methods) + " |",
        "|---|---|---|" + "---|" * len(methods),
    ]
    medians: dict[tuple[str, int], dict[str, float]] = {}
    for problem in problems:
        for trials in _budgets(budget):
            row = {
                m: _regrets(runs, problem, m, batch, budget, trials) for m in methods
            }
            if not any(len(v) for v in row.values()):
                continue  # e.g. a problem run one suggestion at a time only
            medians[(problem.name, trials)] = {
                m: float(np.median(v)) for m, v in row.items() if len(v)
            }
            best = min(medians[(problem.name, trials)].values(), default=None)
            cells = []
            for m in methods:
                text = _cell(row[m])
                if len(row[m]) and np.median(row[m]) == best:
                    text = f"**{text}**"
                cells.append(text)
            lines.append(
                f"| {problem.name} | {trials} | {_seed_counts(row)} | "
                + " | ".join(cells)
                + " |"
            )
    return lines, medians


def _seed_counts(row: dict[str, np.ndarray]) -> str:
    """How many seeds the methods of a row ran: ``10``, or ``2-5`` when they differ."""
    counts = sorted({len(v) for v in row.values() if len(v)})
    if not counts:
        return "0"
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


def _mean_ranks(medians: dict, methods: list[str], trials: int) -> dict[str, float]:
    ranks: dict[str, list[float]] = {m: [] for m in methods}
    for (_, t), row in medians.items():
        if t != trials or len(row) != len(methods):
            continue
        for m, r in zip(methods, rankdata([row[m] for m in methods]), strict=True):
            ranks[m].append(float(r))
    return {m: float(np.mean(r)) if r else float("nan") for m, r in ranks.items()}


def _targets(medians: dict, methods: list[str], trials: int) -> list[str]:
    rows = [
        (key, row)
        for key, row in medians.items()
        if key[1] == trials and all(m in row for m in methods)
    ]
    lines = []
    pairs = [("hpotui TPE", ["optuna TPE"]), ("hpotui GP", ["optuna GP", "skopt GP"])]
    for ours, theirs in pairs:
        if ours not in methods or not all(t in methods for t in theirs):
            continue
        wins = [
            key[0]
            for key, row in rows
            if row[ours] <= min(row[t] for t in theirs) + 1e-12
        ]
        lines.append(
            f"- {ours} median no worse than best of {', '.join(theirs)} at {trials} "
            f"trials: {len(wins)}/{len(rows)} problems ({', '.join(wins)})"
        )
    return lines


def write_report(
    folder: Path,
    runs: dict,
    problems: list[Problem],
    methods: list[str],
    batches: list[int],
    budget: int,
    times: dict,
    settings: dict[str, Any],
) -> Path:
    """Writes ``report-<time>.md`` and returns its path."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    lines = [
        f"# hpotui algorithm benchmark ({stamp} UTC)",
        "",
        f"Settings: `{settings}`",
        "",
        "Cells: median [25th, 75th percentile] of the best value found, as regret "
        "above the known optimum (synthetic) or validation error (real models). "
        "Bold: best median.",
        "",
    ]
    medians_by_batch = {}
    for batch in batches:
        lines += [f"## {batch} suggestion(s) at a time", ""]
        table, medians = _quality_table(runs, problems, methods, batch, budget)
        medians_by_batch[batch] = medians
        lines += table + ["", f"Mean rank of the median at {budget} trials:", ""]
        ranks = _mean_ranks(medians, methods, budget)
        for m, r in sorted(ranks.items(), key=lambda item: item[1]):
            lines.append(f"- {m}: {r:.2f}")
        lines += ["", *_targets(medians, methods, budget), ""]
    if 1 in medians_by_batch and len(batches) > 1:
        lines += _parallel_loss(medians_by_batch, methods, budget)
    lines += _timing_table(times)
    path = folder / f"report-{stamp}.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _parallel_loss(
    medians_by_batch: dict, methods: list[str], budget: int
) -> list[str]:
    lines = [
        "## Parallel against sequential",
        "",
        f"Per method, on how many problems the 4-parallel median at {budget} trials "
        "is worse than the sequential one, and the median ratio of the two "
        "(regret parallel / sequential; 1 means no loss).",
        "",
    ]
    seq = medians_by_batch[1]
    for batch, medians in medians_by_batch.items():
        if batch == 1:
            continue
        for m in methods:
            ratios, worse = [], 0
            for key, row in medians.items():
                if key[1] != budget or m not in row or m not in seq.get(key, {}):
                    continue
                worse += row[m] > seq[key][m]
                ratios.append((row[m] + 1e-9) / (seq[key][m] + 1e-9))
            if ratios:
                lines.append(
                    f"- {m}, batch {batch}: worse on {worse}/{len(ratios)}, "
                    f"median ratio {np.median(ratios):.2f}"
                )
    return [*lines, ""]


def _timing_table(times: dict) -> list[str]:
    sizes = sorted({size for row in times.values() for size in row})
    lines = [
        "## Seconds per suggestion on a 10-d problem (Levy-10)",
        "",
        "| method | " + " | ".join(f"{s} trials" for s in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for method, row in times.items():
        cells = ["skipped" if row.get(s) is None else f"{row[s]:.3f}" for s in sizes]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return [*lines, ""]
