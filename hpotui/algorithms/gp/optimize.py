"""Maximising the acquisition: quasi-random candidates, then L-BFGS-B refinement.

Notation:
    ``d``: model columns; ``m``: candidates; ``s``: refined starts.
    ``U`` (m, d): candidate points in the unit cube (snapped: discrete columns sit
        on the point of their value).
    ``a`` (m,): log EI of each candidate.

Candidates come from a scrambled Sobol sequence over the whole cube plus Gaussian
perturbations of the best observed points, which is where improvements usually hide
late in a search. The best few are refined by L-BFGS-B along the numeric columns,
all starts in one call: the summed objective separates, so each start follows its
own gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from hpotui.algorithms.gp.acquisition import log_ei
from hpotui.algorithms.gp.model import Posterior

_SOBOL_POINTS = 512
_LOCAL_POINTS = 256
_LOCAL_SCALES = (0.01, 0.05, 0.15)
_STARTS = 4
_CHUNK = 512


@dataclass(frozen=True)
class Geometry:
    """How the model columns behave.

    Attributes:
        categorical: Columns that are lists of values, (d,).
        movable: Numeric columns L-BFGS-B may move, (d,).
        snap: Maps points (m, d) onto the points of their values.
    """

    categorical: np.ndarray
    movable: np.ndarray
    snap: Callable[[np.ndarray], np.ndarray]


def ranked_candidates(
    posterior: Posterior,
    best: float,
    geometry: Geometry,
    incumbents: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Candidate points, best log EI first, (m, d)."""
    U = geometry.snap(_initial_candidates(geometry, incumbents, rng))
    scores = _score(posterior, best, U)
    if geometry.movable.any():
        starts = U[np.argsort(-scores, kind="stable")[:_STARTS]]
        refined = geometry.snap(_refine(posterior, best, geometry, starts))
        U = np.vstack([refined, U])
        scores = np.concatenate([_score(posterior, best, refined), scores])
    order = np.argsort(-scores, kind="stable")
    return U[order]


def _initial_candidates(
    geometry: Geometry, incumbents: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    d = len(geometry.categorical)
    sobol = qmc.Sobol(d, scramble=True, seed=rng).random(_SOBOL_POINTS)
    if len(incumbents) == 0:
        return sobol
    centres = incumbents[rng.integers(len(incumbents), size=_LOCAL_POINTS)]
    scales = rng.choice(_LOCAL_SCALES, size=(_LOCAL_POINTS, 1))
    local = centres + scales * rng.standard_normal(centres.shape)
    # Categorical columns jump to a random value now and then instead of drifting.
    jump = geometry.categorical[None] & (rng.random(centres.shape) < 1.0 / d)
    local = np.where(jump, rng.random(centres.shape), local)
    return np.vstack([sobol, np.clip(local, 0.0, 1.0)])


def _score(posterior: Posterior, best: float, U: np.ndarray) -> np.ndarray:
    values = []
    for chunk in range(0, len(U), _CHUNK):
        mean, var = posterior.predict(U[chunk : chunk + _CHUNK])
        values.append(log_ei(mean, var, best)[0])
    return np.nan_to_num(np.concatenate(values), nan=-np.inf)


def _refine(
    posterior: Posterior, best: float, geometry: Geometry, starts: np.ndarray
) -> np.ndarray:
    """``starts`` moved uphill along the movable columns, (s, d)."""
    movable = geometry.movable
    fixed = starts.copy()

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        U = fixed.copy()
        U[:, movable] = flat.reshape(len(starts), -1)
        mean, var, dmean, dvar = posterior.predict_with_gradient(U)
        value, d_mean, d_var = log_ei(mean, var, best)
        grad = d_mean[:, None] * dmean + d_var[:, None] * dvar
        if not np.all(np.isfinite(value)):
            return 1e10, np.zeros_like(flat)
        return -float(value.sum()), -grad[:, movable].ravel()

    x0 = starts[:, movable].ravel()
    result = minimize(
        objective,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * len(x0),
        options={"maxiter": 50},
    )
    out = fixed.copy()
    out[:, movable] = np.clip(result.x, 0.0, 1.0).reshape(len(starts), -1)
    return out
