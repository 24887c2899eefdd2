"""The connection and transaction plumbing shared by the store's query groups."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from hpotui.errors import StoreError
from hpotui.store.schema import connect
from hpotui.store.workspace import DB_NAME


class StoreBase:
    """Holds the connection; subclasses add the queries.

    Args:
        workspace: The workspace folder; the database file lives in it.
    """

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)
        self.path = self.workspace / DB_NAME
        try:
            self._conn = connect(str(self.path))
        except sqlite3.Error as err:
            raise StoreError(
                f"cannot open the workspace database {self.path}: {err}; check that "
                "the folder is writable or choose another with --workspace"
            ) from err

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so that two writers never deadlock."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        return self._conn.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return self._conn.execute(sql, args).fetchall()


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def from_json(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)


def to_time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def from_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
