"""Member routes: lists, look-up, create, replace, patch, delete and unsubscribe."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from arrimage.sandbox import members as records
from arrimage.sandbox.deps import BodyDep, DatesDep, PageDep, SandboxDep, require_token
from arrimage.sandbox.errors import invalid, not_found
from arrimage.sandbox.queries import (
    BOUNCED_SORTS,
    MEMBER_SORTS,
    UNSUBSCRIBED_SORTS,
    Filters,
    fetch_page,
    order_by,
)
from arrimage.sandbox.serialize import member_json

router = APIRouter(dependencies=[Depends(require_token)])

MEMBER_SELECT = "SELECT m.* FROM members m"
IN_A_GROUP = "EXISTS (SELECT 1 FROM memberships ms WHERE ms.member_id = m.id)"
STATUSES = ("active", "orphans", "all")


@router.get("/members")
def list_members(
    sandbox: SandboxDep,
    dates: DatesDep,
    page: PageDep,
    status: str = "active",
    joinedOnFrom: str | None = None,
    joinedOnTo: str | None = None,
    updatedOnFrom: str | None = None,
    updatedOnTo: str | None = None,
) -> dict[str, Any]:
    """List subscribed members: ``active`` ones are in a group, ``orphans`` in none."""
    if status not in STATUSES:
        raise invalid("status", f"The status {status!r} is invalid; use active, orphans or all.")
    zone = sandbox.config.zone
    filters = Filters()
    filters.add("m.unsubscribed_on IS NULL")
    if status == "active":
        filters.add(IN_A_GROUP)
    elif status == "orphans":
        filters.add(f"NOT {IN_A_GROUP}")
    filters.add_day_range(
        "m.joined_on", joinedOnFrom, joinedOnTo, ("joinedOnFrom", "joinedOnTo"), zone
    )
    filters.add_day_range(
        "m.updated_on", updatedOnFrom, updatedOnTo, ("updatedOnFrom", "updatedOnTo"), zone
    )
    order = order_by(MEMBER_SORTS, page.sort, "m.id")

    with sandbox.store.transaction() as conn:
        rows, total = fetch_page(conn, MEMBER_SELECT, filters, order, page)
    body = page.envelope("members", [member_json(row, dates) for row in rows], total)
    body["items_per_page"] = page.limit  # deprecated alias of limit, still returned by Cyberimpact
    return body


@router.get("/members/unsubscribed")
def list_unsubscribed(
    sandbox: SandboxDep,
    dates: DatesDep,
    page: PageDep,
    unsubscribedOnFrom: str | None = None,
    unsubscribedOnTo: str | None = None,
    updatedOnFrom: str | None = None,
    updatedOnTo: str | None = None,
) -> dict[str, Any]:
    """List unsubscribed members (items have no ``id`` and add ``unsubscribedOn``)."""
    zone = sandbox.config.zone
    filters = Filters()
    filters.add("m.unsubscribed_on IS NOT NULL")
    names = ("unsubscribedOnFrom", "unsubscribedOnTo")
    filters.add_day_range("m.unsubscribed_on", unsubscribedOnFrom, unsubscribedOnTo, names, zone)
    filters.add_day_range(
        "m.updated_on", updatedOnFrom, updatedOnTo, ("updatedOnFrom", "updatedOnTo"), zone
    )
    order = order_by(UNSUBSCRIBED_SORTS, page.sort, "m.id")

    with sandbox.store.transaction() as conn:
        rows, total = fetch_page(conn, MEMBER_SELECT, filters, order, page)
    return page.envelope(
        "members", [member_json(row, dates, "unsubscribed") for row in rows], total
    )


@router.get("/members/unsubscribed/{email}")
def get_unsubscribed(email: str, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Return one unsubscribed member by email; 404 when unknown or still subscribed."""
    with sandbox.store.transaction() as conn:
        row = conn.execute("SELECT * FROM members WHERE email = ?", (email.strip(),)).fetchone()
    if row is None or row["unsubscribed_on"] is None:
        raise not_found("Unsubscribed member", email)
    return member_json(row, dates, "unsubscribed")


@router.post("/members/unsubscribed/{key}")
def unsubscribe_member(key: str, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Unsubscribe a member; ``isNewUnsubscription`` is False when it already was."""
    with sandbox.store.transaction() as conn:
        row, is_new = records.unsubscribe(conn, key)
    return {**member_json(row, dates, "unsubscribed"), "isNewUnsubscription": is_new}


@router.get("/members/bounced")
def list_bounced(
    sandbox: SandboxDep,
    dates: DatesDep,
    page: PageDep,
    bouncedOnFrom: str | None = None,
    bouncedOnTo: str | None = None,
    updatedOnFrom: str | None = None,
    updatedOnTo: str | None = None,
) -> dict[str, Any]:
    """List members whose last mailing hard-bounced (seed data sets ``hardBouncedOn``)."""
    zone = sandbox.config.zone
    filters = Filters()
    filters.add("m.hard_bounced_on IS NOT NULL")
    filters.add_day_range(
        "m.hard_bounced_on", bouncedOnFrom, bouncedOnTo, ("bouncedOnFrom", "bouncedOnTo"), zone
    )
    filters.add_day_range(
        "m.updated_on", updatedOnFrom, updatedOnTo, ("updatedOnFrom", "updatedOnTo"), zone
    )
    order = order_by(BOUNCED_SORTS, page.sort, "m.id")

    with sandbox.store.transaction() as conn:
        rows, total = fetch_page(conn, MEMBER_SELECT, filters, order, page)
    return page.envelope("members", [member_json(row, dates, "bounced") for row in rows], total)


@router.post("/members", status_code=201)
def create_member(body: BodyDep, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Add a member without a confirmation email."""
    with sandbox.store.transaction() as conn:
        row = records.create_member(conn, sandbox.config, body)
    return member_json(row, dates)


@router.get("/members/{key}")
def get_member(key: str, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Return a member by id or email (unsubscribed members included)."""
    with sandbox.store.transaction() as conn:
        row = records.require_member(conn, key)
    return member_json(row, dates)


@router.put("/members/{key}")
def replace_member(key: str, body: BodyDep, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Replace a member's fields; the ones not sent become empty."""
    with sandbox.store.transaction() as conn:
        row = records.replace_member(conn, sandbox.config, key, body)
    return member_json(row, dates)


@router.patch("/members/{key}")
def patch_member(key: str, body: BodyDep, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Change only the fields sent."""
    with sandbox.store.transaction() as conn:
        row = records.patch_member(conn, sandbox.config, key, body)
    return member_json(row, dates)


@router.delete("/members/{key}")
def delete_member(key: str, sandbox: SandboxDep) -> dict[str, str]:
    """Delete a member; the body echoes the key as given."""
    with sandbox.store.transaction() as conn:
        records.delete_member(conn, key)
    return {key: "deleted"}
