"""Bayesian optimization with a Gaussian process, for one trial or a batch.

Notation:
    ``n``: trials with a loss; ``d``: model columns (parameters not pinned).
    ``X`` (n, d): their unit points; ``y`` (n,): their standardized losses.

A quasi-random design opens the search; after it, every suggestion maximises log EI
under a GP whose hyperparameters are refitted once per call. Running trials and the
earlier suggestions of the same batch enter as fantasies at the posterior mean
("kriging believer", Ginsbourger et al. 2010), so a batch spreads out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from hpotui.algorithms.base import Algorithm, Observation, Suggestion
from hpotui.algorithms.gp.kernel import scaled_r2, squared_distances
from hpotui.algorithms.gp.model import FitError, Hyper, Posterior, fit_hyper
from hpotui.algorithms.gp.optimize import Geometry, ranked_candidates
from hpotui.algorithms.options import whole
from hpotui.algorithms.registry import register
from hpotui.algorithms.unique import UniqueFilter
from hpotui.algorithms.unit_cube import (
    UnitData,
    UnitEncoder,
    quasi_random_point,
    snap,
    trial_rng,
)
from hpotui.space import ChoiceParam, SearchSpace

logger = logging.getLogger(__name__)

_OPTIONS = {
    "startup_trials": whole(10),
    "fit_points": whole(100, low=2),
    "model_points": whole(300, low=2),
}
_INCUMBENTS = 5
_FANTASY_NOISE = 1e-6
# Squared distances, in lengthscales, under which a candidate repeats a trial with
# a result or sits on top of a pending one (running, or earlier in the batch).
# Where log EI is flat to rounding error (a confident model, an optimum on a
# bound) its maximum would otherwise land on the same point again and again.
_REPEAT_R2 = 1e-8
_PENDING_R2 = 1e-4
_NOVELTY_CHUNK = 16


@register
class Bayesian(Algorithm):
    """GP Bayesian optimization with log EI and kriging-believer batches.

    Options (experiment file ``algorithm.options``): ``startup_trials`` (quasi-random
    trials before the model, 10), ``fit_points`` (most trials the hyperparameter fit
    looks at, 100) and ``model_points`` (most trials the model conditions on, 300);
    the two caps keep the cubic cost of a suggestion bounded.
    """

    name = "Bayesian"
    option_rules = _OPTIONS

    def __init__(self, space: SearchSpace, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(space, **kwargs)
        self._encoder = UnitEncoder(space)
        self._active = np.array([not p.is_pinned for p in space.params])
        categorical = np.array([isinstance(p, ChoiceParam) for p in space.params])
        # Stepped and int columns move relaxed and are snapped afterwards.
        movable = ~categorical
        self._geometry = Geometry(
            categorical=categorical[self._active],
            movable=movable[self._active],
            snap=self._snap_active,
        )
        self._warned = False

    def suggest(
        self, n: int, history: Sequence[Observation], running: Sequence[Suggestion]
    ) -> list[Suggestion]:
        # The matrices are small: BLAS threads only contend with each other and
        # with the engine, slowing a suggestion down several times on a busy host.
        with threadpool_limits(limits=1, user_api="blas"):
            return self._suggest(n, history, running)

    def _suggest(
        self, n: int, history: Sequence[Observation], running: Sequence[Suggestion]
    ) -> list[Suggestion]:
        start = len(history) + len(running)
        rng = trial_rng(self.seed, start)
        unique = UniqueFilter(self.space, history, running)
        data = self._encoder.data(history, running)
        model_based = (
            start + n > self.settings["startup_trials"]
            and len(data.y) >= 2
            and self._active.any()
        )
        model = self._model(data, rng) if model_based else None
        suggestions: list[Suggestion] = []
        for index in range(start, start + n):
            if unique.exhausted:
                break
            use_model = model is not None and index >= self.settings["startup_trials"]
            point = self._from_model(model, unique, rng) if use_model else None
            if point is None:
                point = self._quasi_random(index, unique, rng)
            if point is None:
                suggestions += unique.remaining(1)
                continue
            suggestions.append(Suggestion(self.space.decode(point)))
            if model is not None:
                model = model.with_fantasy(point[self._active])
        return suggestions

    def _model(self, data: UnitData, rng: np.random.Generator) -> _Model | None:
        try:
            return _Model.build(data, self._active, self._geometry, self.settings, rng)
        except (FitError, np.linalg.LinAlgError, ValueError, FloatingPointError) as err:
            self._warn(f"the GP could not be fitted ({err})")
            return None

    def _from_model(
        self, model: _Model, unique: UniqueFilter, rng: np.random.Generator
    ) -> np.ndarray | None:
        try:
            ranked = model.ranked(rng)
        except (FitError, np.linalg.LinAlgError, ValueError, FloatingPointError) as err:
            self._warn(f"the acquisition could not be maximised ({err})")
            return None
        # Best first, a few at a time: the distance checks grow with the history.
        for chunk in range(0, len(ranked), _NOVELTY_CHUNK):
            block = ranked[chunk : chunk + _NOVELTY_CHUNK]
            for active_point in block[model.novel(block)]:
                point = np.full(self.space.dims, 0.5)
                point[self._active] = active_point
                if unique.admit(self.space.decode(point)):
                    return point
        return None

    def _quasi_random(
        self, index: int, unique: UniqueFilter, rng: np.random.Generator
    ) -> np.ndarray | None:
        point = quasi_random_point(self.space.dims, self.seed, index)
        for _ in range(unique.attempts_for(1)):
            if unique.admit(self.space.decode(point)):
                return snap(self.space, point[None])[0]
            point = rng.random(self.space.dims)
        return None

    def _snap_active(self, U: np.ndarray) -> np.ndarray:
        full = np.full((len(U), self.space.dims), 0.5)
        full[:, self._active] = U
        return snap(self.space, full)[:, self._active]

    def _warn(self, reason: str) -> None:
        # One warning per search: the fallback may repeat on every suggestion.
        if not self._warned:
            logger.warning(
                "Bayesian: %s; suggesting quasi-random points instead", reason
            )
            self._warned = True


class _Model:
    """A fitted GP plus what the acquisition needs: the incumbent, the geometry,
    and the points a suggestion must keep away from."""

    def __init__(
        self,
        posterior: Posterior,
        best: float,
        incumbents: np.ndarray,
        geometry: Geometry,
        tried: np.ndarray,
        pending: np.ndarray,
    ) -> None:
        self.posterior, self.best = posterior, best
        self.incumbents, self.geometry = incumbents, geometry
        self.tried, self.pending = tried, pending

    @classmethod
    def build(
        cls,
        data: UnitData,
        active: np.ndarray,
        geometry: Geometry,
        settings: dict,
        rng: np.random.Generator,
    ) -> _Model:
        X, y = _with_failures(data)
        X = X[:, active]
        z = _standardize(y)
        fit = _subset(z, settings["fit_points"], rng)
        hyper = fit_hyper(X[fit], z[fit], geometry.categorical, rng)
        keep = _subset(z, settings["model_points"], rng)
        posterior = Posterior(X[keep], z[keep], geometry.categorical, hyper)
        incumbents = X[np.argsort(z, kind="stable")[:_INCUMBENTS]]
        no_points = np.zeros((0, X.shape[1]))
        model = cls(posterior, float(z.min()), incumbents, geometry, X, no_points)
        running = data.running[:, active]
        return model.with_fantasies(running) if len(running) else model

    def ranked(self, rng: np.random.Generator) -> np.ndarray:
        return ranked_candidates(
            self.posterior, self.best, self.geometry, self.incumbents, rng
        )

    def novel(self, U: np.ndarray) -> np.ndarray:
        """Which points of ``U`` (m, d) neither repeat a tried point nor sit on a
        pending one, (m,)."""
        return _farther_than(self, U, self.tried, _REPEAT_R2) & _farther_than(
            self, U, self.pending, _PENDING_R2
        )

    def with_fantasy(self, point: np.ndarray) -> _Model:
        return self.with_fantasies(point[None])

    def with_fantasies(self, points: np.ndarray) -> _Model:
        """The model believing that ``points`` score their posterior mean."""
        mean, _ = self.posterior.predict(points)
        old = self.posterior
        # Believed exactly: with the fitted noise the variance at a fantasy would
        # stay high and the next suggestion of the batch would land on it again.
        believed = np.full(len(points), _FANTASY_NOISE * old.hyper.s2)
        posterior = Posterior(
            np.vstack([old.X, points]),
            np.concatenate([old.y, mean]),
            old.categorical,
            old.hyper,
            np.concatenate([old.noise, believed]),
        )
        # The fantasies count as observations, so they can lower the incumbent: a
        # point believed better than it would otherwise keep a positive EI forever.
        best = min(self.best, float(mean.min()))
        pending = np.vstack([self.pending, points])
        return _Model(
            posterior, best, self.incumbents, self.geometry, self.tried, pending
        )


def _farther_than(
    model: _Model, U: np.ndarray, points: np.ndarray, r2: float
) -> np.ndarray:
    """Whether each row of ``U`` is more than ``sqrt(r2)`` lengthscales from every
    row of ``points``, (m,)."""
    if len(points) == 0:
        return np.ones(len(U), dtype=bool)
    D = squared_distances(U, points, model.geometry.categorical)
    return scaled_r2(D, model.posterior.hyper.ell).min(axis=1) > r2


def _with_failures(data: UnitData) -> tuple[np.ndarray, np.ndarray]:
    """Training data where a failed trial scores the worst loss seen, so the
    model steers away from it."""
    if len(data.failed) == 0:
        return data.X, data.y
    worst = np.full(len(data.failed), data.y.max())
    return np.vstack([data.X, data.failed]), np.concatenate([data.y, worst])


def _standardize(y: np.ndarray) -> np.ndarray:
    """``y`` with mean 0 and standard deviation 1 (or 0 when constant).

    Losses near the float limit overflow in the squares of the spread; those are
    divided by their largest magnitude first.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        spread = y.std()
    if not np.isfinite(spread):
        y = y / float(np.max(np.abs(y)))
        spread = y.std()
    return (y - y.mean()) / (spread if spread > 1e-12 else 1.0)


def _subset(z: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of at most ``cap`` trials: the best half of the cap, then a random
    draw from the rest, so the model stays sharp where it matters and the cubic
    cost stays bounded."""
    if len(z) <= cap:
        return np.arange(len(z))
    order = np.argsort(z, kind="stable")
    best, rest = order[: cap // 2], order[cap // 2 :]
    return np.sort(
        np.concatenate([best, rng.choice(rest, cap - len(best), replace=False)])
    )


__all__ = ["Bayesian", "Hyper"]
