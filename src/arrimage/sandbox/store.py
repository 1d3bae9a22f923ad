"""The sandbox's own SQLite storage, in memory or in ``<data_dir>/sandbox.db``.

It is separate from Arrimage's database on purpose: resetting or deleting the sandbox must never
touch real automations. One connection is shared by the request threads and the batch worker, and
a re-entrant lock serialises every transaction, which is ample for a local emulator.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    firstname TEXT NOT NULL DEFAULT '',
    lastname TEXT NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    gender TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    birthdate TEXT,
    postal_code TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    custom_fields TEXT NOT NULL DEFAULT '{}',
    joined_on TEXT NOT NULL,
    updated_on TEXT,
    consent_type TEXT NOT NULL DEFAULT 'implied',
    relation_type TEXT,
    consent_date TEXT,
    consent_proof TEXT,
    unsubscribed_on TEXT,
    hard_bounced_on TEXT,
    mailings_received INTEGER NOT NULL DEFAULT 0,
    mailings_opened INTEGER NOT NULL DEFAULT 0,
    mailings_clicked INTEGER NOT NULL DEFAULT 0
);
-- Email sorts (such as the group-member trigger's email_asc pages) read this index in order.
-- Without it, every page sorts all members through the Python collation FOLD again.
CREATE INDEX IF NOT EXISTS members_email_fold ON members (email COLLATE FOLD);
CREATE TABLE IF NOT EXISTS groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    is_public INTEGER NOT NULL DEFAULT 0,
    is_dynamic INTEGER NOT NULL DEFAULT 0,
    mailings_count INTEGER NOT NULL DEFAULT 0,
    created_on TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS memberships (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    PRIMARY KEY (member_id, group_id)
);
CREATE TABLE IF NOT EXISTS custom_fields (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_type TEXT NOT NULL,
    batch_json TEXT NOT NULL,
    created_on TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT
);
CREATE TABLE IF NOT EXISTS optins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    secret TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    language TEXT NOT NULL,
    payload TEXT NOT NULL,
    confirm_url TEXT,
    created_on TEXT NOT NULL,
    confirmed_on TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    unique_id TEXT PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    expiration TEXT NOT NULL
);
"""


# The collation folds both strings of every comparison, and a sort or an index update
# compares each value many times.
@functools.lru_cache(maxsize=65_536)
def fold(text: str) -> str:
    """Return ``text`` without case or accents, so "Émilie" sorts next to "Emma"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _compare_folded(left: str, right: str) -> int:
    a, b = fold(left), fold(right)
    return (a > b) - (a < b)


TABLES = ("memberships", "members", "groups", "custom_fields", "batches", "optins", "tokens")


class Store:
    """A locked SQLite connection holding the emulated account."""

    def __init__(self, database: str) -> None:
        if database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        self.database = database
        self.lock = threading.RLock()
        # isolation_level=None: transactions are opened explicitly in transaction().
        self._conn = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.create_collation("FOLD", _compare_folded)
        self._conn.execute("PRAGMA foreign_keys = ON")
        if database != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Yield the connection inside one transaction, committed on success, else rolled back."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def is_empty(self) -> bool:
        """Return True when the account has no group, member or custom field yet."""
        with self.transaction() as conn:
            for table in ("members", "groups", "custom_fields"):
                if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                    return False
        return True

    def clear(self) -> None:
        """Delete every row and restart the id sequences."""
        with self.transaction() as conn:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM sqlite_sequence")
        logger.info("Sandbox storage cleared (%s)", self.database)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Return every table as lists of column dictionaries, for ``/_sandbox/state``."""
        with self.transaction() as conn:
            return {
                table: [dict(row) for row in conn.execute(f"SELECT * FROM {table}")]
                for table in TABLES
            }

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        with self.lock:
            self._conn.close()
