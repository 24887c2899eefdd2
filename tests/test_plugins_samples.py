"""The sample plugins: random, grid and the Optuna adapter, and the sample file."""

from __future__ import annotations

import base64
import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from _plugin_kit import SAMPLES, SPACE, PluginKit, finished, open_kit

from hpotui.algorithms import create_algorithm
from hpotui.errors import ExperimentFileError
from hpotui.experiment.model import Experiment
from hpotui.space import ChoiceParam, RangeParam, SearchSpace

FINITE = SearchSpace(
    (
        RangeParam("lr", "double", 0.01, 0.03, step=0.01),
        RangeParam("layers", "int", 1, 3),
        ChoiceParam("opt", ("adam", "sgd")),
    )
)


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[PluginKit]:
    yield from open_kit(tmp_path)


def _install(kit: PluginKit, sample: str, name: str) -> None:
    kit.registry.install(SAMPLES / sample, name)


def test_random_sample_stays_in_the_space_and_repeats_with_its_seed(
    kit: PluginKit,
) -> None:
    _install(kit, "random", "s-random")
    one = kit.build("s-random", seed=4).suggest(20, [], [])
    two = kit.build("s-random", seed=4).suggest(20, [], [])
    assert [s.params for s in one] == [s.params for s in two]
    assert all(SPACE.problems_with(s.params) == [] for s in one)
    assert {s.params["opt"] for s in one} == {"adam", "sgd"}
    assert {s.params["layers"] for s in one} == {1, 2, 3, 4}


def test_random_sample_resumes_its_sequence(kit: PluginKit) -> None:
    _install(kit, "random", "s-random")
    straight = kit.build("s-random", seed=2)
    first = straight.suggest(3, [], [])
    expected = straight.suggest(3, finished(first), [])
    interrupted = kit.build("s-random", seed=2)
    interrupted.suggest(3, [], [])
    resumed = kit.build("s-random", seed=2)
    resumed.set_state(interrupted.get_state())
    assert resumed.suggest(3, finished(first), []) == expected


def test_grid_sample_hands_out_the_whole_grid_once_then_ends(kit: PluginKit) -> None:
    _install(kit, "grid", "s-grid")
    algorithm = kit.build("s-grid", FINITE)
    handed = []
    while batch := algorithm.suggest(4, finished(handed), []):
        handed += batch
    assert len(handed) == 18
    assert {FINITE.key(s.params) for s in handed} == {
        FINITE.key(config) for config in FINITE.grid()
    }
    assert algorithm.suggest(4, [], []) == []


def test_grid_sample_spaces_continuous_ranges_evenly(kit: PluginKit) -> None:
    _install(kit, "grid", "s-grid")
    space = SearchSpace((RangeParam("x", "double", 0.0, 1.0),))
    algorithm = kit.build("s-grid", space, options={"grid_points": 3})
    assert [s.params["x"] for s in algorithm.suggest(5, [], [])] == [0.0, 0.5, 1.0]


def test_optuna_adapter_asks_and_tells_optuna(kit: PluginKit) -> None:
    pytest.importorskip("optuna")
    _install(kit, "optuna_sampler", "optuna-tpe")
    algorithm = kit.build(
        "optuna-tpe", seed=1, goal="maximize", options={"direction": "maximize"}
    )
    history = []
    for _ in range(3):
        batch = algorithm.suggest(2, history, [])
        assert all(SPACE.problems_with(s.params) == [] for s in batch)
        history += finished(batch, start=len(history), loss=-0.5)
    algorithm.suggest(1, history, [])

    state = algorithm.get_state()
    told = pickle.loads(base64.b64decode(state["plugin"]))["told"]
    assert [result["metricVal"] for result in told] == [0.5] * 6
    resumed = kit.build("optuna-tpe", seed=1, options={"direction": "maximize"})
    resumed.set_state(json.loads(json.dumps(state)))
    assert len(resumed.suggest(2, history, [])) == 2


def test_sample_experiment_names_the_sample_plugin(tmp_path: Path) -> None:
    path = SAMPLES.parent / "plugin_random.yaml"
    experiment = Experiment.model_validate(yaml.safe_load(path.read_text()))
    assert experiment.algorithm.name == "sample-random"
    assert "--name sample-random" in path.read_text()
    model_dir = path.parent / experiment.model.dir
    with pytest.raises(ExperimentFileError, match="unknown algorithm 'sample-random'"):
        create_algorithm(
            "sample-random", experiment.search_space(), plugins_dir=tmp_path
        )

    (tmp_path / "config.json").write_text(
        json.dumps({"lr": 0.003, "layers": 3, "optimizer": "adam"})
    )
    subprocess.run(
        [sys.executable, str(model_dir / "train.py")],
        cwd=tmp_path,
        env={"RESULT_DIR": str(tmp_path)},
        check=True,
    )
    records = json.loads((tmp_path / "val_dict_list.json").read_text())
    assert [r["steps"] for r in records] == [1, 2, 3, 4, 5]
    assert records[-1]["loss"] < records[0]["loss"]
