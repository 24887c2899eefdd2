"""Time per suggestion after a history of random trials, on a 10-d problem."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.problems import TIMING_PROBLEM, Problem
from hpotui.algorithms import Observation, create_algorithm
from hpotui.states import TrialState

Timer = Callable[[Problem, list[dict[str, Any]], list[float]], float]


def random_history(problem: Problem, size: int, seed: int = 0) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    configs = [
        {dim.name: float(rng.uniform(dim.low, dim.high)) for dim in problem.dims}
        for _ in range(size)
    ]
    return configs, [problem.function(config) for config in configs]


def _seconds(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def time_hpotui(name: str) -> Timer:
    def timer(problem: Problem, configs: list, values: list) -> float:
        history = [
            Observation(i, c, TrialState.FINISHED, v)
            for i, (c, v) in enumerate(zip(configs, values, strict=True))
        ]
        algorithm = create_algorithm(name, peers.hpotui_space(problem.dims), seed=0)
        algorithm.suggest(1, history, [])  # warm the per-trial encoding cache
        return _seconds(lambda: algorithm.suggest(1, history, []))

    return timer


def time_optuna(kind: str) -> Timer:
    def timer(problem: Problem, configs: list, values: list) -> float:
        import optuna

        dists = peers.optuna_distributions(problem.dims)
        study = optuna.create_study(sampler=peers.optuna_sampler(kind, 0))
        study.add_trials(
            [
                optuna.trial.create_trial(params=c, distributions=dists, value=v)
                for c, v in zip(configs, values, strict=True)
            ]
        )
        return _seconds(lambda: study.ask(dists))

    return timer


def time_hyperopt(problem: Problem, configs: list, values: list) -> float:
    from hyperopt import Trials, fmin, tpe

    points = iter(configs)
    trials = Trials()
    space = peers.hyperopt_space(problem.dims)
    fmin(
        problem.function,
        space,
        algo=lambda ids, domain, trials, seed: _replay(
            ids, domain, trials, next(points)
        ),
        max_evals=len(configs),
        trials=trials,
        show_progressbar=False,
    )
    return _seconds(
        lambda: fmin(
            problem.function,
            space,
            algo=tpe.suggest,
            max_evals=len(configs) + 1,
            trials=trials,
            show_progressbar=False,
        )
    )


def _replay(ids: list, domain: Any, trials: Any, config: dict) -> list:
    from hyperopt import rand

    docs = rand.suggest(ids[:1], domain, trials, 0)
    for name, value in config.items():
        docs[0]["misc"]["vals"][name] = [value]
    return docs


def time_skopt(problem: Problem, configs: list, values: list) -> float:
    optimizer = peers.skopt_optimizer(problem, 0)
    points = [[c[dim.name] for dim in problem.dims] for c in configs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer.tell(points[:-1], values[:-1], fit=False)
        return _seconds(
            lambda: (optimizer.tell(points[-1], values[-1]), optimizer.ask())
        )


TIMERS: dict[str, Timer] = {
    "hpotui TPE": time_hpotui("TPE"),
    "hpotui GP": time_hpotui("Bayesian"),
    "optuna TPE": time_optuna("tpe"),
    "optuna TPE multivariate": time_optuna("tpe_multivariate"),
    "optuna GP": time_optuna("gp"),
    "hyperopt TPE": time_hyperopt,
    "skopt GP": time_skopt,
}


def suggestion_times(
    sizes: tuple[int, ...], methods: list[str], limit: float
) -> dict[str, dict[int, float | None]]:
    """Seconds per suggestion by method and history size; None once a method took
    longer than ``limit`` seconds at a smaller size (it would only take longer)."""
    out: dict[str, dict[int, float | None]] = {}
    for method in methods:
        if method not in TIMERS:
            continue
        out[method] = {}
        slow = False
        for size in sizes:
            if slow:
                out[method][size] = None
                continue
            configs, values = random_history(TIMING_PROBLEM, size)
            seconds = TIMERS[method](TIMING_PROBLEM, configs, values)
            out[method][size] = seconds
            slow = seconds > limit
            print(f"  time {method} @ {size}: {seconds:.3f}s", flush=True)
    return out
