"""The ARD Matérn-5/2 kernel over mixed numeric and categorical columns.

Notation:
    ``a``, ``b``: numbers of points in the two sets compared; ``d``: feature columns.
    ``A`` (a, d), ``B`` (b, d): points; a categorical column holds the centre of
        its value's cell, so equal values give equal coordinates.
    ``D`` (d, a, b): per-column squared distances; a categorical column contributes
        1 where the values differ and 0 where they agree (a Hamming distance, as
        one-hot columns sharing one lengthscale would give).
    ``ell`` (d,): lengthscales; ``r2`` (a, b): ``sum_j D[j] / ell[j]**2``.
    ``k(r) = (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r)`` (Rasmussen and Williams 2006,
        eq. 4.17), a correlation in [0, 1].
"""

from __future__ import annotations

import numpy as np

_SQRT5 = np.sqrt(5.0)


def squared_distances(
    A: np.ndarray, B: np.ndarray, categorical: np.ndarray
) -> np.ndarray:
    """``D``: per-column squared distances between ``A`` and ``B``, (d, a, b)."""
    diff = A.T[:, :, None] - B.T[:, None, :]
    D = diff**2
    if categorical.any():
        D[categorical] = (diff[categorical] != 0).astype(float)
    return D


def scaled_r2(D: np.ndarray, ell: np.ndarray) -> np.ndarray:
    """``r2`` (a, b) from ``D`` (d, a, b) and the lengthscales (d,)."""
    return np.tensordot(1.0 / ell**2, D, axes=1)


def matern52(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The correlation ``k`` and its derivative with respect to ``r2``.

    The derivative ``-5/6 (1 + sqrt5 r) exp(-sqrt5 r)`` is smooth at ``r = 0``,
    which is why gradients go through ``r2`` rather than ``r``.
    """
    r = np.sqrt(np.maximum(r2, 0.0))
    decay = np.exp(-_SQRT5 * r)
    k = (1.0 + _SQRT5 * r + 5.0 / 3.0 * r2) * decay
    dk_dr2 = -5.0 / 6.0 * (1.0 + _SQRT5 * r) * decay
    return k, dk_dr2
