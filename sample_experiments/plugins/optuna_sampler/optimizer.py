"""Any Optuna sampler as a WML-A style plugin: bring a whole library.

Needs Optuna in the interpreter the plugin runs with (``pip install
'hpotui[optuna]'``). Install: ``hpotui algorithms install
sample_experiments/plugins/optuna_sampler --name optuna-tpe``.

Options (strings): ``sampler`` (a class of ``optuna.samplers``; TPESampler),
``sampler_args`` (JSON keyword arguments for it), ``direction`` (minimize or
maximize, matching the experiment's goal), ``random_seed``.

Trials are asked from an in-memory study and told back when their results arrive,
matched by their hyperparameters. The saved state is the list of told results; on
resume they are added to a fresh study, so the sampler sees the same history.
"""

from __future__ import annotations

import json
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from plugins.core.base_plugin_opt import BasePluginOptimizer
from plugins.core.logger import logger

_STATES = {
    "FINISHED": optuna.trial.TrialState.COMPLETE,
    "PRUNED": optuna.trial.TrialState.PRUNED,
}


class PluginOptimizer(BasePluginOptimizer):
    def __init__(
        self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: str
    ) -> None:
        super().__init__(name, hyper_parameters, **kwargs)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.direction = kwargs.get("direction", "minimize")
        self.sampler_name = kwargs.get("sampler", "TPESampler")
        self.sampler_args = json.loads(kwargs.get("sampler_args", "{}"))
        seed = kwargs.get("random_seed")
        if seed is not None:
            self.sampler_args.setdefault("seed", int(seed))
        self.distributions = {hp["name"]: _distribution(hp) for hp in hyper_parameters}
        self.told = []
        self._start_study()

    def search(
        self, number_samples: int, last_exp_results: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        for result in last_exp_results:
            self._tell(result)
        configs = []
        for _ in range(number_samples):
            trial = self.study.ask(self.distributions)
            self.pending.append(trial)
            configs.append(dict(trial.params))
        return configs

    def get_state(self) -> dict[str, Any]:
        return {"told": self.told}

    def set_state(self, state_dict: dict[str, Any]) -> None:
        self.told = []
        self._start_study()
        for result in state_dict["told"]:
            self._tell(result)

    def _start_study(self) -> None:
        sampler_class = getattr(optuna.samplers, self.sampler_name)
        logger.info("Optuna %s(%s)", self.sampler_name, self.sampler_args)
        self.study = optuna.create_study(
            direction=self.direction, sampler=sampler_class(**self.sampler_args)
        )
        self.pending = []

    def _tell(self, result: dict[str, Any]) -> None:
        params = result["hyperParams"]
        state = _STATES.get(result["state"], optuna.trial.TrialState.FAIL)
        value = result["metricVal"]
        if state == optuna.trial.TrialState.COMPLETE and value is None:
            state = optuna.trial.TrialState.FAIL
        trial = next((t for t in self.pending if t.params == params), None)
        if trial is not None:
            self.pending.remove(trial)
            if state == optuna.trial.TrialState.COMPLETE:
                self.study.tell(trial, value)
            else:
                self.study.tell(trial, state=state)
        else:
            # A result this study did not ask for (told before a resume, or a
            # trial re-run after one): add it as a finished trial.
            self.study.add_trial(
                optuna.trial.create_trial(
                    params=params,
                    distributions=self.distributions,
                    value=value if state == optuna.trial.TrialState.COMPLETE else None,
                    state=state,
                )
            )
        self.told.append(result)


def _distribution(hp: dict[str, Any]) -> BaseDistribution:
    if hp["type"] == "Discrete":
        for key in ("discreteIntVal", "discreteDbVal", "discreateStrVal"):
            if hp.get(key):
                return CategoricalDistribution(hp[key])
        raise ValueError(f"{hp['name']}: no values given")
    log = bool(hp.get("log"))
    step = None if log or not hp.get("step") else float(hp["step"])
    if hp["dataType"] == "INT":
        return IntDistribution(
            hp["minIntVal"], hp["maxIntVal"], log=log, step=int(step or 1)
        )
    return FloatDistribution(hp["minDbVal"], hp["maxDbVal"], log=log, step=step)
