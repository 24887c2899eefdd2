"""The event log and the requests other processes leave for an experiment's engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hpotui.engine.events import Event, event_from_json, utcnow
from hpotui.store.base import StoreBase, to_time

REQUEST_KINDS = ("stop", "stop_trial", "retry_failed")


@dataclass(frozen=True)
class Request:
    """Something asked of the owning engine: ``stop``, ``stop_trial`` or
    ``retry_failed`` (``trial_id`` only for ``stop_trial``)."""

    id: int
    kind: str
    trial_id: int | None = None


class MessageQueries(StoreBase):
    """Events in the order they happened, and requests waiting for the engine."""

    def add_events(self, experiment: str, events: Iterable[Event]) -> None:
        """Append events in one commit."""
        rows = [(experiment, event.to_json()) for event in events]
        if not rows:
            return
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO events (experiment, body) VALUES (?, ?)", rows
            )

    def events_after(
        self, experiment: str, seq: int = 0, limit: int = 5000
    ) -> list[tuple[int, Event]]:
        """Stored events with a sequence number above ``seq``, oldest first."""
        rows = self._all(
            "SELECT seq, body FROM events WHERE experiment = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            experiment,
            seq,
            limit,
        )
        return [(int(row[0]), event_from_json(row[1])) for row in rows]

    def last_event_seq(self, experiment: str) -> int:
        row = self._one(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE experiment = ?", experiment
        )
        return int(row[0]) if row else 0

    def add_request(
        self, experiment: str, kind: str, trial_id: int | None = None
    ) -> None:
        """Leave a request for whichever engine owns the experiment."""
        if kind not in REQUEST_KINDS:
            raise ValueError(f"unknown request {kind!r}")
        with self._write() as conn:
            conn.execute(
                "INSERT INTO requests (experiment, kind, trial, created_at) "
                "VALUES (?, ?, ?, ?)",
                (experiment, kind, trial_id, to_time(utcnow())),
            )

    def take_requests(self, experiment: str) -> list[Request]:
        """The open requests, oldest first; each is handed out once."""
        rows = self._all(
            "SELECT id, kind, trial FROM requests "
            "WHERE experiment = ? AND taken_at IS NULL ORDER BY id",
            experiment,
        )
        if not rows:
            return []
        with self._write() as conn:
            conn.executemany(
                "UPDATE requests SET taken_at = ? WHERE id = ?",
                [(to_time(utcnow()), row[0]) for row in rows],
            )
        return [Request(int(row[0]), row[1], row[2]) for row in rows]
