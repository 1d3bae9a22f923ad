"""The output of WooCommerce's triggers: the REST API v3 object as sent, plus three added keys.

``meta`` is ``meta_data`` as a flat dict (key to value), where newsletter plugins keep their
consent flag. ``contact`` gathers what a mailing list needs under the same keys as Shopify's
triggers. ``webhook`` keeps the delivery's headers. WooCommerce's own keys are never
overwritten. ``date_created`` is the site's local time and ``date_created_gmt`` is UTC, both
without an offset, as WooCommerce sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Values of a consent meta key that mean yes or no. Plugins store a checkbox in many ways.
YES_VALUES = frozenset({"yes", "y", "1", "true", "on", "oui", "checked", "subscribed"})
NO_VALUES = frozenset({"no", "n", "0", "false", "off", "non", "unchecked", ""})
WITHDRAWN_VALUES = frozenset({"unsubscribed", "désabonné", "desabonne"})


def order_output(
    body: dict[str, Any], headers: Mapping[str, str], options: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the event of an ``order.created`` delivery; ``customer_id`` 0 is a guest order."""
    billing = as_dict(body.get("billing"))
    shipping = as_dict(body.get("shipping"))
    meta = flat_meta(body.get("meta_data"))
    customer_id = body.get("customer_id")

    payload = dict(body)
    payload.setdefault("date_created_gmt", None)
    payload["meta"] = meta
    payload["contact"] = {
        "email": text(billing.get("email")),
        "first_name": text(billing.get("first_name")) or text(shipping.get("first_name")),
        "last_name": text(billing.get("last_name")) or text(shipping.get("last_name")),
        "phone": text(billing.get("phone")) or text(shipping.get("phone")),
        **address_fields(billing if is_filled(billing) else shipping),
        **meta_facts(meta, options),
        "customer_id": customer_id or None,
        "guest": not customer_id,
    }
    payload["webhook"] = delivery_facts(headers)
    return payload


def customer_output(
    body: dict[str, Any], headers: Mapping[str, str], options: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the event of a ``customer.created`` delivery."""
    billing = as_dict(body.get("billing"))
    shipping = as_dict(body.get("shipping"))
    meta = flat_meta(body.get("meta_data"))

    payload = dict(body)
    payload.setdefault("date_created_gmt", None)
    payload["meta"] = meta
    payload["contact"] = {
        "email": text(body.get("email")) or text(billing.get("email")),
        "first_name": text(body.get("first_name")) or text(billing.get("first_name")),
        "last_name": text(body.get("last_name")) or text(billing.get("last_name")),
        "phone": text(billing.get("phone")) or text(shipping.get("phone")),
        **address_fields(billing if is_filled(billing) else shipping),
        **meta_facts(meta, options),
        "customer_id": body.get("id"),
        "guest": False,
    }
    payload["webhook"] = delivery_facts(headers)
    return payload


def flat_meta(meta_data: Any) -> dict[str, Any]:
    """Return ``meta_data`` entries as ``{key: value}``; a repeated key keeps its last value."""
    flat: dict[str, Any] = {}
    for entry in meta_data if isinstance(meta_data, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            flat[entry["key"]] = entry.get("value")
    return flat


def meta_facts(meta: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """Return the locale and marketing consent read from the meta keys the trigger names."""
    language_key = str(options.get("language_meta_key") or "").strip()
    consent_key = str(options.get("consent_meta_key") or "").strip()
    consent = "unknown"
    if consent_key and consent_key in meta:
        consent = consent_answer(meta[consent_key])
    return {
        "locale": text(meta.get(language_key)) if language_key else None,
        "marketing_consent": consent,
        "marketing_consent_source": f"meta_data.{consent_key}" if consent != "unknown" else None,
    }


def consent_answer(value: Any) -> str:
    """Return "yes", "no", "unsubscribed" or "unknown" for a consent meta value such as "yes",
    "1" or true."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "no"
    word = str(value).strip().lower()
    if word in YES_VALUES:
        return "yes"
    if word in NO_VALUES:
        return "no"
    if word in WITHDRAWN_VALUES:
        return "unsubscribed"
    return "unknown"


def address_fields(address: Mapping[str, Any]) -> dict[str, Any]:
    """Return the address keys of ``contact``, None where WooCommerce sent nothing."""
    return {
        "company": text(address.get("company")),
        "address1": text(address.get("address_1")),
        "address2": text(address.get("address_2")),
        "city": text(address.get("city")),
        "province_code": text(address.get("state")),
        "country_code": text(address.get("country")),
        "postal_code": text(address.get("postcode")),
    }


def delivery_facts(headers: Mapping[str, str]) -> dict[str, Any]:
    """Return the delivery's WooCommerce headers."""
    return {
        "topic": headers.get("x-wc-webhook-topic"),
        "resource": headers.get("x-wc-webhook-resource"),
        "event": headers.get("x-wc-webhook-event"),
        "source": headers.get("x-wc-webhook-source"),
        "webhook_id": headers.get("x-wc-webhook-id"),
        "delivery_id": headers.get("x-wc-webhook-delivery-id"),
    }


def is_filled(address: Mapping[str, Any]) -> bool:
    """Return whether an address has a street, city, postal code or country."""
    return any(text(address.get(key)) for key in ("address_1", "city", "postcode", "country"))


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str | None:
    """Return ``value`` as trimmed text, or None when it is missing or blank."""
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None
