"""``hpotui run``/``show``/``best``/``export`` as a user calls them, in a subprocess."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from engine_support import hpotui, write_experiment

from hpotui.cli.main import _register_verbs, cli
from hpotui.engine.events import event_from_json

SCORES = """
x = config["x"]
report([{"step": s, "acc": {1: 0.5, 2: 0.9, 3: 0.7}[x] - 0.1 * (2 - s)}
        for s in range(3)])
"""
FAILS_ON_3 = """
if config["x"] == 3:
    sys.exit("diverged")
report([{"acc": config["x"] / 10}])
"""


def _maximize(tmp_path: Path, body: str = SCORES) -> Path:
    return write_experiment(
        tmp_path,
        body,
        objective={"metric": "acc", "goal": "maximize"},
        hyperparams={"x": {"values": [1, 2, 3]}},
    )


def test_json_reports_the_outcome_and_the_best_trial(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    done = hpotui("run", str(_maximize(tmp_path)), "--no-ui", "--json", workspace=ws)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {k: report[k] for k in ("name", "state", "completed", "failed")} == {
        "name": "exp",
        "state": "FINISHED",
        "completed": 3,
        "failed": 0,
    }
    assert report["reason"] == "search space exhausted after 3 configurations"
    best = report["best"]
    assert (best["id"], best["value"], best["params"]) == (1, 0.9, {"x": 2})
    assert json.loads(Path(best["config_path"]).read_text()) == {"x": 2}


def test_all_failed_exits_1_with_null_best(tmp_path: Path) -> None:
    path = write_experiment(tmp_path, 'sys.exit("no data")')
    done = hpotui("run", str(path), "--no-ui", "--json", workspace=tmp_path / "ws")
    report = json.loads(done.stdout)
    assert done.returncode == 1
    assert (report["state"], report["reason"], report["best"]) == (
        "FAILED",
        "no successful trials",
        None,
    )
    assert report["failed"] == 2
    assert "Traceback" not in done.stderr


def test_bad_input_exits_2_without_storing_anything(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\nhyperparams: {lr: {range: [0, 1], log: true}}\n")
    ws = tmp_path / "ws"
    done = hpotui("run", str(path), "--no-ui", workspace=ws)
    missing = hpotui("run", str(tmp_path / "nope.yaml"), "--no-ui", workspace=ws)
    unknown = hpotui("show", "nothing-here", workspace=ws)
    assert done.returncode == 2 and "lr" in done.stderr
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
    assert unknown.returncode == 2 and "no experiment named 'nothing-here'" in (
        unknown.stderr
    )
    assert "Traceback" not in done.stderr + missing.stderr + unknown.stderr
    assert not (ws / "experiments").exists()


def test_plain_output_has_lines_and_a_summary_without_escapes(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    done = hpotui(
        "run",
        str(_maximize(tmp_path)),
        "--events",
        str(events),
        workspace=tmp_path / "ws",
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    lines = done.stdout.splitlines()
    assert "trial 1 FINISHED: acc 0.9 (step 2); best 0.9 (trial 1)" in lines
    assert "best trial 1: acc 0.9 (maximize)" in lines
    assert any(line.startswith("  config: ") for line in lines)
    written = [event_from_json(line) for line in events.read_text().splitlines()]
    assert written[0].kind == "experiment_state"
    assert written[-1].state.value == "FINISHED"  # type: ignore[attr-defined]
    assert sum(e.kind == "trial_ended" for e in written) == 3


@pytest.fixture(scope="module")
def ended_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding one maximize run: trial 2 failed, trial 1 is best."""
    folder = tmp_path_factory.mktemp("ended")
    ws = folder / "ws"
    done = hpotui("run", str(_maximize(folder, FAILS_ON_3)), "--no-ui", workspace=ws)
    assert done.returncode == 0, done.stderr
    return ws


def _cli(ws: Path, *args: str) -> Result:
    """A read-only verb, run in this process (stdout is not a terminal here)."""
    _register_verbs()
    return CliRunner().invoke(cli, [*args, "--workspace", str(ws)])


def test_show_sorts_best_first_with_missing_values_last(ended_run: Path) -> None:
    by_value = _cli(ended_run, "show", "exp", "--sort", "value")
    reversed_ = _cli(ended_run, "show", "exp", "--sort", "value", "--desc")
    as_json = _cli(ended_run, "show", "exp", "--sort", "value", "--json")
    by_id = _cli(ended_run, "show", "exp")

    assert _first_column(by_value.output) == ["1", "0", "2"]
    assert _first_column(reversed_.output) == ["0", "1", "2"]
    assert _first_column(by_id.output) == ["0", "1", "2"]
    assert [t["id"] for t in json.loads(as_json.output)["trials"]] == [1, 0, 2]
    assert "exited with code 1; last stderr lines: | diverged" in by_id.output
    bad = _cli(ended_run, "show", "exp", "--sort", "colour")
    assert bad.exit_code == 2 and "colour" in bad.output


def test_best_and_export_keep_json_types(ended_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "best.json"

    best = _cli(ended_run, "best", "exp", "--config-out", str(out))
    as_csv = _cli(ended_run, "export", "exp", "--format", "csv")
    as_json = _cli(ended_run, "export", "exp", "--format", "json")

    assert best.exit_code == 0 and json.loads(out.read_text()) == {"x": 2}
    assert best.output.startswith("best trial 1: acc 0.2 (maximize) at step 1")
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [(r["id"], r["x"], r["value"]) for r in rows] == [
        ("1", "2", "0.2"),
        ("0", "1", "0.1"),
        ("2", "3", ""),
    ]
    trials = json.loads(as_json.output)["trials"]
    assert trials[0]["params"] == {"x": 2} and isinstance(trials[0]["params"]["x"], int)
    assert trials[0]["metrics"] == [{"step": 1, "acc": 0.2}]
    assert trials[2]["state"] == "FAILED" and "diverged" in trials[2]["reason"]


def test_list_names_each_experiment_with_its_progress(ended_run: Path) -> None:
    listed = _cli(ended_run, "list")
    header, row = listed.output.splitlines()
    assert header.split()[:5] == ["name", "state", "algorithm", "progress", "best"]
    assert row.split()[:5] == ["exp", "FINISHED", "Grid", "3/10", "0.2"]


def _first_column(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("id "))
    return [line.split()[0] for line in lines[start + 1 :]]


def test_unwritable_output_paths_are_named_without_a_traceback(
    ended_run: Path, tmp_path: Path
) -> None:
    nowhere = tmp_path / "missing" / "folder"
    best = hpotui(
        "best", "exp", "--config-out", str(nowhere / "b.json"), workspace=ended_run
    )
    run = hpotui(
        "run",
        str(_maximize(tmp_path)),
        "--no-ui",
        "--events",
        str(nowhere / "ev.jsonl"),
        workspace=tmp_path / "ws",
    )
    for done, option in [(best, "--config-out"), (run, "--events")]:
        assert done.returncode == 2
        assert str(nowhere) in done.stderr and option in done.stderr
        assert "No such file or directory" in done.stderr
        assert "Traceback" not in done.stderr
