"""Consent types, expirations and the rule that consent never gets worse.

Cyberimpact computes a consent's expiration from its relation type and date, and its API example
gives ``active-clients`` 24 months. The Canadian anti-spam law (CASL) gives implied consent from
an inquiry 6 months and express consent no end. Cyberimpact keeps an express consent when a
contact is imported again with an implied relation. ``PUT /members/{key}/consent`` returns 422
when a consent cannot be overridden, and the sandbox applies that rule to express -> implied.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from arrimage.sandbox.config import RELATION_TYPES
from arrimage.sandbox.dates import DateFormatter, add_months, parse_day
from arrimage.sandbox.errors import ApiError, invalid

EXPRESS_RELATIONS = frozenset({"express-consent", "contest-participants", "purchased-list"})
# Assumption: CASL's 6 months for an inquiry; 24 months for every other implied relation.
IMPLIED_MONTHS = {"information-request": 6}
DEFAULT_IMPLIED_MONTHS = 24
MAX_PROOF = 255


def consent_type(relation_type: str | None) -> str:
    """Return ``express`` or ``implied`` for a relation type (None counts as implied)."""
    return "express" if relation_type in EXPRESS_RELATIONS else "implied"


def expiration(relation_type: str | None, consent_date: str | None) -> str | None:
    """Return the ``yyyy-mm-dd`` end of an implied consent; express consent does not expire."""
    if consent_date is None or consent_type(relation_type) == "express":
        return None
    months = IMPLIED_MONTHS.get(relation_type or "", DEFAULT_IMPLIED_MONTHS)
    return add_months(parse_day(consent_date), months).isoformat()


def check_relation_type(value: Any, field: str = "relationType") -> str:
    """Return a valid relation type or raise the field error."""
    if value not in RELATION_TYPES:
        raise invalid(field, f"The selected relation type {value!r} is invalid.")
    return str(value)


def check_consent_date(value: Any, field: str = "consentDate") -> str | None:
    """Return a ``yyyy-mm-dd`` consent date, None when empty, or raise the field error."""
    if value in (None, ""):
        return None
    try:
        return parse_day(str(value)).isoformat()
    except ValueError as exc:
        raise invalid(
            field, f"The consent date {value!r} does not match the format yyyy-mm-dd."
        ) from exc


def check_proof(value: Any, field: str = "consentProof") -> str | None:
    """Return the consent proof text (at most 255 characters) or None."""
    if value in (None, ""):
        return None
    text = str(value)
    if len(text) > MAX_PROOF:
        raise invalid(field, f"The consent proof may not be greater than {MAX_PROOF} characters.")
    return text


def keeps_express(current_type: str, relation_type: str) -> bool:
    """Return True when ``relation_type`` would replace an express consent by an implied one."""
    return current_type == "express" and consent_type(relation_type) == "implied"


def set_consent(conn: sqlite3.Connection, member: sqlite3.Row, body: dict[str, Any]) -> None:
    """Apply a ``PUT /members/{key}/consent`` body, or raise 422 when it would downgrade."""
    relation = check_relation_type(body.get("relationType"))
    consent_date = check_consent_date(body.get("consentDate"))
    proof = check_proof(body.get("consentProof"))
    if keeps_express(member["consent_type"], relation):
        # Fixed 422: the one status the reference documents for this route.
        raise ApiError(
            422,
            f"The express consent of this member cannot be overridden by the implied "
            f"relation type {relation!r}.",
            [("relationType", "An express consent can only be withdrawn by unsubscribing.")],
        )
    conn.execute(
        "UPDATE members SET consent_type = ?, relation_type = ?, consent_date = ?, "
        "consent_proof = ? WHERE id = ?",
        (consent_type(relation), relation, consent_date, proof, member["id"]),
    )


def consent_json(member: sqlite3.Row, dates: DateFormatter) -> dict[str, Any]:
    """Render the consent object of ``GET /members/{key}/consent``."""
    return {
        "consentType": member["consent_type"],
        "relationType": member["relation_type"],
        "consentDate": dates.day(member["consent_date"]),
        "consentExpiration": dates.day(expiration(member["relation_type"], member["consent_date"])),
        "consentProof": member["consent_proof"],
    }
