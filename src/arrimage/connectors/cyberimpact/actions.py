"""Cyberimpact actions: create a contact, send an opt-in request, add to groups, create a group.

Cyberimpact forbids changing an existing contact's details without the contact's confirmation,
so no action here updates a contact. An existing contact is the outcome "already_exists", and
an unsubscribed address is the outcome "unsubscribed", not a failure.
"""

from __future__ import annotations

from typing import Any

from arrimage.connectors.context import StepContext
from arrimage.connectors.cyberimpact.client import CyberimpactClient
from arrimage.connectors.cyberimpact.errors import (
    ConsentConflictError,
    MemberExistsError,
    UnsubscribedError,
)
from arrimage.connectors.cyberimpact.searches import find_member
from arrimage.connectors.cyberimpact.step_input import (
    add_warning,
    client_for,
    consent_of,
    contact_body,
    email_of,
    groups_of,
)
from arrimage.engine.errors import InvalidInputError
from arrimage.i18n import _l
from arrimage.normalize import normalize

# Keys of StepContext.progress: the address an earlier attempt of the step sent a create
# request for, and the id of the contact it created.
CREATE_SENT = "create_sent_for"
CREATED_CONTACT = "created_contact_id"


def perform_create_contact(context: StepContext, values: dict[str, Any]) -> dict[str, Any]:
    """Create a contact and record its consent, unless the address is already in the account."""
    client = client_for(context)
    body = contact_body(context, values, client)
    consent = consent_of(context, values)

    found = find_member(client, body["email"])
    if found is not None and _created_by_earlier_attempt(context, found):
        return _finish_create(context, client, found["contact"], consent)
    if found is not None:
        return _existing_outcome(found)
    return _create(context, client, body, consent)


def perform_send_optin(context: StepContext, values: dict[str, Any]) -> dict[str, Any]:
    """Email an opt-in request. The contact is added or updated only when the person confirms."""
    client = client_for(context)
    body = contact_body(context, values, client)
    confirmation_url = _confirmation_url(context, values.get("confirmation_url"))
    if confirmation_url:
        body["optinConfirmUrl"] = confirmation_url

    response = client.send_optin(body)
    request_id = next(iter(response), None)
    return {"outcome": "optin_sent", "email": body["email"], "optin_request_id": request_id}


def perform_add_to_groups(context: StepContext, values: dict[str, Any]) -> dict[str, Any]:
    """Add a contact to groups with the additive POST, keeping the groups it already has."""
    client = client_for(context)
    email = email_of(values, context)
    group_ids = groups_of(values, required=True)
    groups = client.add_member_groups(email, group_ids)
    return {"email": email, "added_group_ids": group_ids, "groups": groups}


def perform_create_group(context: StepContext, values: dict[str, Any]) -> dict[str, Any]:
    """Create a static group, or return the group that already has this title."""
    client = client_for(context)
    title = normalize("text", values.get("title") or "").value
    if not title:
        raise InvalidInputError(_l("The group title is empty: give the group a name."))

    if not _is_true(values.get("allow_duplicate")):
        expected_title = title.casefold()
        for group in client.iter_groups():
            if str(group.get("title", "")).strip().casefold() == expected_title:
                return {"outcome": "already_exists", "group": group}

    group = client.create_group(title, is_public=_is_true(values.get("public")))
    return {"outcome": "created", "group": group}


def perform_find_or_create_contact(context: StepContext, values: dict[str, Any]) -> dict[str, Any]:
    """Find the contact: create it if absent, or only add it to the chosen groups if present."""
    client = client_for(context)
    body = contact_body(context, values, client)
    consent = consent_of(context, values)
    group_ids = groups_of(values)

    found = find_member(client, body["email"])
    if found is None:
        return _create(context, client, body, consent)
    if _created_by_earlier_attempt(context, found):
        return _finish_create(context, client, found["contact"], consent)
    if found["unsubscribed"]:
        return _existing_outcome(found)
    if not group_ids:
        # Nothing to add, and the contact's details are never updated here.
        return {"outcome": "found", "contact": found["contact"], "groups": found["groups"]}

    groups = client.add_member_groups(body["email"], group_ids)
    return {"outcome": "added_to_groups", "contact": found["contact"],
            "added_group_ids": group_ids, "groups": groups}


def _create(
    context: StepContext, client: CyberimpactClient, body: dict[str, Any], consent: dict[str, Any]
) -> dict[str, Any]:
    # The look-up just found no contact, so if the request times out after Cyberimpact created
    # it, the contact a retry finds is this one.
    context.progress[CREATE_SENT] = body["email"]
    try:
        contact = client.create_member(body)
    except (MemberExistsError, UnsubscribedError):
        # Another writer added the address between the look-up and the create.
        found = find_member(client, body["email"])
        if found is None:
            raise
        return _existing_outcome(found)

    # If recording the consent fails with a transient error, the retry finds this contact and
    # must finish the creation instead of reporting a contact that already existed.
    context.progress[CREATED_CONTACT] = contact["id"]
    return _finish_create(context, client, contact, consent)


def _finish_create(
    context: StepContext, client: CyberimpactClient, contact: dict[str, Any], consent: dict[str, Any]
) -> dict[str, Any]:
    """Record the consent of a contact this step created, and return the "created" outcome."""
    try:
        recorded = client.put_member_consent(contact["id"], consent)
    except ConsentConflictError as exc:
        add_warning(context, "relation_type", exc.code, exc.message)
        recorded = client.get_member_consent(contact["id"])
    groups = list(client.iter_member_groups(contact["id"]))
    return {"outcome": "created", "contact": contact, "groups": groups, "consent": recorded}


def _created_by_earlier_attempt(context: StepContext, found: dict[str, Any]) -> bool:
    if found["unsubscribed"]:
        return False
    contact = found["contact"]
    sent_for = str(context.progress.get(CREATE_SENT) or "")
    return bool(context.progress.get(CREATED_CONTACT) == contact.get("id")
                or (sent_for and sent_for.casefold() == str(contact.get("email")).casefold()))


def _existing_outcome(found: dict[str, Any]) -> dict[str, Any]:
    outcome = "unsubscribed" if found["unsubscribed"] else "already_exists"
    return {"outcome": outcome, "contact": found["contact"], "groups": found["groups"]}


def _confirmation_url(context: StepContext, value: Any) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.lower().startswith(("http://", "https://")) or " " in text:
        add_warning(context, "confirmation_url", "url.invalid", _l(
            "The confirmation page address {value} is not an http:// or https:// URL, so it is "
            "left out and Cyberimpact shows its own page.", value=repr(text)[:120]))
        return None
    return text


def _is_true(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "oui", "on")
    return bool(value)
