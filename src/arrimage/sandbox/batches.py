"""Batches (``POST /batches``): schema checks at submission, processing on a worker thread.

A batch is stored as ``NEW``, becomes ``PROCESSING`` when the worker takes it, waits
``faults.batch_delay_ms`` to imitate a slow queue, then ends ``COMPLETED`` with per-row
``errors`` and ``successes``. Rules of ``addMembers`` follow Cyberimpact's batch docs: existing
members are updated, empty fields keep their value, ``__EMPTY__`` clears one, and groups are
only added.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from arrimage.sandbox.config import RELATION_TYPES, SandboxConfig
from arrimage.sandbox.consent import check_consent_date, check_proof, consent_type, keeps_express
from arrimage.sandbox.dates import to_db, today, utc_now
from arrimage.sandbox.errors import ApiError
from arrimage.sandbox.members import add_groups, find_member, insert_member, update_member
from arrimage.sandbox.store import Store
from arrimage.sandbox.validation import group_ids, member_columns

logger = logging.getLogger(__name__)

# Rows a batch applies per transaction of the store (see BatchWorker._process).
ROWS_PER_TRANSACTION = 100
BATCH_TYPES = ("addMembers", "unsubscribe", "deleteMembers")
MEMBER_STRING_FIELDS = (
    "email",
    "firstname",
    "lastname",
    "company",
    "gender",
    "language",
    "postalCode",
    "country",
    "note",
    "birthdate",
    "consentDate",
    "consentProof",
)
UNSUBSCRIBED_ROW = (
    "email",
    "The member is unsubscribed. Only a confirmed opt-in can subscribe it again.",
)
SCHEMA_MESSAGE = (
    "The request does not match the batch JSON schema. Check that the Content-Type header is "
    "application/json and compare the body with the schema in the API documentation."
)


def _schema_error(field: str, description: str) -> ApiError:
    return ApiError("schema", SCHEMA_MESSAGE, [(field, description)])


def check_batch(conn: sqlite3.Connection, config: SandboxConfig, body: Any) -> dict[str, Any]:
    """Check a batch body against the documented schema; return it unchanged or raise."""
    if not isinstance(body, dict):
        raise _schema_error("", "The body must be a JSON object.")
    batch_type = body.get("batchType")
    if batch_type not in BATCH_TYPES:
        raise _schema_error("batchType", f"The batchType must be one of {', '.join(BATCH_TYPES)}.")
    if batch_type != "addMembers":
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids:
            raise _schema_error("ids", "The ids must be a non-empty array of member ids or emails.")
        for index, key in enumerate(ids):
            if isinstance(key, bool) or not isinstance(key, (int, str)):
                raise _schema_error(f"ids.{index}", "Each id must be an integer or a string.")
        return body

    if body.get("relationType") not in RELATION_TYPES:
        raise _schema_error(
            "relationType", f"The relationType must be one of {', '.join(RELATION_TYPES)}."
        )
    groups = body.get("groups", [])
    if not isinstance(groups, list) or any(
        isinstance(g, bool) or not isinstance(g, int) for g in groups
    ):
        raise _schema_error("groups", "The groups must be an array of integers.")
    group_ids(conn, config, groups)
    check_consent_date(body.get("defaultConsentDate"), "defaultConsentDate")
    check_proof(body.get("defaultConsentProof"), "defaultConsentProof")

    members = body.get("members")
    if not isinstance(members, list) or not members:
        raise _schema_error("members", "The members must be a non-empty array of objects.")
    for index, member in enumerate(members):
        if not isinstance(member, dict) or not isinstance(member.get("email"), str):
            raise _schema_error(
                f"members.{index}", "Each member must be an object with an email string."
            )
        for field in MEMBER_STRING_FIELDS:
            if field in member and not isinstance(member[field], str):
                raise _schema_error(f"members.{index}.{field}", f"The {field} must be a string.")
    return body


def create_batch(conn: sqlite3.Connection, body: dict[str, Any]) -> sqlite3.Row:
    """Store a checked batch as ``NEW`` and return its row."""
    cursor = conn.execute(
        "INSERT INTO batches (batch_type, batch_json, created_on, status) VALUES (?, ?, ?, 'NEW')",
        (body["batchType"], json.dumps(body, ensure_ascii=False), to_db(utc_now())),
    )
    row: sqlite3.Row = conn.execute(
        "SELECT * FROM batches WHERE id = ?", (cursor.lastrowid,)
    ).fetchone()
    return row


def _row_error(key: Any, exc: ApiError) -> dict[str, Any]:
    details = "; ".join(text for _field, text in exc.errors)
    return {"id": key, "description": details or exc.message}


def _add_member(
    conn: sqlite3.Connection, config: SandboxConfig, body: dict[str, Any], row: dict[str, Any]
) -> None:
    existing = find_member(conn, row["email"])
    custom = json.loads(existing["custom_fields"]) if existing is not None else {}
    columns = member_columns(conn, row, "batch", custom)
    relation = body["relationType"]
    consent_date = (
        check_consent_date(row.get("consentDate"))
        or check_consent_date(body.get("defaultConsentDate"), "defaultConsentDate")
        or today(config.zone).isoformat()
    )
    proof = check_proof(row.get("consentProof")) or check_proof(body.get("defaultConsentProof"))

    if existing is None:
        member_id = insert_member(conn, columns, relation, consent_date, proof)
    else:
        member_id = existing["id"]
        if existing["unsubscribed_on"] is not None:
            if config.unsubscribed_readd == "reject":
                raise ApiError("validation", "The member is unsubscribed.", [UNSUBSCRIBED_ROW])
            columns["unsubscribed_on"] = None
        if not keeps_express(existing["consent_type"], relation):
            columns.update(
                consent_type=consent_type(relation),
                relation_type=relation,
                consent_date=consent_date,
                consent_proof=proof,
            )
        update_member(conn, member_id, columns)
    add_groups(conn, member_id, group_ids(conn, config, body.get("groups", [])))


def _by_key(conn: sqlite3.Connection, key: Any, action: Callable[[sqlite3.Row], object]) -> None:
    member = find_member(conn, str(key))
    if member is None:
        # Wording (and its grammar) of the example result in Cyberimpact's batch reference.
        raise ApiError(
            404, f"Member {key} not found", [("ids", f"Members with ids {key} do not exists")]
        )
    action(member)


def process_batch(
    conn: sqlite3.Connection, config: SandboxConfig, body: dict[str, Any]
) -> dict[str, Any]:
    """Apply every row of a batch; a failed row is rolled back alone and listed in ``errors``."""
    errors: list[dict[str, Any]] = []
    successes: list[Any] = []
    batch_type = body["batchType"]
    rows = body["members"] if batch_type == "addMembers" else body["ids"]
    for row in rows:
        key = row["email"] if batch_type == "addMembers" else row
        conn.execute("SAVEPOINT batch_row")
        try:
            if batch_type == "addMembers":
                _add_member(conn, config, body, row)
            elif batch_type == "unsubscribe":
                _by_key(conn, key, lambda m: _unsubscribe_row(conn, m))
            else:
                _by_key(
                    conn,
                    key,
                    lambda m: conn.execute("DELETE FROM members WHERE id = ?", (m["id"],)),
                )
        except ApiError as exc:
            conn.execute("ROLLBACK TO batch_row")
            errors.append(_row_error(key, exc))
        else:
            successes.append(key)
        conn.execute("RELEASE batch_row")
    return {"errors": errors, "successes": successes}


def _unsubscribe_row(conn: sqlite3.Connection, member: sqlite3.Row) -> None:
    if member["unsubscribed_on"] is None:
        now = to_db(utc_now())
        conn.execute(
            "UPDATE members SET unsubscribed_on = ?, updated_on = ? WHERE id = ?",
            (now, now, member["id"]),
        )


class BatchWorker:
    """A daemon thread that processes submitted batches one at a time, in submission order."""

    def __init__(self, store: Store, config: SandboxConfig, delay_ms: Callable[[], int]) -> None:
        self._store = store
        self._config = config
        self._delay_ms = delay_ms
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread and queue the batches a previous run left unfinished."""
        with self._store.transaction() as conn:
            pending = [
                row["id"]
                for row in conn.execute("SELECT id FROM batches WHERE status != 'COMPLETED'")
            ]
        for batch_id in pending:
            self._queue.put(batch_id)
        self._thread = threading.Thread(target=self._run, name="sandbox-batches", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the current batch and stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def submit(self, batch_id: int) -> None:
        """Queue a stored batch for processing."""
        self._queue.put(batch_id)

    def _run(self) -> None:
        while (batch_id := self._queue.get()) is not None:
            try:
                self._process(batch_id)
            except Exception:
                logger.exception("Sandbox batch %s failed", batch_id)

    def _process(self, batch_id: int) -> None:
        with self._store.transaction() as conn:
            row = conn.execute(
                "SELECT batch_json FROM batches WHERE id = ?", (batch_id,)
            ).fetchone()
            if row is None:  # the sandbox was reset after the batch was queued
                return
            conn.execute("UPDATE batches SET status = 'PROCESSING' WHERE id = ?", (batch_id,))
        started = time.monotonic()
        time.sleep(self._delay_ms() / 1000)

        body = json.loads(row["batch_json"])
        key = "members" if body["batchType"] == "addMembers" else "ids"
        rows = body[key]
        result: dict[str, list[Any]] = {"errors": [], "successes": []}
        # Rows are applied in slices, each in its own transaction. An API call made meanwhile
        # then gets its response between two slices instead of after the whole batch, as
        # Cyberimpact responds while it processes a batch.
        for start in range(0, max(len(rows), 1), ROWS_PER_TRANSACTION):
            with self._store.transaction() as conn:
                stored = conn.execute("SELECT 1 FROM batches WHERE id = ?", (batch_id,)).fetchone()
                if stored is None:
                    return
                part = process_batch(conn, self._config,
                                     {**body, key: rows[start:start + ROWS_PER_TRANSACTION]})
            result["errors"].extend(part["errors"])
            result["successes"].extend(part["successes"])
        with self._store.transaction() as conn:
            conn.execute(
                "UPDATE batches SET status = 'COMPLETED', result = ? WHERE id = ?",
                (json.dumps(result, ensure_ascii=False), batch_id),
            )
        logger.info(
            "Sandbox batch %s completed: %d successes, %d errors in %.3f s",
            batch_id,
            len(result["successes"]),
            len(result["errors"]),
            time.monotonic() - started,
        )
