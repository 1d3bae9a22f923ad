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
import functools
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from arrimage.i18n import SUPPORTED_LOCALES, LazyText, _, current_locale

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
CREATE TABLE IF NOT EXISTS seen (email TEXT PRIMARY KEY, number INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS existing (email TEXT PRIMARY KEY, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    batch_id INTEGER,
    status TEXT NOT NULL
);
"""

# An index on status would be updated three times per row and read only to resume, so
# progress files of earlier versions lose theirs.
DROPPED_INDEXES = "DROP INDEX IF EXISTS rows_by_status;"

# Buffered rows are written with this statement. A row written again keeps its email address,
# batch key and batch, as a row recorded after it waited for a batch.
UPSERT_ROW = (
    "INSERT INTO rows "
    "(number, email, status, detail, warnings, reference, chunk, batch_key, member) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (number) DO UPDATE SET "
    "status = excluded.status, detail = excluded.detail, warnings = excluded.warnings, "
    "reference = excluded.reference, member = excluded.member"
)
# Positions in a buffered row, in UPSERT_ROW's order.
_STATUS, _DETAIL, _WARNINGS, _REFERENCE, _CHUNK, _MEMBER = 2, 3, 4, 5, 6, 8

FINAL_STATUSES = ("created", "updated", "queued", "skipped", "failed")
REPORT_FIELDS = ("row", "email", "status", "detail", "warnings", "reference")
# A row's reference is its run id (event path) or this prefix and Cyberimpact's batch id, which
# the report translates.
BATCH_REFERENCE = "batch "


# A detail or a warning: plain text (such as Cyberimpact's own words), a message to translate,
# or one text per locale.
Text = Union[str, LazyText, Mapping[str, str]]

# The first character of a stored text that contains one text per locale, as JSON. Texts
# stored by earlier versions are plain, and so is any text that is not valid JSON after it.
TRANSLATED = "\x1e"


def stored_text(text: Text) -> str:
    """Return ``text`` as the progress file stores it: plain, or in every locale."""
    if isinstance(text, LazyText):
        text = text.as_dict()
    if isinstance(text, Mapping):
        return TRANSLATED + json.dumps(dict(text), ensure_ascii=False) if text else ""
    return text


def joined_warnings(warnings: Iterable[LazyText]) -> dict[str, str]:
    """Return the warnings joined with " | " in every locale, or {} when there are none."""
    texts = list(warnings)
    if not texts:
        return {}
    return {locale: " | ".join(text.render(locale) for text in texts)
            for locale in SUPPORTED_LOCALES}


def stored_warnings(warnings: Iterable[LazyText]) -> str:
    """Return the warnings of a row as the progress file stores them, or "" when there are none.

    Rows that convert the same values get the same warnings, so each set is rendered once
    (at most 4 096 sets are kept).
    """
    texts = tuple(warnings)
    if not texts:
        return ""
    key = tuple(_text_key(text) for text in texts)
    stored = _STORED_WARNINGS.get(key)
    if stored is None:
        if len(_STORED_WARNINGS) >= 4096:
            _STORED_WARNINGS.clear()
        stored = _STORED_WARNINGS[key] = stored_text(joined_warnings(texts))
    return stored


_STORED_WARNINGS: dict[tuple[Any, ...], str] = {}


def _text_key(text: LazyText) -> tuple[Any, ...]:
    # LazyText hashes by its message only, so texts that differ by a value would all collide.
    params = []
    for name, value in sorted(text.params.items()):
        if isinstance(value, LazyText):
            value = _text_key(value)
        elif not isinstance(value, (str, int, float, bool, type(None))):
            value = repr(value)
        params.append((name, value))
    return (text.message, tuple(params))


def shown_text(stored: str, locale: str | None = None) -> str:
    """Return a stored text in ``locale`` (default: the current one)."""
    if not stored.startswith(TRANSLATED):
        return stored
    try:
        texts = json.loads(stored[len(TRANSLATED):])
    except ValueError:
        return stored
    if not isinstance(texts, dict):
        return stored
    return str(texts.get(locale or current_locale()) or texts.get("en") or "")


class AddressFilter:
    """A Bloom filter of email keys: "absent" is certain, "present" only likely.

    Most addresses of an import are new to the account and to the file, so the filter
    settles their look-ups without a query. With 2 MiB of bits and three positions per key,
    a look-up of an absent address still needs the query about once in 200 000 times at
    100 000 addresses, and once in 200 times at a million.
    """

    BITS = 1 << 24
    _MASK = BITS - 1

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._bits = bytearray(self.BITS // 8)
        for key in keys:
            self.add(key)

    def add(self, key: str) -> None:
        """Add ``key``."""
        bits, mask = self._bits, self._MASK
        # Three slices of the 64-bit string hash serve as the three positions.
        value = hash(key)
        for position in (value & mask, (value >> 20) & mask, (value >> 40) & mask):
            bits[position >> 3] |= 1 << (position & 7)

    def __contains__(self, key: str) -> bool:
        bits, mask = self._bits, self._MASK
        value = hash(key)
        for position in (value & mask, (value >> 20) & mask, (value >> 40) & mask):
            if not bits[position >> 3] & (1 << (position & 7)):
                return False
        return True


@dataclass(frozen=True)
class Chunk:
    """A batch as stored: its body, and Cyberimpact's batch id once the POST succeeded."""

    id: int
    body: dict[str, Any]
    batch_id: int | None


@dataclass(frozen=True)
class Outcome:
    """The final outcome of one row.

    ``detail`` and ``warnings`` are stored as :func:`stored_text` makes them, so that a
    translatable text follows the language of the report that shows it.
    """

    status: str
    detail: Text = ""
    warnings: Text = ""
    reference: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", stored_text(self.detail))
        object.__setattr__(self, "warnings", stored_text(self.warnings))


class ImportState:
    """An open progress file. Changes are written by :meth:`commit`.

    Rows and addresses are kept in memory until the next commit, or until a statement reads or
    updates rows, and are then written together: one statement per row cost more than
    building the contact. Waiting loses nothing that a commit would have kept, because SQLite
    makes no change durable before the commit either. A row still in memory when its batch is
    stored is written once, as sent, and its member is never encoded.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level="DEFERRED")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._db.executescript(DROPPED_INDEXES)
        self._db.commit()
        self._rows: dict[int, list[Any]] = {}
        self._seen: dict[str, int] = {}
        self._seen_filter: AddressFilter | None = None
        self._existing_filter: AddressFilter | None = None

    @classmethod
    def path_for(cls, folder: Path, sha256: str, target: str) -> Path:
        """Return the progress file of ``target``'s import of the file with hash ``sha256``."""
        safe_target = "".join(char if char.isalnum() or char in "-_" else "_" for char in target)
        return folder / f"{sha256[:20]}-{safe_target}.sqlite"

    def close(self) -> None:
        """Commit and close."""
        self.commit()
        self._db.close()

    def commit(self) -> None:
        """Write the changes made since the last commit."""
        self._write_buffered()
        self._db.commit()

    def _write_buffered(self) -> None:
        if self._rows:
            self._db.executemany(UPSERT_ROW, [
                (*entry[:_MEMBER],
                 None if entry[_MEMBER] is None else json.dumps(entry[_MEMBER], ensure_ascii=False))
                for entry in self._rows.values()
            ])
            self._rows.clear()
        if self._seen:
            self._db.executemany(
                "INSERT INTO seen (email, number) VALUES (?, ?) ON CONFLICT (email) DO NOTHING",
                self._seen.items(),
            )
            self._seen.clear()

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
        self._write_buffered()
        row = self._db.execute("SELECT max(number) FROM rows").fetchone()
        return int(row[0]) if row and row[0] is not None else 1

    def record(self, number: int, email: str | None, outcome: Outcome) -> None:
        """Record a row's final outcome."""
        entry = self._rows.get(number)
        if entry is None:
            self._rows[number] = [number, email, outcome.status, outcome.detail, outcome.warnings,
                                  outcome.reference, None, None, None]
            return
        entry[_STATUS], entry[_DETAIL] = outcome.status, outcome.detail
        entry[_WARNINGS], entry[_REFERENCE] = outcome.warnings, outcome.reference
        entry[_MEMBER] = None

    def add_pending(
        self, number: int, email: str, batch_key: str, member: dict[str, Any], warnings: Text
    ) -> None:
        """Record a row that waits for a batch, with the member to send."""
        self._rows[number] = [number, email, "pending", "", stored_text(warnings), "", None,
                              batch_key, member]

    def pending_rows(self) -> Iterator[tuple[int, str, dict[str, Any]]]:
        """Yield ``(number, batch key, member)`` of the rows that wait for a batch."""
        self._write_buffered()
        cursor = self._db.execute(
            "SELECT number, batch_key, member FROM rows WHERE status = 'pending' ORDER BY number"
        )
        for number, batch_key, member in cursor:
            yield int(number), str(batch_key), json.loads(member)

    def first_seen(self, email_key: str, number: int) -> int | None:
        """Note that row ``number`` has this address; return an earlier row's number if any."""
        if self._seen_filter is None:
            # Addresses of the rows an earlier run of this import read.
            self._seen_filter = AddressFilter(
                email for (email,) in self._db.execute("SELECT email FROM seen"))
        if email_key in self._seen_filter:
            earlier = self._seen.get(email_key)
            if earlier is not None:
                return earlier
            row = self._db.execute(
                "SELECT number FROM seen WHERE email = ?", (email_key,)).fetchone()
            if row is not None:
                return int(row[0])
        self._seen_filter.add(email_key)
        self._seen[email_key] = number
        return None

    # The account's addresses

    def replace_existing(self, entries: Iterable[tuple[str, str]]) -> int:
        """Replace the account's addresses by ``(email key, kind)`` pairs; return the count."""
        self._db.execute("DELETE FROM existing")
        self._existing_filter = AddressFilter()
        count = 0

        def counted() -> Iterator[tuple[str, str]]:
            nonlocal count
            for entry in entries:
                self._existing_filter.add(entry[0])  # type: ignore[union-attr]
                count += 1
                yield entry

        # An unsubscribed or bounced entry outranks the plain subscribed one.
        self._db.executemany(
            "INSERT INTO existing (email, kind) VALUES (?, ?) ON CONFLICT (email) DO UPDATE "
            "SET kind = excluded.kind WHERE excluded.kind != 'subscribed'",
            counted(),
        )
        return count

    def existing_kind(self, email_key: str) -> str | None:
        """Return ``subscribed``, ``unsubscribed`` or ``bounced`` for a known address, else None."""
        if self._existing_filter is None:
            self._existing_filter = AddressFilter(
                email for (email,) in self._db.execute("SELECT email FROM existing"))
        if email_key not in self._existing_filter:
            return None
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
        written: list[tuple[int, int]] = []
        for number in numbers:
            entry = self._rows.get(number)
            if entry is None:
                written.append((chunk_id, number))
            else:
                entry[_STATUS], entry[_CHUNK], entry[_MEMBER] = "sent", chunk_id, None
        if written:
            self._db.executemany(
                "UPDATE rows SET status = 'sent', chunk = ?, member = NULL WHERE number = ?",
                written,
            )
        return chunk_id

    def chunk_sent(self, chunk_id: int, batch_id: int) -> None:
        """Record the id Cyberimpact gave the batch, which becomes its rows' reference."""
        self._db.execute(
            "UPDATE chunks SET batch_id = ?, status = 'sent' WHERE id = ?", (batch_id, chunk_id)
        )

    def open_chunks(self) -> list[Chunk]:
        """Return the batches not yet done, oldest first."""
        self._write_buffered()
        cursor = self._db.execute(
            "SELECT id, body, batch_id FROM chunks WHERE status != 'done' ORDER BY id"
        )
        return [
            Chunk(int(chunk_id), json.loads(body), None if batch_id is None else int(batch_id))
            for chunk_id, body, batch_id in cursor
        ]

    def chunk_rows(self, chunk_id: int) -> list[tuple[int, str]]:
        """Return ``(number, email)`` of a batch's rows."""
        self._write_buffered()
        cursor = self._db.execute(
            "SELECT number, email FROM rows WHERE chunk = ? ORDER BY number", (chunk_id,)
        )
        return [(int(number), str(email)) for number, email in cursor]

    def finish_chunk(self, chunk_id: int, outcomes: dict[int, Outcome]) -> None:
        """Record the outcomes of a batch's rows, keyed by row number, and mark the batch done."""
        self._write_buffered()
        update = ("UPDATE rows SET status = ?, detail = ?, "
                  "warnings = CASE WHEN ? = '' THEN warnings ELSE ? END ")
        distinct = set(outcomes.values())
        numbers = {number for (number,) in self._db.execute(
            "SELECT number FROM rows WHERE chunk = ?", (chunk_id,))}
        if len(distinct) == 1 and numbers == outcomes.keys():
            # Usually every contact of a batch is created: one statement then covers its rows.
            (outcome,) = distinct
            self._db.execute(update + "WHERE chunk = ?", (
                outcome.status, outcome.detail, outcome.warnings, outcome.warnings, chunk_id))
        else:
            self._db.executemany(update + "WHERE number = ?", [
                (outcome.status, outcome.detail, outcome.warnings, outcome.warnings, number)
                for number, outcome in outcomes.items()])
        self._db.execute("UPDATE chunks SET status = 'done' WHERE id = ?", (chunk_id,))

    # Summary and report

    def counts(self) -> dict[str, int]:
        """Return the number of rows in each status."""
        self._write_buffered()
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
            self._write_buffered()
            # A batch's rows take its id as their reference. Files of earlier versions stored
            # it on each row, which the first column still gives.
            cursor = self._db.execute(
                "SELECT number, email, rows.status, detail, warnings, CASE "
                "WHEN reference != '' OR chunks.batch_id IS NULL THEN reference "
                f"ELSE '{BATCH_REFERENCE}' || chunks.batch_id END "
                "FROM rows LEFT JOIN chunks ON chunks.id = rows.chunk ORDER BY number"
            )
            labels = _status_labels()
            # A batch's label and a repeated text are translated once, not once per row. The
            # caches live for this report only, whose locale does not change.
            text_of = functools.lru_cache(maxsize=10_000)(shown_text)
            label_of = functools.lru_cache(maxsize=10_000)(_shown_reference)
            while batch := cursor.fetchmany(1000):
                writer.writerows(
                    [number, email or "", labels.get(status, status), text_of(detail),
                     text_of(warnings), label_of(reference)]
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
