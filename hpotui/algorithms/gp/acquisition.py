"""Log expected improvement, computed stably far into the tails.

Notation:
    ``m``: query points. ``mean``, ``var`` (m,): posterior of the latent loss.
    ``best``: the lowest standardized loss observed (we minimise).
    ``z = (best - mean) / sigma`` (m,), ``sigma = sqrt(var)``.
    ``EI = sigma h(z)`` with ``h(z) = phi(z) + z Phi(z)``.

Plain EI underflows to 0 away from the incumbent, leaving the optimizer a flat
surface; its logarithm stays informative (Ament et al. 2023, "Unexpected
Improvements to Expected Improvement for Bayesian Optimization").
"""

from __future__ import annotations

import numpy as np
from scipy.special import erfcx, log_ndtr

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
_SQRT_HALF_PI = np.sqrt(np.pi / 2)


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z Phi(z))`` for any real ``z``, (m,)."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    log_phi = -0.5 * z**2 - _LOG_SQRT_2PI
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(log_phi[upper]) + zu * np.exp(log_ndtr(zu)))
    # For z <= -1: h = phi(z) (1 - |z| sqrt(pi/2) erfcx(|z| / sqrt 2)), and the
    # bracket equals 1 - exp(t) with t < 0, taken by log1mexp without cancellation.
    zl = -z[~upper]
    t = np.log(zl * _SQRT_HALF_PI * erfcx(zl / np.sqrt(2.0)))
    out[~upper] = log_phi[~upper] + _log1mexp(np.minimum(t, -1e-300))
    return out


def log_ei(
    mean: np.ndarray, var: np.ndarray, best: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log EI and its derivatives with respect to ``mean`` and ``var``, (m,) each."""
    sigma = np.sqrt(var)
    z = (best - mean) / sigma
    lh = log_h(z)
    value = np.log(sigma) + lh
    # d log h / dz = Phi(z) / h(z), because h'(z) = Phi(z).
    dlh_dz = np.exp(log_ndtr(z) - lh)
    d_mean = -dlh_dz / sigma
    d_var = (0.5 - 0.5 * z * dlh_dz) / var
    return value, d_mean, d_var


def _log1mexp(t: np.ndarray) -> np.ndarray:
    """``log(1 - exp(t))`` for ``t < 0`` (Mächler 2012)."""
    return np.where(t > -np.log(2.0), np.log(-np.expm1(t)), np.log1p(-np.exp(t)))
