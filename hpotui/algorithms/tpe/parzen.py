"""A multivariate Parzen estimator over the unit cube.

Notation:
    ``c``: mixture components (one per observation, plus the prior, last).
    ``m``: points to sample or score; ``d``: parameters.
    ``w`` (c,): component weights, summing to 1.
    ``mu`` (c, d): component centres (numeric columns).
    ``sigma`` (c, d): component bandwidths (numeric columns).
    ``probs`` (c, d, k): categorical kernels, ``k`` the largest number of choices.

Each component is a product over the parameters: a normal truncated to [0, 1] for a
numeric column, a smoothed one-hot distribution for a list of values. Sampling picks
one component and draws every parameter from it, so the parameters stay dependent
(the multivariate TPE of Falkner et al. 2018, "BOHB", section 3.2).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, ndtr, ndtri

# The prior's bandwidth: wide enough to be near-uniform over [0, 1], so the
# estimator always keeps some mass away from the observations.
_PRIOR_SIGMA = 1.0
# Share of a categorical kernel's mass spread evenly over every choice.
_CATEGORICAL_SMOOTHING = 0.2
BANDWIDTH = 0.04
_MIN_SIGMA = 0.005


class ParzenEstimator:
    """A mixture of product kernels centred on observed unit points.

    Args:
        X: Observed points, (n, d).
        categorical: Which columns are lists of values, (d,).
        cells: How many cells each column has, 0 when continuous, (d,).
        prior_weight: Weight of the prior component against each observation's 1.
        scale: Factor on every numeric kernel's bandwidth.
    """

    def __init__(
        self,
        X: np.ndarray,
        categorical: np.ndarray,
        cells: np.ndarray,
        prior_weight: float = 1.0,
        scale: float = 1.0,
    ) -> None:
        n, d = X.shape
        self.numeric = ~categorical
        self.categorical = categorical
        self.cells = cells
        weights = np.append(np.ones(n), prior_weight)
        with np.errstate(divide="ignore"):  # a zero prior weight has log -inf
            self.log_w = np.log(weights / weights.sum())
        self.w = np.exp(self.log_w)
        self.mu = np.vstack([X, np.full((1, d), 0.5)])
        self.sigma = np.vstack(
            [
                np.tile(_bandwidths(X, cells, scale), (n, 1)),
                np.full((1, d), _PRIOR_SIGMA),
            ]
        )
        self.probs = _categorical_kernels(X, categorical, cells)

    def sample(self, rng: np.random.Generator, m: int) -> np.ndarray:
        """``m`` points drawn from the mixture, (m, d)."""
        component = rng.choice(len(self.w), size=m, p=self.w)
        mu, sigma = self.mu[component], self.sigma[component]
        low, high = ndtr(-mu / sigma), ndtr((1.0 - mu) / sigma)
        points = mu + sigma * ndtri(low + rng.random(mu.shape) * (high - low))
        points = np.clip(points, 0.0, 1.0)
        for j in np.flatnonzero(self.categorical):
            cumulative = np.cumsum(self.probs[component, j], axis=1)
            draws = rng.random((m, 1)) * cumulative[:, -1:]
            index = np.minimum((cumulative < draws).sum(axis=1), self.cells[j] - 1)
            points[:, j] = (index + 0.5) / self.cells[j]
        return points

    def log_pdf(self, U: np.ndarray) -> np.ndarray:
        """The mixture's log density at each point of ``U`` (m, d), (m,)."""
        per_component = np.zeros((U.shape[0], len(self.w)))
        num = self.numeric
        if num.any():
            mu, sigma = self.mu[:, num], self.sigma[:, num]
            z = (U[:, None, num] - mu[None]) / sigma[None]
            mass = np.log(ndtr((1.0 - mu) / sigma) - ndtr(-mu / sigma))
            log_kernel = -0.5 * z**2 - np.log(sigma * np.sqrt(2 * np.pi)) - mass
            per_component += log_kernel.sum(axis=2)
        for j in np.flatnonzero(self.categorical):
            index = np.minimum((U[:, j] * self.cells[j]).astype(int), self.cells[j] - 1)
            per_component += np.log(self.probs[:, j, index]).T
        return logsumexp(per_component + self.log_w[None], axis=1)


def _bandwidths(X: np.ndarray, cells: np.ndarray, scale: float) -> np.ndarray:
    """Per column, the bandwidth of an observation's kernel, (d,).

    A fixed base width, times ``scale``, shrinks at the ``n^(-1/(d+4))`` rate of
    Scott's rule (Scott 1992, eq. 6.42) as observations accumulate; a discrete
    column keeps at least half a cell so neighbouring values stay reachable.
    """
    n, d = X.shape
    sigma = np.full(d, scale * BANDWIDTH * max(n, 1) ** (-1.0 / (d + 4)))
    floor = np.where(cells > 0, 0.5 / np.maximum(cells, 1), _MIN_SIGMA)
    return np.maximum(sigma, floor)


def _categorical_kernels(
    X: np.ndarray, categorical: np.ndarray, cells: np.ndarray
) -> np.ndarray:
    """Smoothed one-hot kernels of every component, (c, d, k); the prior is flat."""
    n, d = X.shape
    k = int(max(cells[categorical].max(initial=1), 1))
    probs = np.ones((n + 1, d, k))
    for j in np.flatnonzero(categorical):
        size = int(cells[j])
        index = np.minimum((X[:, j] * size).astype(int), size - 1)
        column = np.full((n + 1, k), 0.0)
        column[:, :size] = _CATEGORICAL_SMOOTHING / size
        column[np.arange(n), index] += 1.0 - _CATEGORICAL_SMOOTHING
        column[n, :size] = 1.0 / size
        probs[:, j] = column
    return probs
