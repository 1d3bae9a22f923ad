"""Turn a step's mapped input into Cyberimpact request bodies, and build the API client.

Each contact value goes through the normalizer that its field declares, with the options of
the step's ``formats:`` block (``context.formats``). A field that the block turns off is sent
as mapped, only trimmed. A value that cannot be converted is left out of the request, and a
warning ``{"field", "code", "message"}`` is appended to ``context.warnings``. An invalid email
address, group id, consent basis or consent date fails the step with
:class:`InvalidInputError`, because the request would be wrong without it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from arrimage.connectors.context import StepContext
from arrimage.connectors.cyberimpact.client import CyberimpactClient
from arrimage.connectors.cyberimpact.connection import client_for_connection
from arrimage.connectors.cyberimpact.fields import CONTACT_FIELDS, EMAIL, RELATION_TYPE_VALUES
from arrimage.connectors.formats import convert_fields, convert_value
from arrimage.engine.errors import InvalidInputError
from arrimage.i18n import LazyText, _l
from arrimage.normalize import Message, is_empty, normalize

# Consent dates without a time zone, and "today", are read in Arrimage's default time zone.
LOCAL_ZONE = ZoneInfo("America/Toronto")
# Cyberimpact's batch schema caps defaultConsentProof at 255 characters.
MAX_CONSENT_PROOF_CHARS = 255

# Cyberimpact body key of each contact field sent besides the email address.
BODY_KEYS = {
    "first_name": "firstname",
    "last_name": "lastname",
    "company": "company",
    "gender": "gender",
    "language": "language",
    "birthdate": "birthdate",
    "country": "country",
    "postal_code": "postalCode",
    "note": "note",
}
# The contact fields that go into the body, each converted by its declared normalizer.
CONTACT_VALUE_FIELDS = tuple(field for field in CONTACT_FIELDS if field.key in BODY_KEYS)


def client_for(context: StepContext) -> CyberimpactClient:
    """Return a client for the step's connection, sharing the engine's connection pool."""
    return client_for_connection(context.connection, context.http, context.timeout_seconds)


def add_warning(context: StepContext, field: str, code: str, text: LazyText) -> None:
    """Append a warning about ``field`` to the step's record."""
    context.warnings.append({"field": field, "code": code, "message": text.as_dict()})


def email_of(values: Mapping[str, Any], context: StepContext) -> str:
    """Return the normalized email address, or raise naming the invalid value."""
    result = convert_value(EMAIL, values.get("email"), context.formats)
    if result.value is None and result.errors:
        # The normalizer's message names the invalid value.
        raise InvalidInputError(_l(
            "{reason} Cyberimpact cannot find or create a contact without a valid email address.",
            reason=result.errors[0].text))
    if result.value is None:
        raise InvalidInputError(_l(
            "The email address is empty. Map it to a value that the trigger always has."))
    _record(context, "email", result.warnings)
    return str(result.value)


def contact_body(context: StepContext, values: Mapping[str, Any], client: CyberimpactClient) -> dict[str, Any]:
    """Build the ``POST /members`` or ``POST /members/optins`` body from the step's input."""
    body: dict[str, Any] = {"email": email_of(values, context)}
    converted = convert_fields(CONTACT_VALUE_FIELDS, values, context.formats)
    for key, result in converted.items():
        _record(context, key, result.messages)
        if result.value is not None:
            body[BODY_KEYS[key]] = result.value

    custom = custom_field_values(context, values.get("custom_fields"), client)
    if custom:
        body["customFields"] = custom
    group_ids = groups_of(values)
    if group_ids:
        body["groups"] = ",".join(str(group_id) for group_id in group_ids)
    return body


def groups_of(values: Mapping[str, Any], *, required: bool = False) -> list[int]:
    """Return the chosen group ids, from a list or a comma-separated text."""
    raw = values.get("groups")
    if is_empty(raw):
        items: list[Any] = []
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        items = str(raw).split(",")

    group_ids: list[int] = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            group_id = int(text)
        except ValueError:
            group_id = 0
        if group_id <= 0 or isinstance(item, bool):
            raise InvalidInputError(_l(
                "The group id {value} is invalid: choose groups from the list, or map numeric "
                "Cyberimpact group ids.", value=repr(item)))
        if group_id not in group_ids:
            group_ids.append(group_id)
    if required and not group_ids:
        raise InvalidInputError(_l("Choose at least one group to add the contact to."))
    return group_ids


def consent_of(context: StepContext, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``PUT /members/{key}/consent`` body, or raise naming the invalid value."""
    relation_type = str(values.get("relation_type") or "").strip()
    if relation_type not in RELATION_TYPE_VALUES:
        raise InvalidInputError(_l(
            "The consent basis {value} is invalid: use one of {choices}.",
            value=repr(values.get("relation_type")), choices=", ".join(sorted(RELATION_TYPE_VALUES))))

    proof = normalize("text", values.get("consent_proof") or "", multiline=False).value
    if not proof:
        raise InvalidInputError(_l(
            "The consent proof is empty: say how the contact gave consent, such as the form's "
            "name and address."))
    if len(proof) > MAX_CONSENT_PROOF_CHARS:
        raise InvalidInputError(_l(
            "The consent proof has {count} characters, more than the {limit} that Cyberimpact "
            "accepts. Shorten it.", count=len(proof), limit=MAX_CONSENT_PROOF_CHARS))

    return {
        "relationType": relation_type,
        "consentDate": consent_date(values.get("consent_date")).isoformat(),
        "consentProof": proof,
    }


def consent_date(value: Any) -> dt.date:
    """Read a date or date-time such as the event's ``received_at``; empty means today."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return value
    elif is_empty(value):
        return dt.datetime.now(LOCAL_ZONE).date()
    else:
        text = str(value).strip()
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInputError(_l(
                "The consent date {value} is invalid: use a date such as 2025-03-31 or map "
                "the event's date.", value=repr(value))) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_ZONE)
    return moment.date()


def custom_field_values(
    context: StepContext, raw: Any, client: CyberimpactClient
) -> dict[str, Any]:
    """Return ``customFields`` keyed by field id, each value converted to the field's type."""
    if is_empty(raw):
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInputError(_l(
            "The field custom_fields must be a set of names and values, not {value}.",
            value=repr(raw)[:80]))
    entries = {str(key).strip(): value for key, value in raw.items() if not is_empty(value)}
    if not entries:
        return {}

    declared = client.list_custom_fields()
    by_id = {str(field["id"]): field for field in declared}
    by_name = {str(field["name"]).strip().casefold(): field for field in declared}
    converted: dict[str, Any] = {}
    for key, value in entries.items():
        field = by_id.get(key) or by_name.get(key.casefold())
        if field is None:
            add_warning(context, f"custom_fields.{key}", "custom_field.unknown", _l(
                "The custom field {name} does not exist in this Cyberimpact account, so its value "
                "is left out.", name=key))
            continue
        typed = _typed_custom_value(str(field.get("type", "text")), value)
        if typed is None:
            add_warning(context, f"custom_fields.{key}", "custom_field.invalid", _l(
                "The value {value} does not match the type {type} of the custom field {name}, "
                "so it is left out.", value=repr(value)[:80], type=str(field.get("type")), name=key))
            continue
        converted[str(field["id"])] = typed
    return converted


def _typed_custom_value(field_type: str, value: Any) -> Any:
    text = str(value).strip()
    if field_type in ("integer", "decimal number"):
        number = _finite_number(text)
        if number is None:
            return None
        if field_type == "decimal number":
            return float(number)
        return int(number) if number == number.to_integral_value() else None
    if field_type == "date":
        try:
            return dt.date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return None
    return normalize("text", text).value


def _finite_number(text: str) -> Decimal | None:
    # A decimal comma, as in French "642,35", is read as a decimal point.
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _record(context: StepContext, field: str, messages: tuple[Message, ...]) -> None:
    for message in messages:
        add_warning(context, field, message.code, message.text)
