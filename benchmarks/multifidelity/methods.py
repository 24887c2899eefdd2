"""The methods compared: hpotui's multi-fidelity algorithms and rules, Optuna's
samplers with pruners, and random search at the full budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.multifidelity.problems import Problem
from benchmarks.multifidelity.runners import Driver, HpotuiDriver, OptunaDriver
from hpotui.engine.stopping import create_stopping_rule

Method = Callable[[Problem, int], Driver]
ETA = 3


def _hyperband_options(problem: Problem) -> dict[str, Any]:
    return {"eta": ETA, "resource": {"name": "epochs", "max": problem.max_epochs}}


def _hpotui(name: str, resume: bool = False) -> Method:
    def make(problem: Problem, seed: int) -> Driver:
        options = _hyperband_options(problem)
        return HpotuiDriver(problem, name, seed, options, resume=resume)

    return make


def _with_rule(algorithm: str, spec: dict[str, Any]) -> Method:
    def make(problem: Problem, seed: int) -> Driver:
        return HpotuiDriver(problem, algorithm, seed, rule=create_stopping_rule(spec))

    return make


def _optuna(sampler: str, pruner: str) -> Method:
    def make(problem: Problem, seed: int) -> Driver:
        import optuna

        def study() -> Any:
            samplers = {
                "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
                "random": lambda: optuna.samplers.RandomSampler(seed=seed),
            }
            pruners = {
                "hyperband": lambda: optuna.pruners.HyperbandPruner(
                    min_resource=1,
                    max_resource=problem.max_epochs,
                    reduction_factor=ETA,
                ),
                "sha": lambda: optuna.pruners.SuccessiveHalvingPruner(
                    min_resource=1, reduction_factor=ETA
                ),
            }
            # HyperbandPruner picks brackets by hashing the study name, so a fixed
            # name keeps a seed's run reproducible.
            return optuna.create_study(
                study_name=f"multifidelity-{seed}",
                sampler=samplers[sampler](),
                pruner=pruners[pruner](),
            )

        return OptunaDriver(problem, study)

    return make


MEDIAN = {"rule": "median", "grace_steps": 3, "min_trials": 5}

HPOTUI_METHODS: dict[str, Method] = {
    "hpotui Hyperband": _hpotui("Hyperband"),
    "hpotui ASHA": _hpotui("ASHA"),
    "hpotui BOHB": _hpotui("BOHB"),
    "hpotui Hyperband, resumed": _hpotui("Hyperband", resume=True),
    "hpotui ASHA, resumed": _hpotui("ASHA", resume=True),
    "hpotui BOHB, resumed": _hpotui("BOHB", resume=True),
    "hpotui Random + median stop": _with_rule("Random", MEDIAN),
    "hpotui TPE + median stop": _with_rule("TPE", MEDIAN),
}
OPTUNA_METHODS: dict[str, Method] = {
    "Optuna TPE + Hyperband": _optuna("tpe", "hyperband"),
    "Optuna Random + SHA": _optuna("random", "sha"),
}
BASELINES: dict[str, Method] = {
    "Random, full budget": lambda problem, seed: HpotuiDriver(problem, "Random", seed),
}
