"""Train a small neural network on the handwritten digits bundled with scikit-learn.

A training job in the WML-A contract, so it runs unchanged under hpotui or WML-A:
it reads its hyperparameters from ``config.json`` in the working directory and,
after every epoch, writes ``$RESULT_DIR/val_dict_list.json`` (validation log-loss
and accuracy per epoch). Nothing is downloaded.

config.json keys (all optional; missing ones take the defaults below):
    learning_rate, hidden_units, activation, batch_size, alpha: the network.
    epochs: how many passes over the training data (Hyperband's resource).
    data_fraction: the share of the training data to use, e.g. 0.5.
    seed: the random seed of the split and of the network's initial weights.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.001,
    "hidden_units": 64,
    "activation": "relu",
    "batch_size": 64,
    "alpha": 0.0001,
    "epochs": 10,
    "data_fraction": 1.0,
    "seed": 0,
}


def read_config() -> dict[str, Any]:
    """The defaults overlaid with config.json from the working directory."""
    config = dict(DEFAULTS)
    path = Path("config.json")
    if path.exists():
        config.update(json.loads(path.read_text()))
    return config


def split_data(fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """Scaled training and validation arrays; the training part cut to ``fraction``."""
    features, labels = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        features, labels, test_size=0.25, random_state=seed, stratify=labels
    )
    if fraction < 1.0:
        keep = max(int(len(x_train) * fraction), 50)
        x_train, y_train = x_train[:keep], y_train[:keep]
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_val), y_train, y_val


def write_results(records: list[dict[str, Any]]) -> None:
    """Replace val_dict_list.json atomically, so a reader never sees half a file."""
    result_dir = Path(os.environ.get("RESULT_DIR", "."))
    result_dir.mkdir(parents=True, exist_ok=True)
    temporary = result_dir / "val_dict_list.json.tmp"
    temporary.write_text(json.dumps(records))
    os.replace(temporary, result_dir / "val_dict_list.json")


def whole(value: Any) -> int:
    """An integer from config.json, which may hold 64, 64.0 or "64" (WML-A)."""
    return int(float(value))


def main() -> int:
    config = read_config()
    seed = whole(config["seed"])
    epochs = whole(config["epochs"])
    x_train, x_val, y_train, y_val = split_data(float(config["data_fraction"]), seed)
    network = MLPClassifier(
        hidden_layer_sizes=(whole(config["hidden_units"]),),
        activation=str(config["activation"]),
        learning_rate_init=float(config["learning_rate"]),
        batch_size=min(whole(config["batch_size"]), len(x_train)),
        alpha=float(config["alpha"]),
        random_state=seed,
    )
    classes = np.unique(y_train)
    shuffle = np.random.default_rng(seed)
    print(f"training on {len(x_train)} digits, validating on {len(x_val)}", flush=True)
    records: list[dict[str, Any]] = []
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        order = shuffle.permutation(len(x_train))
        network.partial_fit(x_train[order], y_train[order], classes=classes)
        probabilities = network.predict_proba(x_val)
        loss = float(log_loss(y_val, probabilities, labels=classes))
        accuracy = float(accuracy_score(y_val, classes[probabilities.argmax(axis=1)]))
        records.append({"steps": epoch, "loss": loss, "accuracy": accuracy})
        write_results(records)
        seconds = time.perf_counter() - started
        print(
            f"epoch {epoch}/{epochs} loss {loss:.4f} accuracy {accuracy:.4f} "
            f"({seconds:.2f}s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
