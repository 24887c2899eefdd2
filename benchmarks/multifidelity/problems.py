"""Multi-fidelity problems: a loss for every configuration at every epoch.

Each problem gives the whole learning curve of a configuration, so a method that
re-runs a configuration at a larger budget sees exactly the values a real re-run
would give (training is seeded), and curves are computed once and cached.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Dim:
    """One parameter: a float in ``[low, high]`` or an int index ``low..high``."""

    name: str
    kind: str
    low: float
    high: float


@dataclass
class Problem:
    """A search space, the largest budget ``max_epochs`` and the learning curves."""

    name: str
    dims: tuple[Dim, ...]
    max_epochs: int
    budget: int
    """Total epochs every method may consume."""
    _curves: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    def curve(self, params: dict[str, Any], epochs: int) -> list[float]:
        """Validation losses after epochs ``1..epochs``."""
        raise NotImplementedError

    def score(self, params: dict[str, Any], observed: float) -> float:
        """What a full-budget result is worth; the observed loss unless overridden."""
        return observed


def _key(params: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, round(float(v), 12)) for k, v in params.items()))


class LearningCurves(Problem):
    """A synthetic problem whose fast starters are not the best finishers.

    Final loss ``f = 0.05 + (x0 - 0.3)^2 + 0.5 (x1 - 0.7)^2 + 0.2 x2 x3``; the loss
    at epoch ``e`` decays as ``f + (1 - f) e^(-k)`` with ``k = 0.3 + 1.2 x0``, so
    large ``x0`` learns fast but ends worse, and early rungs can mislead. Each
    epoch adds seeded noise of standard deviation 0.01, which methods see; the
    score of a full-budget result is its noise-free loss at ``max_epochs``, so
    a lucky draw of noise does not count as a better configuration.
    """

    def __init__(self) -> None:
        dims = tuple(Dim(f"x{i}", "float", 0.0, 1.0) for i in range(4))
        super().__init__("learning-curves", dims, max_epochs=81, budget=5000)

    def curve(self, params: dict[str, Any], epochs: int) -> list[float]:
        seed = int(hashlib.sha256(repr(_key(params)).encode()).hexdigest()[:8], 16)
        noise = np.random.default_rng(seed).normal(0, 0.01, self.max_epochs)
        values = self._mean_curve(params, epochs) + noise[:epochs]
        return [float(v) for v in values]

    def score(self, params: dict[str, Any], observed: float) -> float:
        """The noise-free loss after ``max_epochs``, whatever noise was observed."""
        return float(self._mean_curve(params, self.max_epochs)[-1])

    def _mean_curve(self, params: dict[str, Any], epochs: int) -> np.ndarray:
        x = [float(params[f"x{i}"]) for i in range(4)]
        final = 0.05 + (x[0] - 0.3) ** 2 + 0.5 * (x[1] - 0.7) ** 2 + 0.2 * x[2] * x[3]
        rate = 0.3 + 1.2 * x[0]
        steps = np.arange(1, epochs + 1)
        return final + (1 - final) * steps ** (-rate)


_CACHE = Path(__file__).resolve().parents[1] / ".cache"
_LEARNING_RATES = np.logspace(-4, -0.5, 8)
_ALPHAS = np.logspace(-6, -1, 4)
_HIDDEN = (16, 32, 64)
_BATCH_SIZE = 128


class DigitsMLP(Problem):
    """scikit-learn's MLP on the digits data, trained one epoch per ``partial_fit``.

    The space is a grid of indices (learning rate 8 log steps from 1e-4 to 0.3,
    L2 penalty 4 log steps from 1e-6 to 0.1, hidden units 16/32/64; batches of 128),
    so every method searches the same 96 configurations. The loss is the
    validation log-loss after each epoch. Training is seeded, so the curve of a
    configuration is the same however often it is re-run: every curve is trained
    once, all 27 epochs, and kept in ``benchmarks/.cache`` for later runs.
    """

    def __init__(self) -> None:
        dims = (
            Dim("lr", "int", 0, len(_LEARNING_RATES) - 1),
            Dim("alpha", "int", 0, len(_ALPHAS) - 1),
            Dim("hidden", "int", 0, len(_HIDDEN) - 1),
        )
        super().__init__("digits-mlp", dims, max_epochs=27, budget=600)
        self._table = _digits_table(self.max_epochs)

    def curve(self, params: dict[str, Any], epochs: int) -> list[float]:
        key = tuple(int(params[d.name]) for d in self.dims)
        return self._table[key][:epochs]


def _digits_table(epochs: int) -> dict[tuple[int, ...], list[float]]:
    path = _CACHE / f"digits-mlp-{epochs}.json"
    if path.exists():
        rows = json.loads(path.read_text())
        return {tuple(row["key"]): row["losses"] for row in rows}
    grid = itertools.product(
        range(len(_LEARNING_RATES)),
        range(len(_ALPHAS)),
        range(len(_HIDDEN)),
    )
    rows = [{"key": key, "losses": _train(key, epochs)} for key in grid]
    _CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows))
    return {tuple(row["key"]): row["losses"] for row in rows}


def _train(key: tuple[int, ...], epochs: int) -> list[float]:
    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier

    lr, alpha, hidden = key
    x_train, x_val, y_train, y_val = _digits()
    model = MLPClassifier(
        hidden_layer_sizes=(_HIDDEN[hidden],),
        learning_rate_init=float(_LEARNING_RATES[lr]),
        alpha=float(_ALPHAS[alpha]),
        batch_size=_BATCH_SIZE,
        random_state=0,
    )
    classes, losses = np.arange(10), []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            model.partial_fit(x_train, y_train, classes=classes)
            proba = np.clip(model.predict_proba(x_val), 1e-7, 1)
            losses.append(float(log_loss(y_val, proba, labels=classes)))
    return losses


@cache
def _digits() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return tuple(train_test_split(x / 16.0, y, test_size=0.3, random_state=0))


PROBLEMS = {"learning-curves": LearningCurves, "digits-mlp": DigitsMLP}
