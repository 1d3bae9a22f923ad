"""Routes about one member: its groups, its consent and the mailings it received."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Depends

from arrimage.sandbox import members as records
from arrimage.sandbox.consent import consent_json, set_consent
from arrimage.sandbox.dates import DateFormatter
from arrimage.sandbox.deps import BodyDep, DatesDep, PageDep, SandboxDep, require_token
from arrimage.sandbox.queries import (
    MAILING_SORTS,
    MEMBER_GROUP_SORTS,
    Filters,
    fetch_page,
    order_by,
)
from arrimage.sandbox.serialize import group_json
from arrimage.sandbox.validation import group_ids, require_object

router = APIRouter(dependencies=[Depends(require_token)])

MEMBER_GROUPS_SELECT = "SELECT g.* FROM groups g JOIN memberships ms ON ms.group_id = g.id"


def _all_groups(conn: sqlite3.Connection, member_id: int, dates: DateFormatter) -> dict[str, Any]:
    rows = conn.execute(
        f"{MEMBER_GROUPS_SELECT} WHERE ms.member_id = ? ORDER BY g.id", (member_id,)
    )
    return {"groups": [group_json(row, dates, counts=False) for row in rows]}


@router.get("/members/{key}/groups")
def list_member_groups(
    key: str, sandbox: SandboxDep, dates: DatesDep, page: PageDep
) -> dict[str, Any]:
    """List a member's groups, without member and mailing counts."""
    order = order_by(MEMBER_GROUP_SORTS, page.sort, "g.id")
    with sandbox.store.transaction() as conn:
        member = records.require_member(conn, key)
        filters = Filters()
        filters.add("ms.member_id = ?", member["id"])
        rows, total = fetch_page(conn, MEMBER_GROUPS_SELECT, filters, order, page)
    return page.envelope("groups", [group_json(row, dates, counts=False) for row in rows], total)


@router.post("/members/{key}/groups")
def add_member_groups(
    key: str, body: BodyDep, sandbox: SandboxDep, dates: DatesDep
) -> dict[str, Any]:
    """Add groups to a member and return all of its groups."""
    with sandbox.store.transaction() as conn:
        member = records.require_member(conn, key)
        groups = group_ids(conn, sandbox.config, require_object(body).get("groups"))
        records.add_groups(conn, member["id"], groups)
        records.groups_changed(conn, sandbox.config, member["id"])
        return _all_groups(conn, member["id"], dates)


@router.put("/members/{key}/groups")
def replace_member_groups(
    key: str, body: BodyDep, sandbox: SandboxDep, dates: DatesDep
) -> dict[str, Any]:
    """Make the given groups exactly the member's groups."""
    with sandbox.store.transaction() as conn:
        member = records.require_member(conn, key)
        groups = group_ids(conn, sandbox.config, require_object(body).get("groups"))
        records.set_groups(conn, member["id"], groups)
        records.groups_changed(conn, sandbox.config, member["id"])
        return _all_groups(conn, member["id"], dates)


@router.delete("/members/{key}/groups/{group_id}")
def remove_member_group(key: str, group_id: int, sandbox: SandboxDep) -> dict[str, str]:
    """Remove a member from one group; 404 when it is not in it."""
    with sandbox.store.transaction() as conn:
        member = records.require_member(conn, key)
        records.remove_group(conn, member["id"], group_id)
        records.groups_changed(conn, sandbox.config, member["id"])
    return {str(group_id): "deleted"}


@router.get("/members/{key}/consent")
def get_consent(key: str, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Return a member's consent."""
    with sandbox.store.transaction() as conn:
        return consent_json(records.require_member(conn, key), dates)


@router.put("/members/{key}/consent")
def put_consent(key: str, body: BodyDep, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Set a member's consent; 422 when it would replace express consent by implied."""
    with sandbox.store.transaction() as conn:
        member = records.require_member(conn, key)
        set_consent(conn, member, require_object(body))
        records.touch(conn, member["id"])
        return consent_json(records.reload(conn, member["id"]), dates)


@router.get("/members/{key}/mailings")
def list_member_mailings(key: str, sandbox: SandboxDep, page: PageDep) -> dict[str, Any]:
    """List the mailings a member received: always empty, because the sandbox sends none."""
    order_by(MAILING_SORTS, page.sort, "id")
    with sandbox.store.transaction() as conn:
        records.require_member(conn, key)
    return page.envelope("mailings", [], 0)
