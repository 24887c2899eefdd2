"""Every WML-A fixture reads into hpotui's records, whatever build wrote it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from wmla_helpers import FIXTURES, fixture

from hpotui.backends.wmla.execs import announced_size, log_text
from hpotui.backends.wmla.parse import (
    TaskFacts,
    offset_text,
    parse_progress,
    parse_submit_response,
    parse_time,
    task_from_json,
    typed_value,
)
from hpotui.states import ExperimentState, TrialState


def test_every_fixture_file_is_valid() -> None:
    names = sorted(p.name for p in FIXTURES.iterdir() if p.suffix == ".json")
    assert len(names) >= 27
    for name in names:
        assert fixture(name) is not None, name
    assert "average loss" in (FIXTURES / "exec_log_cpd.txt").read_text()


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in FIXTURES.glob("hpo_task_finished_*.json"))
    + ["hpo_task_running.json"],
)
def test_every_task_fixture_maps_to_records(name: str) -> None:
    task = fixture(name)
    summary, trials = task_from_json(task)
    assert summary.name == task["hpoName"]
    assert [t.id for t in trials] == sorted(e["id"] for e in task["experiments"])
    assert summary.completed == task["complete"]
    python_types = {"double": float, "int": int, "str": str, "string": str}
    by_id = {t.id: t for t in trials}
    for item in task["experiments"]:
        trial = by_id[item["id"]]
        assert trial.meta["appId"] == item["appId"]
        assert "appId" not in trial.extra  # extra is what config.json holds
        for entry in item["hyperParams"]:
            value = trial.params[entry["name"]]
            assert type(value) is python_types[entry["dataType"].lower()]
            assert str(value) == entry["fixedVal"] or float(value) == float(
                entry["fixedVal"]
            )


def test_finished_random_task() -> None:
    summary, trials = task_from_json(fixture("hpo_task_finished_random.json"))
    best = fixture("hpo_task_finished_random.json")["best"]
    assert summary.state is ExperimentState.FINISHED
    assert summary.max_jobs == 4 and summary.progress == "4/4"
    assert summary.best_trial == best["id"]
    assert summary.best_value == pytest.approx(best["metricVal"])
    assert all(isinstance(v, float) for t in trials for v in t.params.values())
    assert summary.ended_at is not None and summary.created_at is not None


def test_percent_progress_and_failed_sentinel() -> None:
    task = fixture("hpo_task_finished_percent_progress.json")
    summary, trials = task_from_json(task)
    assert summary.max_jobs == 10  # 5 complete at "50" percent
    failed = [t for t in trials if t.state is TrialState.FAILED]
    assert len(failed) == 1 and failed[0].value is None
    assert all(t.value != 9999.99 for t in trials)
    assert summary.best_trial == task["best"]["id"]
    assert isinstance(trials[0].params["num_rounds"], int)
    assert trials[0].params["num_rounds"] == 150


def test_running_task_without_best_or_end_times() -> None:
    task = fixture("hpo_task_running.json")
    summary, trials = task_from_json(task, TaskFacts(goal="maximize", metric="acc"))
    assert summary.state is ExperimentState.RUNNING and not summary.state.is_final
    assert summary.max_jobs == 12
    running = [t for t in trials if t.state is TrialState.RUNNING]
    assert len(running) == 2 and all(t.ended_at is None for t in running)
    assert all(t.value is None for t in running)
    finished = [t for t in trials if t.value is not None]
    assert summary.best_value == max(t.value for t in finished)  # type: ignore[type-var]
    assert trials[0].params == {"learning_rate": 0.051, "epochs": "1"}


def test_running_task_without_goal_has_no_best() -> None:
    summary, _ = task_from_json(fixture("hpo_task_running.json"))
    assert summary.best_value is None and summary.goal == ""


def test_grid_and_cpd_variants() -> None:
    summary, trials = task_from_json(fixture("hpo_task_finished_grid.json"))
    assert [t.id for t in trials] == [1, 2]
    cpd, cpd_trials = task_from_json(fixture("hpo_task_finished_cpd35.json"))
    algo = fixture("hpo_task_finished_cpd35.json")["algoDef"]
    assert cpd.algorithm == algo["algorithm"]
    assert cpd.metric == algo["objectiveMetric"]
    assert all("-" in str(t.meta["appId"]) for t in cpd_trials)


def test_hyperband_resource_stays_a_string_unless_declared() -> None:
    task = fixture("hpo_task_finished_hyperband.json")
    _, trials = task_from_json(task)
    assert trials[0].params["epochs"] == "1"
    _, typed = task_from_json(task, TaskFacts(param_types={"epochs": "int"}))
    assert typed[0].params["epochs"] == 1


def test_hyperband_resource_named_in_the_record_is_the_budget_not_a_parameter() -> None:
    """WML-A lists the budget (``epochs``, dataType str) among each experiment's
    hyperParams; with the resource name recorded at submit it is read as the
    trial's budget in ``extra``, a number, as the embedded engine keeps it."""
    task = fixture("hpo_task_finished_hyperband.json")
    facts = TaskFacts(param_types={"learning_rate": "double"}, resource="epochs")
    _, trials = task_from_json(task, facts)
    for trial, item in zip(trials, task["experiments"], strict=True):
        assert "epochs" not in trial.params
        budget = next(e for e in item["hyperParams"] if e["name"] == "epochs")
        assert trial.extra["epochs"] == int(budget["fixedVal"])
        lr = next(e for e in item["hyperParams"] if e["name"] == "learning_rate")
        assert trial.params == {"learning_rate": float(lr["fixedVal"])}


@pytest.mark.parametrize(
    ("hours", "minutes", "seconds", "text"),
    [(0, 0, 0, "+00:00"), (1, 0, 0, "+01:00"), (-5, -30, 0, "-05:30"),
     (5, 53, 28, "+05:53:28")],
)
def test_offset_text_of_fixed_zones(
    hours: int, minutes: int, seconds: int, text: str
) -> None:
    zone = timezone(timedelta(hours=hours, minutes=minutes, seconds=seconds))
    assert offset_text(zone) == text
    assert datetime.fromisoformat("2020-02-18 21:06:43" + text).tzinfo == zone


def test_times_of_both_forms_read_the_same_as_the_slow_way() -> None:
    """The fast path (offset appended to the text) gives the same aware time as
    parsing and attaching the zone; exec times keep their own ``Z``."""
    local = datetime.now().astimezone().tzinfo
    hpo = parse_time("2020-02-18 21:06:43")
    assert hpo == datetime(2020, 2, 18, 21, 6, 43, tzinfo=local)
    assert hpo is not None and hpo.utcoffset() == local.utcoffset(None)  # type: ignore[union-attr]
    assert parse_time("2020-11-26T09:14:03Z") == datetime(
        2020, 11, 26, 9, 14, 3, tzinfo=UTC
    )
    assert parse_time("2020-02-18T21:06") == datetime(
        2020, 2, 18, 21, 6, tzinfo=local
    )
    assert parse_time("2020-13-18 21:06:43") is None
    assert parse_time("yesterday") is None and parse_time(None) is None


def test_list_keeps_unknown_states_and_keeps_polling_them() -> None:
    items = fixture("hpo_task_list.json")
    summaries = [task_from_json(item)[0] for item in items]
    assert len(summaries) == 5
    recover = [s for s in summaries if s.remote_state == "RECOVERPEND"]
    assert len(recover) == 1 and not recover[0].state.is_final
    assert "RECOVERPEND" in (recover[0].reason or "")
    failed = [s for s in summaries if s.state is ExperimentState.FAILED]
    assert failed and failed[0].best_value is None


def test_submit_answers_both_forms() -> None:
    assert parse_submit_response(fixture("hpo_submit_response.json")) == (
        "Admin-hpo-7267958609367355"
    )
    assert parse_submit_response(fixture("hpo_submit_response_cpd35.json")) == (
        "alice-hpo-5870631624097870"
    )
    with pytest.raises(ValueError):
        parse_submit_response({"href": "/x"})


@pytest.mark.parametrize(
    ("text", "completed", "total", "percent"),
    [("2/12", 2, 12, None), ("8/-", 8, -1, None), ("60", None, None, 60.0),
     ("weird", None, None, None), (None, None, None, None)],
)
def test_progress_forms(
    text: str | None, completed: int | None, total: int | None, percent: float | None
) -> None:
    progress = parse_progress(text)
    assert (progress.completed, progress.total, progress.percent) == (
        completed, total, percent
    )


@pytest.mark.parametrize(
    ("fixed", "data_type", "declared", "expected"),
    [("773", "int", None, 773), ("0.25", "DOUBLE", None, 0.25),
     ("Adam", "STRING", None, "Adam"), ("3", "str", "int", 3),
     ("1e3", "Int", None, 1000), ("1E3", "INT", None, 1000),
     ("3.0", "int", None, 3), ("abc", "double", None, "abc"),
     ("abc", "int", None, "abc"), ("9", "number", None, 9),
     ("2.5", "number", None, 2.5), ("7", None, None, "7")],
)
def test_fixed_values_typed_back(
    fixed: str, data_type: str, declared: str | None, expected: object
) -> None:
    value = typed_value(fixed, data_type, declared)
    assert value == expected and type(value) is type(expected)


def test_log_bodies_of_both_generations() -> None:
    dlpd = (FIXTURES / "exec_log_dlpd.json").read_text()
    lines = log_text(dlpd, "application/json").splitlines()
    assert len(lines) == 6 and lines[0].startswith("[2021-03-04 17:25:10] Train")
    cpd = (FIXTURES / "exec_log_cpd.txt").read_text()
    assert log_text(cpd, "text/plain") == cpd
    assert log_text(json.dumps(["a", "b"]), "application/json") == "a\nb"


def test_announced_size_from_either_header() -> None:
    assert announced_size({"content-length": "12"}) == 12
    assert announced_size({"content-disposition": "attachment; size=345"}) == 345
    assert announced_size({}) is None


def test_collection_pause_restores_the_collector_as_it_found_it() -> None:
    import gc

    from hpotui.backends.wmla.parse import collection_paused

    assert gc.isenabled()
    with pytest.raises(ValueError), collection_paused():
        assert not gc.isenabled()
        json.loads("{not json")
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
    task_from_json(fixture("hpo_task_running.json"))
    assert gc.isenabled()
