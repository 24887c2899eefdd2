"""``hpotui plan``: the schedule as text and JSON, and its validation messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from fixture_files import WMLA_FIXTURES

from hpotui.cli.plan import plan_command

REPO = Path(__file__).resolve().parents[1]
FIXTURES = WMLA_FIXTURES

R81 = [
    {"bracket": 4, "rungs": [{"n": 81, "r": 1}, {"n": 27, "r": 3}, {"n": 9, "r": 9},
                             {"n": 3, "r": 27}, {"n": 1, "r": 81}]},
    {"bracket": 3, "rungs": [{"n": 34, "r": 3}, {"n": 11, "r": 9}, {"n": 3, "r": 27},
                             {"n": 1, "r": 81}]},
    {"bracket": 2, "rungs": [{"n": 15, "r": 9}, {"n": 5, "r": 27}, {"n": 1, "r": 81}]},
    {"bracket": 1, "rungs": [{"n": 8, "r": 27}, {"n": 2, "r": 81}]},
    {"bracket": 0, "rungs": [{"n": 5, "r": 81}]},
]  # fmt: skip


def _experiment(tmp_path: Path, algorithm: str) -> Path:
    path = tmp_path / "hb.yaml"
    path.write_text(
        f"name: hb\nalgorithm: {algorithm}\n"
        "model: {dir: ., command: python train.py}\n"
        "hyperparams:\n  lr: {range: [0.001, 0.1], log: true}\n"
    )
    return path


def _hpotui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hpotui", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def test_json_lists_brackets_most_aggressive_first(tmp_path: Path) -> None:
    path = _experiment(
        tmp_path, "{name: Hyperband, eta: 3, resource: {name: epochs, max: 81}}"
    )
    result = CliRunner().invoke(plan_command, [str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == R81


def test_wmla_request_plans_the_same_schedule() -> None:
    path = FIXTURES / "request_hpo_hyperband.json"
    result = CliRunner().invoke(plan_command, [str(path), "--json"])
    assert json.loads(result.output) == R81


def test_text_shows_each_bracket_and_the_totals(tmp_path: Path) -> None:
    path = _experiment(
        tmp_path, "{name: BOHB, eta: 3, resource: {name: epochs, max: 9}}"
    )
    result = CliRunner().invoke(plan_command, [str(path)])
    assert result.output.splitlines() == [
        "BOHB eta=3, epochs from 1 to 9: 3 brackets",
        "  bracket 2: 9 x 1 -> 3 x 3 -> 1 x 9   (13 trials, 27 epochs)",
        "  bracket 1: 5 x 3 -> 1 x 9   (6 trials, 24 epochs)",
        "  bracket 0: 3 x 9   (3 trials, 27 epochs)",
        "one pass: 22 trials, 78 epochs",
    ]


def test_asha_plans_only_the_most_aggressive_bracket(tmp_path: Path) -> None:
    path = _experiment(
        tmp_path, "{name: ASHA, eta: 3, resource: {name: epochs, max: 81}}"
    )
    result = CliRunner().invoke(plan_command, [str(path), "--json"])
    assert json.loads(result.output) == R81[:1]


def test_bad_eta_names_the_field_and_exits_2(tmp_path: Path) -> None:
    path = _experiment(
        tmp_path, "{name: Hyperband, eta: 1, resource: {name: epochs, max: 81}}"
    )
    result = _hpotui("plan", str(path))
    assert result.returncode == 2
    assert "hb.yaml:2 algorithm.eta: must be a number > 1 (got 1)" in result.stderr
    assert "Traceback" not in result.stderr


def test_small_max_warns_of_one_bracket(tmp_path: Path) -> None:
    path = _experiment(
        tmp_path, "{name: Hyperband, eta: 3, resource: {name: epochs, max: 2}}"
    )
    result = _hpotui("plan", str(path), "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == [{"bracket": 0, "rungs": [{"n": 1, "r": 2}]}]
    assert "reduces to one bracket" in result.stderr


def test_other_algorithms_are_refused(tmp_path: Path) -> None:
    path = _experiment(tmp_path, "{name: Random}")
    result = _hpotui("plan", str(path))
    assert result.returncode == 2
    assert "algorithm.name" in result.stderr
