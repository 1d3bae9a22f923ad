"""The output of Shopify's triggers: the resource as Shopify sent it, plus two added keys.

``contact`` gathers what a mailing list needs under the same keys for customers and orders,
guest orders included: email, names, phone, the address (default address of a customer,
billing address of an order), the locale and one normalized marketing consent.
``webhook`` keeps the delivery's headers (topic, shop, API version, ids, test flag).
Shopify's own keys are never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Values of email_marketing_consent.state (Shopify Admin API 2022-04 and later). Only
# "subscribed" is a consent. "unsubscribed" is a withdrawn consent and "redacted" an erasure
# request, so both become "unsubscribed": no email at all. "not_subscribed", "pending" (waiting
# for the person's confirmation) and "invalid" become "no".
SUBSCRIBED_STATE = "subscribed"
WITHDRAWN_STATES = frozenset({"unsubscribed", "redacted"})


def customer_output(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    """Return the event of a ``customers/create`` delivery."""
    address = default_address(body)
    consent, source = customer_consent(body, prefix="")
    payload = dict(body)
    # Customer payloads of the REST Admin API carry no locale, unlike orders (customer_locale).
    payload.setdefault("customer_locale", body.get("locale"))
    payload["contact"] = {
        "email": text(body.get("email")),
        "first_name": text(body.get("first_name")) or text(address.get("first_name")),
        "last_name": text(body.get("last_name")) or text(address.get("last_name")),
        "phone": text(body.get("phone")) or text(address.get("phone")),
        **address_fields(address),
        "locale": text(payload["customer_locale"]),
        "marketing_consent": consent,
        "marketing_consent_source": source,
        "customer_id": body.get("id"),
        "guest": False,
    }
    payload["webhook"] = delivery_facts(headers, body)
    return payload


def order_output(body: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    """Return the event of an ``orders/create`` delivery, with or without a customer record."""
    customer = body.get("customer") if isinstance(body.get("customer"), dict) else {}
    guest = not customer.get("id")
    billing = as_dict(body.get("billing_address"))
    shipping = as_dict(body.get("shipping_address"))
    address = first_filled(billing, shipping, default_address(customer))
    consent, source = order_consent(body, customer)

    payload = dict(body)
    payload.setdefault("customer_locale", None)
    payload["contact"] = {
        "email": (text(body.get("email")) or text(body.get("contact_email"))
                  or text(customer.get("email"))),
        "first_name": (text(billing.get("first_name")) or text(customer.get("first_name"))
                       or text(shipping.get("first_name"))),
        "last_name": (text(billing.get("last_name")) or text(customer.get("last_name"))
                      or text(shipping.get("last_name"))),
        "phone": (text(body.get("phone")) or text(billing.get("phone"))
                  or text(customer.get("phone"))),
        **address_fields(address),
        "locale": text(body.get("customer_locale")),
        "marketing_consent": consent,
        "marketing_consent_source": source,
        "customer_id": customer.get("id"),
        "guest": guest,
    }
    payload["webhook"] = delivery_facts(headers, body)
    return payload


def customer_consent(customer: Mapping[str, Any], prefix: str) -> tuple[str, str | None]:
    """Return ``("yes" | "no" | "unsubscribed" | "unknown", field read)`` from a customer.

    ``email_marketing_consent`` (API 2022-04 and later) wins over the older
    ``accepts_marketing``. Customer webhooks of API 2025-01 and later carry neither, so the
    consent is then unknown.
    """
    consent = customer.get("email_marketing_consent")
    if isinstance(consent, dict) and text(consent.get("state")):
        state = str(consent["state"]).strip().lower()
        source = f"{prefix}email_marketing_consent"
        if state == SUBSCRIBED_STATE:
            return "yes", source
        return ("unsubscribed" if state in WITHDRAWN_STATES else "no"), source
    accepts = customer.get("accepts_marketing")
    if isinstance(accepts, bool):
        return ("yes" if accepts else "no"), f"{prefix}accepts_marketing"
    return "unknown", None


def order_consent(order: Mapping[str, Any], customer: Mapping[str, Any]) -> tuple[str, str | None]:
    """Return the consent of an order's buyer and the field it was read from.

    The box ticked at checkout (``buyer_accepts_marketing``) is a consent even when the
    customer record, sent in the same payload, is not updated yet. Otherwise the customer
    record decides. An unticked box gives "no" when the record has no consent field.
    """
    buyer_accepts = order.get("buyer_accepts_marketing")
    if buyer_accepts is True:
        return "yes", "buyer_accepts_marketing"
    consent, source = customer_consent(customer, prefix="customer.")
    if consent != "unknown":
        return consent, source
    if buyer_accepts is False:
        return "no", "buyer_accepts_marketing"
    return "unknown", None


def default_address(customer: Mapping[str, Any]) -> dict[str, Any]:
    """Return a customer's default address: ``default_address``, else the address marked
    default in ``addresses``, else the first one, else an empty dict."""
    address = as_dict(customer.get("default_address"))
    if address:
        return address
    addresses = [entry for entry in customer.get("addresses") or [] if isinstance(entry, dict)]
    marked = [entry for entry in addresses if entry.get("default") is True]
    return (marked or addresses or [{}])[0]


def address_fields(address: Mapping[str, Any]) -> dict[str, Any]:
    """Return the address keys of ``contact``, None where Shopify sent nothing."""
    return {
        "company": text(address.get("company")),
        "address1": text(address.get("address1")),
        "address2": text(address.get("address2")),
        "city": text(address.get("city")),
        "province_code": text(address.get("province_code")),
        "country_code": text(address.get("country_code")),
        "postal_code": text(address.get("zip")),
    }


def delivery_facts(headers: Mapping[str, str], body: Mapping[str, Any]) -> dict[str, Any]:
    """Return the delivery's Shopify headers, and ``test``: true for a test delivery or order."""
    # NOTE: that Shopify's "Send test" button adds X-Shopify-Test: true is not confirmed by its
    # documentation; the header was seen (as "false") on real order deliveries.
    return {
        "topic": headers.get("x-shopify-topic"),
        "shop_domain": headers.get("x-shopify-shop-domain"),
        "api_version": headers.get("x-shopify-api-version"),
        "webhook_id": headers.get("x-shopify-webhook-id"),
        "event_id": headers.get("x-shopify-event-id"),
        "triggered_at": headers.get("x-shopify-triggered-at"),
        "test": (headers.get("x-shopify-test", "").strip().lower() == "true"
                 or body.get("test") is True),
    }


def first_filled(*addresses: dict[str, Any]) -> dict[str, Any]:
    """Return the first address with a street, city, postal code or country, else an empty dict."""
    for address in addresses:
        if any(text(address.get(key)) for key in ("address1", "city", "zip", "country_code")):
            return address
    return {}


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str | None:
    """Return ``value`` as trimmed text, or None when it is missing or blank."""
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None
