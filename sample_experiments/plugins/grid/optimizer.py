"""Grid search as a WML-A style plugin.

Install: ``hpotui algorithms install sample_experiments/plugins/grid --name
sample-grid``. Options: ``grid_points`` (values per range without a step; 5).

Parameters are ordered by name and the last one varies fastest. Lists give their
values; stepped ranges every step from the lower bound up to and including the
upper bound; other ranges ``grid_points`` evenly spaced values, both bounds
included. An empty list is returned once the grid has been handed out, which ends
the search. The position in the grid is the saved state.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from plugins.core.base_plugin_opt import BasePluginOptimizer
from plugins.core.logger import logger


class PluginOptimizer(BasePluginOptimizer):
    def __init__(
        self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: str
    ) -> None:
        super().__init__(name, hyper_parameters, **kwargs)
        points = int(kwargs.get("grid_points", "5"))
        axes = sorted((hp["name"], _axis(hp, points)) for hp in hyper_parameters)
        self.names = [name for name, _ in axes]
        self.grid = list(itertools.product(*(values for _, values in axes)))
        self.position = 0
        logger.info("grid of %d configurations", len(self.grid))

    def search(
        self, number_samples: int, last_exp_results: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        batch = self.grid[self.position : self.position + number_samples]
        self.position += len(batch)
        return [dict(zip(self.names, values, strict=True)) for values in batch]

    def get_state(self) -> dict[str, Any]:
        return {"position": self.position}

    def set_state(self, state_dict: dict[str, Any]) -> None:
        self.position = state_dict["position"]


def _axis(hp: dict[str, Any], points: int) -> list[Any]:
    if hp["type"] == "Discrete":
        for key in ("discreteIntVal", "discreteDbVal", "discreateStrVal"):
            if hp.get(key):
                return list(hp[key])
        raise ValueError(f"{hp['name']}: no values given")
    is_int = hp["dataType"] == "INT"
    low = hp["minIntVal"] if is_int else hp["minDbVal"]
    high = hp["maxIntVal"] if is_int else hp["maxDbVal"]
    step = float(hp.get("step") or (1 if is_int else 0))
    if step:
        count = int(np.floor((high - low) / step + 1e-9)) + 1
        values = [low + k * step for k in range(count)]
    elif hp.get("log"):
        values = np.geomspace(low, high, points).tolist()
    else:
        values = np.linspace(low, high, points).tolist()
    if is_int:
        return sorted({int(round(v)) for v in values})
    return [round(v, 12) for v in values]
