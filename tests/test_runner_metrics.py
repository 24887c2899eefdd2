"""Reading val_dict_list.json: step keys, duplicates, strings, and every failure."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from fixture_files import WMLA_FIXTURES

from hpotui.engine.metrics import (
    MetricsError,
    MetricsReader,
    parse_metrics,
    trial_value,
)
from hpotui.records import MetricRecord

FIXTURES = WMLA_FIXTURES


def steps_and_losses(records: list[MetricRecord]) -> list[tuple[int, float]]:
    return [(record.step, record.values["loss"]) for record in records]


def test_steps_key_as_in_wmla_samples() -> None:
    text = (FIXTURES / "val_dict_list_steps.json").read_text()
    records = parse_metrics(text, "loss")
    assert steps_and_losses(records) == [(1, 0.0618), (2, 0.0466), (3, 0.0399)]


def test_no_step_key_numbers_records_from_one() -> None:
    text = (FIXTURES / "val_dict_list_no_step.json").read_text()
    records = parse_metrics(text, "mse_val")
    assert records == [MetricRecord(step=1, values={"mse_val": 1036.0960693359375})]


def test_step_key_duplicates_collapse_last_wins_and_sort() -> None:
    text = json.dumps(
        [
            {"step": 3, "loss": 0.3},
            {"step": 1, "loss": 0.9},
            {"step": 3, "loss": 0.25, "acc": 0.8},
            {"step": 2, "loss": 0.5},
        ]
    )
    records = parse_metrics(text, "loss")
    assert steps_and_losses(records) == [(1, 0.9), (2, 0.5), (3, 0.25)]
    assert records[2].values == {"loss": 0.25, "acc": 0.8}


def test_numeric_strings_are_numbers_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "val_dict_list.json"
    path.write_text(json.dumps([{"steps": "1", "loss": "0.5", "tag": "run-a"}]))
    reader = MetricsReader(path, "loss")
    with caplog.at_level(logging.WARNING):
        first = reader.read_new()
        path.write_text(json.dumps([{"steps": "1", "loss": "0.5"}, {"loss": "0.4"}]))
        os.utime(path, ns=(1, 1))  # a new signature even within one clock tick
        second = reader.read_new()
        reader.read_final()
    assert first == [MetricRecord(step=1, values={"loss": 0.5})]
    assert second == [MetricRecord(step=2, values={"loss": 0.4})]
    warnings = [r for r in caplog.records if "written as strings" in r.message]
    assert len(warnings) == 1
    assert "loss='0.5'" in warnings[0].message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "val_dict_list.json is empty: no metric was recorded"),
        (
            '[{"loss": 0.5},\n  {"loss": }]',
            "val_dict_list.json is not valid JSON: Expecting value at line 2 column 12",
        ),
        ("[]", "val_dict_list.json is an empty list: no metric was recorded"),
        (
            '{"loss": 0.5}',
            "val_dict_list.json must hold a JSON list of objects, got an object",
        ),
        ('[{"loss": 1}, 0.5]', "val_dict_list.json item 2 is not an object: 0.5"),
        (
            '[{"acc": 0.9, "steps": 1}, {"acc": 0.95, "f1": 0.5}]',
            "objective 'loss' missing from val_dict_list.json; keys seen: acc, f1",
        ),
        ('[{"loss": 0.5}, {"loss": NaN}]', "objective 'loss' is NaN at step 2"),
        ('[{"step": 4, "loss": Infinity}]', "objective 'loss' is Infinity at step 4"),
        ('[{"loss": "-inf"}]', "objective 'loss' is -Infinity at step 1"),
        (
            '[{"loss": "diverged"}]',
            'val_dict_list.json item 1: loss is "diverged", not a number',
        ),
        (
            '[{"step": 1.5, "loss": 1}]',
            "val_dict_list.json item 1: step 1.5 is not an integer",
        ),
    ],
)
def test_exit_failures_have_exact_reasons(text: str, reason: str) -> None:
    with pytest.raises(MetricsError) as caught:
        parse_metrics(text, "loss")
    assert str(caught.value) == reason


def test_missing_file_at_exit_names_result_dir(tmp_path: Path) -> None:
    reader = MetricsReader(tmp_path / "result" / "val_dict_list.json", "loss")
    with pytest.raises(MetricsError) as caught:
        reader.read_final()
    assert str(caught.value) == (
        f"no val_dict_list.json in RESULT_DIR ({tmp_path / 'result'}): the training "
        "script must write $RESULT_DIR/val_dict_list.json before it exits"
    )


def test_live_reading_treats_partial_files_as_no_data(tmp_path: Path) -> None:
    path = tmp_path / "val_dict_list.json"
    reader = MetricsReader(path, "loss")
    assert reader.read_new() == []  # not there yet
    path.write_text("")
    assert reader.read_new() == []
    path.write_text('[{"steps": 1, "loss": 0.5}, {"steps": 2, "lo')
    assert reader.read_new() == []
    path.write_text('[{"steps": 1, "loss": 0.5}, {"steps": 2, "loss": 0.4}]')
    assert steps_and_losses(reader.read_new()) == [(1, 0.5), (2, 0.4)]
    assert reader.read_new() == []  # unchanged file: not even re-read


def test_live_reading_skips_unchanged_file_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "val_dict_list.json"
    path.write_text('[{"loss": 0.5}]')
    reader = MetricsReader(path, "loss")
    assert len(reader.read_new()) == 1
    stat = path.stat()
    # same size and mtime, different bytes: a reader that re-read would see 0.7
    path.write_text('[{"loss": 0.7}]')
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert reader.read_new() == []


def test_live_reading_holds_back_nan_and_resends_changed_steps(tmp_path: Path) -> None:
    path = tmp_path / "val_dict_list.json"
    reader = MetricsReader(path, "loss")
    path.write_text('[{"loss": 0.5}, {"loss": NaN}]')
    assert steps_and_losses(reader.read_new()) == [(1, 0.5)]
    path.write_text('[{"loss": 0.45}, {"loss": 0.4}, {"loss": 0.3}]')
    os.utime(path, ns=(2, 2))
    assert steps_and_losses(reader.read_new()) == [(1, 0.45), (2, 0.4), (3, 0.3)]


RECORDS = [
    MetricRecord(1, {"loss": 0.5, "acc": 0.7}),
    MetricRecord(2, {"loss": 0.2, "acc": 0.9}),
    MetricRecord(3, {"loss": 0.3, "acc": 0.9}),
    MetricRecord(4, {"acc": 0.85}),
]


def test_trial_value_best_and_last_in_both_directions() -> None:
    assert trial_value(RECORDS, "loss", "minimize") == (0.2, 2)
    assert trial_value(RECORDS, "loss", "maximize") == (0.5, 1)
    assert trial_value(RECORDS, "loss", "minimize", rule="last") == (0.3, 3)
    assert trial_value(RECORDS, "acc", "maximize") == (0.9, 2)  # earliest on a tie
    assert trial_value(RECORDS, "acc", "maximize", rule="last") == (0.85, 4)
    assert trial_value(RECORDS, "f1", "minimize") is None


def test_trial_value_rejects_unknown_goal() -> None:
    with pytest.raises(ValueError, match="goal must be minimize or maximize"):
        trial_value(RECORDS, "loss", "lowest")  # type: ignore[arg-type]


def test_lenient_reading_keeps_the_finite_records(tmp_path: Path) -> None:
    """A stopped trial whose loss diverged still shows the steps before it."""
    path = tmp_path / "val_dict_list.json"
    path.write_text('[{"loss": 0.5}, {"loss": 0.4, "acc": 0.7}, {"loss": NaN}]')
    reader = MetricsReader(path, "loss")
    assert steps_and_losses(reader.read_lenient()) == [(1, 0.5), (2, 0.4)]
    path.write_text('[{"loss": 0.5}, {"lo')
    assert reader.read_lenient() == []  # nothing was handed out live
