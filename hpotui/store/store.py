"""The workspace database: the only place hpotui writes SQL.

Experiments, their trials, every metric record, the algorithm's state, the event
log, the engine that owns a running experiment, and requests to that engine all
live in one SQLite file in WAL mode, so that several processes can share it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hpotui.engine.events import utcnow
from hpotui.errors import EngineError, StoreError, UnknownExperimentError
from hpotui.experiment.model import Experiment
from hpotui.records import ExperimentSummary
from hpotui.states import ExperimentState, TrialState
from hpotui.store.base import from_json, from_time, to_json, to_time
from hpotui.store.messages import MessageQueries
from hpotui.store.owner import Owner
from hpotui.store.trials import TrialQueries
from hpotui.store.workspace import workspace_dir

_COUNTED = (
    "SELECT state, COUNT(*) FROM trials t WHERE experiment = ? AND NOT EXISTS "
    "(SELECT 1 FROM trials r WHERE r.experiment = t.experiment AND r.retry_of = t.id)"
    " GROUP BY state"
)


class Store(TrialQueries, MessageQueries):
    """One workspace's database.

    Args:
        workspace: The workspace folder (see :func:`open_store` for the default).
    """

    def create_experiment(self, experiment: Experiment) -> None:
        """Record a new experiment in state SUBMITTED.

        Raises:
            StoreError: An experiment of that name exists.
        """
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO experiments (name, definition, state, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (
                        experiment.name,
                        experiment.model_dump_json(),
                        ExperimentState.SUBMITTED.value,
                        to_time(utcnow()),
                    ),
                )
        except sqlite3.IntegrityError as err:
            raise StoreError(
                f"an experiment named {experiment.name!r} exists already; resume it "
                "or delete it first"
            ) from err

    def exists(self, name: str) -> bool:
        return self._one("SELECT 1 FROM experiments WHERE name = ?", name) is not None

    def definition(self, name: str) -> Experiment:
        """The experiment as it was submitted (or last updated)."""
        return Experiment.model_validate_json(self._row(name)["definition"])

    def update_definition(self, experiment: Experiment) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE experiments SET definition = ? WHERE name = ?",
                (experiment.model_dump_json(), experiment.name),
            )

    def set_state(
        self, name: str, state: ExperimentState, reason: str | None = None
    ) -> None:
        """Change the experiment's state; a final state records its end time."""
        ended = to_time(utcnow()) if state.is_final else None
        with self._write() as conn:
            conn.execute(
                "UPDATE experiments SET state = ?, reason = ?, ended_at = ? "
                "WHERE name = ?",
                (state.value, reason, ended, name),
            )

    def state(self, name: str) -> tuple[ExperimentState, str | None]:
        row = self._row(name)
        return ExperimentState(row["state"]), row["reason"]

    def run_seconds(self, name: str) -> float:
        """Wall-clock seconds the experiment has run, over every session."""
        return float(self._row(name)["run_seconds"])

    def save_algorithm_state(self, name: str, state: dict[str, Any]) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE experiments SET algorithm_state = ? WHERE name = ?",
                (to_json(state), name),
            )

    def algorithm_state(self, name: str) -> dict[str, Any]:
        return from_json(self._row(name)["algorithm_state"], {})

    def delete_experiment(self, name: str) -> None:
        """Remove the experiment and everything recorded about it."""
        self._row(name)
        with self._write() as conn:
            for table, key in (
                ("metrics", "experiment"),
                ("trials", "experiment"),
                ("events", "experiment"),
                ("requests", "experiment"),
                ("experiments", "name"),
            ):
                conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (name,))

    def claim(self, name: str, owner: Owner) -> Owner | None:
        """Make ``owner`` the experiment's engine.

        Returns:
            The previous owner when it had died (its trials need interrupting),
            else None.

        Raises:
            EngineError: A live engine owns the experiment.
        """
        with self._write() as conn:
            previous = self._owner_in(conn, name)
            if previous and previous.is_alive() and not previous.is_me():
                raise EngineError(
                    f"experiment {name!r} is already run by {previous.describe()}; "
                    f"watch it with `hpotui show {name}` or stop it with "
                    f"`hpotui stop {name}`"
                )
            conn.execute(
                "UPDATE experiments SET owner_pid = ?, owner_host = ?, "
                "owner_since = ?, owner_process_start = ?, heartbeat_at = ? "
                "WHERE name = ?",
                (
                    owner.pid,
                    owner.host,
                    to_time(owner.since),
                    owner.process_start,
                    to_time(owner.since),
                    name,
                ),
            )
        return previous

    def owner(self, name: str) -> Owner | None:
        """The engine that owns the experiment, alive or not, or None."""
        return self._owner_in(self._conn, name)

    def live_owner(self, name: str) -> Owner | None:
        found = self.owner(name)
        return found if found and found.is_alive() else None

    def heartbeat(self, name: str, run_seconds: float) -> None:
        """The owner's sign of life, with the run time so far."""
        with self._write() as conn:
            conn.execute(
                "UPDATE experiments SET heartbeat_at = ?, run_seconds = ? "
                "WHERE name = ?",
                (to_time(utcnow()), run_seconds, name),
            )

    def release(self, name: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE experiments SET owner_pid = NULL, owner_host = NULL, "
                "owner_since = NULL, owner_process_start = NULL WHERE name = ?",
                (name,),
            )

    def summaries(self) -> list[ExperimentSummary]:
        """Every experiment, newest first."""
        rows = self._all("SELECT name FROM experiments ORDER BY created_at DESC")
        return [self.summary(row[0]) for row in rows]

    def summary(self, name: str) -> ExperimentSummary:
        row = self._row(name)
        experiment = Experiment.model_validate_json(row["definition"])
        counts = {
            TrialState(state): count for state, count in self._all(_COUNTED, name)
        }
        ended = sum(n for state, n in counts.items() if _counts_as_complete(state))
        best = self._best(name, experiment.objective.goal)
        owner = self.live_owner(name)
        return ExperimentSummary(
            name=name,
            state=ExperimentState(row["state"]),
            algorithm=experiment.algorithm.name,
            metric=experiment.objective.metric,
            goal=experiment.objective.goal,
            completed=ended,
            failed=counts.get(TrialState.FAILED, 0),
            running=counts.get(TrialState.RUNNING, 0),
            max_jobs=experiment.limits.max_jobs,
            best_value=None if best is None else best[1],
            best_trial=None if best is None else best[0],
            reason=row["reason"],
            created_at=from_time(row["created_at"]),
            ended_at=from_time(row["ended_at"]),
            owner=None if owner is None else owner.describe(),
        )

    def _best(self, name: str, goal: str) -> tuple[int, float] | None:
        order = "DESC" if goal == "maximize" else "ASC"
        row = self._one(
            "SELECT id, value FROM trials WHERE experiment = ? AND state = ? "
            f"AND value IS NOT NULL ORDER BY value {order}, id LIMIT 1",
            name,
            TrialState.FINISHED.value,
        )
        return None if row is None else (int(row[0]), float(row[1]))

    def _row(self, name: str) -> sqlite3.Row:
        row = self._one("SELECT * FROM experiments WHERE name = ?", name)
        if row is None:
            raise UnknownExperimentError(
                f"no experiment named {name!r} in {self.workspace}; "
                "`hpotui list` shows the ones there are"
            )
        return row

    @staticmethod
    def _owner_in(conn: sqlite3.Connection, name: str) -> Owner | None:
        row = conn.execute(
            "SELECT owner_pid, owner_host, owner_since, owner_process_start, "
            "heartbeat_at FROM experiments WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return Owner(
            pid=int(row[0]),
            host=row[1],
            since=from_time(row[2]) or utcnow(),
            process_start=float(row[3]),
            heartbeat=from_time(row[4]),
        )


def _counts_as_complete(state: TrialState) -> bool:
    return state.is_final and state is not TrialState.INTERRUPTED


def open_store(workspace: str | Path | None = None) -> Store:
    """The store of the given workspace, ``HPOTUI_HOME``, or the per-user folder."""
    return Store(workspace_dir(workspace))
