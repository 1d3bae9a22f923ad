"""The HubSpot action "create or update contact" and the search "find contact".

Create or update looks the contact up by email address (``GET
/crm/v3/objects/contacts/{email}?idProperty=email``, which reads the database, not the search
index that lags a few seconds behind), then updates it or creates it. When the create returns
409 because another client created the contact in between, the step updates that contact
instead. A retry after a transient error repeats the look-up, so a contact created by an
attempt whose response was lost is updated rather than created twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from arrimage.connectors.context import StepContext
from arrimage.connectors.formats import convert_value
from arrimage.connectors.hubspot.client import ContactExistsError, HubSpotClient
from arrimage.connectors.hubspot.connection import (
    DEFAULT_PROPERTIES,
    client_for_connection,
    contact_output,
    property_names,
)
from arrimage.connectors.hubspot.fields import CONTACT_FIELDS, EMAIL
from arrimage.engine.errors import InvalidInputError
from arrimage.i18n import _l
from arrimage.normalize import is_empty


def perform_create_or_update_contact(context: StepContext, values: dict[str, Any]) -> dict[str, Any]:
    """Create the contact, or update the one with the same email address.

    Returns ``{"outcome": "created" | "updated", "created", "contact"}``. Empty values are left
    out, so they never erase a property that HubSpot has.
    """
    client = client_for_connection(context.connection, context.http, context.timeout_seconds)
    properties = contact_properties(context, values)
    email = properties["email"]
    read_properties = [*DEFAULT_PROPERTIES, *properties]

    existing = client.get_contact(email, by_email=True, properties=read_properties)
    if existing is None:
        try:
            created = client.create_contact(properties)
        except ContactExistsError as conflict:
            # Another client created the contact between the look-up and the create.
            context.logger.info("HubSpot contact created concurrently (409); updating it instead")
            existing = _existing_after_conflict(client, conflict, email, read_properties)
        else:
            return {"outcome": "created", "created": True, "contact": contact_output(created)}

    updated = client.update_contact(str(existing["id"]), properties)
    merged = {**existing, **updated,
              "properties": {**existing.get("properties", {}), **updated.get("properties", {})}}
    return {"outcome": "updated", "created": False, "contact": contact_output(merged)}


def perform_find_contact(context: StepContext, values: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"found": false}``, or ``{"found": true, "contact"}``, by email address or id."""
    client = client_for_connection(context.connection, context.http, context.timeout_seconds)
    read_properties = [*DEFAULT_PROPERTIES, *property_names(values.get("properties"))]
    contact_id = str(values.get("contact_id") or "").strip()
    if contact_id:
        if not contact_id.isdigit():
            raise InvalidInputError(_l(
                "The HubSpot contact id {value} is invalid: it is a number, such as the "
                "contact_id of the instant trigger.", value=contact_id))
        contact = client.get_contact(contact_id, properties=read_properties)
    else:
        email = _email(context, values.get("email"))
        if email is None:
            raise InvalidInputError(_l(
                "Find contact needs an email address or a contact id: map one of them."))
        contact = client.get_contact(email, by_email=True, properties=read_properties)
    if contact is None:
        return {"found": False}
    return {"found": True, "contact": contact_output(contact)}


def contact_properties(context: StepContext, values: Mapping[str, Any]) -> dict[str, Any]:
    """Build the HubSpot properties from the step's fields and its free ``properties`` dict.

    The named fields win over a key of the same name in ``properties``.
    """
    properties: dict[str, Any] = {}
    extra = values.get("properties")
    if extra is not None and not isinstance(extra, Mapping):
        raise InvalidInputError(_l(
            "The field properties must map HubSpot property names to values, such as "
            "hs_language: fr."))
    for name, value in (extra or {}).items():
        if is_empty(value):
            continue
        properties[str(name).strip().lower()] = _scalar(str(name), value)

    for field in CONTACT_FIELDS:
        if field.key in ("email", "properties") or field.key not in values:
            continue
        converted = convert_value(field, values[field.key], context.formats)
        if converted.value is not None:
            properties[field.key] = converted.value

    email = _email(context, values.get("email"))
    if email is None:
        raise InvalidInputError(_l(
            "The email address is empty. HubSpot finds contacts by email address: map it to a "
            "value that the trigger always has."))
    properties["email"] = email
    return properties


def _email(context: StepContext, value: Any) -> str | None:
    result = convert_value(EMAIL, value, context.formats)
    if result.value is None and result.errors:
        # The normalizer's message names the invalid value.
        raise InvalidInputError(_l(
            "{reason} HubSpot cannot find or create a contact without a valid email address.",
            reason=result.errors[0].text))
    return str(result.value) if result.value is not None else None


def _scalar(name: str, value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return value.strip() if isinstance(value, str) else value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        # Multiple-checkbox properties take their options separated by semicolons.
        return ";".join(item.strip() for item in value)
    raise InvalidInputError(_l(
        "The value of the HubSpot property {property} is a {kind}: map text, a number, true or "
        "false.", property=name, kind=type(value).__name__))


def _existing_after_conflict(
    client: HubSpotClient, conflict: ContactExistsError, email: str, read_properties: list[str]
) -> dict[str, Any]:
    contact_id = conflict.existing_id
    existing = (client.get_contact(contact_id, properties=read_properties) if contact_id
                else client.get_contact(email, by_email=True, properties=read_properties))
    if existing is None:
        raise conflict
    return existing
