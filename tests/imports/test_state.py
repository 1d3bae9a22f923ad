"""The progress file of a CSV import (``ImportState``) and its ``AddressFilter``.

Covers rows and addresses kept in memory until a commit or a read, batches stored before they
are sent, batch outcomes, the report's references, progress files written by earlier versions,
and the Bloom filter behind the address look-ups. Every test runs on a real SQLite file and
reads it back through a second connection where durability matters.
"""

from __future__ import annotations

import csv
import random
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from arrimage.i18n import _l, use_locale
from arrimage.imports.state import (
    TRANSLATED,
    AddressFilter,
    ImportState,
    Outcome,
    joined_warnings,
    shown_text,
    stored_text,
    stored_warnings,
)

BATCH_KEY = "opt-in|3"
MEMBER = {"email": "anne@exemple.ca", "firstname": "Anne"}
ADDED = "Added to Cyberimpact."

# The schema of progress files written before the status index was dropped and before a
# batch's id moved from each row's reference to the chunks table.
EARLIER_VERSION_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE rows (
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
CREATE INDEX rows_by_chunk ON rows (chunk);
CREATE INDEX rows_by_status ON rows (status);
CREATE TABLE seen (email TEXT PRIMARY KEY, number INTEGER NOT NULL);
CREATE TABLE existing (email TEXT PRIMARY KEY, kind TEXT NOT NULL);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    batch_id INTEGER,
    status TEXT NOT NULL
);
"""


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "imports" / "progress.sqlite"


@pytest.fixture
def state(state_path: Path) -> Iterator[ImportState]:
    opened = ImportState(state_path)
    yield opened
    opened.close()


def stored_rows(path: Path) -> dict[int, dict[str, Any]]:
    """Read the committed rows through a connection of their own, keyed by row number."""
    with closing(sqlite3.connect(path)) as connection:
        connection.row_factory = sqlite3.Row
        cursor = connection.execute("SELECT * FROM rows ORDER BY number")
        return {int(row["number"]): dict(row) for row in cursor}


def stored_seen(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as connection:
        return dict(connection.execute("SELECT email, number FROM seen"))


def index_names(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        cursor = connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {str(name) for (name,) in cursor}


def read_report(path: Path, delimiter: str = ",") -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as report:
        return list(csv.reader(report, delimiter=delimiter))


def add_pending_rows(state: ImportState, numbers: list[int]) -> None:
    for number in numbers:
        state.add_pending(number, f"contact{number}@exemple.ca", BATCH_KEY,
                          {"email": f"contact{number}@exemple.ca"}, "")


# Rows kept in memory until a commit or a read


def report_statuses(state: ImportState) -> dict[str, int]:
    """Write the report next to the progress file and count its rows by status label."""
    report_path = state.path.with_name("report.csv")
    with use_locale("en"):
        state.write_report(report_path, ",")
    statuses: dict[str, int] = {}
    for line in read_report(report_path)[1:]:
        statuses[line[2]] = statuses.get(line[2], 0) + 1
    return statuses


READERS_OF_BUFFERED_ROWS: list[tuple[str, Callable[[ImportState], Any], Any]] = [
    ("counts", lambda opened: opened.counts(), {"skipped": 1, "pending": 1}),
    ("last_row", lambda opened: opened.last_row(), 3),
    ("pending_rows", lambda opened: list(opened.pending_rows()), [(3, BATCH_KEY, MEMBER)]),
    ("write_report", report_statuses, {"skipped": 1, "pending": 1}),
]


@pytest.mark.parametrize(
    ("reader", "expected"),
    [(read, expected) for _name, read, expected in READERS_OF_BUFFERED_ROWS],
    ids=[name for name, _read, _expected in READERS_OF_BUFFERED_ROWS],
)
def test_reads_include_buffered_rows(state: ImportState, reader: Callable[[ImportState], Any],
                                     expected: Any) -> None:
    state.record(2, None, Outcome("skipped", "Empty row."))
    state.add_pending(3, "anne@exemple.ca", BATCH_KEY, MEMBER, "")

    result = reader(state)

    assert result == expected


def test_last_row_without_rows_is_header(state: ImportState) -> None:
    assert state.last_row() == 1


def test_other_connection_sees_rows_after_commit(state: ImportState, state_path: Path) -> None:
    state.record(2, "bernard@exemple.ca", Outcome("failed", "Invalid email address."))
    state.add_pending(3, "anne@exemple.ca", BATCH_KEY, MEMBER, "")

    before_any_read = stored_rows(state_path)
    state.counts()
    after_read = stored_rows(state_path)
    state.commit()
    after_commit = stored_rows(state_path)

    assert before_any_read == {}
    assert after_read == {}
    assert set(after_commit) == {2, 3}
    assert after_commit[2]["status"] == "failed"
    assert after_commit[2]["detail"] == "Invalid email address."
    assert after_commit[3]["status"] == "pending"
    assert after_commit[3]["batch_key"] == BATCH_KEY


def test_close_commits_buffered_changes(state_path: Path) -> None:
    opened = ImportState(state_path)
    opened.record(2, "bernard@exemple.ca", Outcome("skipped", "Already in Cyberimpact."))
    opened.add_pending(3, "anne@exemple.ca", BATCH_KEY, MEMBER, "Phone left out.")
    opened.first_seen("anne@exemple.ca", 3)

    opened.close()

    rows = stored_rows(state_path)
    assert rows[2]["status"] == "skipped"
    assert rows[3]["status"] == "pending"
    assert rows[3]["warnings"] == "Phone left out."
    assert stored_seen(state_path) == {"anne@exemple.ca": 3}


def test_pending_member_round_trips_accents(state: ImportState) -> None:
    member = {"email": "eloise@exemple.ca", "firstname": "Éloïse", "groups": [3, 4]}
    state.add_pending(2, "eloise@exemple.ca", BATCH_KEY, member, "")
    state.commit()

    pending = list(state.pending_rows())

    assert pending == [(2, BATCH_KEY, member)]


def test_record_over_buffered_pending_row(state: ImportState, state_path: Path) -> None:
    state.add_pending(2, "anne@exemple.ca", BATCH_KEY, MEMBER, "Phone left out.")

    state.record(2, "anne@exemple.ca", Outcome("failed", "Rejected.", "Language left out."))
    state.commit()

    row = stored_rows(state_path)[2]
    assert row["status"] == "failed"
    assert row["detail"] == "Rejected."
    assert row["warnings"] == "Language left out."
    assert row["member"] is None
    assert row["batch_key"] == BATCH_KEY
    assert list(state.pending_rows()) == []


def test_record_over_committed_pending_row(state: ImportState, state_path: Path) -> None:
    state.add_pending(2, "anne@exemple.ca", BATCH_KEY, MEMBER, "")
    state.commit()

    state.record(2, "anne@exemple.ca", Outcome("skipped", "Same email address as row 1."))
    state.commit()

    row = stored_rows(state_path)[2]
    assert row["status"] == "skipped"
    assert row["member"] is None
    assert row["email"] == "anne@exemple.ca"
    assert row["batch_key"] == BATCH_KEY
    assert state.counts() == {"skipped": 1}


# Addresses seen in the file


def test_first_seen_new_address(state: ImportState) -> None:
    assert state.first_seen("anne@exemple.ca", 2) is None
    assert state.first_seen("bernard@exemple.ca", 3) is None


def test_first_seen_repeat_in_buffer(state: ImportState, state_path: Path) -> None:
    state.first_seen("anne@exemple.ca", 2)

    earlier = state.first_seen("anne@exemple.ca", 5)
    again = state.first_seen("anne@exemple.ca", 9)

    assert earlier == 2
    assert again == 2
    assert stored_seen(state_path) == {}


def test_first_seen_repeat_after_commit(state: ImportState, state_path: Path) -> None:
    state.first_seen("anne@exemple.ca", 2)
    state.commit()

    earlier = state.first_seen("anne@exemple.ca", 5)

    assert earlier == 2
    assert stored_seen(state_path) == {"anne@exemple.ca": 2}


def test_first_seen_repeat_after_reopen(state_path: Path) -> None:
    first_run = ImportState(state_path)
    first_run.first_seen("anne@exemple.ca", 2)
    first_run.first_seen("bernard@exemple.ca", 3)
    first_run.close()

    with closing(ImportState(state_path)) as resumed:
        earlier_anne = resumed.first_seen("anne@exemple.ca", 7)
        earlier_bernard = resumed.first_seen("bernard@exemple.ca", 8)
        new_address = resumed.first_seen("carole@exemple.ca", 9)
        repeat_of_new = resumed.first_seen("carole@exemple.ca", 10)

    assert earlier_anne == 2
    assert earlier_bernard == 3
    assert new_address is None
    assert repeat_of_new == 9


def test_first_seen_keys_not_folded(state: ImportState) -> None:
    state.first_seen("Anne@Exemple.ca", 2)

    folded = state.first_seen("anne@exemple.ca", 3)

    assert folded is None


# The account's addresses


def test_existing_kind_after_replace(state: ImportState) -> None:
    count = state.replace_existing([
        ("anne@exemple.ca", "subscribed"),
        ("bernard@exemple.ca", "unsubscribed"),
        ("carole@exemple.ca", "bounced"),
    ])

    assert count == 3
    assert state.existing_kind("anne@exemple.ca") == "subscribed"
    assert state.existing_kind("bernard@exemple.ca") == "unsubscribed"
    assert state.existing_kind("carole@exemple.ca") == "bounced"
    assert state.existing_kind("denis@exemple.ca") is None


@pytest.mark.parametrize("restricted", ["unsubscribed", "bounced"])
@pytest.mark.parametrize("restricted_first", [True, False],
                         ids=["restricted-first", "subscribed-first"])
def test_existing_kind_restricted_outranks_subscribed(state: ImportState, restricted: str,
                                                      restricted_first: bool) -> None:
    entries = [("anne@exemple.ca", "subscribed"), ("anne@exemple.ca", restricted)]
    if restricted_first:
        entries.reverse()

    count = state.replace_existing(entries)

    assert count == 2
    assert state.existing_kind("anne@exemple.ca") == restricted


def test_existing_kind_from_generator(state: ImportState) -> None:
    def account_addresses() -> Iterator[tuple[str, str]]:
        for number in range(1000):
            yield f"contact{number}@exemple.ca", "subscribed"

    count = state.replace_existing(account_addresses())

    assert count == 1000
    assert state.existing_kind("contact0@exemple.ca") == "subscribed"
    assert state.existing_kind("contact999@exemple.ca") == "subscribed"
    assert state.existing_kind("contact1000@exemple.ca") is None


def test_replace_existing_drops_earlier_entries(state: ImportState) -> None:
    state.replace_existing([("anne@exemple.ca", "subscribed")])
    state.commit()

    state.replace_existing([("bernard@exemple.ca", "bounced")])

    assert state.existing_kind("anne@exemple.ca") is None
    assert state.existing_kind("bernard@exemple.ca") == "bounced"


def test_existing_kind_after_reopen(state_path: Path) -> None:
    first_run = ImportState(state_path)
    first_run.replace_existing([
        ("anne@exemple.ca", "subscribed"),
        ("bernard@exemple.ca", "unsubscribed"),
    ])
    first_run.close()

    with closing(ImportState(state_path)) as resumed:
        anne = resumed.existing_kind("anne@exemple.ca")
        bernard = resumed.existing_kind("bernard@exemple.ca")
        unknown = resumed.existing_kind("denis@exemple.ca")

    assert anne == "subscribed"
    assert bernard == "unsubscribed"
    assert unknown is None


# Batches


def test_new_chunk_on_buffered_rows(state: ImportState, state_path: Path) -> None:
    add_pending_rows(state, [2, 3, 4])
    body = {"batchType": "addMembers", "members": [{"email": "contact2@exemple.ca"}]}

    chunk_id = state.new_chunk(body, [2, 3])
    state.commit()

    rows = stored_rows(state_path)
    for number in (2, 3):
        assert rows[number]["status"] == "sent"
        assert rows[number]["chunk"] == chunk_id
        assert rows[number]["member"] is None
        assert rows[number]["batch_key"] == BATCH_KEY
    assert rows[4]["status"] == "pending"
    assert rows[4]["chunk"] is None
    assert rows[4]["member"] is not None
    assert [number for number, _key, _member in state.pending_rows()] == [4]


def test_new_chunk_on_committed_rows(state: ImportState, state_path: Path) -> None:
    add_pending_rows(state, [2, 3, 4])
    state.commit()

    chunk_id = state.new_chunk({"batchType": "addMembers", "members": []}, [2, 3])
    state.commit()

    rows = stored_rows(state_path)
    for number in (2, 3):
        assert rows[number]["status"] == "sent"
        assert rows[number]["chunk"] == chunk_id
        assert rows[number]["member"] is None
    assert rows[4]["status"] == "pending"
    assert [number for number, _key, _member in state.pending_rows()] == [4]


def test_new_chunk_on_buffered_and_committed_rows(state: ImportState, state_path: Path) -> None:
    add_pending_rows(state, [2, 3])
    state.commit()
    add_pending_rows(state, [4, 5])

    chunk_id = state.new_chunk({"batchType": "addMembers", "members": []}, [2, 3, 4, 5])
    state.commit()

    rows = stored_rows(state_path)
    statuses = {number: row["status"] for number, row in rows.items()}
    assert statuses == dict.fromkeys([2, 3, 4, 5], "sent")
    assert {row["chunk"] for row in rows.values()} == {chunk_id}
    assert [row["member"] for row in rows.values()] == [None] * 4
    expected_rows = [(number, f"contact{number}@exemple.ca") for number in (2, 3, 4, 5)]
    assert state.chunk_rows(chunk_id) == expected_rows
    assert list(state.pending_rows()) == []


def test_new_chunk_never_encodes_buffered_member(state: ImportState, state_path: Path) -> None:
    # A set cannot be JSON-encoded, so encoding the member would raise TypeError.
    unencodable_member = {"email": "anne@exemple.ca", "groups": {3, 4}}
    state.add_pending(2, "anne@exemple.ca", BATCH_KEY, unencodable_member, "")

    state.new_chunk({"batchType": "addMembers", "members": []}, [2])
    state.commit()

    assert stored_rows(state_path)[2]["member"] is None


def test_new_chunk_ids_increase(state: ImportState) -> None:
    add_pending_rows(state, [2, 3])

    first_chunk = state.new_chunk({"members": []}, [2])
    second_chunk = state.new_chunk({"members": []}, [3])

    assert second_chunk > first_chunk
    assert state.chunk_rows(first_chunk) == [(2, "contact2@exemple.ca")]
    assert state.chunk_rows(second_chunk) == [(3, "contact3@exemple.ca")]


def test_open_chunks_keep_body_and_batch_id(state: ImportState) -> None:
    add_pending_rows(state, [2, 3])
    body = {"batchType": "addMembers", "members": [{"email": "éloïse@exemple.ca"}]}
    sent_chunk = state.new_chunk(body, [2])
    unsent_chunk = state.new_chunk({"members": []}, [3])

    state.chunk_sent(sent_chunk, 917)
    chunks = state.open_chunks()

    assert [chunk.id for chunk in chunks] == [sent_chunk, unsent_chunk]
    assert chunks[0].body == body
    assert chunks[0].batch_id == 917
    assert chunks[1].batch_id is None


def test_chunk_sent_leaves_row_references_empty(state: ImportState, state_path: Path) -> None:
    add_pending_rows(state, [2])
    chunk_id = state.new_chunk({"members": []}, [2])

    state.chunk_sent(chunk_id, 917)
    state.commit()

    assert stored_rows(state_path)[2]["reference"] == ""


# Batch outcomes


def sent_chunk_with_warnings(state: ImportState) -> int:
    """Store rows 2 to 4 in one sent batch, with conversion warnings on rows 2 and 4."""
    state.add_pending(2, "anne@exemple.ca", BATCH_KEY, MEMBER, "Phone left out.")
    state.add_pending(3, "bernard@exemple.ca", BATCH_KEY, MEMBER, "")
    state.add_pending(4, "carole@exemple.ca", BATCH_KEY, MEMBER, "Birth date left out.")
    chunk_id = state.new_chunk({"members": []}, [2, 3, 4])
    state.chunk_sent(chunk_id, 917)
    return chunk_id


def test_finish_chunk_shared_outcome(state: ImportState, state_path: Path) -> None:
    chunk_id = sent_chunk_with_warnings(state)
    created = Outcome("created", "Added to Cyberimpact.")

    state.finish_chunk(chunk_id, dict.fromkeys([2, 3, 4], created))
    state.commit()

    rows = stored_rows(state_path)
    assert [rows[number]["status"] for number in (2, 3, 4)] == ["created"] * 3
    assert [rows[number]["detail"] for number in (2, 3, 4)] == ["Added to Cyberimpact."] * 3
    assert rows[2]["warnings"] == "Phone left out."
    assert rows[3]["warnings"] == ""
    assert rows[4]["warnings"] == "Birth date left out."
    assert state.open_chunks() == []
    assert state.counts() == {"created": 3}


def test_finish_chunk_mixed_outcomes(state: ImportState, state_path: Path) -> None:
    chunk_id = sent_chunk_with_warnings(state)

    state.finish_chunk(chunk_id, {
        2: Outcome("created", "Added to Cyberimpact."),
        3: Outcome("failed", "Cyberimpact rejected the contact: invalid", "Checked by hand."),
        4: Outcome("failed", "Not in the batch result."),
    })
    state.commit()

    rows = stored_rows(state_path)
    assert rows[2]["status"] == "created"
    assert rows[2]["warnings"] == "Phone left out."
    assert rows[3]["status"] == "failed"
    assert rows[3]["detail"] == "Cyberimpact rejected the contact: invalid"
    assert rows[3]["warnings"] == "Checked by hand."
    assert rows[4]["status"] == "failed"
    assert rows[4]["detail"] == "Not in the batch result."
    assert rows[4]["warnings"] == "Birth date left out."
    assert state.open_chunks() == []


def test_finish_chunk_shared_outcome_replaces_warnings(state: ImportState,
                                                       state_path: Path) -> None:
    chunk_id = sent_chunk_with_warnings(state)
    rejected = Outcome("failed", "Batch rejected.", "Whole batch rejected.")

    state.finish_chunk(chunk_id, dict.fromkeys([2, 3, 4], rejected))
    state.commit()

    rows = stored_rows(state_path)
    assert [rows[number]["warnings"] for number in (2, 3, 4)] == ["Whole batch rejected."] * 3


def test_finish_chunk_subset_leaves_other_rows(state: ImportState, state_path: Path) -> None:
    chunk_id = sent_chunk_with_warnings(state)
    created = Outcome("created", "Added to Cyberimpact.")

    state.finish_chunk(chunk_id, dict.fromkeys([2, 3], created))
    state.commit()

    rows = stored_rows(state_path)
    assert rows[2]["status"] == "created"
    assert rows[3]["status"] == "created"
    assert rows[4]["status"] == "sent"
    assert rows[4]["detail"] == ""


def test_finish_chunk_leaves_other_chunks(state: ImportState, state_path: Path) -> None:
    add_pending_rows(state, [2, 3, 4, 5])
    finished_chunk = state.new_chunk({"members": []}, [2, 3])
    other_chunk = state.new_chunk({"members": []}, [4, 5])

    state.finish_chunk(finished_chunk, dict.fromkeys([2, 3], Outcome("created", "Added.")))
    state.commit()

    rows = stored_rows(state_path)
    statuses = [rows[number]["status"] for number in (2, 3, 4, 5)]
    assert statuses == ["created", "created", "sent", "sent"]
    assert [chunk.id for chunk in state.open_chunks()] == [other_chunk]


def test_finish_chunk_on_buffered_rows(state: ImportState, state_path: Path) -> None:
    add_pending_rows(state, [2, 3])
    chunk_id = state.new_chunk({"members": []}, [2, 3])

    state.finish_chunk(chunk_id, dict.fromkeys([2, 3], Outcome("failed", "Batch rejected.")))
    state.commit()

    rows = stored_rows(state_path)
    assert [rows[number]["status"] for number in (2, 3)] == ["failed", "failed"]
    assert [rows[number]["chunk"] for number in (2, 3)] == [chunk_id, chunk_id]


# The report


def test_report_batch_reference_from_chunk(state: ImportState, tmp_path: Path) -> None:
    add_pending_rows(state, [2, 3, 4])
    sent_chunk = state.new_chunk({"members": []}, [2, 3])
    unsent_chunk = state.new_chunk({"members": []}, [4])
    state.chunk_sent(sent_chunk, 917)
    state.finish_chunk(sent_chunk, dict.fromkeys([2, 3], Outcome("created", ADDED)))
    report_path = tmp_path / "report.csv"

    with use_locale("en"):
        state.write_report(report_path, ";")

    lines = read_report(report_path, ";")
    assert unsent_chunk != sent_chunk
    assert lines[0] == ["row", "email", "status", "detail", "warnings", "reference"]
    assert lines[1] == ["2", "contact2@exemple.ca", "created", ADDED, "", "batch 917"]
    assert lines[2] == ["3", "contact3@exemple.ca", "created", ADDED, "", "batch 917"]
    assert lines[3] == ["4", "contact4@exemple.ca", "sent", "", "", ""]
    assert len(lines) == 4


def test_report_batch_label_translated(state: ImportState, tmp_path: Path) -> None:
    add_pending_rows(state, [2])
    chunk_id = state.new_chunk({"members": []}, [2])
    state.chunk_sent(chunk_id, 917)
    report_path = tmp_path / "report.csv"

    with use_locale("fr_CA"):
        state.write_report(report_path, ";")

    lines = read_report(report_path, ";")
    assert lines[1][5] == "lot 917"


def test_report_keeps_event_reference(state: ImportState, tmp_path: Path) -> None:
    state.record(2, "anne@exemple.ca", Outcome("queued", "Event stored; its run is queued.",
                                               "Phone left out.", "run_01HZX3"))
    state.record(3, None, Outcome("skipped", "Empty row."))
    report_path = tmp_path / "report.csv"

    with use_locale("en"):
        state.write_report(report_path, ",")

    lines = read_report(report_path)
    assert lines[1] == ["2", "anne@exemple.ca", "queued", "Event stored; its run is queued.",
                        "Phone left out.", "run_01HZX3"]
    assert lines[2] == ["3", "", "skipped", "Empty row.", "", ""]


def test_report_replaces_earlier_report(state: ImportState, tmp_path: Path) -> None:
    report_path = tmp_path / "report.csv"
    report_path.write_text("stale\n", encoding="utf-8")
    state.record(2, "anne@exemple.ca", Outcome("skipped", "Already in Cyberimpact."))

    with use_locale("en"):
        state.write_report(report_path, ",")

    assert read_report(report_path)[1][0] == "2"
    assert not report_path.with_name("report.csv.partial").exists()


# Progress files of earlier versions


def write_earlier_version_file(path: Path) -> None:
    """Write a progress file as earlier versions left it: batch 42 sent, batch 41 done.

    Those versions stored ``batch N`` on each row of a sent batch, and indexed rows by status.
    They also wrote the same id to the batch's chunk, so this file cannot show whether the report
    reads the row's reference or the chunk's batch id.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript(EARLIER_VERSION_SCHEMA)
        connection.executemany(
            "INSERT INTO chunks (id, body, batch_id, status) VALUES (?, ?, ?, ?)", [
                (1, '{"batchType": "addMembers", "members": []}', 41, "done"),
                (2, '{"batchType": "addMembers", "members": []}', 42, "sent"),
            ])
        connection.executemany(
            "INSERT INTO rows (number, email, status, detail, reference, chunk, batch_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", [
                (2, "anne@exemple.ca", "created", ADDED, "batch 41", 1, BATCH_KEY),
                (3, "bernard@exemple.ca", "sent", "", "batch 42", 2, BATCH_KEY),
                (4, "carole@exemple.ca", "sent", "", "batch 42", 2, BATCH_KEY),
                (5, None, "skipped", "Empty row.", "", None, None),
            ])
        connection.commit()


def test_opening_earlier_version_drops_status_index(state_path: Path) -> None:
    write_earlier_version_file(state_path)

    ImportState(state_path).close()

    indexes = index_names(state_path)
    assert "rows_by_status" not in indexes
    assert "rows_by_chunk" in indexes


def test_new_file_has_no_status_index(state_path: Path) -> None:
    ImportState(state_path).close()

    indexes = index_names(state_path)

    assert "rows_by_status" not in indexes
    assert "rows_by_chunk" in indexes


def test_report_of_earlier_version_file(state_path: Path, tmp_path: Path) -> None:
    write_earlier_version_file(state_path)
    report_path = tmp_path / "report.csv"

    with closing(ImportState(state_path)) as resumed, use_locale("en"):
        resumed.write_report(report_path, ",")

    lines = read_report(report_path)
    assert lines[1] == ["2", "anne@exemple.ca", "created", "Added to Cyberimpact.", "", "batch 41"]
    assert lines[2] == ["3", "bernard@exemple.ca", "sent", "", "", "batch 42"]
    assert lines[3] == ["4", "carole@exemple.ca", "sent", "", "", "batch 42"]
    assert lines[4] == ["5", "", "skipped", "Empty row.", "", ""]


def test_report_of_earlier_version_translated(state_path: Path, tmp_path: Path) -> None:
    write_earlier_version_file(state_path)
    report_path = tmp_path / "report.csv"

    with closing(ImportState(state_path)) as resumed, use_locale("fr_CA"):
        resumed.write_report(report_path, ";")

    lines = read_report(report_path, ";")
    assert [line[5] for line in lines[1:]] == ["lot 41", "lot 42", "lot 42", ""]


def test_resume_earlier_version_batch(state_path: Path, tmp_path: Path) -> None:
    write_earlier_version_file(state_path)
    report_path = tmp_path / "report.csv"

    with closing(ImportState(state_path)) as resumed:
        open_chunks = resumed.open_chunks()
        chunk_rows = resumed.chunk_rows(2)
        resumed.finish_chunk(2, dict.fromkeys([3, 4], Outcome("created", "Added to Cyberimpact.")))
        with use_locale("en"):
            resumed.write_report(report_path, ",")

    assert [(chunk.id, chunk.batch_id) for chunk in open_chunks] == [(2, 42)]
    assert chunk_rows == [(3, "bernard@exemple.ca"), (4, "carole@exemple.ca")]
    lines = read_report(report_path)
    assert lines[2] == ["3", "bernard@exemple.ca", "created", ADDED, "", "batch 42"]
    assert lines[3] == ["4", "carole@exemple.ca", "created", ADDED, "", "batch 42"]


# The address filter


def random_keys(generator: random.Random, count: int, domain: str) -> list[str]:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789._-"
    return [
        "".join(generator.choices(alphabet, k=generator.randint(6, 20))) + f"{index}@{domain}"
        for index in range(count)
    ]


def test_filter_finds_added_keys() -> None:
    generator = random.Random(20_240_611)
    keys = random_keys(generator, 100_000, "exemple.ca")
    address_filter = AddressFilter()

    for key in keys:
        address_filter.add(key)

    missing = [key for key in keys if key not in address_filter]
    assert missing == []


def test_filter_few_false_positives() -> None:
    generator = random.Random(20_240_612)
    address_filter = AddressFilter(random_keys(generator, 100_000, "exemple.ca"))
    # A different domain keeps every probe out of the filter's keys.
    absent_keys = random_keys(generator, 20_000, "absent.example")

    false_positives = sum(1 for key in absent_keys if key in address_filter)

    assert false_positives < 20


def test_filter_loads_constructor_keys() -> None:
    keys = ["anne@exemple.ca", "bernard@exemple.ca", "éloïse@exemple.ca"]

    address_filter = AddressFilter(key for key in keys)

    assert [key in address_filter for key in keys] == [True, True, True]
    assert "denis@exemple.ca" not in AddressFilter()


# Texts in every locale

def test_report_renders_messages_in_its_language(state: ImportState, tmp_path: Path) -> None:
    report_path = tmp_path / "report.csv"
    state.record(2, "lea@exemple.ca", Outcome("skipped", _l("Empty row."),
                                               joined_warnings([_l("Empty row.")])))
    state.commit()

    with use_locale("en"):
        state.write_report(report_path, ",")
        english = read_report(report_path)
    with use_locale("fr_CA"):
        state.write_report(report_path, ",")
        french = read_report(report_path)

    assert english[1][3:5] == ["Empty row.", "Empty row."]
    assert french[1][3:5] == ["Ligne vide.", "Ligne vide."]


def test_plain_text_stored_as_given() -> None:
    assert stored_text("Members with ids x do not exists") == "Members with ids x do not exists"
    assert shown_text("Members with ids x do not exists") == "Members with ids x do not exists"
    assert stored_text({}) == ""


def test_unreadable_translated_text_shown_as_stored() -> None:
    broken = TRANSLATED + "{not json"

    assert shown_text(broken) == broken


def test_missing_locale_falls_back_to_english() -> None:
    stored = stored_text({"en": "Added to Cyberimpact."})

    assert shown_text(stored, "fr_CA") == "Added to Cyberimpact."


def test_warnings_with_other_values_kept_apart() -> None:
    quebec = stored_warnings([_l('"{value}" is not a known country.', value="Québec, Canada")])
    ontario = stored_warnings([_l('"{value}" is not a known country.', value="Ontario, Canada")])

    assert shown_text(quebec, "en") == '"Québec, Canada" is not a known country.'
    assert shown_text(ontario, "en") == '"Ontario, Canada" is not a known country.'
    assert stored_warnings([]) == ""
