"""A plugin written for WML-A runs unchanged, sees WML-A shapes, and resumes."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from _plugin_kit import SPACE, PluginKit, finished, open_kit

from hpotui.algorithms import Observation
from hpotui.states import TrialState

# Written the way WML-A's own sample plugins are: the platform's import paths,
# Python 2 style super(), numpy values, the logger, print, and numpy RNG state.
WMLA_STYLE = """
import json
import numpy as np
from plugins.core.logger import logger

from plugins.core.base_plugin_opt import BasePluginOptimizer

class PluginOptimizer(BasePluginOptimizer):

    def __init__(self, name, hyper_parameters, **kwargs):
        super(PluginOptimizer, self).__init__(name, hyper_parameters, **kwargs)
        logger.info("all tuning hyper parameters: \\n{}".format(hyper_parameters))
        self._hyper_parameters = hyper_parameters
        self._record_to = kwargs['record_to']
        self._rng = np.random.RandomState(int(kwargs['random_seed']))
        self._record({"name": name, "hyper_parameters": hyper_parameters,
                      "kwargs": kwargs})

    def _record(self, entry):
        with open(self._record_to, "a") as out:
            out.write(json.dumps(entry) + "\\n")

    def search(self, number_samples, last_exp_results):
        print("search asked for", number_samples)
        self._record({"number_samples": number_samples,
                      "last_exp_results": last_exp_results})
        suggestions = []
        for _ in range(number_samples):
            config = {}
            for hp in self._hyper_parameters:
                if hp.get('type') == 'Range' and hp.get('dataType') == 'DOUBLE':
                    config[hp['name']] = self._rng.uniform(hp['minDbVal'],
                                                           hp['maxDbVal'])
                elif hp.get('type') == 'Range' and hp.get('dataType') == 'INT':
                    config[hp['name']] = self._rng.randint(hp['minIntVal'],
                                                           hp['maxIntVal'] + 1)
                elif hp.get('dataType') == 'STR':
                    config[hp['name']] = self._rng.choice(hp['discreateStrVal'])
            suggestions.append(config)
        return suggestions

    def get_state(self):
        return {'rng_state': self._rng.get_state()}

    def set_state(self, state_dict):
        self._rng.set_state(state_dict['rng_state'])
"""


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[PluginKit]:
    yield from open_kit(tmp_path)


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _wmla_plugin(kit: PluginKit, **options: object) -> tuple:
    kit.install_source("wmla-random", WMLA_STYLE)
    record = kit.root / "record.jsonl"
    algorithm = kit.build(
        "wmla-random", seed=11, options={"record_to": str(record), **options}
    )
    return algorithm, record


def test_wmla_plugin_runs_unchanged_and_sees_request_form(kit: PluginKit) -> None:
    algorithm, record = _wmla_plugin(kit, batch=3)
    suggestions = algorithm.suggest(3, [], [])

    assert len(suggestions) == 3
    for suggestion in suggestions:
        assert SPACE.problems_with(suggestion.params) == []
        assert type(suggestion.params["lr"]) is float
        assert type(suggestion.params["layers"]) is int
    init, first_call = _records(record)
    assert init["name"] == "wmla-random"
    assert init["hyper_parameters"] == [
        {"name": "lr", "type": "Range", "dataType": "DOUBLE",
         "minDbVal": 0.0001, "maxDbVal": 0.1, "log": True},
        {"name": "layers", "type": "Range", "dataType": "INT",
         "minIntVal": 1, "maxIntVal": 4},
        {"name": "opt", "type": "Discrete", "dataType": "STR",
         "discreateStrVal": ["adam", "sgd"]},
    ]  # fmt: skip
    assert init["kwargs"] == {
        "record_to": str(record), "batch": "3", "random_seed": "11"
    }  # fmt: skip
    assert first_call == {"number_samples": 3, "last_exp_results": []}


def test_prints_and_logger_go_to_the_plugin_log(kit: PluginKit) -> None:
    algorithm, _ = _wmla_plugin(kit)
    algorithm.suggest(2, [], [])
    algorithm.close()
    log = kit.log("wmla-random")
    assert "search asked for 2" in log
    assert "INFO all tuning hyper parameters" in log


def test_last_exp_results_holds_only_trials_ended_since_last_call(
    kit: PluginKit,
) -> None:
    kit.install_source("wmla-random", WMLA_STYLE)
    record = kit.root / "record.jsonl"
    algorithm = kit.build(
        "wmla-random", seed=1, goal="maximize", options={"record_to": str(record)}
    )
    first = algorithm.suggest(2, [], [])
    ended = [
        Observation(0, first[0].params, TrialState.FINISHED, -0.75),
        Observation(1, first[1].params, TrialState.FAILED, None),
    ]
    algorithm.suggest(1, ended, [])
    algorithm.suggest(1, ended, [])

    calls = _records(record)[1:]
    assert calls[1]["last_exp_results"] == [
        {"id": 0, "hyperParams": first[0].params, "metricVal": 0.75,
         "state": "FINISHED"},
        {"id": 1, "hyperParams": first[1].params, "metricVal": None,
         "state": "FAILED"},
    ]  # fmt: skip
    assert calls[2]["last_exp_results"] == []


def test_saved_state_resumes_the_same_sequence(kit: PluginKit) -> None:
    kit.install_source("wmla-random", WMLA_STYLE)
    options = {"record_to": str(kit.root / "record.jsonl")}
    straight = kit.build("wmla-random", seed=5, options=options)
    first = straight.suggest(2, [], [])
    second = straight.suggest(2, finished(first), [])

    interrupted = kit.build("wmla-random", seed=5, options=options)
    assert [s.params for s in interrupted.suggest(2, [], [])] == [
        s.params for s in first
    ]
    state = json.loads(json.dumps(interrupted.get_state()))
    interrupted.close()

    resumed = kit.build("wmla-random", seed=5, options=options)
    resumed.set_state(state)
    assert [s.params for s in resumed.suggest(2, finished(first), [])] == [
        s.params for s in second
    ]
    assert resumed.get_state()["reported"] == [0, 1]


def test_close_ends_the_plugin_process(kit: PluginKit) -> None:
    algorithm, _ = _wmla_plugin(kit)
    algorithm.suggest(1, [], [])
    process = algorithm._process  # type: ignore[attr-defined]
    assert process.running
    algorithm.close()
    assert not process.running


def test_the_plugins_package_exists_only_inside_plugin_processes() -> None:
    assert importlib.util.find_spec("plugins") is None
