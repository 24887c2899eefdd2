"""Early-stopping decisions of the median and successive-halving rules."""

from __future__ import annotations

import pytest

from hpotui.engine.stopping import (
    MedianStopping,
    SuccessiveHalvingStopping,
    best_up_to,
    create_stopping_rule,
)
from hpotui.errors import ExperimentFileError


def _curve(*losses, start=1):
    return [(start + i, loss) for i, loss in enumerate(losses)]


def test_best_up_to_needs_the_step_reached() -> None:
    curve = _curve(0.9, 0.5, 0.7)
    assert best_up_to(curve, 2) == 0.5
    assert best_up_to(curve, 3) == 0.5
    assert best_up_to(curve, 4) is None


def test_median_stops_a_trial_worse_than_the_median_after_grace() -> None:
    rule = MedianStopping(grace_steps=3, min_trials=3)
    others = {i: _curve(0.5 + i / 100, 0.4, 0.3, 0.2) for i in range(4)}
    assert rule.should_stop(9, _curve(0.9, 0.8), others) is None  # in grace
    reason = rule.should_stop(9, _curve(0.9, 0.8, 0.7), others)
    assert reason == (
        "median stopping at step 3: best 0.7 above median 0.3 of 4 trials"
    )
    assert rule.should_stop(9, _curve(0.9, 0.8, 0.25), others) is None


def test_median_waits_for_min_trials_at_the_step() -> None:
    rule = MedianStopping(grace_steps=1, min_trials=3)
    others = {1: _curve(0.1, 0.1, 0.1), 2: _curve(0.1, 0.1, 0.1), 3: _curve(0.1)}
    # Only two others have reached step 3.
    assert rule.should_stop(9, _curve(0.9, 0.9, 0.9), others) is None
    assert rule.should_stop(9, _curve(0.9), others) is not None


def test_median_uses_the_best_value_so_far() -> None:
    rule = MedianStopping(grace_steps=1, min_trials=1)
    others = {1: _curve(0.5, 0.5, 0.5)}
    # One bad epoch after a good one does not stop the trial.
    assert rule.should_stop(9, _curve(0.4, 0.4, 0.9), others) is None


def test_halving_rungs_are_at_min_step_times_powers_of_eta() -> None:
    assert SuccessiveHalvingStopping(eta=3, min_step=1).rung_steps(30) == [1, 3, 9, 27]
    assert SuccessiveHalvingStopping(eta=2, min_step=5).rung_steps(40) == [
        5,
        10,
        20,
        40,
    ]


def test_halving_keeps_the_top_third_at_a_rung() -> None:
    rule = SuccessiveHalvingStopping(eta=3, min_step=1)
    others = {i: _curve(0.1 * (i + 1)) for i in range(5)}  # 0.1 .. 0.5 at step 1
    # Six trials at rung 0 keep the best two; 0.15 is second.
    assert rule.should_stop(10, _curve(0.15), others) is None
    reason = rule.should_stop(11, _curve(0.25), others)
    assert reason == (
        "successive halving at step 1 (rung 0): best 0.25 not among the best 2 "
        "of 6 trials (cut 0.2)"
    )


def test_halving_judges_each_rung_once() -> None:
    rule = SuccessiveHalvingStopping(eta=3, min_step=1)
    others = {1: _curve(0.5), 2: _curve(0.6)}
    assert rule.should_stop(9, _curve(0.1), others) is None
    # Better trials arriving later do not stop it at a rung already passed.
    others.update({3: _curve(0.01), 4: _curve(0.02), 5: _curve(0.03)})
    assert rule.should_stop(9, _curve(0.1, 0.1), others) is None
    # At step 3 it is judged again, against those that reached step 3.
    others = {i: _curve(0.05, 0.05, 0.05) for i in range(1, 4)}
    assert "step 3 (rung 1)" in rule.should_stop(9, _curve(0.1, 0.1, 0.1), others)


def test_halving_lets_a_trial_run_while_a_rung_has_fewer_than_eta() -> None:
    rule = SuccessiveHalvingStopping(eta=3, min_step=1)
    assert rule.should_stop(2, _curve(0.9), {1: _curve(0.1)}) is None


def test_create_reads_the_experiment_section() -> None:
    median = create_stopping_rule({"rule": "median", "grace_steps": 3, "min_trials": 5})
    assert isinstance(median, MedianStopping)
    assert (median.grace_steps, median.min_trials) == (3, 5)
    halving = create_stopping_rule(
        {"rule": "successive_halving", "eta": 3, "min_step": 1}
    )
    assert isinstance(halving, SuccessiveHalvingStopping)
    assert (halving.eta, halving.min_step) == (3, 1)
    assert create_stopping_rule(None) is None


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"rule": "mean"}, "early_stopping.rule"),
        ({"rule": "median", "grace": 3}, "early_stopping.grace"),
        ({"rule": "median", "min_trials": "5"}, "early_stopping.min_trials"),
        ({"rule": "median", "grace_steps": 1.5}, "early_stopping.grace_steps"),
        ({"rule": "successive_halving", "eta": 1}, "early_stopping.eta"),
        ({"rule": "successive_halving", "min_step": 0}, "early_stopping.min_step"),
    ],
)
def test_bad_sections_name_the_field(spec, field) -> None:
    with pytest.raises(ExperimentFileError) as caught:
        create_stopping_rule(spec)
    assert caught.value.message.startswith(field + ":")


def test_experiment_file_names_a_bad_rule_setting(tmp_path) -> None:
    from hpotui.experiment.loader import load_experiment_text

    text = (
        "name: es\nmodel: {dir: ., command: python train.py}\n"
        "hyperparams:\n  lr: {range: [0.001, 0.1], log: true}\n"
        "early_stopping: {rule: median, grace: 3}\n"
    )
    with pytest.raises(ExperimentFileError) as caught:
        load_experiment_text(text, "es.yaml", tmp_path)
    assert "es.yaml:5 early_stopping.grace: not a setting of the median rule" in (
        caught.value.message
    )
    good = text.replace("grace:", "grace_steps:")
    experiment = load_experiment_text(good, "es.yaml", tmp_path)
    assert experiment.early_stopping == {"rule": "median", "grace_steps": 3}


def test_experiment_file_refuses_min_trials_below_one(tmp_path) -> None:
    """min_trials 0 used to pass validation and crash the run on an empty median;
    the file is now refused, naming the field and the value."""
    from hpotui.experiment.loader import load_experiment_text

    text = (
        "name: es\nmodel: {dir: ., command: python train.py}\n"
        "hyperparams:\n  lr: {range: [0.001, 0.1], log: true}\n"
        "early_stopping: {rule: median, grace_steps: 1, min_trials: 0}\n"
    )
    with pytest.raises(ExperimentFileError) as caught:
        load_experiment_text(text, "es.yaml", tmp_path)
    assert "es.yaml:5 early_stopping.min_trials: must be at least 1 (got 0)" in (
        caught.value.message
    )


def test_experiment_file_refuses_a_setting_that_is_not_finite(tmp_path) -> None:
    from hpotui.experiment.loader import load_experiment_text

    text = (
        "name: es\nmodel: {dir: ., command: python train.py}\n"
        "hyperparams:\n  lr: {range: [0.001, 0.1], log: true}\n"
        "early_stopping: {rule: median, grace_steps: .nan}\n"
    )
    with pytest.raises(ExperimentFileError) as caught:
        load_experiment_text(text, "es.yaml", tmp_path)
    expected = "es.yaml:5 early_stopping.grace_steps: must be a finite number (got nan)"
    assert expected in caught.value.message


def test_median_with_no_others_at_the_step_lets_the_trial_run() -> None:
    """A rule built with min_trials 0 and no other trial at the step has no
    median to compare with; it lets the trial run instead of raising."""
    rule = MedianStopping(grace_steps=1, min_trials=0)
    assert rule.should_stop(9, _curve(0.9, 0.9), {}) is None
    assert rule.should_stop(9, _curve(0.9, 0.9), {1: _curve(0.1)}) is None


def test_reasons_for_a_maximized_objective_show_its_own_values() -> None:
    """For goal: maximize the rules see negated losses (-8.6 for accuracy 8.6);
    their reasons used to print those negated values. They now print the
    accuracy and say the trial is below the others."""
    median = create_stopping_rule(
        {"rule": "median", "grace_steps": 2, "min_trials": 3}, "maximize"
    )
    assert median is not None
    others = {i: _curve(-9.0, -9.4 - i / 10) for i in range(3)}  # 9.4, 9.5, 9.6
    reason = median.should_stop(9, _curve(-8.0, -8.6), others)
    assert reason == (
        "median stopping at step 2: best 8.6 below median 9.5 of 3 trials"
    )

    halving = create_stopping_rule(
        {"rule": "successive_halving", "eta": 3, "min_step": 1}, "maximize"
    )
    assert halving is not None
    others = {i: _curve(-(9.0 - i / 10)) for i in range(5)}  # 9.0 .. 8.6
    assert halving.should_stop(10, _curve(-9.05), others) is None
    assert halving.should_stop(11, _curve(-8.7), others) == (
        "successive halving at step 1 (rung 0): best 8.7 not among the best 2 "
        "of 6 trials (cut 8.9)"
    )
