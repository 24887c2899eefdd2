"""Trials and their metric records."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hpotui.engine.events import utcnow
from hpotui.records import MetricRecord, TrialRecord
from hpotui.states import TrialState
from hpotui.store.base import StoreBase, from_time, to_json, to_time

_TRIAL_COLUMNS = (
    "id, state, params, extra, meta, value, best_step, reason, started_at, "
    "ended_at, workdir, retry_of"
)


class TrialQueries(StoreBase):
    """Recording trials from queued to ended, and reading them back."""

    def add_trial(
        self,
        experiment: str,
        params: Mapping[str, Any],
        extra: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        retry_of: int | None = None,
    ) -> int:
        """Record a QUEUED trial under the next unused id and return that id."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT COALESCE(MAX(id), -1) + 1 FROM trials WHERE experiment = ?",
                (experiment,),
            ).fetchone()
            trial_id = int(row[0])
            conn.execute(
                "INSERT INTO trials (experiment, id, state, params, extra, meta, "
                "queued_at, retry_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    experiment,
                    trial_id,
                    TrialState.QUEUED.value,
                    to_json(dict(params)),
                    to_json(dict(extra or {})),
                    to_json(dict(meta or {})),
                    to_time(utcnow()),
                    retry_of,
                ),
            )
        return trial_id

    def start_trial(self, experiment: str, trial_id: int, workdir: Path) -> None:
        """Mark a trial RUNNING in ``workdir`` (committed before its process starts)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE trials SET state = ?, started_at = ?, workdir = ? "
                "WHERE experiment = ? AND id = ?",
                (
                    TrialState.RUNNING.value,
                    to_time(utcnow()),
                    str(workdir),
                    experiment,
                    trial_id,
                ),
            )

    def set_trial_pid(self, experiment: str, trial_id: int, pid: int) -> None:
        """Note the trial's process id, so a later engine can end an orphan."""
        with self._write() as conn:
            conn.execute(
                "UPDATE trials SET pid = ? WHERE experiment = ? AND id = ?",
                (pid, experiment, trial_id),
            )

    def running_processes(self, experiment: str) -> list[tuple[int, int, Path]]:
        """``(trial id, pid, folder)`` of trials recorded RUNNING with a process."""
        rows = self._all(
            "SELECT id, pid, workdir FROM trials WHERE experiment = ? AND state = ? "
            "AND pid IS NOT NULL AND workdir IS NOT NULL",
            experiment,
            TrialState.RUNNING.value,
        )
        return [(int(row[0]), int(row[1]), Path(row[2])) for row in rows]

    def end_trial(
        self,
        experiment: str,
        trial_id: int,
        state: TrialState,
        *,
        value: float | None = None,
        best_step: int | None = None,
        reason: str | None = None,
        exit_code: int | None = None,
        records: Iterable[MetricRecord] = (),
    ) -> None:
        """Record how a trial ended, with its final metric records, in one commit."""
        with self._write() as conn:
            self._put_metrics(conn, experiment, trial_id, records)
            conn.execute(
                "UPDATE trials SET state = ?, value = ?, best_step = ?, reason = ?, "
                "exit_code = ?, ended_at = ? WHERE experiment = ? AND id = ?",
                (
                    state.value,
                    value,
                    best_step,
                    reason,
                    exit_code,
                    to_time(utcnow()),
                    experiment,
                    trial_id,
                ),
            )

    def interrupt_running(self, experiment: str, reason: str) -> list[int]:
        """Mark every RUNNING trial INTERRUPTED (its engine died); returns their ids."""
        with self._write() as conn:
            rows = conn.execute(
                "SELECT id FROM trials WHERE experiment = ? AND state = ?",
                (experiment, TrialState.RUNNING.value),
            ).fetchall()
            conn.execute(
                "UPDATE trials SET state = ?, reason = ?, ended_at = ? "
                "WHERE experiment = ? AND state = ?",
                (
                    TrialState.INTERRUPTED.value,
                    reason,
                    to_time(utcnow()),
                    experiment,
                    TrialState.RUNNING.value,
                ),
            )
        return [int(row[0]) for row in rows]

    def add_metrics(
        self, experiment: str, trial_id: int, records: Iterable[MetricRecord]
    ) -> None:
        """Store live records; a step seen again replaces the earlier record."""
        with self._write() as conn:
            self._put_metrics(conn, experiment, trial_id, records)

    def trials(self, experiment: str) -> list[TrialRecord]:
        """Every trial of the experiment, in id order."""
        rows = self._all(
            f"SELECT {_TRIAL_COLUMNS} FROM trials WHERE experiment = ? ORDER BY id",
            experiment,
        )
        documents = _parse_many(
            text for row in rows for text in (row["params"], row["extra"], row["meta"])
        )
        return [
            _trial_record(row, *documents[3 * i : 3 * i + 3])
            for i, row in enumerate(rows)
        ]

    def trial(self, experiment: str, trial_id: int) -> TrialRecord | None:
        row = self._one(
            f"SELECT {_TRIAL_COLUMNS} FROM trials WHERE experiment = ? AND id = ?",
            experiment,
            trial_id,
        )
        if row is None:
            return None
        return _trial_record(
            row, *_parse_many([row["params"], row["extra"], row["meta"]])
        )

    def metrics(self, experiment: str) -> dict[int, list[MetricRecord]]:
        """Every stored metric record, by trial id, each list in step order."""
        rows = self._all(
            "SELECT trial, step, record FROM metrics WHERE experiment = ? "
            "ORDER BY trial, step",
            experiment,
        )
        found: dict[int, list[MetricRecord]] = {}
        values = _parse_many(row[2] for row in rows)
        for row, recorded in zip(rows, values, strict=True):
            found.setdefault(row[0], []).append(MetricRecord(row[1], recorded))
        return found

    @staticmethod
    def _put_metrics(
        conn: sqlite3.Connection,
        experiment: str,
        trial_id: int,
        records: Iterable[MetricRecord],
    ) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO metrics (experiment, trial, step, record) "
            "VALUES (?, ?, ?, ?)",
            [(experiment, trial_id, r.step, to_json(r.values)) for r in records],
        )


def _parse_many(texts: Iterable[str]) -> list[Any]:
    # One parse of a JSON array is several times faster than one per document,
    # which matters when a resume reads 10,000 trials and their records.
    return json.loads("[" + ",".join(texts) + "]")


def _trial_record(row: sqlite3.Row, params: Any, extra: Any, meta: Any) -> TrialRecord:
    workdir = row["workdir"]
    return TrialRecord(
        id=int(row["id"]),
        state=TrialState(row["state"]),
        params=params,
        value=row["value"],
        best_step=row["best_step"],
        started_at=from_time(row["started_at"]),
        ended_at=from_time(row["ended_at"]),
        reason=row["reason"],
        config_path=None if workdir is None else str(Path(workdir) / "config.json"),
        extra=extra,
        meta=meta,
        retry_of=row["retry_of"],
    )
