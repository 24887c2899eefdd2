"""The semantics of hyperparameters in experiment files, with the exact messages.

Every test writes a small friendly YAML file whose first hyperparameter is on
line 7, so messages can be compared whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpotui.experiment.loader import check_text
from hpotui.experiment.validate import ValidationReport
from hpotui.space import RangeParam

HEAD = """\
name: t
objective: {metric: loss, goal: minimize}
algorithm: {name: Random, seed: 1}
limits: {max_jobs: 4, max_parallel_jobs: 2, max_run_time: 20m}
model: {dir: ./m, command: python train.py}
hyperparams:
"""


def check(tmp_path: Path, params: str, head: str = HEAD) -> ValidationReport:
    (tmp_path / "m").mkdir(exist_ok=True)
    return check_text(head + params, "t.yaml", tmp_path)


def only_error(report: ValidationReport) -> str:
    assert report.experiment is None
    assert len(report.errors) == 1, report.errors
    return report.errors[0]


def values_of(report: ValidationReport, name: str) -> list:
    assert report.experiment is not None, report.errors
    return report.experiment.search_space()[name].values()


# Ranges ------------------------------------------------------------------------


def test_log_scale_needs_positive_min(tmp_path: Path) -> None:
    report = check(tmp_path, "  lr: {range: [0, 0.1], log: true}\n")
    assert (
        only_error(report) == "t.yaml:7 hyperparams.lr: log scale needs min > 0 (got 0)"
    )


def test_int_log_range_needs_min_of_one(tmp_path: Path) -> None:
    report = check(tmp_path, "  units: {range: [0, 512], log: true}\n")
    assert only_error(report) == (
        "t.yaml:7 hyperparams.units: log scale of an int range needs min >= 1 (got 0)"
    )
    ok = check(tmp_path, "  units: {range: [1, 512], log: true}\n")
    assert ok.errors == []
    param = ok.experiment.search_space()["units"]
    assert param.decode(0.0) == 1 and param.decode(1.0) == 512
    assert isinstance(param.decode(0.37), int)


def test_step_with_log_is_an_error(tmp_path: Path) -> None:
    report = check(tmp_path, "  lr: {range: [0.001, 0.1], log: true, step: 0.001}\n")
    assert only_error(report) == (
        "t.yaml:7 hyperparams.lr: step and log cannot be combined; drop step (a log "
        "range is continuous) or drop log (a stepped range is evenly spaced)"
    )


def test_int_range_needs_integer_bounds(tmp_path: Path) -> None:
    report = check(tmp_path, "  units:\n    range: [1.5, 10]\n    type: int\n")
    assert only_error(report) == (
        "t.yaml:8 hyperparams.units: int range needs integer bounds (got 1.5); "
        "round it or use type: double"
    )


def test_min_above_max(tmp_path: Path) -> None:
    report = check(tmp_path, "  lr: {range: [0.1, 0.01]}\n")
    assert only_error(report) == (
        "t.yaml:7 hyperparams.lr: min 0.1 is above max 0.01; swap the bounds"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "  lr: {range: [0.0, .nan]}\n",
            "t.yaml:7 hyperparams.lr: range bounds must be finite numbers (got NaN)",
        ),
        (
            "  lr: {range: [0, .inf], type: int}\n",
            "t.yaml:7 hyperparams.lr: range bounds must be finite numbers "
            "(got Infinity)",
        ),
        (
            "  lr: {values: [0.1, .nan]}\n",
            "t.yaml:7 hyperparams.lr.values[1]: NaN is not a finite number; JSON "
            "cannot carry it",
        ),
    ],
)
def test_bounds_and_values_must_be_finite(
    tmp_path: Path, line: str, message: str
) -> None:
    assert only_error(check(tmp_path, line)) == message


def test_equal_bounds_pin_the_parameter_with_its_json_type(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        "  units: {range: [64, 64]}\n"
        "  rate: {range: [0.5, 0.5]}\n"
        "  width: {range: [2, 2], type: double}\n",
    )
    assert report.errors == []
    assert report.infos == [
        "t.yaml:7 hyperparams.units: min == max pins it to 64",
        "t.yaml:8 hyperparams.rate: min == max pins it to 0.5",
        "t.yaml:9 hyperparams.width: min == max pins it to 2.0",
    ]
    config = report.experiment.search_space().decode([0.3, 0.9, 0.1])
    assert json.dumps(config) == '{"units": 64, "rate": 0.5, "width": 2.0}'


def test_stepped_values_are_rounded_to_the_step(tmp_path: Path) -> None:
    report = check(tmp_path, "  x: {range: [0.1, 0.9], step: 0.1}\n")
    assert report.errors == [] and report.warnings == []
    assert values_of(report, "x") == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert "0.30000000000000004" not in json.dumps(values_of(report, "x"))


def test_step_not_dividing_the_range_warns_with_the_largest_value(
    tmp_path: Path,
) -> None:
    report = check(
        tmp_path,
        "  x: {range: [0.0, 1.0], step: 0.3}\n  units: {range: [16, 250], step: 16}\n",
    )
    assert report.errors == []
    assert report.warnings == [
        "t.yaml:7 hyperparams.x: max 1.0 is not min + k*step (step 0.3); "
        "the largest value used is 0.9",
        "t.yaml:8 hyperparams.units: max 250 is not min + k*step (step 16); "
        "the largest value used is 240",
    ]
    assert values_of(report, "x") == [0.0, 0.3, 0.6, 0.9]
    units = values_of(report, "units")
    assert units[0] == 16 and units[-1] == 240 and len(units) == 15


def test_bounds_are_inclusive(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        "  depth: {range: [1, 14]}\n  x: {range: [0.0, 0.9], step: 0.3}\n",
    )
    space = report.experiment.search_space()
    assert space["depth"].decode(1.0) == 14 and space["depth"].decode(0.0) == 1
    assert space["x"].decode(1.0) == 0.9 and space["x"].decode(0.0) == 0.0
    assert values_of(report, "depth") == list(range(1, 15))


def test_range_type_is_inferred_from_the_bounds(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        "  units: {range: [16, 256], step: 16}\n"
        "  lr: {range: [1e-4, 1e-1], log: true}\n"
        "  drop: {range: [0, 1.0]}\n",
    )
    types = {hp.name: hp.type for hp in report.experiment.hyperparams}
    assert types == {"units": "int", "lr": "double", "drop": "double"}
    lr = report.experiment.search_space()["lr"]
    assert isinstance(lr, RangeParam) and (lr.low, lr.high) == (0.0001, 0.1)
    assert all(isinstance(v, int) for v in values_of(report, "units"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{range: [1, 2, 3]}", "range needs two numbers [min, max] (got [1, 2, 3])"),
        ("{range: [a, 2]}", "range bounds must be numbers (got a)"),
        ("{range: [1, 2], step: 0}", "step must be a positive number (got 0)"),
        ("{range: [1, 9], step: 0.5}", "step of an int range must be a whole number (got 0.5)"),  # noqa: E501
        ("{range: [1, 2], type: str}", "type str needs values, not a range; list the strings"),  # noqa: E501
        ("{range: [1, 2], type: float}", "must be int, double or str (got float)"),
        ("{range: [1, 2], values: [1]}", "give either range or values, e.g. {range: [0, 1]} or {values: [a, b]}"),  # noqa: E501
        ("{values: [1, 2], log: true}", "applies to a range only; remove it or use range"),  # noqa: E501
        ("{range: [1, 2], log: yes}", "log must be true or false (got yes)"),
        ("{range: [0, 9007199254740993]}", "int bounds must lie within +-9007199254740992 (got 9007199254740993), the integers a JSON number holds exactly; narrow the range or use type: double"),  # noqa: E501
        ("{range: [0, 1e10], step: 1e-20}", "range holds more than 1e+12 steps of 1e-20, finer than a float tells apart; use a larger step or drop step"),  # noqa: E501
        ("{range: [0, 1], step: .inf}", "step must be a positive number (got Infinity)"),  # noqa: E501
        ("{range: [5e-324, 1], log: true}", "log scale needs min >= 1e-300 (got 5e-324); smaller values are too close to the float limit to tell apart"),  # noqa: E501
        ("{range: [-1.7e308, 1.7e308]}", "range [-1.7e+308, 1.7e+308] is too wide to sample: max - min overflows; narrow it or use log: true"),  # noqa: E501
    ],
)  # fmt: skip
def test_malformed_ranges(tmp_path: Path, spec: str, message: str) -> None:
    error = only_error(check(tmp_path, f"  x: {spec}\n"))
    assert error.startswith("t.yaml:7 hyperparams.x")
    assert error.endswith(message)


# Lists of values -----------------------------------------------------------------


def test_empty_list_is_an_error(tmp_path: Path) -> None:
    report = check(tmp_path, "  act: {values: []}\n")
    assert only_error(report) == (
        "t.yaml:7 hyperparams.act: values is empty; list at least one value"
    )


def test_duplicates_are_dropped_with_a_warning(tmp_path: Path) -> None:
    report = check(tmp_path, "  act:\n    values: [relu, tanh, relu]\n")
    assert report.warnings == [
        "t.yaml:8 hyperparams.act: duplicate value relu dropped (kept the first)"
    ]
    assert values_of(report, "act") == ["relu", "tanh"]


def test_null_true_false_reach_config_as_json(tmp_path: Path) -> None:
    report = check(tmp_path, "  flag: {values: [null, true, false]}\n")
    assert values_of(report, "flag") == [None, True, False]
    configs = [json.dumps(c) for c in report.experiment.search_space().grid()]
    assert configs == ['{"flag": null}', '{"flag": true}', '{"flag": false}']


def test_yes_and_no_must_be_quoted(tmp_path: Path) -> None:
    report = check(tmp_path, "  flag: {values: [yes, no], type: str}\n")
    assert report.errors == [
        "t.yaml:7 hyperparams.flag.values[0]: yes reads as a boolean in YAML 1.1 "
        'tools; quote it ("yes") to mean text, or write true/false',
        "t.yaml:7 hyperparams.flag.values[1]: no reads as a boolean in YAML 1.1 "
        'tools; quote it ("no") to mean text, or write true/false',
    ]
    quoted = check(tmp_path, "  flag: {values: ['yes', \"no\"], type: str}\n")
    assert values_of(quoted, "flag") == ["yes", "no"]


def test_str_type_rejects_booleans_and_numbers(tmp_path: Path) -> None:
    report = check(tmp_path, "  opt:\n    type: str\n    values: [adam, true, 3]\n")
    assert report.errors == [
        't.yaml:9 hyperparams.opt.values[1]: true is not a str; quote it ("true") '
        "or remove type: str to keep each value's own type",
        't.yaml:9 hyperparams.opt.values[2]: 3 is not a str; quote it ("3") '
        "or remove type: str to keep each value's own type",
    ]


def test_mixed_values_keep_their_own_json_types(tmp_path: Path) -> None:
    report = check(tmp_path, "  x: {values: [1, 0.5, relu, '2']}\n")
    values = values_of(report, "x")
    assert values == [1, 0.5, "relu", "2"]
    assert [type(v) for v in values] == [int, float, str, str]
    assert report.experiment.hyperparams[0].type == "mixed"


def test_declared_type_names_the_offending_item(tmp_path: Path) -> None:
    report = check(tmp_path, "  units: {values: [16, 32, wide], type: int}\n")
    assert only_error(report) == (
        "t.yaml:7 hyperparams.units.values[2]: wide is not an int; fix it or "
        "remove type: int to keep each value's own type"
    )


def test_int_values_reach_config_as_json_integers(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        "  units: {values: [32.0, 64], type: int}\n  rate: {values: [1, 0.5], type: double}\n",  # noqa: E501
    )
    assert json.dumps(values_of(report, "units")) == "[32, 64]"
    assert json.dumps(values_of(report, "rate")) == "[1.0, 0.5]"
    config = report.experiment.search_space().decode([0.0, 0.0])
    assert json.dumps(config) == '{"units": 32, "rate": 1.0}'


def test_single_value_is_a_pin(tmp_path: Path) -> None:
    report = check(tmp_path, "  epochs: {values: [8]}\n")
    assert report.infos == ["t.yaml:7 hyperparams.epochs: a single value pins it to 8"]


# Limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("-1", None), ("30", 1800.0), ("1.5", 90.0), ("20m", 1200.0), ("1h30m", 5400.0)],
)
def test_max_run_time_forms(
    tmp_path: Path, written: str, seconds: float | None
) -> None:
    head = HEAD.replace("max_run_time: 20m", f"max_run_time: {written}")
    report = check(tmp_path, "  x: {range: [0.0, 1.0]}\n", head)
    assert report.experiment.limits.max_run_time == seconds


@pytest.mark.parametrize("written", ["0", "-5", "soon", "0m"])
def test_max_run_time_rejects_zero_negative_and_nonsense(
    tmp_path: Path, written: str
) -> None:
    head = HEAD.replace("max_run_time: 20m", f"max_run_time: {written}")
    report = check(tmp_path, "  x: {range: [0.0, 1.0]}\n", head)
    assert only_error(report) == (
        "t.yaml:4 limits.max_run_time: use -1 (no limit), a positive number of "
        f"minutes, or a duration like 20m or 1h30m (got {written})"
    )


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ("{max_jobs: 0}", "t.yaml:4 limits.max_jobs: must be -1 (no limit) or a whole number >= 1 (got 0)"),  # noqa: E501
        ("{max_parallel_jobs: 0}", "t.yaml:4 limits.max_parallel_jobs: must be a whole number >= 1 (got 0)"),  # noqa: E501
        ("{max_job: 4}", "t.yaml:4 limits.max_job: unknown key; did you mean max_jobs?"),  # noqa: E501
    ],
)  # fmt: skip
def test_limits_errors(tmp_path: Path, limits: str, message: str) -> None:
    head = HEAD.replace(
        "{max_jobs: 4, max_parallel_jobs: 2, max_run_time: 20m}", limits
    )
    assert only_error(check(tmp_path, "  x: {range: [0.0, 1.0]}\n", head)) == message
