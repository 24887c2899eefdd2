"""The local record of remote tasks: old and new records, damage, concurrent writers."""

from __future__ import annotations

import json
import logging
import multiprocessing
from pathlib import Path

import pytest

from hpotui.backends.wmla.book import RemoteTask, TaskBook


def test_a_record_written_before_resource_and_state_existed_is_read(
    tmp_path: Path,
) -> None:
    """An entry with only the first fields (no state, no resource, no name) reads
    with defaults, and the task name comes from its key."""
    path = tmp_path / "remote_tasks.json"
    path.write_text(json.dumps({
        "lab/Admin-hpo-1": {"profile": "lab", "experiment": "demo",
                            "algorithm": "Random", "metric": "loss",
                            "goal": "minimize", "max_jobs": 4,
                            "param_types": {"lr": "double"}},
    }))  # fmt: skip
    task = TaskBook(path).get("lab", "Admin-hpo-1")
    assert task == RemoteTask(
        "Admin-hpo-1", "lab", "demo", "Random", "loss", "minimize", 4,
        {"lr": "double"}, "SUBMITTED", None,
    )  # fmt: skip
    assert task.facts().resource is None and task.facts().max_jobs == 4


def test_fields_from_a_newer_version_are_tolerated_and_kept_by_state_updates(
    tmp_path: Path,
) -> None:
    path = tmp_path / "remote_tasks.json"
    entry = {"name": "Admin-hpo-2", "profile": "lab", "experiment": "demo",
             "state": "RUNNING", "future_field": [1, 2]}  # fmt: skip
    path.write_text(json.dumps({"lab/Admin-hpo-2": entry}))
    book = TaskBook(path)
    assert book.get("lab", "Admin-hpo-2").state == "RUNNING"  # type: ignore[union-attr]
    book.set_state("lab", "Admin-hpo-2", "FINISHED")
    saved = json.loads(path.read_text())["lab/Admin-hpo-2"]
    assert saved["state"] == "FINISHED" and saved["future_field"] == [1, 2]
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_damaged_file_is_kept_aside_not_overwritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A truncated record file reads as empty with a warning naming it; the next
    submit keeps the damaged file as .unreadable instead of overwriting it."""
    path = tmp_path / "remote_tasks.json"
    path.write_text('{"lab/Admin-hpo-3": {"name": "Admin-h')
    book = TaskBook(path)
    with caplog.at_level(logging.WARNING, "hpotui.backends.wmla.book"):
        assert book.all("lab") == []
    assert str(path) in caplog.text and ".unreadable" in caplog.text
    book.put(RemoteTask("Admin-hpo-4", "lab", "demo"))
    assert [t.name for t in book.all("lab")] == ["Admin-hpo-4"]
    kept = path.with_name("remote_tasks.json.unreadable").read_text()
    assert kept.startswith('{"lab/Admin-hpo-3"')


def _put_many(path: str, worker: int, count: int) -> None:
    book = TaskBook(Path(path))
    for index in range(count):
        book.put(RemoteTask(f"u-hpo-{worker}{index:04d}", "lab", "demo"))


def test_concurrent_processes_lose_no_entry(tmp_path: Path) -> None:
    """Four processes each record 25 tasks at the same time; all 100 are kept."""
    path = tmp_path / "remote_tasks.json"
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_put_many, args=(str(path), worker, 25))
        for worker in range(4)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    names = {task.name for task in TaskBook(path).all("lab")}
    assert len(names) == 100
