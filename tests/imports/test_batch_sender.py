"""BatchSender and BulkImport against a real Cyberimpact sandbox on 127.0.0.1.

The sender's events are checked for their order and content: each batch is reported sent
then done, a batch the sandbox rejects is reported rejected, and a request that keeps
failing is reported failed and raised by BulkImport. Slow batches come from the sandbox's
``batch_delay_ms`` fault, so more batches are submitted while earlier ones still process.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from arrimage.connectors.cyberimpact.client import CyberimpactClient
from arrimage.connectors.cyberimpact.errors import CyberimpactRejectedError
from arrimage.engine.errors import ArrimageError, RateLimitedError, ServerError
from arrimage.imports.batches import BatchEvent, BatchSender
from arrimage.imports.bulk import MAX_ATTEMPTS, BulkImport, BulkSettings
from arrimage.imports.contacts import ConsentFallback
from arrimage.imports.reading import SourceRow
from arrimage.imports.state import ImportState
from arrimage.imports.targets import column_values
from arrimage.sandbox import SandboxConfig
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN

T = TypeVar("T")

EVENTS_GROUP = 103  # a group of the sandbox's starting data
RELATION_TYPE = "active-clients"
CONSENT_DATE = dt.date(2024, 5, 1)
CONSENT_PROOF = "Registre des ventes 2024"
# Bound on the wait for the sender's events, so that a sender that stops reporting fails the
# test instead of hanging it. The slowest batch here stays 300 ms in the sandbox.
EVENT_WAIT_SECONDS = 60.0


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[TOKEN], seed=SEED)).start()
    yield running
    running.stop()


@pytest.fixture
def admin(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """Return a client of the sandbox's admin routes, on freshly reset data and faults."""
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=10) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


@pytest.fixture
def cyberimpact(sandbox: SandboxServer, admin: httpx.Client) -> Iterator[CyberimpactClient]:
    with CyberimpactClient(token=TOKEN, base_url=sandbox.base_url, timeout_seconds=10) as client:
        yield client


def set_faults(admin: httpx.Client, **settings: Any) -> None:
    admin.patch("/_sandbox/faults", json=settings).raise_for_status()


def fault_counters(admin: httpx.Client) -> dict[str, Any]:
    counters: dict[str, Any] = admin.get("/_sandbox/faults").json()
    return counters


def sandbox_tables(admin: httpx.Client) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = admin.get("/_sandbox/state").json()["tables"]
    return tables


def sandbox_emails(admin: httpx.Client) -> set[str]:
    return {member["email"] for member in sandbox_tables(admin)["members"]}


def call_once(request: Callable[[], T]) -> T:
    """Run a request without retries."""
    return request()


def chunk_emails(chunk_id: int, count: int = 3) -> list[str]:
    return [f"lot{chunk_id}.contact{index}@exemple.ca" for index in range(count)]


def add_members_body(emails: list[str], relation_type: str = RELATION_TYPE) -> dict[str, Any]:
    """Return an addMembers batch body shaped as BulkImport builds it."""
    return {
        "batchType": "addMembers",
        "relationType": relation_type,
        "groups": [EVENTS_GROUP],
        "members": [{"email": email, "firstname": "Éloïse", "language": "fr_ca"}
                    for email in emails],
        "defaultConsentDate": CONSENT_DATE.isoformat(),
        "defaultConsentProof": CONSENT_PROOF,
    }


def collect_events(sender: BatchSender, finished: int) -> list[BatchEvent]:
    """Return the sender's events until ``finished`` batches are done, rejected or failed."""
    collected: list[BatchEvent] = []
    deadline = time.monotonic() + EVENT_WAIT_SECONDS
    while sum(event.kind != "sent" for event in collected) < finished:
        assert time.monotonic() < deadline, f"the sender stopped reporting after {collected}"
        collected.extend(sender.events(wait=False))
        time.sleep(0.01)
    return collected


def kinds_by_chunk(events: list[BatchEvent]) -> dict[int, list[str]]:
    kinds: dict[int, list[str]] = {}
    for event in events:
        kinds.setdefault(event.chunk_id, []).append(event.kind)
    return kinds


def waiting_counts(events: list[BatchEvent]) -> list[int]:
    """Return the number of batches sent and not yet finished after each event."""
    waiting = 0
    counts = []
    for event in events:
        waiting += 1 if event.kind == "sent" else -1
        counts.append(waiting)
    return counts


def source_rows(count: int, prefix: str = "client") -> list[SourceRow]:
    """Return rows as CsvSource reads them, numbered from 2 because row 1 is the header."""
    rows = []
    for index in range(count):
        email = f"{prefix}{index:05d}@exemple.ca"
        values = {"email": email, "first_name": f"Prénom{index}", "language": "français"}
        columns = {"Courriel": email, "Prénom": f"Prénom{index}", "Langue": "français"}
        rows.append(SourceRow(index + 2, values, columns))
    return rows


def bulk_import(
    client: CyberimpactClient, state: ImportState, chunk_size: int,
    notes: list[str] | None = None, sleeps: list[float] | None = None,
    extra_groups: tuple[int, ...] = (EVENTS_GROUP,),
) -> BulkImport:
    """Return a BulkImport whose retries record their delay instead of waiting."""
    settings = BulkSettings(
        client=client, values_of=column_values,
        fallback=ConsentFallback(RELATION_TYPE, CONSENT_DATE, CONSENT_PROOF),
        extra_groups=extra_groups, chunk_size=chunk_size,
    )
    note_list = notes if notes is not None else []
    sleep_list = sleeps if sleeps is not None else []
    return BulkImport(settings, state, notify=note_list.append, sleep=sleep_list.append)


# -- BatchSender -----------------------------------------------------------------------------

def test_sender_reports_sent_then_done(
    admin: httpx.Client, cyberimpact: CyberimpactClient
) -> None:
    set_faults(admin, batch_delay_ms=300)
    sender = BatchSender(cyberimpact, call_once, max_waiting=2)
    chunks = {chunk_id: chunk_emails(chunk_id) for chunk_id in range(1, 6)}

    for chunk_id, emails in chunks.items():
        sender.submit(chunk_id, add_members_body(emails))
    submitted = sender.outstanding
    events = collect_events(sender, finished=len(chunks))
    sender.close()

    assert submitted == 5
    assert sender.outstanding == 0
    assert kinds_by_chunk(events) == {chunk_id: ["sent", "done"] for chunk_id in chunks}
    sent = [event for event in events if event.kind == "sent"]
    done = [event for event in events if event.kind == "done"]
    assert [event.chunk_id for event in sent] == list(chunks)
    assert [event.chunk_id for event in done] == list(chunks)
    assert [event.batch_id for event in done] == [event.batch_id for event in sent]
    # Batches were sent while earlier ones still processed, and never more than two waited.
    assert max(waiting_counts(events)) == 2

    for event in done:
        assert event.result == {"errors": [], "successes": chunks[event.chunk_id]}
    batches = sandbox_tables(admin)["batches"]
    assert [batch["id"] for batch in batches] == [event.batch_id for event in sent]
    assert {batch["status"] for batch in batches} == {"COMPLETED"}
    assert sandbox_emails(admin) >= {email for emails in chunks.values() for email in emails}


def test_sender_reports_rejected_batch(
    admin: httpx.Client, cyberimpact: CyberimpactClient
) -> None:
    sender = BatchSender(cyberimpact, call_once, max_waiting=2)

    sender.submit(1, add_members_body(chunk_emails(1)))
    sender.submit(2, add_members_body(chunk_emails(2), relation_type="unknown-basis"))
    sender.submit(3, add_members_body(chunk_emails(3)))
    events = collect_events(sender, finished=3)
    sender.close()

    assert kinds_by_chunk(events) == {1: ["sent", "done"], 2: ["rejected"], 3: ["sent", "done"]}
    assert sender.outstanding == 0
    (rejected,) = [event for event in events if event.kind == "rejected"]
    assert isinstance(rejected.error, CyberimpactRejectedError)
    assert "relationType" in str(rejected.error)
    assert rejected.batch_id == 0

    emails = sandbox_emails(admin)
    assert emails >= set(chunk_emails(1)) | set(chunk_emails(3))
    assert emails.isdisjoint(chunk_emails(2))
    assert len(sandbox_tables(admin)["batches"]) == 2


def test_sender_reports_failed_poll(admin: httpx.Client, cyberimpact: CyberimpactClient) -> None:
    set_faults(admin, throttle_every=1, throttle_routes=["GET /batches/*"])
    sender = BatchSender(cyberimpact, call_once, max_waiting=2)

    sender.submit(1, add_members_body(chunk_emails(1)))
    events = collect_events(sender, finished=1)
    sender.close()

    assert [event.kind for event in events] == ["sent", "failed"]
    sent, failed = events
    assert (failed.chunk_id, failed.batch_id) == (1, sent.batch_id)
    assert isinstance(failed.error, RateLimitedError)
    assert sender.outstanding == 0
    assert sender.events(wait=False) == []


class ClientWithoutBatchIds:
    """A stand-in for a Cyberimpact whose batch responses lack their id.

    No real server sends such a response, the sandbox included. The sender must still report
    it instead of leaving the import waiting.
    """

    def create_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"status": "NEW"}


def test_sender_reports_unexpected_answer() -> None:
    client: Any = ClientWithoutBatchIds()
    sender = BatchSender(client, call_once, max_waiting=2)

    sender.submit(1, add_members_body(chunk_emails(1)))
    events = collect_events(sender, finished=1)

    assert [event.kind for event in events] == ["failed"]
    assert isinstance(events[0].error, ArrimageError)
    assert "(KeyError)" in events[0].error.message.render("en")
    assert sender.outstanding == 0


def test_sender_polls_in_flight_first(
    admin: httpx.Client, cyberimpact: CyberimpactClient
) -> None:
    set_faults(admin, batch_delay_ms=200)
    # Batches that an earlier run sent, still processing.
    earlier = {}
    for chunk_id in (11, 12):
        response = admin.post("/batches", json=add_members_body(chunk_emails(chunk_id)))
        response.raise_for_status()
        earlier[chunk_id] = response.json()["id"]

    sender = BatchSender(cyberimpact, call_once, max_waiting=2, in_flight=list(earlier.items()))
    outstanding_at_start = sender.outstanding
    sender.submit(13, add_members_body(chunk_emails(13)))
    events = collect_events(sender, finished=3)
    sender.close()

    assert outstanding_at_start == 2
    assert sender.outstanding == 0
    assert kinds_by_chunk(events) == {11: ["done"], 12: ["done"], 13: ["sent", "done"]}
    done = [event for event in events if event.kind == "done"]
    assert [event.chunk_id for event in done] == [11, 12, 13]
    assert [event.batch_id for event in done[:2]] == [earlier[11], earlier[12]]
    # Both earlier batches filled the two places, so the new one waited for the first.
    kinds = [(event.kind, event.chunk_id) for event in events]
    assert kinds.index(("done", 11)) < kinds.index(("sent", 13))
    for event in done:
        assert event.result == {"errors": [], "successes": chunk_emails(event.chunk_id)}
    assert len(sandbox_tables(admin)["batches"]) == 3


# -- BulkImport ------------------------------------------------------------------------------

def test_bulk_import_creates_every_row(
    admin: httpx.Client, cyberimpact: CyberimpactClient, tmp_path: Path
) -> None:
    set_faults(admin, batch_delay_ms=50)
    rows = source_rows(260)
    state = ImportState(tmp_path / "progress.sqlite")
    importer = bulk_import(cyberimpact, state, chunk_size=50)

    importer.prepare()
    for row in rows:
        importer.handle(row)
    importer.finish()

    assert state.counts() == {"created": 260}
    assert state.open_chunks() == []
    state.close()

    batches = sandbox_tables(admin)["batches"]
    assert len(batches) == 6
    assert {batch["status"] for batch in batches} == {"COMPLETED"}
    assert sandbox_emails(admin) >= {row.values["email"] for row in rows}


def test_bulk_import_records_rejected_batch(
    admin: httpx.Client, cyberimpact: CyberimpactClient, tmp_path: Path
) -> None:
    rows = source_rows(4)
    for row in rows[:2]:
        row.values["groups"] = "102"
    for row in rows[2:]:
        row.values["groups"] = "101"
    state = ImportState(tmp_path / "progress.sqlite")
    importer = bulk_import(cyberimpact, state, chunk_size=2, extra_groups=())
    importer.prepare()
    # The group is deleted after the import read the account, so the sandbox rejects the
    # batch of its rows at submission.
    admin.delete("/groups/102").raise_for_status()

    for row in rows:
        importer.handle(row)
    importer.finish()

    assert state.counts() == {"failed": 2, "created": 2}
    state.close()
    with closing(sqlite3.connect(tmp_path / "progress.sqlite")) as progress:
        recorded = progress.execute("SELECT status, detail FROM rows ORDER BY number").fetchall()
    assert [status for status, _detail in recorded] == ["failed", "failed", "created", "created"]
    assert "groups" in recorded[0][1]
    assert sandbox_emails(admin).isdisjoint(row.values["email"] for row in rows[:2])
    assert sandbox_emails(admin) >= {row.values["email"] for row in rows[2:]}


def test_bulk_import_raises_failed_submission(
    admin: httpx.Client, cyberimpact: CyberimpactClient, tmp_path: Path
) -> None:
    state = ImportState(tmp_path / "progress.sqlite")
    notes: list[str] = []
    sleeps: list[float] = []
    importer = bulk_import(cyberimpact, state, chunk_size=50, notes=notes, sleeps=sleeps)
    importer.prepare()
    # Every attempt at POST /batches gets a 500.
    set_faults(admin, fail_next=MAX_ATTEMPTS)

    for row in source_rows(3):
        importer.handle(row)
    with pytest.raises(ServerError):
        importer.finish()

    assert len(sleeps) == MAX_ATTEMPTS - 1
    assert len(notes) == MAX_ATTEMPTS - 1
    assert fault_counters(admin)["faultsSent"] == MAX_ATTEMPTS
    assert sandbox_tables(admin)["batches"] == []
    assert state.counts() == {"sent": 3}
    (chunk,) = state.open_chunks()
    assert chunk.batch_id is None
    state.close()


def test_bulk_import_raises_failed_poll_then_resumes(
    admin: httpx.Client, cyberimpact: CyberimpactClient, tmp_path: Path
) -> None:
    path = tmp_path / "progress.sqlite"
    rows = source_rows(3)
    sleeps: list[float] = []
    set_faults(admin, throttle_every=1, throttle_routes=["GET /batches/*"])

    state = ImportState(path)
    importer = bulk_import(cyberimpact, state, chunk_size=50, sleeps=sleeps)
    importer.prepare()
    for row in rows:
        importer.handle(row)
    with pytest.raises(RateLimitedError):
        importer.finish()
    state.close()

    assert len(sleeps) == MAX_ATTEMPTS - 1
    state = ImportState(path)
    (chunk,) = state.open_chunks()
    (batch,) = sandbox_tables(admin)["batches"]
    assert chunk.batch_id == batch["id"]
    assert state.counts() == {"sent": 3}

    # The next run polls the batch the first one sent, instead of sending it again.
    set_faults(admin, throttle_every=None, throttle_routes=[])
    importer = bulk_import(cyberimpact, state, chunk_size=50)
    importer.prepare()
    importer.finish()

    assert state.counts() == {"created": 3}
    assert state.open_chunks() == []
    assert len(sandbox_tables(admin)["batches"]) == 1
    state.close()
