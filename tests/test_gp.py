"""GP Bayesian optimization: the model's maths, robustness, batches and quality."""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pytest
from algorithm_helpers import (
    BRANIN_SPACE,
    best_regret,
    branin,
    run_search,
    type_problems,
)
from scipy.special import ndtr

from hpotui.algorithms import Observation, create_algorithm
from hpotui.algorithms.gp import model as gp_model
from hpotui.algorithms.gp.acquisition import log_ei, log_h
from hpotui.algorithms.gp.kernel import squared_distances
from hpotui.algorithms.gp.model import Hyper, Posterior, _neg_log_posterior
from hpotui.space import ChoiceParam, RangeParam, SearchSpace
from hpotui.states import TrialState

_MIXED = SearchSpace(
    (
        RangeParam("lr", "double", 1e-4, 1.0, log=True),
        RangeParam("units", "int", 8, 256, log=True),
        ChoiceParam("act", ("relu", "tanh", None)),
    )
)


def _history(
    space: SearchSpace, configs: list[dict], losses: list, start: int = 0
) -> list[Observation]:
    return [
        Observation(
            i, c, TrialState.FAILED if loss is None else TrialState.FINISHED, loss
        )
        for i, (c, loss) in enumerate(zip(configs, losses, strict=True), start)
    ]


def _check(space: SearchSpace, suggestions: list, n: int) -> None:
    assert len(suggestions) == n
    for suggestion in suggestions:
        assert space.problems_with(suggestion.params) == []
        assert type_problems(space, suggestion.params) == []


def test_log_h_matches_the_direct_formula_and_stays_finite_in_the_tail() -> None:
    z = np.array([-3.0, -0.5, 0.0, 1.5])
    direct = np.log(np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi) + z * ndtr(z))
    assert np.allclose(log_h(z), direct, rtol=1e-9)
    tail = log_h(np.array([-40.0, -1e4]))
    assert np.all(np.isfinite(tail)) and tail[0] > tail[1]


def test_log_ei_gradients_match_finite_differences() -> None:
    mean, var, eps = np.array([0.4]), np.array([0.3]), 1e-6
    value, d_mean, d_var = log_ei(mean, var, -0.2)
    assert d_mean[0] == pytest.approx(
        (log_ei(mean + eps, var, -0.2)[0] - value)[0] / eps, rel=1e-4
    )
    assert d_var[0] == pytest.approx(
        (log_ei(mean, var + eps, -0.2)[0] - value)[0] / eps, rel=1e-4
    )


def test_marginal_likelihood_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.random((12, 3)), rng.standard_normal(12)
    X[:, 2] = rng.integers(0, 3, 12)
    D = squared_distances(X, X, np.array([False, False, True]))
    theta = np.array([-0.5, 0.2, 0.1, 0.3, np.log(1e-2)])
    value, grad = _neg_log_posterior(theta, D, y, 0.0)
    for j in range(len(theta)):
        step = np.zeros_like(theta)
        step[j] = 1e-6
        numeric = (_neg_log_posterior(theta + step, D, y, 0.0)[0] - value) / 1e-6
        assert grad[j] == pytest.approx(numeric, rel=1e-3, abs=1e-5)


def test_posterior_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    X, y = rng.random((10, 2)), rng.standard_normal(10)
    hyper = Hyper(np.array([0.3, 0.5]), 1.2, 1e-4)
    posterior = Posterior(X, y, np.array([False, False]), hyper)
    U = rng.random((1, 2))
    mean, var, dmean, dvar = posterior.predict_with_gradient(U)
    for j in range(2):
        moved = U.copy()
        moved[0, j] += 1e-6
        mean2, var2 = posterior.predict(moved)
        assert dmean[0, j] == pytest.approx(
            (mean2 - mean)[0] / 1e-6, rel=1e-3, abs=1e-6
        )
        assert dvar[0, j] == pytest.approx((var2 - var)[0] / 1e-6, rel=1e-3, abs=1e-6)


def _ready(space: SearchSpace, losses: list, seed: int = 0, same: bool = False) -> list:
    rng = np.random.default_rng(seed)
    configs = [space.sample(rng) for _ in losses]
    if same:
        configs = [configs[0]] * len(losses)
    return _history(space, configs, losses)


@pytest.mark.parametrize(
    "case",
    [
        dict(losses=[1.0] * 12),  # constant objective
        dict(losses=list(np.linspace(0, 1, 12)), same=True),  # one point, 12 values
        dict(losses=[None] * 12),  # every trial failed
        dict(losses=[0.5, None] * 6),  # half failed
    ],
)
def test_degenerate_histories_still_give_valid_suggestions(case: dict) -> None:
    history = _ready(_MIXED, case["losses"], same=case.get("same", False))
    algorithm = create_algorithm("Bayesian", _MIXED, seed=0)
    _check(_MIXED, algorithm.suggest(3, history, []), 3)


def test_near_duplicate_points_do_not_break_the_fit() -> None:
    base = {"lr": 0.01, "units": 32, "act": "relu"}
    configs = [dict(base, lr=0.01 * (1 + 1e-12 * i)) for i in range(12)]
    history = _history(_MIXED, configs, [float(i % 3) for i in range(12)])
    _check(
        _MIXED, create_algorithm("Bayesian", _MIXED, seed=1).suggest(2, history, []), 2
    )


def test_discrete_only_space_is_searched_without_repeats_then_ends() -> None:
    space = SearchSpace(
        (ChoiceParam("opt", ("sgd", "adam", False)), RangeParam("layers", "int", 1, 4))
    )
    algorithm = create_algorithm(
        "Bayesian", space, seed=2, options={"startup_trials": 3}
    )
    history: list[Observation] = []
    while batch := algorithm.suggest(2, history, []):
        for s in batch:
            history.append(
                Observation(
                    len(history),
                    s.params,
                    TrialState.FINISHED,
                    float(s.params["layers"]),
                )
            )
    assert len({space.key(obs.params) for obs in history}) == len(history) == 12


def test_a_failing_fit_falls_back_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> Hyper:
        raise gp_model.FitError("no start of the hyperparameter fit converged")

    monkeypatch.setattr("hpotui.algorithms.gp.sampler.fit_hyper", broken)
    history = _ready(_MIXED, list(np.linspace(0, 1, 12)))
    algorithm = create_algorithm("Bayesian", _MIXED, seed=0)
    with caplog.at_level(logging.WARNING):
        first = algorithm.suggest(2, history, [])
        second = algorithm.suggest(2, history, first)
    _check(_MIXED, first + second, 4)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "could not be fitted" in warnings[0].getMessage()


def test_batches_spread_out_on_every_seed() -> None:
    """No two points of a batch of 4 closer than 1e-3 of the unit square, over three
    seeds and several batches each: log EI alone can put them 1e-8 apart."""
    closest = []
    for seed in range(3):
        algorithm = create_algorithm("Bayesian", BRANIN_SPACE, seed=seed)
        history = run_search(algorithm, branin, 14)
        for _ in range(4):
            batch = algorithm.suggest(4, history, [])
            U = np.array([BRANIN_SPACE.encode(s.params) for s in batch])
            gaps = np.sqrt(((U[:, None] - U[None]) ** 2).sum(axis=-1))
            closest.append(gaps[np.triu_indices(4, k=1)].min())
            history += _history(
                BRANIN_SPACE,
                [s.params for s in batch],
                [branin(s.params) for s in batch],
                start=len(history),
            )
    assert min(closest) > 1e-3


def test_an_optimum_on_a_bound_is_not_tried_twice() -> None:
    """The best value sits in a corner, where clipping alone would return it again."""
    space = SearchSpace(
        (
            RangeParam("lr", "double", 1e-4, 1e-1, log=True),
            RangeParam("units", "int", 16, 256, step=16),
        )
    )
    algorithm = create_algorithm("Bayesian", space, seed=0)
    history: list[Observation] = []
    while len(history) < 30:
        for s in algorithm.suggest(1, history, []):
            loss = -np.log(s.params["lr"]) + s.params["units"] / 100
            history.append(
                Observation(len(history), s.params, TrialState.FINISHED, loss)
            )
    assert len({space.key(obs.params) for obs in history}) == 30


def test_a_constant_objective_gives_distinct_points() -> None:
    space = SearchSpace(
        (RangeParam("x", "double", 0.0, 1.0), RangeParam("y", "double", 0.0, 1.0))
    )
    algorithm = create_algorithm("Bayesian", space, seed=0)
    history: list[Observation] = []
    while len(history) < 30:
        for s in algorithm.suggest(1, history, []):
            history.append(
                Observation(len(history), s.params, TrialState.FINISHED, 1.0)
            )
    assert len({space.key(obs.params) for obs in history}) == 30


def test_beats_random_search_on_branin() -> None:
    """Median regret after 25 trials over 2 seeds, against random search's over 5."""
    gp = np.median([best_regret("Bayesian", seed, 25) for seed in range(2)])
    random = np.median([best_regret("Random", seed, 25) for seed in range(5)])
    assert gp < 0.2 * random


def test_losses_near_the_float_limit_are_modelled_without_overflow() -> None:
    history = _ready(_MIXED, list(np.linspace(1e300, 5e300, 12)))
    algorithm = create_algorithm("Bayesian", _MIXED, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warnings fail the test
        _check(_MIXED, algorithm.suggest(2, history, []), 2)
