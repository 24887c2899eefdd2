"""Random search as a WML-A style plugin.

Install: ``hpotui algorithms install sample_experiments/plugins/random --name
sample-random``. Options (strings, as WML-A passes them): ``random_seed``.

Each value is drawn uniformly: ranges between their bounds (in the logarithm when
the entry says ``log``, on the grid when it has a ``step``), lists by index. The
generator's state is saved with ``get_state``, so a resumed experiment continues
the same sequence.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from plugins.core.base_plugin_opt import BasePluginOptimizer
from plugins.core.logger import logger


class PluginOptimizer(BasePluginOptimizer):
    def __init__(
        self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: str
    ) -> None:
        super().__init__(name, hyper_parameters, **kwargs)
        seed = kwargs.get("random_seed")
        self.rng = np.random.RandomState(None if seed is None else int(seed))
        self.asked = 0
        logger.info("random plugin %s over %d parameters", name, len(hyper_parameters))

    def search(
        self, number_samples: int, last_exp_results: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        for result in last_exp_results:
            logger.debug("trial ended: %s", result)
        configs = [self._draw() for _ in range(number_samples)]
        self.asked += len(configs)
        return configs

    def get_state(self) -> dict[str, Any]:
        return {"rng": self.rng.get_state(), "asked": self.asked}

    def set_state(self, state_dict: dict[str, Any]) -> None:
        self.rng.set_state(state_dict["rng"])
        self.asked = state_dict["asked"]

    def _draw(self) -> dict[str, Any]:
        return {hp["name"]: self._value(hp) for hp in self.hyper_parameters}

    def _value(self, hp: dict[str, Any]) -> Any:
        if hp["type"] == "Discrete":
            values = _discrete_values(hp)
            return values[self.rng.randint(len(values))]
        is_int = hp["dataType"] == "INT"
        low = hp["minIntVal"] if is_int else hp["minDbVal"]
        high = hp["maxIntVal"] if is_int else hp["maxDbVal"]
        step = hp.get("step")
        if step:
            count = int(math.floor((high - low) / float(step) + 1e-9)) + 1
            value = low + self.rng.randint(count) * float(step)
            return int(round(value)) if is_int else round(value, 12)
        if is_int and not hp.get("log"):
            return int(self.rng.randint(low, high + 1))
        if hp.get("log"):
            edge = 0.5 if is_int else 0.0
            value = math.exp(
                self.rng.uniform(math.log(low - edge), math.log(high + edge))
            )
        else:
            value = self.rng.uniform(low, high)
        return min(max(int(round(value)), low), high) if is_int else float(value)


def _discrete_values(hp: dict[str, Any]) -> list[Any]:
    for key in ("discreteIntVal", "discreteDbVal", "discreateStrVal"):
        if hp.get(key):
            return list(hp[key])
    raise ValueError(f"{hp['name']}: no values given")
