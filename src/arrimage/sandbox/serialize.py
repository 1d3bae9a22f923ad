"""JSON bodies of members, groups and batches, with Cyberimpact's field names."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Literal

from arrimage.sandbox.dates import DateFormatter

MemberKind = Literal["member", "unsubscribed", "bounced"]


def member_json(
    row: sqlite3.Row, dates: DateFormatter, kind: MemberKind = "member"
) -> dict[str, Any]:
    """Render a member.

    Subscribed members carry ``id`` and the mailing counters. Items of the unsubscribed and
    bounced lists have neither, and add ``unsubscribedOn`` or ``hardBouncedOn``.
    """
    body: dict[str, Any] = {"id": row["id"]} if kind == "member" else {}
    body.update(
        {
            "email": row["email"],
            "firstname": row["firstname"],
            "lastname": row["lastname"],
            "company": row["company"],
            "gender": row["gender"],
            "language": row["language"],
            "birthdate": row["birthdate"],
            "postalCode": row["postal_code"],
            "country": row["country"],
            "note": row["note"],
            "joinedOn": dates.instant(row["joined_on"]),
            "updatedOn": dates.instant(row["updated_on"]),
            "consentType": row["consent_type"],
        }
    )
    if kind == "member":
        body["mailingsReceived"] = row["mailings_received"]
        body["mailingsOpened"] = row["mailings_opened"]
        body["mailingsClicked"] = row["mailings_clicked"]
    body["customFields"] = json.loads(row["custom_fields"])
    if kind == "unsubscribed":
        body["unsubscribedOn"] = dates.instant(row["unsubscribed_on"])
    elif kind == "bounced":
        body["hardBouncedOn"] = dates.instant(row["hard_bounced_on"])
    return body


def group_json(row: sqlite3.Row, dates: DateFormatter, counts: bool = True) -> dict[str, Any]:
    """Render a group; member-group listings omit ``membersCount`` and ``mailingsCount``."""
    body: dict[str, Any] = {
        "id": row["id"],
        "title": row["title"],
        "isPublic": bool(row["is_public"]),
    }
    if counts:
        body["membersCount"] = row["members_count"]
        body["mailingsCount"] = row["mailings_count"]
    body["createdOn"] = dates.instant(row["created_on"])
    body["isDynamic"] = bool(row["is_dynamic"])
    return body


def batch_json(
    row: sqlite3.Row, dates: DateFormatter, error_details: bool = True
) -> dict[str, Any]:
    """Render a batch; without ``error_details`` each error keeps its ``id`` only (assumption)."""
    result = json.loads(row["result"]) if row["result"] else None
    if result is not None and not error_details:
        result = {
            "errors": [{"id": error["id"]} for error in result["errors"]],
            "successes": result["successes"],
        }
    return {
        "id": row["id"],
        "batchType": row["batch_type"],
        "batchJson": json.loads(row["batch_json"]),
        "createdOn": dates.instant(row["created_on"]),
        "status": row["status"],
        "result": result,
    }
