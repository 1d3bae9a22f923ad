"""A Shopify shop that sends ``customers/create`` and ``orders/create`` webhooks over HTTP.

Built from Shopify's public documentation of webhook deliveries: a compact UTF-8 JSON body,
the ``X-Shopify-*`` headers, and ``X-Shopify-Hmac-Sha256``, the base64 HMAC-SHA256 of the raw
body keyed with the app's client secret (or the signing key of Settings > Notifications).
A retried delivery keeps its webhook id and event id. Shopify treats a delivery as failed
after 5 s, so :attr:`ShopifyShop.timeout_seconds` defaults to 5.

The payloads follow the API version's shape: ``accepts_marketing`` before 2022-04,
``email_marketing_consent`` from 2022-04, and neither in customer objects from 2025-01,
when Shopify moved marketing consent to its own topic. Data is invented (a Québec shop).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from arrimage.connectors.signatures import base64_hmac_sha256

DEFAULT_SHOP_DOMAIN = "boutique-erable.myshopify.com"
DEFAULT_API_VERSION = "2025-01"
# First API version with email_marketing_consent, and first without it in customer objects.
CONSENT_OBJECT_VERSION = "2022-04"
CONSENT_REMOVED_VERSION = "2025-01"


@dataclass(frozen=True)
class Delivery:
    """One webhook request as sent, with Arrimage's response."""

    url: str
    body: bytes
    headers: dict[str, str]
    response: httpx.Response


def customer_payload(
    api_version: str = DEFAULT_API_VERSION,
    *,
    customer_id: int = 820982911946154508,
    email: str = "eloise.damour@exemple.ca",
    first_name: str = "Éloïse",
    last_name: str = "D'Amour-Gagné",
    accepts_marketing: bool = True,
    company: str | None = "Fromagerie du Quartier",
    created_at: str = "2024-12-04T14:03:11-05:00",
    orders_count: int = 0,
) -> dict[str, Any]:
    """Return a ``customers/create`` body in the shape of ``api_version`` (``YYYY-MM``).

    ``orders_count`` is 0 for a customer created at checkout or by opening an account, and
    more for one imported or created after earlier orders.
    """
    address = {
        "id": 1053317296, "customer_id": customer_id, "first_name": first_name,
        "last_name": last_name, "company": company, "address1": "123 rue Saint-Denis",
        "address2": "app. 4", "city": "Montréal", "province": "Quebec", "province_code": "QC",
        "country": "Canada", "country_code": "CA", "country_name": "Canada", "zip": "H2X 1K1",
        "phone": None, "name": f"{first_name} {last_name}", "default": True,
    }
    customer: dict[str, Any] = {
        "id": customer_id, "email": email, "created_at": created_at, "updated_at": created_at,
        "first_name": first_name, "last_name": last_name, "state": "disabled",
        "note": None, "verified_email": True, "multipass_identifier": None,
        "tax_exempt": False, "phone": "+15145550123", "currency": "CAD",
        "addresses": [address], "tax_exemptions": [], "orders_count": orders_count,
        "total_spent": f"{59.99 * orders_count:.2f}",
        "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
        "default_address": address,
    }
    customer.update(consent_fields(api_version, accepts_marketing, created_at))
    return customer


def order_payload(
    api_version: str = DEFAULT_API_VERSION,
    *,
    guest: bool = False,
    order_id: int = 5940139491234,
    order_number: int = 1001,
    email: str = "jerome.cote@exemple.ca",
    first_name: str = "Jérôme",
    last_name: str = "Côté",
    buyer_accepts_marketing: bool = False,
    customer_accepts_marketing: bool = False,
    customer_locale: str | None = "fr-CA",
    company: str = "Boulangerie Côté",
    created_at: str = "2024-12-04T14:05:40-05:00",
    test: bool = False,
) -> dict[str, Any]:
    """Return an ``orders/create`` body; ``guest`` leaves out the customer object."""
    billing = {
        "first_name": first_name, "last_name": last_name, "company": company,
        "address1": "45 boulevard René-Lévesque Est", "address2": "", "city": "Québec",
        "province": "Quebec", "province_code": "QC", "country": "Canada", "country_code": "CA",
        "zip": "G1R 2B5", "phone": "+14185550199", "name": f"{first_name} {last_name}",
        "latitude": None, "longitude": None,
    }
    order: dict[str, Any] = {
        "id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{order_number}", "order_number": order_number, "number": order_number - 1000,
        "email": email, "contact_email": email, "phone": None,
        "created_at": created_at, "updated_at": created_at, "processed_at": created_at,
        "currency": "CAD", "presentment_currency": "CAD", "subtotal_price": "52.17",
        "total_tax": "7.82", "total_price": "59.99", "financial_status": "paid",
        "fulfillment_status": None, "buyer_accepts_marketing": buyer_accepts_marketing,
        "customer_locale": customer_locale, "source_name": "web", "tags": "", "test": test,
        "note": None, "note_attributes": [{"name": "langue", "value": "fr"}],
        "billing_address": billing, "shipping_address": dict(billing),
        "line_items": [
            {"id": 13188874338466, "title": "Pain au levain", "quantity": 2, "price": "8.50",
             "sku": "PL-01", "vendor": "Boulangerie Côté"},
            {"id": 13188874371234, "title": "Sirop d'érable 540 ml", "quantity": 1,
             "price": "35.17", "sku": "SE-540", "vendor": "Érablière Gagné"},
        ],
    }
    if not guest:
        customer = {
            "id": 820982911946154600, "email": email, "first_name": first_name,
            "last_name": last_name, "state": "disabled", "phone": None, "currency": "CAD",
            "created_at": created_at, "updated_at": created_at, "note": None,
            "verified_email": True, "tax_exempt": False,
            "admin_graphql_api_id": "gid://shopify/Customer/820982911946154600",
            "default_address": {**billing, "id": 1053317300, "default": True},
        }
        customer.update(consent_fields(api_version, customer_accepts_marketing, created_at))
        order["customer"] = customer
    return order


def consent_fields(api_version: str, accepts: bool, moment: str) -> dict[str, Any]:
    """Return the marketing consent keys of a customer object in ``api_version``."""
    if api_version >= CONSENT_REMOVED_VERSION:
        return {}
    if api_version >= CONSENT_OBJECT_VERSION:
        return {"email_marketing_consent": {
            "state": "subscribed" if accepts else "not_subscribed",
            "opt_in_level": "single_opt_in" if accepts else None,
            "consent_updated_at": moment if accepts else None,
        }}
    return {"accepts_marketing": accepts, "accepts_marketing_updated_at": moment,
            "marketing_opt_in_level": "single_opt_in" if accepts else None}


def encode_body(payload: dict[str, Any]) -> bytes:
    """Return the body as Shopify sends it: compact JSON, UTF-8 characters unescaped."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class ShopifyShop:
    """A shop that posts webhooks to ``url``, signed with ``secret`` unless an option changes it."""

    url: str
    secret: str
    shop_domain: str = DEFAULT_SHOP_DOMAIN
    api_version: str = DEFAULT_API_VERSION
    timeout_seconds: float = 5.0
    sent: list[Delivery] = field(default_factory=list)

    def deliver_customer(self, **options: Any) -> Delivery:
        """Send a ``customers/create`` webhook; ``options`` go to :meth:`deliver`, the rest
        to :func:`customer_payload`."""
        delivery_options = {key: options.pop(key) for key in DELIVERY_OPTIONS if key in options}
        payload = customer_payload(self.api_version, **options)
        return self.deliver("customers/create", payload, **delivery_options)

    def deliver_order(self, **options: Any) -> Delivery:
        """Send an ``orders/create`` webhook (``guest=True`` for an order without customer)."""
        delivery_options = {key: options.pop(key) for key in DELIVERY_OPTIONS if key in options}
        payload = order_payload(self.api_version, **options)
        return self.deliver("orders/create", payload, **delivery_options)

    def deliver(
        self,
        topic: str,
        payload: dict[str, Any],
        *,
        sign_with: str | None = None,
        signature: str | None = None,
        unsigned: bool = False,
        event_id: str | None = None,
        webhook_id: str | None = None,
        test_notification: bool = False,
    ) -> Delivery:
        """Post ``payload`` as a ``topic`` webhook.

        ``sign_with`` signs with another secret, ``signature`` sends that header value as is,
        and ``unsigned`` leaves the header out. ``event_id`` reuses an event's id, as Shopify
        does when one event reaches several subscriptions. ``test_notification`` adds
        ``X-Shopify-Test: true``.
        """
        body = encode_body(payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        if test_notification:
            headers["X-Shopify-Test"] = "true"
        if signature is not None:
            headers["X-Shopify-Hmac-Sha256"] = signature
        elif not unsigned:
            headers["X-Shopify-Hmac-Sha256"] = base64_hmac_sha256(sign_with or self.secret, body)
        return self._post(body, headers)

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Send ``delivery`` again with the same body and headers, as a Shopify retry does."""
        return self._post(delivery.body, dict(delivery.headers))

    def _post(self, body: bytes, headers: dict[str, str]) -> Delivery:
        response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_seconds)
        delivery = Delivery(url=self.url, body=body, headers=headers, response=response)
        self.sent.append(delivery)
        return delivery


DELIVERY_OPTIONS = ("sign_with", "signature", "unsigned", "event_id", "webhook_id",
                    "test_notification")
