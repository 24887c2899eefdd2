"""Ask/tell runners: hpotui's algorithms and the peers, on one problem and seed.

Every runner returns the values in evaluation order. ``batch`` suggestions are asked
for before any of them is told, as a search with ``batch`` parallel trials would.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.problems import Dim, Problem
from hpotui.algorithms import Observation, create_algorithm
from hpotui.space import ChoiceParam, RangeParam, SearchSpace
from hpotui.states import TrialState

Runner = Callable[[Problem, int, int, int], list[float]]


def hpotui_space(dims: tuple[Dim, ...]) -> SearchSpace:
    params = []
    for dim in dims:
        if dim.kind == "choice":
            params.append(ChoiceParam(dim.name, dim.choices))
        else:
            kind = "int" if dim.kind == "int" else "double"
            params.append(RangeParam(dim.name, kind, dim.low, dim.high, log=dim.log))
    return SearchSpace(tuple(params))


def run_hpotui(name: str) -> Runner:
    def run(problem: Problem, seed: int, budget: int, batch: int) -> list[float]:
        algorithm = create_algorithm(
            name, hpotui_space(problem.dims), seed=seed, max_parallel=batch
        )
        history: list[Observation] = []
        while len(history) < budget:
            for suggestion in algorithm.suggest(
                min(batch, budget - len(history)), history, []
            ):
                value = problem.function(suggestion.params)
                history.append(
                    Observation(
                        len(history), suggestion.params, TrialState.FINISHED, value
                    )
                )
        return [float(obs.loss) for obs in history]  # type: ignore[arg-type]

    return run


def optuna_distributions(dims: tuple[Dim, ...]) -> dict[str, Any]:
    import optuna.distributions as od

    out: dict[str, Any] = {}
    for dim in dims:
        if dim.kind == "choice":
            out[dim.name] = od.CategoricalDistribution(list(dim.choices))
        elif dim.kind == "int":
            out[dim.name] = od.IntDistribution(int(dim.low), int(dim.high), log=dim.log)
        else:
            out[dim.name] = od.FloatDistribution(dim.low, dim.high, log=dim.log)
    return out


def optuna_sampler(kind: str, seed: int) -> Any:
    import optuna

    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if kind == "tpe_multivariate":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if kind == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def run_optuna(kind: str) -> Runner:
    def run(problem: Problem, seed: int, budget: int, batch: int) -> list[float]:
        import optuna

        optuna.logging.set_verbosity(logging.WARNING)
        warnings.filterwarnings(
            "ignore", category=optuna.exceptions.ExperimentalWarning
        )
        study = optuna.create_study(sampler=optuna_sampler(kind, seed))
        dists = optuna_distributions(problem.dims)
        values: list[float] = []
        while len(values) < budget:
            trials = [study.ask(dists) for _ in range(min(batch, budget - len(values)))]
            for trial in trials:
                values.append(problem.function(trial.params))
                study.tell(trial, values[-1])
        return values

    return run


def hyperopt_space(dims: tuple[Dim, ...]) -> dict[str, Any]:
    from hyperopt import hp

    out: dict[str, Any] = {}
    for dim in dims:
        if dim.kind == "choice":
            out[dim.name] = hp.choice(dim.name, list(dim.choices))
        elif dim.kind == "int" and dim.log:
            out[dim.name] = hp.qloguniform(
                dim.name, math.log(dim.low), math.log(dim.high), 1
            )
        elif dim.kind == "int":
            out[dim.name] = hp.uniformint(dim.name, dim.low, dim.high)
        elif dim.log:
            out[dim.name] = hp.loguniform(
                dim.name, math.log(dim.low), math.log(dim.high)
            )
        else:
            out[dim.name] = hp.uniform(dim.name, dim.low, dim.high)
    return out


def _hyperopt_params(dims: tuple[Dim, ...], raw: dict[str, Any]) -> dict[str, Any]:
    params = dict(raw)
    for dim in dims:
        if dim.kind == "int":
            params[dim.name] = int(min(max(round(params[dim.name]), dim.low), dim.high))
    return params


def run_hyperopt(problem: Problem, seed: int, budget: int, batch: int) -> list[float]:
    from hyperopt import Trials, fmin, tpe

    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    trials = Trials()
    fmin(
        lambda raw: problem.function(_hyperopt_params(problem.dims, raw)),
        hyperopt_space(problem.dims),
        algo=tpe.suggest,
        max_evals=budget,
        trials=trials,
        rstate=np.random.default_rng(seed),
        max_queue_len=batch,
        show_progressbar=False,
    )
    return [float(v) for v in trials.losses()]


def skopt_dimensions(dims: tuple[Dim, ...]) -> list[Any]:
    from skopt.space import Categorical, Integer, Real

    out: list[Any] = []
    for dim in dims:
        prior = "log-uniform" if dim.log else "uniform"
        if dim.kind == "choice":
            out.append(Categorical(list(dim.choices), name=dim.name))
        elif dim.kind == "int":
            out.append(Integer(int(dim.low), int(dim.high), prior=prior, name=dim.name))
        else:
            out.append(Real(dim.low, dim.high, prior=prior, name=dim.name))
    return out


def skopt_optimizer(problem: Problem, seed: int) -> Any:
    from skopt import Optimizer

    # EI optimised over random samples: skopt's default (a hedge of three
    # acquisitions, each refined by L-BFGS-B) costs several seconds per trial here,
    # too much for a suite of hundreds of runs.
    return Optimizer(
        skopt_dimensions(problem.dims),
        base_estimator="GP",
        n_initial_points=10,
        acq_func="EI",
        acq_optimizer="sampling",
        random_state=seed,
    )


def run_skopt(problem: Problem, seed: int, budget: int, batch: int) -> list[float]:
    optimizer = skopt_optimizer(problem, seed)
    names = [dim.name for dim in problem.dims]
    values: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while len(values) < budget:
            size = min(batch, budget - len(values))
            points = optimizer.ask(n_points=size) if size > 1 else [optimizer.ask()]
            batch_values = [
                problem.function(_native(dict(zip(names, x, strict=True))))
                for x in points
            ]
            optimizer.tell(points, batch_values)
            values += batch_values
    return values


def _native(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in params.items()}


METHODS: dict[str, Runner] = {
    "hpotui TPE": run_hpotui("TPE"),
    "hpotui GP": run_hpotui("Bayesian"),
    "optuna TPE": run_optuna("tpe"),
    "optuna TPE multivariate": run_optuna("tpe_multivariate"),
    "optuna GP": run_optuna("gp"),
    "optuna Random": run_optuna("random"),
    "hyperopt TPE": run_hyperopt,
    "skopt GP": run_skopt,
}
HPOTUI_METHODS = ("hpotui TPE", "hpotui GP")
