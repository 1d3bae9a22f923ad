"""Opt-in requests (``POST /members/optins``) and the confirmation emails of the outbox.

Cyberimpact adds the address, its fields and its groups only after the person clicks the
confirmation button, and records express consent with its proof. The sandbox keeps each request
with a random secret; the confirm link carries it, and following the link applies the request.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from arrimage.i18n import _, use_locale
from arrimage.sandbox.config import SandboxConfig
from arrimage.sandbox.dates import from_db, to_db, today, utc_now
from arrimage.sandbox.errors import invalid, not_found
from arrimage.sandbox.members import add_groups, find_member, insert_member, update_member
from arrimage.sandbox.validation import group_ids, member_columns, require_object

logger = logging.getLogger(__name__)

CONFIRM_RELATION = "express-consent"
UI_LOCALES = {"en_ca": "en", "fr_ca": "fr_CA"}


def mask_email(email: str) -> str:
    """Hide all but the first character of the local part, for logs."""
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def create_optin(conn: sqlite3.Connection, config: SandboxConfig, body: Any) -> int:
    """Check an opt-in body like ``POST /members``, store the request and return its id."""
    body = require_object(body)
    columns = member_columns(conn, body, "create", {})
    groups = group_ids(conn, config, body.get("groups"))
    confirm_url = body.get("optinConfirmUrl")
    if confirm_url is not None and (
        not isinstance(confirm_url, str) or not confirm_url.startswith(("http://", "https://"))
    ):
        raise invalid("optinConfirmUrl", "The optinConfirmUrl must be an http:// or https:// URL.")

    payload = {key: value for key, value in body.items() if key != "optinConfirmUrl"}
    payload.update(email=columns["email"], groups=groups)
    cursor = conn.execute(
        "INSERT INTO optins (secret, email, language, payload, confirm_url, created_on) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            secrets.token_urlsafe(24),
            columns["email"],
            columns["language"] or "fr_ca",
            json.dumps(payload, ensure_ascii=False),
            confirm_url,
            to_db(utc_now()),
        ),
    )
    assert cursor.lastrowid is not None
    logger.info(
        "Sandbox opt-in request %s queued for %s", cursor.lastrowid, mask_email(columns["email"])
    )
    return cursor.lastrowid


def find_optin(conn: sqlite3.Connection, secret: str) -> sqlite3.Row:
    """Return the opt-in request of a confirm link, or raise 404."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM optins WHERE secret = ?", (secret,)
    ).fetchone()
    if row is None:
        raise not_found("Opt-in request", "for this link")
    return row


def confirm_optin(
    conn: sqlite3.Connection, config: SandboxConfig, secret: str
) -> tuple[sqlite3.Row, bool]:
    """Apply an opt-in request; return it and whether an earlier visit had already confirmed it.

    Fields sent with the request overwrite the member's; unsent ones stay (assumption). The
    member is subscribed again if needed and gets express consent dated today, with the request
    as proof.
    """
    optin = find_optin(conn, secret)
    if optin["confirmed_on"] is not None:
        return optin, True

    payload = json.loads(optin["payload"])
    existing = find_member(conn, optin["email"])
    day = today(config.zone).isoformat()
    proof = f"Double opt-in request {optin['id']} confirmed on {day}"
    if existing is None:
        columns = member_columns(conn, payload, "create", {})
        member_id = insert_member(conn, columns, CONFIRM_RELATION, day, proof)
    else:
        columns = member_columns(conn, payload, "patch", json.loads(existing["custom_fields"]))
        columns.update(
            unsubscribed_on=None,
            consent_type="express",
            relation_type=CONFIRM_RELATION,
            consent_date=day,
            consent_proof=proof,
        )
        member_id = existing["id"]
        update_member(conn, member_id, columns)
    add_groups(conn, member_id, [g for g in payload["groups"] if _group_exists(conn, g)])

    conn.execute("UPDATE optins SET confirmed_on = ? WHERE id = ?", (to_db(utc_now()), optin["id"]))
    logger.info("Sandbox opt-in request %s confirmed (member %s)", optin["id"], member_id)
    return conn.execute("SELECT * FROM optins WHERE id = ?", (optin["id"],)).fetchone(), False


def _group_exists(conn: sqlite3.Connection, group_id: int) -> bool:
    # A group deleted between the request and the confirmation is skipped.
    return conn.execute("SELECT 1 FROM groups WHERE id = ?", (group_id,)).fetchone() is not None


@dataclass(frozen=True)
class OutboxEmail:
    """One confirmation email as the outbox shows it, written in the contact's language."""

    id: int
    to: str
    locale: str
    subject: str
    greeting: str
    body: str
    groups: list[str]
    created_on: str
    confirmed_on: str | None
    confirm_path: str
    optin_confirm_url: str | None


def outbox_emails(conn: sqlite3.Connection, config: SandboxConfig) -> list[OutboxEmail]:
    """Return every confirmation email, newest first."""
    titles = {row["id"]: row["title"] for row in conn.execute("SELECT id, title FROM groups")}
    emails = []
    for row in conn.execute("SELECT * FROM optins ORDER BY id DESC"):
        payload = json.loads(row["payload"])
        locale = UI_LOCALES.get(row["language"], "fr_CA")
        name = " ".join(
            part for part in (payload.get("firstname"), payload.get("lastname")) if part
        )
        with use_locale(locale):
            subject = _("Confirm your subscription to {account}", account=config.account)
            greeting = _("Hello {name},", name=name) if name else _("Hello,")
            body = _(
                "Please confirm that you want to receive emails from {account}. "
                "Your address is added only after you confirm.",
                account=config.account,
            )
        emails.append(
            OutboxEmail(
                id=row["id"],
                to=row["email"],
                locale=locale,
                subject=subject,
                greeting=greeting,
                body=body,
                groups=[titles.get(g, str(g)) for g in payload["groups"]],
                created_on=from_db(row["created_on"]).isoformat(timespec="seconds"),
                confirmed_on=from_db(row["confirmed_on"]).isoformat(timespec="seconds")
                if row["confirmed_on"]
                else None,
                confirm_path=f"/outbox/confirm/{row['secret']}",
                optin_confirm_url=row["confirm_url"],
            )
        )
    return emails
