"""The sandbox's final contacts: its members, and the people whose opt-in request waits.

Read from the sandbox's ``GET /_sandbox/state``, which dumps its tables, because a pending
opt-in request is invisible to the Cyberimpact API until the person confirms it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

REQUEST_TIMEOUT_SECONDS = 30.0


def read_sandbox_state(sandbox_url: str, token: str) -> dict[str, list[dict[str, Any]]]:
    """Return the sandbox's tables, each a list of rows."""
    response = httpx.get(f"{sandbox_url}/_sandbox/state", headers={"Authorization": f"Bearer {token}"},
                         timeout=REQUEST_TIMEOUT_SECONDS)
    response.raise_for_status()
    tables: dict[str, list[dict[str, Any]]] = response.json()["tables"]
    return tables


def final_contacts(tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Return every member and every person with a pending opt-in request, sorted by address.

    ``status`` is ``subscribed``, ``unsubscribed``, ``bounced`` or ``optin_pending`` (not a
    member yet). ``consent`` is the member's consent, None while only an opt-in request
    exists. ``optin`` is ``pending`` or ``confirmed`` when the address has an opt-in request.
    Empty fields are None.
    """
    titles = {group["id"]: group["title"] for group in tables["groups"]}
    memberships: dict[int, list[int]] = {}
    for membership in tables["memberships"]:
        memberships.setdefault(membership["member_id"], []).append(membership["group_id"])

    contacts: dict[str, dict[str, Any]] = {}
    for member in tables["members"]:
        contacts[member["email"].casefold()] = _member(member, memberships.get(member["id"], []), titles)
    for optin in sorted(tables["optins"], key=lambda row: row["id"]):
        key = optin["email"].casefold()
        state = "confirmed" if optin["confirmed_on"] else "pending"
        if key in contacts:
            contacts[key]["optin"] = state
        else:
            contacts[key] = _requested(optin, titles, state)
    return [contacts[key] for key in sorted(contacts)]


def _member(row: dict[str, Any], group_ids: list[int], titles: dict[int, str]) -> dict[str, Any]:
    if row["hard_bounced_on"]:
        status = "bounced"
    elif row["unsubscribed_on"]:
        status = "unsubscribed"
    else:
        status = "subscribed"
    return {
        **_fields(row["email"], row["firstname"], row["lastname"], row["company"], row["gender"],
                  row["language"], row["birthdate"], row["postal_code"], row["country"]),
        "groups": sorted(titles.get(group_id, str(group_id)) for group_id in group_ids),
        "status": status,
        "consent": {
            "type": row["consent_type"],
            "relation_type": row["relation_type"],
            "date": row["consent_date"],
            "proof": row["consent_proof"],
        },
        "optin": None,
    }


def _requested(row: dict[str, Any], titles: dict[int, str], state: str) -> dict[str, Any]:
    payload = json.loads(row["payload"])
    return {
        **_fields(row["email"], payload.get("firstname"), payload.get("lastname"),
                  payload.get("company"), payload.get("gender"), payload.get("language"),
                  payload.get("birthdate"), payload.get("postalCode"), payload.get("country")),
        "groups": sorted(titles.get(group_id, str(group_id)) for group_id in payload.get("groups") or []),
        "status": "optin_pending",
        "consent": None,
        "optin": state,
    }


def _fields(email: str, first_name: Any, last_name: Any, company: Any, gender: Any, language: Any,
            birthdate: Any, postal_code: Any, country: Any) -> dict[str, Any]:
    values = {"email": email, "first_name": first_name, "last_name": last_name, "company": company,
              "gender": gender, "language": language, "birthdate": birthdate,
              "postal_code": postal_code, "country": country}
    return {key: (value or None) for key, value in values.items()}
