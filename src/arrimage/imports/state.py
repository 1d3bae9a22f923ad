"""The progress file of an import, and the report written from it.

The progress file is a SQLite database in ``<data folder>/imports``, named after the file's
SHA-256 and the import's target, so running the same command again resumes instead of
starting over. It contains one record per row read, the batches (each stored before it is sent,
then with the id Cyberimpact gave it), the addresses already seen in the file, and the
account's addresses read at the start. Rows are read in order, so the rows recorded form a
prefix of the file, and a resumed import skips that prefix.

Row statuses: ``pending`` (waiting for a batch), ``sent`` (in a batch not yet done), then
``created``, ``updated``, ``queued``, ``skipped`` or ``failed``.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arrimage.i18n import _

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    number INTEGER PRIMARY KEY,
    email TEXT,
    status TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    warnings TEXT NOT NULL DEFAULT '',
    reference TEXT NOT NULL DEFAULT '',
    chunk INTEGER,
    batch_key TEXT,
    member TEXT
);
CREATE INDEX IF NOT EXISTS rows_by_chunk ON rows (chunk);
CREATE INDEX IF NOT EXISTS rows_by_status ON rows (status);
CREATE TABLE IF NOT EXISTS seen (email TEXT PRIMARY KEY, number INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS existing (email TEXT PRIMARY KEY, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    batch_id INTEGER,
    status TEXT NOT NULL
);
"""

FINAL_STATUSES = ("created", "updated", "queued", "skipped", "failed")
REPORT_FIELDS = ("row", "email", "status", "detail", "warnings", "reference")
# A row's reference is its run id (event path) or this prefix and Cyberimpact's batch id, which
# the report translates.
BATCH_REFERENCE = "batch "


@dataclass(frozen=True)
class Chunk:
    """A batch as stored: its body, and Cyberimpact's batch id once the POST succeeded."""

    id: int
    body: dict[str, Any]
    batch_id: int | None


@dataclass(frozen=True)
class Outcome:
    """The final outcome of one row."""

    status: str
    detail: str = ""
    warnings: str = ""
    reference: str = ""


class ImportState:
    """An open progress file. Changes are written by :meth:`commit`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level="DEFERRED")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._db.commit()

    @classmethod
    def path_for(cls, folder: Path, sha256: str, target: str) -> Path:
        """Return the progress file of ``target``'s import of the file with hash ``sha256``."""
        safe_target = "".join(char if char.isalnum() or char in "-_" else "_" for char in target)
        return folder / f"{sha256[:20]}-{safe_target}.sqlite"

    def close(self) -> None:
        """Commit and close."""
        self._db.commit()
        self._db.close()

    def commit(self) -> None:
        """Write the changes made since the last commit."""
        self._db.commit()

    # Settings of the import

    def meta(self, key: str) -> str | None:
        """Return a stored setting, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # Rows

    def last_row(self) -> int:
        """Return the number of the last row recorded (1, the header, when none is)."""
        row = self._db.execute("SELECT max(number) FROM rows").fetchone()
        return int(row[0]) if row and row[0] is not None else 1

    def record(self, number: int, email: str | None, outcome: Outcome) -> None:
        """Record a row's final outcome."""
        self._db.execute(
            "INSERT INTO rows (number, email, status, detail, warnings, reference) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (number) DO UPDATE SET "
            "status = excluded.status, detail = excluded.detail, "
            "warnings = excluded.warnings, reference = excluded.reference, member = NULL",
            (number, email, outcome.status, outcome.detail, outcome.warnings, outcome.reference),
        )

    def add_pending(
        self, number: int, email: str, batch_key: str, member: dict[str, Any], warnings: str
    ) -> None:
        """Record a row that waits for a batch, with the member to send."""
        self._db.execute(
            "INSERT INTO rows (number, email, status, warnings, batch_key, member) "
            "VALUES (?, ?, 'pending', ?, ?, ?)",
            (number, email, warnings, batch_key, json.dumps(member, ensure_ascii=False)),
        )

    def pending_rows(self) -> Iterator[tuple[int, str, dict[str, Any]]]:
        """Yield ``(number, batch key, member)`` of the rows that wait for a batch."""
        cursor = self._db.execute(
            "SELECT number, batch_key, member FROM rows WHERE status = 'pending' ORDER BY number"
        )
        for number, batch_key, member in cursor:
            yield int(number), str(batch_key), json.loads(member)

    def first_seen(self, email_key: str, number: int) -> int | None:
        """Note that row ``number`` has this address; return an earlier row's number if any."""
        # Most addresses are new, so the insert comes first and the look-up runs only when the
        # address is already there.
        cursor = self._db.execute(
            "INSERT INTO seen (email, number) VALUES (?, ?) ON CONFLICT (email) DO NOTHING",
            (email_key, number),
        )
        if cursor.rowcount == 1:
            return None
        row = self._db.execute("SELECT number FROM seen WHERE email = ?", (email_key,)).fetchone()
        return int(row[0])

    # The account's addresses

    def replace_existing(self, entries: Iterable[tuple[str, str]]) -> int:
        """Replace the account's addresses by ``(email key, kind)`` pairs; return the count."""
        self._db.execute("DELETE FROM existing")
        count = 0
        for email_key, kind in entries:
            # An unsubscribed or bounced entry outranks the plain subscribed one.
            self._db.execute(
                "INSERT INTO existing (email, kind) VALUES (?, ?) ON CONFLICT (email) DO UPDATE "
                "SET kind = excluded.kind WHERE excluded.kind != 'subscribed'",
                (email_key, kind),
            )
            count += 1
        return count

    def existing_kind(self, email_key: str) -> str | None:
        """Return ``subscribed``, ``unsubscribed`` or ``bounced`` for a known address, else None."""
        row = self._db.execute("SELECT kind FROM existing WHERE email = ?", (email_key,)).fetchone()
        return None if row is None else str(row[0])

    # Batches

    def new_chunk(self, body: dict[str, Any], numbers: list[int]) -> int:
        """Store a batch about to be sent, and attach its rows; commit before sending it."""
        cursor = self._db.execute(
            "INSERT INTO chunks (body, status) VALUES (?, 'new')",
            (json.dumps(body, ensure_ascii=False),),
        )
        chunk_id = int(cursor.lastrowid or 0)
        self._db.executemany(
            "UPDATE rows SET status = 'sent', chunk = ?, member = NULL WHERE number = ?",
            [(chunk_id, number) for number in numbers],
        )
        return chunk_id

    def chunk_sent(self, chunk_id: int, batch_id: int) -> None:
        """Record the id Cyberimpact gave the batch."""
        self._db.execute(
            "UPDATE chunks SET batch_id = ?, status = 'sent' WHERE id = ?", (batch_id, chunk_id)
        )
        self._db.execute(
            "UPDATE rows SET reference = ? WHERE chunk = ?", (f"{BATCH_REFERENCE}{batch_id}", chunk_id)
        )

    def open_chunks(self) -> list[Chunk]:
        """Return the batches not yet done, oldest first."""
        cursor = self._db.execute(
            "SELECT id, body, batch_id FROM chunks WHERE status != 'done' ORDER BY id"
        )
        return [
            Chunk(int(chunk_id), json.loads(body), None if batch_id is None else int(batch_id))
            for chunk_id, body, batch_id in cursor
        ]

    def chunk_rows(self, chunk_id: int) -> list[tuple[int, str]]:
        """Return ``(number, email)`` of a batch's rows."""
        cursor = self._db.execute(
            "SELECT number, email FROM rows WHERE chunk = ? ORDER BY number", (chunk_id,)
        )
        return [(int(number), str(email)) for number, email in cursor]

    def finish_chunk(self, chunk_id: int, outcomes: dict[int, Outcome]) -> None:
        """Record the outcome of each row of a batch, and mark the batch done."""
        self._db.executemany(
            "UPDATE rows SET status = ?, detail = ?, "
            "warnings = CASE WHEN ? = '' THEN warnings ELSE ? END WHERE number = ?",
            [(outcome.status, outcome.detail, outcome.warnings, outcome.warnings, number)
             for number, outcome in outcomes.items()],
        )
        self._db.execute("UPDATE chunks SET status = 'done' WHERE id = ?", (chunk_id,))

    # Summary and report

    def counts(self) -> dict[str, int]:
        """Return the number of rows in each status."""
        cursor = self._db.execute("SELECT status, count(*) FROM rows GROUP BY status")
        return {str(status): int(count) for status, count in cursor}

    def write_report(self, path: Path, delimiter: str) -> None:
        """Write one line per row, in file order, then replace ``path`` with it.

        The report is UTF-8 with a BOM so that Excel shows accents, and uses the input's
        delimiter so that it opens in the same spreadsheet settings.
        """
        partial = path.with_name(path.name + ".partial")
        with partial.open("w", encoding="utf-8-sig", newline="") as output:
            writer = csv.writer(output, delimiter=delimiter)
            writer.writerow([_report_header(name) for name in REPORT_FIELDS])
            cursor = self._db.execute(
                "SELECT number, email, status, detail, warnings, reference FROM rows "
                "ORDER BY number"
            )
            labels = _status_labels()
            while batch := cursor.fetchmany(1000):
                writer.writerows(
                    [number, email or "", labels.get(status, status), detail, warnings,
                     _shown_reference(reference)]
                    for number, email, status, detail, warnings, reference in batch
                )
        os.replace(partial, path)


def _report_header(name: str) -> str:
    labels = {
        "row": _("row"),
        "email": _("email"),
        "status": _("status"),
        "detail": _("detail"),
        "warnings": _("warnings"),
        "reference": _("reference"),
    }
    return labels[name]


def _shown_reference(reference: str) -> str:
    batch_id = reference.removeprefix(BATCH_REFERENCE)
    if batch_id != reference and batch_id.isdigit():
        return _("batch {batch}", batch=batch_id)
    return reference


def _status_labels() -> dict[str, str]:
    return {
        "created": _("created"),
        "updated": _("updated"),
        "queued": _("queued"),
        "skipped": _("skipped"),
        "failed": _("failed"),
        "pending": _("pending"),
        "sent": _("sent"),
    }
