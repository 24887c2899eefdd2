"""The WML-A request form: reading it, writing it back exactly, and refusing what
WML-A cannot express."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_files import WMLA_FIXTURES

from hpotui.errors import ExperimentFileError
from hpotui.experiment import (
    from_wmla_request,
    load_experiment,
    load_experiment_text,
    to_wmla_request,
)
from hpotui.experiment.loader import check_text

FIXTURES = WMLA_FIXTURES
SAMPLES = Path(__file__).resolve().parents[1] / "sample_experiments"
REQUESTS = sorted(FIXTURES.glob("request_hpo_*.json"))


def canonical(data: object) -> str:
    """JSON text that tells 3 from 3.0 and "0.002" from 0.002."""
    return json.dumps(data, sort_keys=True)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def test_every_request_fixture_is_covered() -> None:
    assert len(REQUESTS) >= 5


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: p.name)
def test_request_fixtures_round_trip_exactly(path: Path) -> None:
    body = json.loads(path.read_text())
    assert canonical(to_wmla_request(from_wmla_request(body))) == canonical(body)


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: p.name)
def test_request_fixtures_load_as_files(path: Path) -> None:
    exp = load_experiment(path)
    assert exp.name == path.stem
    assert canonical(to_wmla_request(exp)) == canonical(json.loads(path.read_text()))


def test_hyperband_request() -> None:
    exp = from_wmla_request(fixture("request_hpo_hyperband.json"))
    assert exp.algorithm.name == "Hyperband"
    assert exp.algorithm.options == {
        "resource": {"name": "epochs", "max": 81, "min": 1},
        "eta": 3.0,
    }
    assert (exp.limits.max_jobs, exp.limits.max_parallel_jobs) == (12, 2)
    assert exp.limits.max_run_time is None
    (lr,) = exp.hyperparams
    assert (lr.low, lr.high, lr.step, lr.type) == (0.001, 0.1, 0.002, "double")
    assert exp.search_space()["learning_rate"].values()[-1] == 0.099
    assert exp.model.command == ["python", "pytorch_mnist_HPO_EDT.py"]
    assert exp.wmla.framework == "edtPyTorch" and exp.wmla.sig_name == "wml-ig-edt"


def test_power_ranges_become_log_ranges() -> None:
    exp = from_wmla_request(fixture("request_hpo_xgboost_power_step.json"))
    params = {hp.name: hp for hp in exp.hyperparams}
    lr, lam = params["learning_rate"], params["lambda"]
    assert (lr.low, lr.high, lr.log, lr.power) == (0.01, 1.0, True, 10)
    assert (lam.low, lam.high) == (0.01, 100000.0)
    depth = params["max_depth"]
    assert (depth.type, depth.low, depth.high, depth.step) == ("int", 1, 14, 1)
    assert exp.search_space()["max_depth"].decode(1.0) == 14
    assert exp.objective.metric == "mse_val"
    assert exp.limits.max_run_time == 1800.0


def test_explicit_request_reads_fixed_values_by_type() -> None:
    exp = from_wmla_request(fixture("request_hpo_grid.json"))
    assert exp.hyperparams == ()
    assert exp.experiments == (
        {
            "learning_rate": 0.1,
            "optimizer": "Adam",
            "opt_decay": 0.4882855458519536,
            "beta1": 0.7,
            "beta2": 0.8982816529517174,
        },
        {"learning_rate": 0.2, "optimizer": "Adam"},
    )


def test_plugin_parameters_stay_strings() -> None:
    exp = from_wmla_request(fixture("request_hpo_plugin.json"))
    assert exp.algorithm.name == "test-random-debug"
    assert exp.algorithm.options == {"random_seed": "2"}


def test_passthrough_arguments_reach_the_command(tmp_path: Path) -> None:
    body = fixture("request_hpo_random.json")
    body["modelSpec"]["args"] = (
        "--exec-start PyTorch   --model-main main.py --model-dir m --epochs 3 --fast"
    )
    exp = from_wmla_request(body, tmp_path)
    assert exp.model.command == ["python", "main.py", "--epochs", "3", "--fast"]
    assert exp.model.dir == (tmp_path / "m").resolve()


def test_friendly_sample_converts_to_a_request() -> None:
    body = to_wmla_request(load_experiment(SAMPLES / "digits_random.yaml"))
    assert body == {
        "modelSpec": {
            "args": "--exec-start PyTorch --cs-datastore-meta type=fs "
            "--model-main train.py --model-dir digits_mlp"
        },
        "algoDef": {
            "algorithm": "Random",
            "maxRunTime": 10,
            "maxJobNum": 12,
            "maxParalleJobNum": 2,
            "objectiveMetric": "loss",
            "objective": "minimize",
            "algoParams": [{"name": "RandomSeed", "value": "7"}],
        },
        "hyperParams": [
            {"name": "learning_rate", "type": "Range", "dataType": "DOUBLE",
             "minDbVal": -4, "maxDbVal": -1, "power": 10},
            {"name": "hidden_units", "type": "Range", "dataType": "INT",
             "minIntVal": 16, "maxIntVal": 128, "step": 16},
            {"name": "activation", "type": "Discrete", "dataType": "STR",
             "discreateStrVal": ["relu", "tanh"]},
        ],
    }  # fmt: skip


def test_wmla_sample_round_trips_and_matches_the_friendly_space() -> None:
    path = SAMPLES / "digits_wmla_request.json"
    exp = load_experiment(path)
    assert canonical(to_wmla_request(exp)) == canonical(json.loads(path.read_text()))
    friendly = load_experiment(SAMPLES / "digits_random.yaml")
    assert exp.search_space().params == friendly.search_space().params


def test_friendly_explicit_list_converts_to_experiments() -> None:
    body = to_wmla_request(load_experiment(SAMPLES / "digits_explicit.yaml"))
    assert "hyperParams" not in body
    assert body["experiments"][1] == {
        "id": 2,
        "hyperParams": [
            {"name": "learning_rate", "dataType": "DOUBLE", "fixedVal": "0.01"},
            {"name": "hidden_units", "dataType": "INT", "fixedVal": "32"},
            {"name": "activation", "dataType": "STR", "fixedVal": "tanh"},
        ],
    }


FRIENDLY = """\
name: t
algorithm: {name: Random}
model: {dir: ., command: python train.py}
hyperparams:
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("  x: {values: [1, a]}\n", "hyperparams.x: values [1, 'a'] mix JSON types (a WML-A list is all DOUBLE, INT or STR); give them one type; WML-A has no equivalent"),  # noqa: E501
        ("  x: {range: [1, 64], log: true}\n", "hyperparams.x: log scale on an int range; WML-A has no equivalent"),  # noqa: E501
        ("  x: {values: [a]}\nlimits: {max_run_time: 90s}\n", "limits.max_run_time: WML-A takes whole minutes (1.5 given); round it to a whole number of minutes"),  # noqa: E501
        ("  x: {values: [a]}\ndata_fraction: 0.5\n", "data_fraction: remove it to send this experiment to WML-A; WML-A has no equivalent"),  # noqa: E501
        ("  x: {values: [a]}\nobjective: {value: last}\n", "objective.value: last (WML-A uses the best step); use best; WML-A has no equivalent"),  # noqa: E501
    ],
)  # fmt: skip
def test_features_wmla_lacks_are_refused(
    tmp_path: Path, change: str, message: str
) -> None:
    exp = load_experiment_text(FRIENDLY + change, "t.yaml", tmp_path)
    with pytest.raises(ExperimentFileError) as caught:
        to_wmla_request(exp)
    assert caught.value.message == message


def test_log_range_converts_to_power_exactly(tmp_path: Path) -> None:
    text = FRIENDLY + "  lr: {range: [0.003, 0.5], log: true}\n"
    exp = load_experiment_text(text, "t.yaml", tmp_path)
    entry = to_wmla_request(exp)["hyperParams"][0]
    assert entry["power"] == 10
    assert 10 ** entry["minDbVal"] == pytest.approx(0.003, rel=1e-12)
    assert 10 ** entry["maxDbVal"] == pytest.approx(0.5, rel=1e-12)
    back = from_wmla_request(to_wmla_request(exp))
    assert back.hyperparams[0].low == pytest.approx(0.003, rel=1e-12)


def test_request_errors_name_line_and_field(tmp_path: Path) -> None:
    body = fixture("request_hpo_random.json")
    body["algoDef"]["maxParallelJobNum"] = body["algoDef"].pop("maxParalleJobNum")
    body["hyperParams"][0]["dataType"] = "FLOAT"
    text = json.dumps(body, indent=2)
    report = check_text(text, "r.json", tmp_path)
    assert report.errors == [
        "r.json:12 algoDef.maxParallelJobNum: unknown key; did you mean "
        "maxParalleJobNum?",
        "r.json:18 hyperParams[0].dataType: must be DOUBLE, INT or STR (got FLOAT)",
    ]


def test_request_in_yaml_with_bad_power_and_fixed_value(tmp_path: Path) -> None:
    text = """\
modelSpec: {args: --model-main main.py}
algoDef: {algorithm: ExperimentGridSearch, objectiveMetric: loss}
experiments:
  - id: 1
    hyperParams:
      - {name: lr, dataType: DOUBLE, fixedVal: fast}
"""
    report = check_text(text, "r.yaml", tmp_path)
    assert report.errors == [
        "r.yaml:6 experiments[0].hyperParams[0]: fixedVal fast does not read as "
        "dataType DOUBLE; use DOUBLE, INT or STR with a matching value"
    ]
    power = text.split("experiments:")[0].replace("ExperimentGridSearch", "Random") + (
        "hyperParams:\n"
        "  - {name: n, type: Range, dataType: INT, minIntVal: 1, maxIntVal: 3, "
        "power: 10}\n"
    )
    assert check_text(power, "r.yaml", tmp_path).errors == [
        "r.yaml:4 hyperParams[0].power: must be a number > 0 other than 1 on a "
        "DOUBLE range (got 10)"
    ]


def test_string_eta_is_called_a_string_and_string_resource_is_read() -> None:
    """hyperbandEta "3" used to be refused as "must be a number > 1 (got 3)", which
    reads as if 3 were wrong; the message now shows it is a string. ResourceValue
    is a string in WML-A, so "81.0" is read, as the integer resource 81 rather
    than 81.0 epochs."""
    from hpotui.algorithms.hyperband import parse_settings, plan

    body = fixture("request_hpo_hyperband.json")
    body["algoDef"]["hyperbandEta"] = "3"
    with pytest.raises(ExperimentFileError) as caught:
        from_wmla_request(body)
    assert caught.value.problems == [
        'request algoDef.hyperbandEta: must be a number > 1 (got "3", a string; '
        "write the number without quotes)"
    ]

    body = fixture("request_hpo_hyperband.json")
    for param in body["algoDef"]["algoParams"]:
        if param["name"] == "ResourceValue":
            param["value"] = "81.0"
    exp = from_wmla_request(body)
    assert exp.algorithm.options["resource"] == {"name": "epochs", "max": 81, "min": 1}
    settings = parse_settings(exp.algorithm.options)
    assert settings.integer is True
    assert [rung.r for rung in plan(settings)[0].rungs] == [1, 3, 9, 27, 81]
    assert all(type(rung.r) is int for rung in plan(settings)[0].rungs)


def test_hyperband_variant_algo_params_are_numbers_checked_as_the_run_checks() -> None:
    """WML-A sends algoParams as strings; BOHB's min_points "5" used to reach
    the algorithm as a string, and a typo was not reported until the run. They
    are now read as numbers and checked by the algorithm's own rules."""
    from hpotui.algorithms import create_algorithm

    body = fixture("request_hpo_hyperband.json")
    body["algoDef"]["algorithm"] = "BOHB"
    body["algoDef"]["algoParams"] += [
        {"name": "min_points", "value": "5"},
        {"name": "model", "value": "GP"},
    ]
    exp = from_wmla_request(body)
    assert exp.algorithm.options["min_points"] == 5
    bohb = create_algorithm("BOHB", exp.search_space(), options=exp.algorithm_options())
    assert (bohb.min_points, bohb.model_name) == (5, "Bayesian")
    assert canonical(to_wmla_request(exp)) == canonical(body)

    body["algoDef"]["algoParams"][-1] = {"name": "iteration", "value": "2"}
    with pytest.raises(ExperimentFileError) as caught:
        from_wmla_request(body)
    assert caught.value.problems == [
        "request algoDef.algoParams: iteration: BOHB has no such option; did you "
        "mean iterations? it takes iterations, model, model_options, min_points, "
        "random_fraction"
    ]
