"""A Gaussian process with ARD Matérn-5/2 kernel, fitted by type-II maximum likelihood.

Notation:
    ``n``: training points; ``d``: feature columns; ``m``: query points.
    ``X`` (n, d): training inputs; ``y`` (n,): standardized training outputs.
    ``theta`` (d + 2,): ``log ell`` (d,), ``log s2`` (signal variance) and
        ``log noise`` (noise variance), all on the standardized scale.
    ``K`` (n, n): ``s2 k(X, X) + noise I``; ``L`` (n, n): its lower Cholesky factor.
    ``alpha`` (n,): ``K^-1 y``.

The hyperparameters maximise the log marginal likelihood plus weak log-normal
priors (Rasmussen and Williams 2006, eq. 5.8, 5.9). The lengthscale prior's centre
grows with ``sqrt(d)`` so that higher dimensions start smoother (Hvarfner et al.
2024, "Vanilla Bayesian Optimization Performs Great in High Dimensions").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular
from scipy.optimize import minimize

from hpotui.algorithms.gp.kernel import matern52, scaled_r2, squared_distances

_LOG_ELL_BOUNDS = (np.log(1e-2), np.log(1e2))
_LOG_S2_BOUNDS = (np.log(1e-2), np.log(1e2))
_LOG_NOISE_BOUNDS = (np.log(1e-8), np.log(1.0))
_NOISE_PRIOR = (np.log(1e-3), 3.0)
_S2_PRIOR = (0.0, 1.5)
_ELL_PRIOR_SD = 1.5
# Diagonal jitter tried in turn when a Cholesky factorization fails.
JITTERS = (0.0, 1e-8, 1e-6, 1e-4)


class FitError(ArithmeticError):
    """The kernel matrix stayed singular even with the largest jitter."""


@dataclass(frozen=True)
class Hyper:
    """Kernel hyperparameters on the standardized scale."""

    ell: np.ndarray
    s2: float
    noise: float

    @classmethod
    def from_theta(cls, theta: np.ndarray) -> Hyper:
        return cls(
            np.exp(theta[:-2]), float(np.exp(theta[-2])), float(np.exp(theta[-1]))
        )


class Posterior:
    """The GP conditioned on training data, for a fixed :class:`Hyper`.

    ``noise`` (n,) overrides the noise variance per point; fantasies use a tiny one
    because the model is to believe them exactly.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        categorical: np.ndarray,
        hyper: Hyper,
        noise: np.ndarray | None = None,
    ) -> None:
        self.X, self.y, self.categorical, self.hyper = X, y, categorical, hyper
        self.noise = np.full(len(y), hyper.noise) if noise is None else noise
        corr, _ = matern52(scaled_r2(squared_distances(X, X, categorical), hyper.ell))
        self.L = _cholesky(hyper.s2 * corr + np.diag(self.noise))
        self.alpha = cho_solve((self.L, True), y)

    def predict(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function at ``U``, (m,) each."""
        cross, _, _ = self._cross(U)
        v = solve_triangular(self.L, cross.T, lower=True)
        var = self.hyper.s2 - np.sum(v**2, axis=0)
        return cross @ self.alpha, np.maximum(var, 1e-12)

    def predict_with_gradient(
        self, U: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients with respect to ``U``, (m, d) each.

        Categorical columns get zero gradients: they are not moved continuously.
        """
        cross, dk_dr2, D_sign = self._cross(U)
        beta = cho_solve((self.L, True), cross.T)
        var = self.hyper.s2 - np.sum(cross.T * beta, axis=0)
        # d cross[m, n] / d U[m, j] = s2 dk/dr2 * 2 (U[m, j] - X[n, j]) / ell_j^2
        scale = 2.0 * self.hyper.s2 / self.hyper.ell**2
        dcross = scale[:, None, None] * D_sign * dk_dr2[None]
        dmean = np.einsum("jmn,n->mj", dcross, self.alpha)
        dvar = -2.0 * np.einsum("jmn,nm->mj", dcross, beta)
        return cross @ self.alpha, np.maximum(var, 1e-12), dmean, dvar

    def _cross(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        D = squared_distances(U, self.X, self.categorical)
        corr, dk_dr2 = matern52(scaled_r2(D, self.hyper.ell))
        diff = U.T[:, :, None] - self.X.T[:, None, :]
        diff[self.categorical] = 0.0
        return self.hyper.s2 * corr, dk_dr2, diff


def fit_hyper(
    X: np.ndarray,
    y: np.ndarray,
    categorical: np.ndarray,
    rng: np.random.Generator,
    restarts: int = 1,
) -> Hyper:
    """Hyperparameters maximising the penalised marginal likelihood.

    Starts from the prior's centre and ``restarts`` draws from the prior, keeping
    the best optimum found.

    Raises:
        FitError: Every start failed.
    """
    d = X.shape[1]
    D = squared_distances(X, X, categorical)
    centre = _ell_prior_centre(d)
    starts = [np.concatenate([np.full(d, centre), [0.0, np.log(1e-3)]])]
    for _ in range(restarts):
        log_ell = centre + _ELL_PRIOR_SD * rng.standard_normal(d)
        starts.append(np.concatenate([log_ell, [0.0, np.log(1e-2)]]))
    bounds = [_LOG_ELL_BOUNDS] * d + [_LOG_S2_BOUNDS, _LOG_NOISE_BOUNDS]
    best: tuple[float, np.ndarray] | None = None
    for theta0 in starts:
        theta0 = np.clip(theta0, [b[0] for b in bounds], [b[1] for b in bounds])
        try:
            result = minimize(
                _neg_log_posterior,
                theta0,
                args=(D, y, centre),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 50},
            )
        except (FitError, np.linalg.LinAlgError, ValueError):
            continue
        if np.isfinite(result.fun) and (best is None or result.fun < best[0]):
            best = (float(result.fun), result.x)
    if best is None:
        raise FitError("no start of the hyperparameter fit converged")
    return Hyper.from_theta(best[1])


def _ell_prior_centre(d: int) -> float:
    return float(np.log(0.5 * np.sqrt(max(d, 1))))


def _neg_log_posterior(
    theta: np.ndarray, D: np.ndarray, y: np.ndarray, ell_centre: float
) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood plus priors, and its gradient."""
    hyper = Hyper.from_theta(theta)
    n = len(y)
    corr, dk_dr2 = matern52(scaled_r2(D, hyper.ell))
    L = _cholesky(hyper.s2 * corr + hyper.noise * np.eye(n))
    alpha = cho_solve((L, True), y)
    value = 0.5 * y @ alpha + np.log(np.diag(L)).sum() + 0.5 * n * np.log(2 * np.pi)

    # d value / d theta = -1/2 tr(W dK/dtheta), W = alpha alpha^T - K^-1 (eq. 5.9).
    W = np.outer(alpha, alpha) - cho_solve((L, True), np.eye(n))
    WG = W * dk_dr2
    grad_ell = hyper.s2 * np.einsum("ab,jab->j", WG, D) / hyper.ell**2
    grad_s2 = -0.5 * hyper.s2 * np.sum(W * corr)
    grad_noise = -0.5 * hyper.noise * np.trace(W)
    grad = np.concatenate([grad_ell, [grad_s2, grad_noise]])

    prior_value, prior_grad = _log_prior_penalty(theta, ell_centre)
    return float(value + prior_value), grad + prior_grad


def _log_prior_penalty(
    theta: np.ndarray, ell_centre: float
) -> tuple[float, np.ndarray]:
    centres = np.concatenate(
        [np.full(len(theta) - 2, ell_centre), [_S2_PRIOR[0], _NOISE_PRIOR[0]]]
    )
    sds = np.concatenate(
        [np.full(len(theta) - 2, _ELL_PRIOR_SD), [_S2_PRIOR[1], _NOISE_PRIOR[1]]]
    )
    z = (theta - centres) / sds
    return float(0.5 * np.sum(z**2)), z / sds


def _cholesky(K: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of ``K``, adding jitter to the diagonal if needed."""
    scale = max(float(np.mean(np.diag(K))), 1e-12)
    for jitter in JITTERS:
        try:
            return cholesky(K + jitter * scale * np.eye(len(K)), lower=True)
        except np.linalg.LinAlgError:
            continue
    raise FitError("the kernel matrix is singular even with jitter")
