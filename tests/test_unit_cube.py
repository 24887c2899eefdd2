"""The quasi-random design the model-based algorithms open a search with."""

from __future__ import annotations

import numpy as np

from hpotui.algorithms.unit_cube import quasi_random_point


def _design(seed: int, n: int, dims: int = 5) -> np.ndarray:
    return np.array([quasi_random_point(dims, seed, index) for index in range(n)])


def test_the_design_depends_only_on_seed_and_index() -> None:
    assert np.array_equal(_design(3, 8), _design(3, 8))
    assert not np.allclose(_design(3, 8), _design(4, 8))
    assert np.array_equal(quasi_random_point(5, 3, 6), _design(3, 8)[6])


def test_eight_points_fill_every_eighth_of_each_column() -> None:
    """Unlike independent draws, the first 8 points split each column evenly."""
    for seed in range(5):
        U = _design(seed, 8)
        assert np.all((U >= 0.0) & (U < 1.0))
        for column in U.T:
            assert sorted(np.floor(column * 8).astype(int)) == list(range(8))
