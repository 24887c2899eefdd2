"""Runs a method on a problem with simulated parallel workers, epoch by epoch.

Time is counted in epochs: at each tick every running trial trains one more
epoch and reports its loss, the stopping rule or pruner may end it, and free
workers are refilled. A run ends once ``problem.budget`` epochs are consumed.
The result is the anytime curve: after each epoch consumed, the score of the
incumbent, the trial with the best loss among those that trained for the full
``max_epochs`` (its noise-free final loss on the synthetic problem).

A promotion that continues a trial (``meta["continues"]``) re-trains from scratch
unless the driver resumes, as a training script that restores the lower rung's
checkpoint would: then only the additional epochs are consumed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.multifidelity.problems import Problem
from hpotui.algorithms import Observation, Suggestion, create_algorithm
from hpotui.engine.stopping import StoppingRule
from hpotui.space import RangeParam, SearchSpace
from hpotui.states import TrialState

WORKERS = 4


@dataclass
class _Trial:
    id: int
    params: dict[str, Any]
    target: int
    handle: Any
    losses: list[float] = field(default_factory=list)


@dataclass
class Anytime:
    """Best full-budget loss after each epoch consumed (``inf`` before the first)."""

    best: list[float] = field(default_factory=list)
    trials: int = 0

    def at(self, epochs: int) -> float:
        return self.best[min(epochs, len(self.best)) - 1] if self.best else math.inf


class Driver:
    """What the tick loop needs from a method: new trials, reports and endings."""

    def ask(self, n: int) -> list[tuple[dict[str, Any], int, Any, list[float]]]:
        """Up to ``n`` ``(params, epochs, handle, losses so far)``; [] to wait."""
        raise NotImplementedError

    def report(self, trial: _Trial) -> bool:
        """The newest loss of ``trial``; True to stop it now (pruned)."""
        return False

    def end(self, trial: _Trial, pruned: bool) -> None:
        raise NotImplementedError


def run(problem: Problem, driver: Driver) -> Anytime:
    """Drive ``driver`` until the epoch budget is spent or it has nothing left."""
    anytime, running = Anytime(), []
    best, score = math.inf, math.inf
    while len(anytime.best) < problem.budget:
        free = WORKERS - len(running)
        for params, target, handle, start in driver.ask(free) if free else []:
            trial = _Trial(anytime.trials, params, target, handle, list(start))
            running.append(trial)
            anytime.trials += 1
        if not running:
            break
        for trial in list(running):
            epoch = len(trial.losses) + 1
            trial.losses.append(problem.curve(trial.params, epoch)[-1])
            anytime.best.append(score)
            done = epoch >= trial.target
            pruned = not done and driver.report(trial)
            if done or pruned:
                running.remove(trial)
                driver.end(trial, pruned)
            if done and epoch == problem.max_epochs and trial.losses[-1] < best:
                best = trial.losses[-1]
                score = problem.score(trial.params, best)
                anytime.best[-1] = score
    return anytime


def hpotui_space(problem: Problem) -> SearchSpace:
    return SearchSpace(
        tuple(
            RangeParam(d.name, "int" if d.kind == "int" else "double", d.low, d.high)
            for d in problem.dims
        )
    )


class HpotuiDriver(Driver):
    """An hpotui algorithm, with an optional stopping rule, as the engine runs it."""

    def __init__(
        self,
        problem: Problem,
        algorithm: str,
        seed: int,
        options: dict[str, Any] | None = None,
        rule: StoppingRule | None = None,
        resume: bool = False,
    ) -> None:
        self.problem = problem
        self.algorithm = create_algorithm(
            algorithm,
            hpotui_space(problem),
            seed=seed,
            options=options,
            max_parallel=WORKERS,
        )
        self.rule = rule
        self.resume = resume
        self.history: list[Observation] = []
        self.running: dict[int, Suggestion] = {}
        self.curves: dict[int, list[tuple[int, float]]] = {}
        self._next_id = 0

    def ask(self, n: int) -> list[tuple[dict[str, Any], int, Any, list[float]]]:
        batch = self.algorithm.suggest(n, self.history, list(self.running.values()))
        asked = []
        for suggestion in batch:
            target = int(suggestion.extra.get("epochs", self.problem.max_epochs))
            continues = suggestion.meta.get("continues")
            start = []
            if self.resume and continues is not None:
                start = [loss for _, loss in self.curves[continues]]
            self.running[self._next_id] = suggestion
            asked.append((suggestion.params, target, self._next_id, start))
            self._next_id += 1
        return asked

    def report(self, trial: _Trial) -> bool:
        curve = [(i + 1, loss) for i, loss in enumerate(trial.losses)]
        self.curves[trial.handle] = curve
        if self.rule is None:
            return False
        others = {k: c for k, c in self.curves.items() if k != trial.handle}
        return self.rule.should_stop(trial.handle, curve, others) is not None

    def end(self, trial: _Trial, pruned: bool) -> None:
        suggestion = self.running.pop(trial.handle)
        self.curves[trial.handle] = [(i + 1, v) for i, v in enumerate(trial.losses)]
        self.history.append(
            Observation(
                trial.handle,
                suggestion.params,
                TrialState.PRUNED if pruned else TrialState.FINISHED,
                trial.losses[-1],
                steps=tuple((i + 1, v) for i, v in enumerate(trial.losses)),
                extra=suggestion.extra,
                meta=suggestion.meta,
            )
        )


class OptunaDriver(Driver):
    """An Optuna study driven by ask-and-tell, pruning with ``should_prune``."""

    def __init__(self, problem: Problem, make_study: Callable[[], Any]) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.problem = problem
        self.study = make_study()

    def ask(self, n: int) -> list[tuple[dict[str, Any], int, Any, list[float]]]:
        asked = []
        for _ in range(n):
            trial = self.study.ask()
            params = {
                d.name: trial.suggest_int(d.name, int(d.low), int(d.high))
                if d.kind == "int"
                else trial.suggest_float(d.name, d.low, d.high)
                for d in self.problem.dims
            }
            asked.append((params, self.problem.max_epochs, trial, []))
        return asked

    def report(self, trial: _Trial) -> bool:
        trial.handle.report(trial.losses[-1], len(trial.losses))
        return bool(trial.handle.should_prune())

    def end(self, trial: _Trial, pruned: bool) -> None:
        import optuna

        if pruned:
            self.study.tell(trial.handle, state=optuna.trial.TrialState.PRUNED)
        else:
            self.study.tell(trial.handle, trial.losses[-1])
