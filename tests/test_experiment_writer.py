"""Saving an experiment in the friendly form: it reads back the same, and an existing
file keeps its comments."""

from __future__ import annotations

import json
from pathlib import Path

from hpotui.experiment import dump_experiment, load_experiment, load_experiment_text
from hpotui.experiment.writer import HEADER

SAMPLES = Path(__file__).resolve().parents[1] / "sample_experiments"

COMMENTED = """\
# my search
name: t   # the name in the store
objective: {metric: loss, goal: minimize}
algorithm: {name: Random, seed: 1}
limits: {max_jobs: 4, max_parallel_jobs: 2, max_run_time: 20m}
model: {dir: ./m, command: python train.py}
hyperparams:
  lr: {range: [0.0001, 0.1], log: true}   # keep this comment
  units: {range: [16, 256], step: 16}
"""


def comparable(exp) -> dict:  # type: ignore[no-untyped-def]
    return exp.model_dump(exclude={"source", "notes"}, mode="json")


def test_samples_read_back_identically(tmp_path: Path) -> None:
    for name in ("digits_random.yaml", "digits_grid.yaml", "digits_explicit.yaml"):
        exp = load_experiment(SAMPLES / name)
        target = tmp_path / name
        dump_experiment(exp, target)
        again = load_experiment(target)
        assert comparable(again) == comparable(exp), name


def test_new_file_is_plain_friendly_yaml(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    exp = load_experiment_text(COMMENTED, "t.yaml", tmp_path)
    target = tmp_path / "new.yaml"
    dump_experiment(exp, target)
    text = target.read_text()
    assert text.splitlines()[:3] == [
        "name: t",
        "objective: {metric: loss, goal: minimize}",
        "algorithm: {name: Random, seed: 1}",
    ]
    assert "  lr: {range: [0.0001, 0.1], log: true}" in text
    assert "max_run_time: 20m" in text and "dir: ./m" in text
    assert HEADER.splitlines()[0] not in text


def test_existing_file_keeps_its_comments(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    path = tmp_path / "t.yaml"
    path.write_text(COMMENTED)
    exp = load_experiment(path)
    changed = exp.model_copy(
        update={"limits": exp.limits.model_copy(update={"max_jobs": 9})}
    )
    dump_experiment(changed, path)
    text = path.read_text()
    assert text.startswith("# my search\nname: t   # the name in the store\n")
    assert "  lr: {range: [0.0001, 0.1], log: true}   # keep this comment\n" in text
    assert "max_jobs: 9" in text
    assert load_experiment(path).limits.max_jobs == 9


def test_request_file_is_replaced_under_a_header_note(tmp_path: Path) -> None:
    source = SAMPLES / "digits_wmla_request.json"
    exp = load_experiment(source)
    target = tmp_path / "req.yaml"
    target.write_text(json.dumps(json.loads(source.read_text())))
    dump_experiment(exp, target)
    text = target.read_text()
    assert text.startswith("# hpotui experiment (friendly form); written by hpotui.")
    again = load_experiment(target)
    assert again.search_space().params == exp.search_space().params
    assert again.wmla.args == exp.wmla.args


def test_text_that_looks_boolean_or_numeric_stays_text(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    text = COMMENTED.split("hyperparams:")[0] + (
        "hyperparams:\n  flag: {values: ['yes', 'no', '1', true, null]}\n"
    )
    exp = load_experiment_text(text, "t.yaml", tmp_path)
    target = tmp_path / "out.yaml"
    dump_experiment(exp, target)
    again = load_experiment(target)
    assert again.hyperparams[0].values == ("yes", "no", "1", True, None)
