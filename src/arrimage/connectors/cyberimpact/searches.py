"""The Cyberimpact search: find a contact by email address."""

from __future__ import annotations

from typing import Any

from arrimage.connectors.context import StepContext
from arrimage.connectors.cyberimpact.client import CyberimpactClient
from arrimage.connectors.cyberimpact.step_input import client_for, email_of


def perform_find_contact(context: StepContext, values: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"found": false}``, or the contact with its groups, consent and status."""
    client = client_for(context)
    email = email_of(values, context)
    found = find_member(client, email)
    if found is None:
        return {"found": False}

    consent = client.get_member_consent(found["contact"]["id"])
    return {"found": True, **found, "consent": consent}


def find_member(client: CyberimpactClient, email: str) -> dict[str, Any] | None:
    """Return ``{"contact", "groups", "unsubscribed"}`` for an address, or None if unknown.

    ``GET /members/{email}`` also returns unsubscribed members, so ``GET
    /members/unsubscribed/{email}`` sets ``unsubscribed``.
    """
    contact = client.get_member(email)
    if contact is None:
        return None
    unsubscribed = client.get_unsubscribed_member(email) is not None
    groups = list(client.iter_member_groups(contact["id"]))
    return {"contact": contact, "groups": groups, "unsubscribed": unsubscribed}
