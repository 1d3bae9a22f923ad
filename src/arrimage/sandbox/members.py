"""Member records: look-up by key, create, replace, patch, delete, unsubscribe and groups.

A member key is the numeric id or the email address, matched case-insensitively. Functions
take an open transaction's connection and raise :class:`ApiError` for the client's mistakes.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from arrimage.sandbox.config import SandboxConfig
from arrimage.sandbox.consent import consent_type
from arrimage.sandbox.dates import to_db, today, utc_now
from arrimage.sandbox.errors import ApiError, not_found
from arrimage.sandbox.validation import group_ids, member_columns, require_object


def find_member(conn: sqlite3.Connection, key: str) -> sqlite3.Row | None:
    """Return the member whose id or email is ``key``, or None."""
    if key.isdigit():
        by_id: sqlite3.Row | None = conn.execute(
            "SELECT * FROM members WHERE id = ?", (int(key),)
        ).fetchone()
        if by_id is not None:
            return by_id
    by_email: sqlite3.Row | None = conn.execute(
        "SELECT * FROM members WHERE email = ?", (key.strip(),)
    ).fetchone()
    return by_email


def require_member(conn: sqlite3.Connection, key: str) -> sqlite3.Row:
    """Return the member for ``key`` or raise 404."""
    row = find_member(conn, key)
    if row is None:
        raise not_found("Member", key)
    return row


def reload(conn: sqlite3.Connection, member_id: int) -> sqlite3.Row:
    """Read a member again after a write."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM members WHERE id = ?", (member_id,)
    ).fetchone()
    assert row is not None, "member vanished inside its own transaction"
    return row


def touch(conn: sqlite3.Connection, member_id: int) -> None:
    """Set ``updatedOn`` to now."""
    conn.execute("UPDATE members SET updated_on = ? WHERE id = ?", (to_db(utc_now()), member_id))


def insert_member(
    conn: sqlite3.Connection,
    columns: dict[str, Any],
    relation_type: str | None,
    consent_date: str | None,
    consent_proof: str | None = None,
) -> int:
    """Insert a subscribed member joined now and return its id."""
    values = {
        **columns,
        "joined_on": to_db(utc_now()),
        "consent_type": consent_type(relation_type),
        "relation_type": relation_type,
        "consent_date": consent_date,
        "consent_proof": consent_proof,
    }
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = conn.execute(f"INSERT INTO members ({names}) VALUES ({marks})", list(values.values()))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def update_member(conn: sqlite3.Connection, member_id: int, columns: dict[str, Any]) -> None:
    """Write ``columns`` and set ``updatedOn``."""
    if columns:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        conn.execute(
            f"UPDATE members SET {assignments} WHERE id = ?", [*columns.values(), member_id]
        )
    touch(conn, member_id)


def ensure_email_free(conn: sqlite3.Connection, email: str, member_id: int | None = None) -> None:
    """Raise the duplicate error when another member already uses ``email``."""
    row = conn.execute("SELECT id FROM members WHERE email = ?", (email,)).fetchone()
    if row is not None and row["id"] != member_id:
        raise ApiError(
            "duplicate",
            f"The member {email} already exists.",
            [("email", "The email has already been taken.")],
        )


def create_member(conn: sqlite3.Connection, config: SandboxConfig, body: Any) -> sqlite3.Row:
    """Create a member from a ``POST /members`` body.

    An existing subscribed address is a duplicate. An unsubscribed one is rejected, or
    subscribed again with the new fields when ``config.unsubscribed_readd`` is "resubscribe".
    """
    body = require_object(body)
    columns = member_columns(conn, body, "create", {})
    groups = group_ids(conn, config, body.get("groups"))
    existing = find_member(conn, columns["email"])

    if existing is not None and existing["unsubscribed_on"] is None:
        ensure_email_free(conn, columns["email"])
    if existing is not None:
        if config.unsubscribed_readd == "reject":
            raise ApiError(
                "validation",
                f"The member {columns['email']} is unsubscribed.",
                [("email", "An unsubscribed address can subscribe again only through an opt-in.")],
            )
        update_member(conn, existing["id"], {**columns, "unsubscribed_on": None})
        member_id = existing["id"]
    else:
        relation = config.default_relation_type
        member_id = insert_member(conn, columns, relation, today(config.zone).isoformat())

    add_groups(conn, member_id, groups)
    return reload(conn, member_id)


def replace_member(
    conn: sqlite3.Connection, config: SandboxConfig, key: str, body: Any
) -> sqlite3.Row:
    """Apply a ``PUT /members/{key}`` body: unsent fields become empty.

    Assumption: ``groups``, when sent, replaces the member's groups; when absent they stay.
    """
    body = require_object(body)
    member = require_member(conn, key)
    columns = member_columns(conn, {"email": member["email"], **body}, "replace", {})
    ensure_email_free(conn, columns["email"], member["id"])
    groups = group_ids(conn, config, body["groups"]) if "groups" in body else None
    update_member(conn, member["id"], columns)
    if groups is not None:
        set_groups(conn, member["id"], groups)
    return reload(conn, member["id"])


def patch_member(
    conn: sqlite3.Connection, config: SandboxConfig, key: str, body: Any
) -> sqlite3.Row:
    """Apply a ``PATCH /members/{key}`` body: only sent fields change.

    Assumptions: ``email`` changes the address, ``customFields`` merge per id (an empty value
    removes one), and ``groups`` adds memberships like ``POST /members/{key}/groups``.
    """
    body = require_object(body)
    member = require_member(conn, key)
    columns = member_columns(conn, body, "patch", json.loads(member["custom_fields"]))
    if "email" in columns:
        ensure_email_free(conn, columns["email"], member["id"])
    groups = group_ids(conn, config, body.get("groups"))
    update_member(conn, member["id"], columns)
    add_groups(conn, member["id"], groups)
    return reload(conn, member["id"])


def delete_member(conn: sqlite3.Connection, key: str) -> None:
    """Delete a member with its memberships and consent, or raise 404."""
    member = require_member(conn, key)
    conn.execute("DELETE FROM members WHERE id = ?", (member["id"],))


def unsubscribe(conn: sqlite3.Connection, key: str) -> tuple[sqlite3.Row, bool]:
    """Unsubscribe a member; return it and whether this call did it (False if already)."""
    member = require_member(conn, key)
    if member["unsubscribed_on"] is not None:
        return member, False
    now = to_db(utc_now())
    conn.execute(
        "UPDATE members SET unsubscribed_on = ?, updated_on = ? WHERE id = ?",
        (now, now, member["id"]),
    )
    return reload(conn, member["id"]), True


def add_groups(conn: sqlite3.Connection, member_id: int, groups: list[int]) -> None:
    """Add memberships, keeping the existing ones."""
    conn.executemany(
        "INSERT OR IGNORE INTO memberships (member_id, group_id) VALUES (?, ?)",
        [(member_id, group_id) for group_id in groups],
    )


def set_groups(conn: sqlite3.Connection, member_id: int, groups: list[int]) -> None:
    """Make ``groups`` exactly the member's groups."""
    conn.execute("DELETE FROM memberships WHERE member_id = ?", (member_id,))
    add_groups(conn, member_id, groups)


def remove_group(conn: sqlite3.Connection, member_id: int, group_id: int) -> None:
    """Remove one membership, or raise 404 when the member is not in that group."""
    cursor = conn.execute(
        "DELETE FROM memberships WHERE member_id = ? AND group_id = ?", (member_id, group_id)
    )
    if cursor.rowcount == 0:
        raise not_found("Group", group_id)


def groups_changed(conn: sqlite3.Connection, config: SandboxConfig, member_id: int) -> None:
    """Set ``updatedOn`` after a group change when ``config.group_change_updates_member`` is on."""
    if config.group_change_updates_member:
        touch(conn, member_id)
