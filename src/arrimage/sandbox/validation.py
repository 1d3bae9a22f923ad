"""Checks of member fields, group lists and custom-field values sent by API clients.

Cyberimpact's input rules come from its API reference and from public client code. ``gender``
is ``m``, ``f`` or ``o``, ``language`` is ``en_ca`` or ``fr_ca``, ``country`` is an ISO 3166-1
alpha-2 code and dates are ``yyyy-mm-dd``. ``groups`` is a comma-separated string of ids, but
clients also send one integer and batches send a list of integers. Errors raise
:class:`ApiError` naming the field.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Literal

import pycountry
from email_validator import EmailNotValidError, validate_email

from arrimage.sandbox.config import SandboxConfig
from arrimage.sandbox.dates import parse_day
from arrimage.sandbox.errors import ApiError, invalid

Mode = Literal["create", "replace", "patch", "batch"]

# API field name -> members column; email is handled on its own.
TEXT_FIELDS = {
    "firstname": "firstname",
    "lastname": "lastname",
    "company": "company",
    "postalCode": "postal_code",
    "note": "note",
}
CHOICES = {"gender": ("m", "f", "o"), "language": ("en_ca", "fr_ca")}
EMPTY_MARKER = "__EMPTY__"  # clears a field in batch addMembers, per Cyberimpact's batch docs
MAX_TEXT = 255  # assumption: Cyberimpact documents 255 only for defaultConsentProof


def check_email(value: Any, field: str = "email") -> str:
    """Return a syntactically valid address (no DNS lookup), or raise the field error."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, "The email field is required.")
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise invalid(field, f"The email must be a valid email address: {exc}") from exc


def _text(field: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise invalid(field, f"The {field} must be a string.")
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise invalid(field, f"The {field} may not be greater than {MAX_TEXT} characters.")
    return text


def _column_value(field: str, value: Any) -> Any:
    """Check one non-empty field value and return what the members column stores."""
    if field in TEXT_FIELDS:
        return _text(field, value)
    if field in CHOICES:
        text = _text(field, value).lower()
        if text and text not in CHOICES[field]:
            raise invalid(
                field,
                f"The selected {field} {text!r} is invalid; use {' or '.join(CHOICES[field])}.",
            )
        return text
    if field == "country":
        code = _text(field, value).upper()
        if code and pycountry.countries.get(alpha_2=code) is None:
            raise invalid(field, f"The country {code!r} is not an ISO 3166-1 alpha-2 code.")
        return code
    if field == "birthdate":
        text = _text(field, value)
        if not text:
            return None
        try:
            return parse_day(text).isoformat()
        except ValueError as exc:
            raise invalid(
                field, f"The birthdate {text!r} does not match the format yyyy-mm-dd."
            ) from exc
    raise KeyError(field)


def member_columns(
    conn: sqlite3.Connection, body: dict[str, Any], mode: Mode, current_custom: dict[str, Any]
) -> dict[str, Any]:
    """Validate a member body and return the columns to write.

    ``create`` and ``replace`` return every column, empty when absent (PUT resets unsent
    fields). ``patch`` returns only the fields sent. ``batch`` skips empty values and clears a
    field whose value is ``__EMPTY__``.
    """
    columns: dict[str, Any] = {}
    if "email" in body or mode == "create":
        columns["email"] = check_email(body.get("email"))
    for field in (*TEXT_FIELDS, *CHOICES, "country", "birthdate"):
        column = TEXT_FIELDS.get(field, field)
        value = body.get(field)
        if mode == "batch" and value == EMPTY_MARKER:
            columns[column] = None if field == "birthdate" else ""
        elif mode == "batch" and value in (None, ""):
            continue
        elif field in body or mode in ("create", "replace"):
            columns[column] = _column_value(field, value)

    if "customFields" in body or mode in ("create", "replace"):
        base = {} if mode in ("create", "replace") else dict(current_custom)
        merged = custom_field_values(conn, body.get("customFields") or {}, base, mode == "batch")
        columns["custom_fields"] = json.dumps(merged, ensure_ascii=False)
    return columns


def custom_field_values(
    conn: sqlite3.Connection, values: Any, base: dict[str, Any], batch: bool
) -> dict[str, Any]:
    """Check ``customFields`` against the account's definitions and merge them into ``base``."""
    if not isinstance(values, dict):
        raise invalid(
            "customFields", "The customFields must be an object keyed by custom field id."
        )
    types = {
        str(row["id"]): row["type"] for row in conn.execute("SELECT id, type FROM custom_fields")
    }
    merged = dict(base)
    for key, value in values.items():
        field = f"customFields.{key}"
        if key not in types:
            raise invalid(field, f"The custom field {key!r} does not exist.")
        if value is None or value == "" or (batch and value == EMPTY_MARKER):
            if not batch or value == EMPTY_MARKER:
                merged.pop(key, None)
            continue
        merged[key] = _custom_value(field, types[key], value)
    return merged


def _custom_value(field: str, kind: str, value: Any) -> Any:
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise invalid(field, "The value must be an integer.")
        try:
            return int(value)
        except ValueError as exc:
            raise invalid(field, f"The value {value!r} must be an integer.") from exc
    if kind == "decimal number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise invalid(field, "The value must be a number.")
        try:
            return float(value)
        except ValueError as exc:
            raise invalid(field, f"The value {value!r} must be a number.") from exc
    if kind == "date":
        try:
            return parse_day(str(value)).isoformat()
        except ValueError as exc:
            raise invalid(
                field, f"The date {value!r} does not match the format yyyy-mm-dd."
            ) from exc
    return _text(field, value)


def group_ids(conn: sqlite3.Connection, config: SandboxConfig, value: Any) -> list[int]:
    """Parse ``groups`` (``"1,2"``, ``1`` or ``[1, 2]``) into existing static group ids.

    Unknown ids raise a field error, or are dropped when ``config.unknown_group`` is "ignore".
    """
    if value is None or value == "":
        return []
    if isinstance(value, bool):
        raise invalid("groups", "The groups must be a comma-separated list of group ids.")
    parts: list[Any]
    if isinstance(value, int):
        parts = [value]
    elif isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        parts = value
    else:
        raise invalid("groups", "The groups must be a comma-separated list of group ids.")

    ids: list[int] = []
    for part in parts:
        try:
            ids.append(int(part))
        except (TypeError, ValueError) as exc:
            raise invalid("groups", f"The group id {part!r} is not an integer.") from exc
    known = {
        row["id"]: bool(row["is_dynamic"])
        for row in conn.execute("SELECT id, is_dynamic FROM groups")
    }
    result: list[int] = []
    for group_id in dict.fromkeys(ids):
        if group_id not in known:
            if config.unknown_group == "error":
                raise invalid("groups", f"The group {group_id} does not exist.")
            continue
        if known[group_id]:
            raise invalid(
                "groups", f"The group {group_id} is dynamic; members cannot be added to it."
            )
        result.append(group_id)
    return result


def require_object(body: Any) -> dict[str, Any]:
    """Return ``body`` if it is a JSON object, else raise the schema error."""
    if not isinstance(body, dict):
        raise ApiError("schema", "The request body must be a JSON object.")
    return body
