"""Synchronous Hyperband: successive-halving brackets run one rung at a time.

Brackets are taken in a fixed order, pass after pass: ``s_max, s_max - 1, ..., 0``.
Configuration ``j`` of a bracket gets the global id ``offset + j``, where ``offset``
counts the configurations of every earlier bracket, and its hyperparameters are
drawn from a generator seeded by ``(seed, id)``. Which bracket a trial belongs to,
and what it runs, therefore depends only on the seed and its place in that order.

A rung is promoted once every trial of it has ended: the best
``floor(n / eta**(i + 1))`` configurations re-run at the next rung's resource.
While a rung waits, free workers go to the next bracket's first rung, so
``max_parallel_jobs`` stays filled across brackets. Only when every bracket of the
last pass (``iterations``) is issued and waiting does :meth:`suggest` return an
empty list with trials running, which tells the engine to wait.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from hpotui.algorithms.base import Algorithm, Observation, Suggestion
from hpotui.algorithms.hyperband.ledger import BracketKey, Ledger
from hpotui.algorithms.hyperband.schedule import (
    HYPERBAND_OPTIONS,
    SCHEDULE_KEYS,
    Bracket,
    HyperbandSettings,
    parse_settings,
    plan,
)
from hpotui.algorithms.options import Rule, check_options
from hpotui.algorithms.registry import register
from hpotui.space import SearchSpace

logger = logging.getLogger(__name__)


class HyperbandBase(Algorithm):
    """What every Hyperband variant shares: validated settings and the schedule."""

    option_rules: ClassVar[Mapping[str, Rule] | None] = HYPERBAND_OPTIONS

    def __init__(
        self,
        space: SearchSpace,
        *,
        seed: int | None = None,
        options: dict[str, Any] | None = None,
        max_parallel: int = 1,
    ) -> None:
        super().__init__(space, seed=seed, options=options, max_parallel=max_parallel)
        # The schedule's own settings are checked by parse_settings, the rest by
        # the same rules the experiment file is checked with.
        rest = {k: v for k, v in self.options.items() if k not in SCHEDULE_KEYS}
        check_options(self.name, self.option_rules or {}, rest)
        self.hyperband: HyperbandSettings = parse_settings(self.options)
        self.brackets: list[Bracket] = plan(self.hyperband)
        for warning in self.hyperband.warnings:
            logger.warning("%s", warning)

    def _suggestion(
        self,
        params: dict[str, Any],
        key: BracketKey,
        rung: int,
        config: int,
        continues: int | None = None,
    ) -> Suggestion:
        """A suggestion at rung ``rung``; ``continues`` is the lower rung's trial.

        ``meta["continues"]`` names the trial that ran this configuration at the
        previous rung, so that an executor whose training script resumes from a
        checkpoint can start from that trial's result folder.
        """
        resource = self.brackets[self.settings_index(key[1])].rungs[rung].r
        meta = {
            "iteration": key[0],
            "bracket": key[1],
            "rung": rung,
            "config_id": config,
            "resource": resource,
        }
        if continues is not None:
            meta["continues"] = continues
        return Suggestion(
            params=dict(params),
            extra={self.hyperband.resource_name: resource},
            meta=meta,
        )

    def settings_index(self, s: int) -> int:
        """Index in :attr:`brackets` of the bracket that halves ``s`` times."""
        return len(self.brackets) - 1 - s

    def _random_params(self, config: int) -> dict[str, Any]:
        seed = None if self.seed is None else [self.seed, config]
        return self.space.sample(np.random.default_rng(seed))


@register
class Hyperband(HyperbandBase):
    """Synchronous Hyperband (Li et al., JMLR 2018) with random configurations."""

    name = "Hyperband"

    def suggest(
        self, n: int, history: Sequence[Observation], running: Sequence[Suggestion]
    ) -> list[Suggestion]:
        ledger = Ledger(history, running)
        suggestions: list[Suggestion] = []
        for key, offset in self._bracket_order():
            if len(suggestions) >= n:
                break
            pending = self._pending(ledger, key, offset, n - len(suggestions), history)
            suggestions += [
                self._suggestion(params, key, rung, config, continues)
                for rung, config, params, continues in pending
            ]
            if pending:
                logger.debug("bracket %s: %d suggestions", key, len(pending))
        return suggestions

    def new_config(self, config: int, history: Sequence[Observation]) -> dict[str, Any]:
        """Hyperparameters of configuration ``config``, entering its first rung.

        Hyperband draws them at random; BOHB overrides this with a model.
        """
        return self._random_params(config)

    def _bracket_order(self) -> Iterator[tuple[BracketKey, int]]:
        """``((iteration, s), first config id)`` in the order brackets open."""
        per_pass = sum(bracket.rungs[0].n for bracket in self.brackets)
        iteration = 0
        limit = self.hyperband.iterations
        while limit is None or iteration < limit:
            offset = iteration * per_pass
            for bracket in self.brackets:
                yield (iteration, bracket.s), offset
                offset += bracket.rungs[0].n
            iteration += 1

    def _pending(
        self,
        ledger: Ledger,
        key: BracketKey,
        offset: int,
        limit: int,
        history: Sequence[Observation],
    ) -> list[tuple[int, int, dict[str, Any], int | None]]:
        """Up to ``limit`` ``(rung, config id, params, continued trial)`` to start."""
        bracket = self.brackets[self.settings_index(key[1])]
        first = ledger.rung(key, 0)
        fresh = [
            config
            for config in range(offset, offset + bracket.rungs[0].n)
            if config not in first.issued
        ][:limit]
        if fresh:
            return [
                (0, config, self.new_config(config, history), None) for config in fresh
            ]
        for index in range(len(bracket.rungs) - 1):
            rung, upper = ledger.rung(key, index), ledger.rung(key, index + 1)
            if rung.ended < len(rung.issued) or not rung.issued:
                return []  # this rung is still running: the bracket waits
            promoted = rung.best(bracket.rungs[index + 1].n)
            waiting = [config for config in promoted if config not in upper.issued]
            if waiting:
                return [
                    (index + 1, config, rung.params[config], rung.trials[config])
                    for config in waiting[:limit]
                ]
        return []
