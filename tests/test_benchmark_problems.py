"""The multi-fidelity benchmark's synthetic problem scores what its report says."""

from __future__ import annotations

import pytest

from benchmarks.multifidelity.problems import LearningCurves

BEST_START = {"x0": 0.3, "x1": 0.7, "x2": 0.0, "x3": 0.0}


def test_learning_curves_score_is_the_noise_free_final_loss() -> None:
    """The report measures the noise-free final loss, but the problem used to
    score the observed loss, noise included. At x0 = 0.3, x1 = 0.7, x2 = x3 = 0
    the final loss is 0.05 and the rate 0.66, so after 81 epochs the noise-free
    loss is 0.05 + 0.95 * 81^-0.66."""
    problem = LearningCurves()
    observed = problem.curve(BEST_START, 81)[-1]
    expected = 0.05 + 0.95 * 81**-0.66

    assert problem.score(BEST_START, observed) == pytest.approx(expected, abs=1e-12)
    assert problem.score(BEST_START, 0.0) == pytest.approx(0.1022544755, abs=1e-9)
    # The observed value carries the seeded noise (standard deviation 0.01).
    assert observed != pytest.approx(expected, abs=1e-6)
    assert abs(observed - expected) < 0.05
