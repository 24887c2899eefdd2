"""The workspace database's tables.

Every timestamp is an ISO 8601 string with a UTC offset. JSON columns hold the
experiment definition, trial parameters and metric records as written.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 1

_TABLES = """
CREATE TABLE IF NOT EXISTS experiments (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL,
    ended_at TEXT,
    run_seconds REAL NOT NULL DEFAULT 0,
    algorithm_state TEXT,
    owner_pid INTEGER,
    owner_host TEXT,
    owner_since TEXT,
    owner_process_start REAL,
    heartbeat_at TEXT
);
CREATE TABLE IF NOT EXISTS trials (
    experiment TEXT NOT NULL,
    id INTEGER NOT NULL,
    state TEXT NOT NULL,
    params TEXT NOT NULL,
    extra TEXT NOT NULL,
    meta TEXT NOT NULL,
    value REAL,
    best_step INTEGER,
    reason TEXT,
    exit_code INTEGER,
    queued_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    workdir TEXT,
    pid INTEGER,
    retry_of INTEGER,
    PRIMARY KEY (experiment, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trials_by_state ON trials (experiment, state);
CREATE INDEX IF NOT EXISTS trials_by_retry ON trials (experiment, retry_of);
CREATE TABLE IF NOT EXISTS metrics (
    experiment TEXT NOT NULL,
    trial INTEGER NOT NULL,
    step INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (experiment, trial, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_experiment ON events (experiment, seq);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment TEXT NOT NULL,
    kind TEXT NOT NULL,
    trial INTEGER,
    created_at TEXT NOT NULL,
    taken_at TEXT
);
CREATE INDEX IF NOT EXISTS open_requests ON requests (experiment, taken_at);
"""


def connect(path: str) -> sqlite3.Connection:
    """A connection in WAL mode with the tables in place.

    WAL lets a dashboard or ``hpotui show`` read while an engine writes; NORMAL
    synchronisation keeps commits cheap and is still safe against a killed process
    (only a power cut can lose the last commits).
    """
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        conn.executescript(_TABLES)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return conn
