"""Benchmark problems: a search space in a neutral form and a function to minimise.

Every problem reports a value to minimise; ``optimum`` is its known minimum, or None
for the real models, whose values are validation errors.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Dim:
    """One parameter: ``kind`` is "float", "int" or "choice"."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Problem:
    name: str
    dims: tuple[Dim, ...]
    function: Callable[[dict[str, Any]], float]
    optimum: float | None
    real: bool = False


def _box(prefix: str, n: int, low: float, high: float) -> tuple[Dim, ...]:
    return tuple(Dim(f"{prefix}{i}", "float", low, high) for i in range(n))


def _vector(params: dict[str, Any], n: int) -> np.ndarray:
    return np.array([params[f"x{i}"] for i in range(n)], dtype=float)


def branin(p: dict[str, Any]) -> float:
    x1, x2 = p["x0"], p["x1"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def hartmann6(p: dict[str, Any]) -> float:
    x = _vector(p, 6)
    return float(-_H_ALPHA @ np.exp(-np.sum(_H_A * (x - _H_P) ** 2, axis=1)))


def rosenbrock5(p: dict[str, Any]) -> float:
    x = _vector(p, 5)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley(x: np.ndarray) -> float:
    d = len(x)
    first = -20 * np.exp(-0.2 * np.sqrt(np.sum(x**2) / d))
    return float(first - np.exp(np.sum(np.cos(2 * np.pi * x)) / d) + 20 + math.e)


def levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    body = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return float(np.sin(np.pi * w[0]) ** 2 + body + tail)


_OPTIMIZERS = {"adam": (-3.0, 0.0), "rmsprop": (-2.5, 0.15), "sgd": (-1.5, 0.3)}


def mixed(p: dict[str, Any]) -> float:
    """A network-training stand-in: each optimizer has its own best learning rate."""
    best_log_lr, offset = _OPTIMIZERS[p["optimizer"]]
    return (
        (math.log10(p["lr"]) - best_log_lr) ** 2 / 2
        + (math.log2(p["units"]) - 7) ** 2 / 4
        + (p["depth"] - 4) ** 2 / 9
        + 4 * (p["dropout"] - 0.3) ** 2
        + offset
    )


MIXED_DIMS = (
    Dim("lr", "float", 1e-5, 1.0, log=True),
    Dim("units", "int", 8, 512, log=True),
    Dim("depth", "int", 1, 10),
    Dim("dropout", "float", 0.0, 0.9),
    Dim("optimizer", "choice", choices=("sgd", "adam", "rmsprop")),
)


@cache
def _digits() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return tuple(train_test_split(X / 16.0, y, test_size=0.3, random_state=0))


@cache
def _cancer() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def svm_digits(p: dict[str, Any]) -> float:
    from sklearn.svm import SVC

    X_train, X_test, y_train, y_test = _digits()
    model = SVC(C=p["C"], gamma=p["gamma"]).fit(X_train, y_train)
    return 1.0 - model.score(X_test, y_test)


def hgb_digits(p: dict[str, Any]) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier

    X_train, X_test, y_train, y_test = _digits()
    model = HistGradientBoostingClassifier(
        learning_rate=p["learning_rate"],
        max_leaf_nodes=p["max_leaf_nodes"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=p["l2"],
        max_iter=20,
        early_stopping=False,
        random_state=0,
    ).fit(X_train, y_train)
    return 1.0 - model.score(X_test, y_test)


def mlp_cancer(p: dict[str, Any]) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X_train, X_test, y_train, y_test = _cancer()
    model = MLPClassifier(
        hidden_layer_sizes=(p["units"],),
        alpha=p["alpha"],
        learning_rate_init=p["lr"],
        activation=p["activation"],
        max_iter=60,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return 1.0 - model.score(X_test, y_test)


PROBLEMS = {
    "branin": Problem(
        "branin",
        (Dim("x0", "float", -5, 10), Dim("x1", "float", 0, 15)),
        branin,
        0.397887,
    ),
    "hartmann6": Problem("hartmann6", _box("x", 6, 0, 1), hartmann6, -3.32237),
    "rosenbrock5": Problem("rosenbrock5", _box("x", 5, -5, 10), rosenbrock5, 0.0),
    "ackley5": Problem(
        "ackley5", _box("x", 5, -32.768, 32.768), lambda p: ackley(_vector(p, 5)), 0.0
    ),
    "levy5": Problem(
        "levy5", _box("x", 5, -10, 10), lambda p: levy(_vector(p, 5)), 0.0
    ),
    "mixed": Problem("mixed", MIXED_DIMS, mixed, 0.0),
    "svm_digits": Problem(
        "svm_digits",
        (
            Dim("C", "float", 1e-2, 1e3, log=True),
            Dim("gamma", "float", 1e-5, 1.0, log=True),
        ),
        svm_digits,
        None,
        real=True,
    ),
    "hgb_digits": Problem(
        "hgb_digits",
        (
            Dim("learning_rate", "float", 0.01, 1.0, log=True),
            Dim("max_leaf_nodes", "int", 4, 64, log=True),
            Dim("min_samples_leaf", "int", 2, 60),
            Dim("l2", "float", 1e-6, 10.0, log=True),
        ),
        hgb_digits,
        None,
        real=True,
    ),
    "mlp_cancer": Problem(
        "mlp_cancer",
        (
            Dim("units", "int", 4, 128, log=True),
            Dim("alpha", "float", 1e-6, 1.0, log=True),
            Dim("lr", "float", 1e-4, 0.3, log=True),
            Dim("activation", "choice", choices=("relu", "tanh", "logistic")),
        ),
        mlp_cancer,
        None,
        real=True,
    ),
}


def levy10(p: dict[str, Any]) -> float:
    return levy(_vector(p, 10))


TIMING_PROBLEM = Problem("levy10", _box("x", 10, -10, 10), levy10, 0.0)
