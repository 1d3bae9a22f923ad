"""Group routes: list, get, create, replace, patch, delete, and the members of a group."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Depends

from arrimage.sandbox.dates import to_db, utc_now
from arrimage.sandbox.deps import BodyDep, DatesDep, PageDep, SandboxDep, require_token
from arrimage.sandbox.errors import ApiError, invalid, not_found
from arrimage.sandbox.queries import (
    GROUP_SELECT,
    GROUP_SORTS,
    MEMBER_SORTS,
    Filters,
    fetch_page,
    order_by,
)
from arrimage.sandbox.serialize import group_json, member_json
from arrimage.sandbox.validation import MAX_TEXT, require_object

router = APIRouter(dependencies=[Depends(require_token)])

GROUP_MEMBERS_SELECT = "SELECT m.* FROM members m JOIN memberships ms ON ms.member_id = m.id"


def _require_group(conn: sqlite3.Connection, group_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(f"{GROUP_SELECT} WHERE g.id = ?", (group_id,)).fetchone()
    if row is None:
        raise not_found("Group", group_id)
    return row


def _group_fields(body: Any, partial: bool) -> dict[str, Any]:
    """Check ``title`` and ``isPublic``; PUT needs a title and resets ``isPublic`` when unsent."""
    body = require_object(body)
    fields: dict[str, Any] = {}
    if "title" in body or not partial:
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise invalid("title", "The title field is required.")
        if len(title) > MAX_TEXT:
            raise invalid("title", f"The title may not be greater than {MAX_TEXT} characters.")
        fields["title"] = title.strip()
    if "isPublic" in body or not partial:
        is_public = body.get("isPublic", False)
        if not isinstance(is_public, bool):
            raise invalid("isPublic", "The isPublic field must be true or false.")
        fields["is_public"] = is_public
    return fields


@router.get("/groups")
def list_groups(sandbox: SandboxDep, dates: DatesDep, page: PageDep) -> dict[str, Any]:
    """List the account's groups with their member and mailing counts."""
    order = order_by(GROUP_SORTS, page.sort, "g.id")
    with sandbox.store.transaction() as conn:
        rows, total = fetch_page(conn, GROUP_SELECT, Filters(), order, page)
    return page.envelope("groups", [group_json(row, dates) for row in rows], total)


@router.post("/groups", status_code=201)
def create_group(body: BodyDep, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Create a static group."""
    fields = _group_fields(body, partial=False)
    with sandbox.store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO groups (title, is_public, created_on) VALUES (?, ?, ?)",
            (fields["title"], fields["is_public"], to_db(utc_now())),
        )
        assert cursor.lastrowid is not None
        return group_json(_require_group(conn, cursor.lastrowid), dates)


@router.get("/groups/{group_id}")
def get_group(group_id: int, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Return one group."""
    with sandbox.store.transaction() as conn:
        return group_json(_require_group(conn, group_id), dates)


def _edit_group(sandbox: SandboxDep, group_id: int, fields: dict[str, Any]) -> sqlite3.Row:
    with sandbox.store.transaction() as conn:
        group = _require_group(conn, group_id)
        if group["is_dynamic"]:
            raise ApiError(
                "validation",
                f"The group {group_id} is dynamic and cannot be edited through the API.",
            )
        assignments = ", ".join(f"{name} = ?" for name in fields)
        conn.execute(f"UPDATE groups SET {assignments} WHERE id = ?", [*fields.values(), group_id])
        return _require_group(conn, group_id)


@router.put("/groups/{group_id}")
def replace_group(
    group_id: int, body: BodyDep, sandbox: SandboxDep, dates: DatesDep
) -> dict[str, Any]:
    """Replace a static group's title and visibility."""
    return group_json(_edit_group(sandbox, group_id, _group_fields(body, partial=False)), dates)


@router.patch("/groups/{group_id}")
def patch_group(
    group_id: int, body: BodyDep, sandbox: SandboxDep, dates: DatesDep
) -> dict[str, Any]:
    """Change the fields sent of a static group."""
    fields = _group_fields(body, partial=True)
    if not fields:
        with sandbox.store.transaction() as conn:
            return group_json(_require_group(conn, group_id), dates)
    return group_json(_edit_group(sandbox, group_id, fields), dates)


@router.delete("/groups/{group_id}")
def delete_group(group_id: int, sandbox: SandboxDep) -> dict[str, str]:
    """Delete a group; its members stay in the account."""
    with sandbox.store.transaction() as conn:
        _require_group(conn, group_id)
        conn.execute("DELETE FROM groups WHERE id = ?", (group_id,))
    return {str(group_id): "deleted"}


@router.get("/groups/{group_id}/members")
def list_group_members(
    group_id: int,
    sandbox: SandboxDep,
    dates: DatesDep,
    page: PageDep,
    joinedOnFrom: str | None = None,
    joinedOnTo: str | None = None,
    updatedOnFrom: str | None = None,
    updatedOnTo: str | None = None,
) -> dict[str, Any]:
    """List the subscribed members of a group."""
    zone = sandbox.config.zone
    filters = Filters()
    filters.add("ms.group_id = ?", group_id)
    filters.add("m.unsubscribed_on IS NULL")
    filters.add_day_range(
        "m.joined_on", joinedOnFrom, joinedOnTo, ("joinedOnFrom", "joinedOnTo"), zone
    )
    filters.add_day_range(
        "m.updated_on", updatedOnFrom, updatedOnTo, ("updatedOnFrom", "updatedOnTo"), zone
    )
    order = order_by(MEMBER_SORTS, page.sort, "m.id")

    with sandbox.store.transaction() as conn:
        _require_group(conn, group_id)
        rows, total = fetch_page(conn, GROUP_MEMBERS_SELECT, filters, order, page)
    return page.envelope("members", [member_json(row, dates) for row in rows], total)


@router.delete("/groups/{group_id}/members")
def empty_group(group_id: int, sandbox: SandboxDep) -> dict[str, list[Any]]:
    """Remove every member from a group."""
    with sandbox.store.transaction() as conn:
        group = _require_group(conn, group_id)
        if group["is_dynamic"]:
            raise ApiError(
                "validation",
                f"The group {group_id} is dynamic and cannot be edited through the API.",
            )
        conn.execute("DELETE FROM memberships WHERE group_id = ?", (group_id,))
    return {"members": []}
