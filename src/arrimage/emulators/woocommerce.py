"""A WooCommerce store that sends ``order.created`` and ``customer.created`` webhooks over HTTP.

Built from WooCommerce's webhook documentation and the behaviour of ``WC_Webhook``
(WooCommerce 9.x):

- a delivery's body is the REST API v3 object encoded by ``wp_json_encode``, which escapes
  ``/`` and every non-ASCII character, and ``X-WC-Webhook-Signature`` is the base64
  HMAC-SHA256 of that exact body keyed with the webhook's secret;
- ``X-WC-Webhook-Delivery-ID`` is a hash of the webhook id and the current second, so two
  deliveries of one webhook in the same second share it;
- the ping sent when a webhook is saved active is ``webhook_id=N``, posted as a form without
  topic or signature, and WooCommerce keeps the webhook only if the response status is exactly 200.

Data is invented (a Québec store). ``date_created`` is the site's local time and
``date_created_gmt`` is UTC, both without an offset, as WooCommerce sends them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from arrimage.connectors.signatures import base64_hmac_sha256

DEFAULT_SITE_URL = "https://boutique-erable.ca/"
USER_AGENT = "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"


@dataclass(frozen=True)
class Delivery:
    """One webhook request as sent, with Arrimage's response."""

    url: str
    body: bytes
    headers: dict[str, str]
    response: httpx.Response


def address(*, email: str | None = None, phone: str | None = None, **values: str) -> dict[str, str]:
    """Return a billing (with ``email`` and ``phone``) or shipping address of the store's shape."""
    fields = {
        "first_name": "Jérôme", "last_name": "Côté", "company": "Boulangerie Côté",
        "address_1": "45 boulevard René-Lévesque Est", "address_2": "", "city": "Québec",
        "state": "QC", "postcode": "G1R 2B5", "country": "CA",
    }
    fields.update(values)
    if email is not None:
        fields["email"] = email
    if phone is not None:
        fields["phone"] = phone
    return fields


def order_payload(
    *,
    order_id: int = 4750,
    guest: bool = False,
    customer_id: int = 27,
    email: str = "jerome.cote@exemple.ca",
    first_name: str = "Jérôme",
    last_name: str = "Côté",
    newsletter_optin: str | None = "yes",
    language: str | None = "fr",
    status: str = "processing",
    date_created: str = "2024-12-04T14:05:40",
    date_created_gmt: str = "2024-12-04T19:05:40",
) -> dict[str, Any]:
    """Return an ``order.created`` body; ``guest`` gives ``customer_id`` 0.

    ``newsletter_optin`` is the ``_newsletter_optin`` meta value of a checkout-box plugin
    (None leaves it out), and ``language`` the ``wpml_language`` meta value of WPML.
    """
    meta_data: list[dict[str, Any]] = [
        {"id": 9120, "key": "is_vat_exempt", "value": "no"},
    ]
    if newsletter_optin is not None:
        meta_data.append({"id": 9121, "key": "_newsletter_optin", "value": newsletter_optin})
    if language is not None:
        meta_data.append({"id": 9122, "key": "wpml_language", "value": language})
    names = {"first_name": first_name, "last_name": last_name}
    return {
        "id": order_id, "parent_id": 0, "status": status, "currency": "CAD",
        "version": "9.4.2", "prices_include_tax": False,
        "date_created": date_created, "date_modified": date_created,
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "10.00",
        "shipping_tax": "1.50", "cart_tax": "6.30", "total": "59.80", "total_tax": "7.80",
        "customer_id": 0 if guest else customer_id, "order_key": f"wc_order_Ab12Cd34{order_id}",
        "billing": address(email=email, phone="418-555-0199", **names),
        "shipping": address(phone="", **names),
        "payment_method": "stripe", "payment_method_title": "Carte de crédit",
        "transaction_id": "pi_3QSa0bExemple", "customer_ip_address": "192.0.2.10",
        "customer_user_agent": "Mozilla/5.0", "created_via": "checkout", "customer_note": "",
        "date_completed": None, "date_paid": date_created, "cart_hash": "0f3c5a",
        "number": str(order_id), "meta_data": meta_data,
        "line_items": [
            {"id": 311, "name": "Sirop d'érable 540 ml", "product_id": 12, "variation_id": 0,
             "quantity": 2, "tax_class": "", "subtotal": "42.00", "total": "42.00",
             "sku": "SE-540", "price": 21, "meta_data": []},
        ],
        "tax_lines": [], "shipping_lines": [], "fee_lines": [], "coupon_lines": [],
        "refunds": [], "payment_url": "", "is_editable": False, "needs_payment": False,
        "needs_processing": True,
        "date_created_gmt": date_created_gmt, "date_modified_gmt": date_created_gmt,
        "date_completed_gmt": None, "date_paid_gmt": date_created_gmt,
        "currency_symbol": "$",
    }


def customer_payload(
    *,
    customer_id: int = 27,
    email: str = "eloise.damour@exemple.ca",
    first_name: str = "Éloïse",
    last_name: str = "D'Amour-Gagné",
    newsletter_optin: str | None = None,
    date_created: str = "2024-12-04T14:03:11",
    date_created_gmt: str = "2024-12-04T19:03:11",
) -> dict[str, Any]:
    """Return a ``customer.created`` body, as sent when a buyer creates an account."""
    meta_data = []
    if newsletter_optin is not None:
        meta_data.append({"id": 512, "key": "_newsletter_optin", "value": newsletter_optin})
    names = {"first_name": first_name, "last_name": last_name}
    return {
        "id": customer_id, "date_created": date_created, "date_created_gmt": date_created_gmt,
        "date_modified": date_created, "date_modified_gmt": date_created_gmt, "email": email,
        "first_name": first_name, "last_name": last_name, "role": "customer",
        "username": email.split("@")[0],
        "billing": address(email=email, phone="514-555-0123", company="Fromagerie du Quartier",
                           address_1="123 rue Saint-Denis", address_2="app. 4",
                           city="Montréal", postcode="H2X 1K1", **names),
        "shipping": address(phone="", company="", address_1="", city="", postcode="",
                            country="", state="", **names),
        "is_paying_customer": False,
        "avatar_url": "https://secure.gravatar.com/avatar/0?s=96&d=mm&r=g",
        "meta_data": meta_data,
    }


def encode_body(payload: Any) -> bytes:
    """Return the body as ``wp_json_encode`` writes it: ``\\/`` and ``\\uXXXX`` escapes."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


@dataclass
class WooCommerceStore:
    """A store with one webhook that posts to ``delivery_url``, signed with ``secret``."""

    delivery_url: str
    secret: str
    webhook_id: int = 3
    site_url: str = DEFAULT_SITE_URL
    timeout_seconds: float = 60.0
    sent: list[Delivery] = field(default_factory=list)

    def deliver_order(self, **options: Any) -> Delivery:
        """Send an ``order.created`` webhook (``guest=True`` for a guest order)."""
        delivery_options = {key: options.pop(key) for key in DELIVERY_OPTIONS if key in options}
        return self.deliver("order.created", order_payload(**options), **delivery_options)

    def deliver_customer(self, **options: Any) -> Delivery:
        """Send a ``customer.created`` webhook."""
        delivery_options = {key: options.pop(key) for key in DELIVERY_OPTIONS if key in options}
        return self.deliver("customer.created", customer_payload(**options), **delivery_options)

    def deliver(
        self,
        topic: str,
        payload: Any,
        *,
        sign_with: str | None = None,
        signature: str | None = None,
        unsigned: bool = False,
        delivery_id: str | None = None,
    ) -> Delivery:
        """Post ``payload`` as a ``topic`` webhook (``resource.event``).

        ``sign_with`` signs with another secret, ``signature`` sends that header value as is,
        and ``unsigned`` leaves the header out. ``delivery_id`` replaces the id WooCommerce
        derives from the webhook id and the current second.
        """
        body = encode_body(payload)
        resource, _, event = topic.partition(".")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-WC-Webhook-Source": self.site_url,
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-ID": str(self.webhook_id),
            "X-WC-Webhook-Delivery-ID": delivery_id or self.new_delivery_id(),
        }
        if signature is not None:
            headers["X-WC-Webhook-Signature"] = signature
        elif not unsigned:
            headers["X-WC-Webhook-Signature"] = base64_hmac_sha256(sign_with or self.secret, body)
        return self._post(body, headers)

    def ping(self) -> Delivery:
        """Send the ping of a webhook saved active: ``webhook_id=N`` as a form, unsigned."""
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded"}
        return self._post(f"webhook_id={self.webhook_id}".encode("ascii"), headers)

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Send ``delivery`` again with the same body and headers."""
        return self._post(delivery.body, dict(delivery.headers))

    def new_delivery_id(self) -> str:
        """Return the delivery id of this second: an HMAC-MD5 of the webhook id and the time,
        like WordPress's ``wp_hash``."""
        message = f"{self.webhook_id}{int(time.time())}".encode("ascii")
        return hmac.new(b"emulated-site-salt", message, hashlib.md5).hexdigest()

    def _post(self, body: bytes, headers: dict[str, str]) -> Delivery:
        response = httpx.post(self.delivery_url, content=body, headers=headers,
                              timeout=self.timeout_seconds)
        delivery = Delivery(url=self.delivery_url, body=body, headers=headers, response=response)
        self.sent.append(delivery)
        return delivery


DELIVERY_OPTIONS = ("sign_with", "signature", "unsigned", "delivery_id")
