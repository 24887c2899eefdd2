"""What the model-based algorithms share: observations as points of the unit cube.

Notation:
    ``n``: observations; ``d``: parameters; ``m``: candidate points.
    ``U`` (m, d): points of the unit cube, one column per parameter in space order.
    ``X`` (n, d): the unit points of the observations; ``y`` (n,): their losses.

A discrete parameter (a stepped range, an int range, a list of values) owns cells of
equal width in its column; :func:`snap` moves a coordinate to the canonical point of
its cell, so that equal configurations get equal points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from hpotui.algorithms.base import Observation, Suggestion
from hpotui.space import ChoiceParam, RangeParam, SearchSpace

# Keeps the design's shift apart from the per-trial generators of trial_rng.
_DESIGN_STREAM = 2**31 - 1


@dataclass(frozen=True)
class UnitData:
    """Ended and running trials as unit points.

    Attributes:
        X: Points of the trials with a loss, (n, d).
        y: Their losses, (n,).
        failed: Points of the trials without a loss, (f, d).
        running: Points of the running trials, (r, d).
    """

    X: np.ndarray
    y: np.ndarray
    failed: np.ndarray
    running: np.ndarray


class UnitEncoder:
    """Encodes configurations as unit points, remembering each trial's point.

    The memory only saves time: a trial's point depends on its parameters alone.
    """

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self._by_trial: dict[int, np.ndarray] = {}

    def data(
        self, history: Sequence[Observation], running: Sequence[Suggestion]
    ) -> UnitData:
        """The unit-cube view of ``history`` and ``running``."""
        good = [obs for obs in history if obs.succeeded]
        bad = [obs for obs in history if not obs.succeeded]
        return UnitData(
            X=self._points([self._point(obs) for obs in good]),
            y=np.array([float(obs.loss) for obs in good], dtype=float),  # type: ignore[arg-type]
            failed=self._points([self._point(obs) for obs in bad]),
            running=self._points([self.space.encode(s.params) for s in running]),
        )

    def _point(self, obs: Observation) -> np.ndarray:
        point = self._by_trial.get(obs.trial_id)
        if point is None:
            point = self.space.encode(obs.params)
            self._by_trial[obs.trial_id] = point
        return point

    def _points(self, rows: list[np.ndarray]) -> np.ndarray:
        if not rows:
            return np.zeros((0, self.space.dims))
        return np.vstack(rows)


def cell_counts(space: SearchSpace) -> np.ndarray:
    """Per parameter, how many cells its column has (0 when continuous), (d,)."""
    counts = []
    for param in space.params:
        if param.is_pinned:
            counts.append(1)
        elif isinstance(param, ChoiceParam) or param.last_index is not None:
            counts.append(param.n_values)
        else:
            counts.append(0)
    return np.array(counts, dtype=int)


def snap(space: SearchSpace, U: np.ndarray) -> np.ndarray:
    """``U`` with every discrete coordinate moved to the point its value encodes to."""
    U = np.clip(np.asarray(U, dtype=float), 0.0, 1.0)
    out = U.copy()
    for j, param in enumerate(space.params):
        if param.is_pinned:
            out[:, j] = 0.5
        elif isinstance(param, ChoiceParam) or param.last_index is not None:
            k = param.n_values
            cell = np.minimum(np.floor(U[:, j] * k), k - 1)
            out[:, j] = (cell + 0.5) / k
        elif isinstance(param, RangeParam) and param.type == "int":
            # An int log range rounds in value space, so only a round trip through
            # the value finds the point of its integer.
            out[:, j] = [param.encode(param.decode(u)) for u in U[:, j]]
    return out


def quasi_random_point(dims: int, seed: int | None, index: int) -> np.ndarray:
    """The ``index``-th point of a randomly shifted Sobol sequence, (dims,).

    Depends only on the seed and the index, so a resumed search continues the same
    design. Sobol points cover the cube more evenly than independent draws; one
    random shift modulo 1 per seed (a Cranley-Patterson rotation) keeps them
    unbiased. In the algorithm benchmark it led the GP out of Hartmann-6's local
    optima more often than an Owen-scrambled sequence did. Without a seed every
    point gets a shift of its own, so the design is plain uniform draws.
    """
    sampler = qmc.Sobol(max(dims, 1), scramble=False)
    if index:
        sampler.fast_forward(index)
    shift = np.random.default_rng(None if seed is None else [seed, _DESIGN_STREAM])
    return (sampler.random(1)[0] + shift.random(max(dims, 1)))[:dims] % 1.0


def trial_rng(seed: int | None, index: int) -> np.random.Generator:
    """The generator for the suggestions starting at trial ``index``."""
    return np.random.default_rng(None if seed is None else [seed, index])
