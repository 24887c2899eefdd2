"""``hpotui run``/``show``/``best``/``export`` as a user calls them, in a subprocess."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from engine_support import hpotui, write_experiment

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
    assert unknown.returncode == 1 and "no experiment named 'nothing-here'" in (
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


def test_show_sorts_best_first_with_missing_values_last(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    hpotui("run", str(_maximize(tmp_path, FAILS_ON_3)), "--no-ui", workspace=ws)

    by_value = hpotui("show", "exp", "--sort", "value", workspace=ws)
    reversed_ = hpotui("show", "exp", "--sort", "value", "--desc", workspace=ws)
    as_json = hpotui("show", "exp", "--sort", "value", "--json", workspace=ws)

    assert _first_column(by_value.stdout) == ["1", "0", "2"]
    assert _first_column(reversed_.stdout) == ["0", "1", "2"]
    assert [t["id"] for t in json.loads(as_json.stdout)["trials"]] == [1, 0, 2]
    bad = hpotui("show", "exp", "--sort", "colour", workspace=ws)
    assert bad.returncode == 2 and "colour" in bad.stderr


def test_best_and_export_keep_json_types(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    hpotui("run", str(_maximize(tmp_path, FAILS_ON_3)), "--no-ui", workspace=ws)
    out = tmp_path / "best.json"

    best = hpotui("best", "exp", "--config-out", str(out), workspace=ws)
    as_csv = hpotui("export", "exp", "--format", "csv", workspace=ws)
    as_json = hpotui("export", "exp", "--format", "json", workspace=ws)

    assert best.returncode == 0 and json.loads(out.read_text()) == {"x": 2}
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["id"], r["x"], r["value"]) for r in rows] == [
        ("1", "2", "0.2"),
        ("0", "1", "0.1"),
        ("2", "3", ""),
    ]
    trials = json.loads(as_json.stdout)["trials"]
    assert trials[0]["params"] == {"x": 2} and isinstance(trials[0]["params"]["x"], int)
    assert trials[0]["metrics"] == [{"step": 1, "acc": 0.2}]
    assert trials[2]["state"] == "FAILED" and "diverged" in trials[2]["reason"]


def test_list_names_each_experiment_with_its_progress(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    hpotui("run", str(_maximize(tmp_path)), "--no-ui", workspace=ws)
    listed = hpotui("list", workspace=ws)
    header, row = listed.stdout.splitlines()
    assert header.split()[:5] == ["name", "state", "algorithm", "progress", "best"]
    assert row.split()[:5] == ["exp", "FINISHED", "Grid", "3/10", "0.9"]


def _first_column(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("id "))
    return [line.split()[0] for line in lines[start + 1 :]]
