"""Post the bundled deliveries to the automations' webhook URLs over HTTP, signed as each app signs.

- Google Forms: the body and headers of the Apps Script that Arrimage generates: JSON with
  non-ASCII characters escaped, the webhook secret in ``X-Arrimage-Secret``, and
  ``X-Arrimage-Signature: sha256=<hex HMAC-SHA256 of the body>``.
- Shopify and WooCommerce: the emulators of :mod:`arrimage.emulators`, which send each app's
  headers and base64 HMAC-SHA256 signature.

A delivery with ``repeat`` is sent again with the same bytes and headers, as an app retrying a
delivery does, and the intake must recognise it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from arrimage.demo.bundle import BundledDelivery
from arrimage.demo.dates import dated_now
from arrimage.demo.installation import Installation, InstalledAutomation
from arrimage.emulators.google_forms import encode_script_body
from arrimage.emulators.shopify import ShopifyShop
from arrimage.emulators.woocommerce import WooCommerceStore

# The bundled customers carry email_marketing_consent, which Shopify left out of customer
# webhooks from API version 2025-01 on.
SHOPIFY_API_VERSION = "2024-10"
REQUEST_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Post:
    """Arrimage's response to one POST: the run it queued, or why it rejected the delivery."""

    status_code: int | None
    run_id: str | None = None
    duplicate: bool = False
    error: str | None = None


@dataclass
class PlayedDelivery:
    """A bundled delivery with the body as sent and Arrimage's response to each copy."""

    delivery: BundledDelivery
    payload: dict[str, Any]
    posts: list[Post] = field(default_factory=list)

    @property
    def run_ids(self) -> list[str]:
        """The runs the copies started, without repeats: one for a de-duplicated delivery."""
        found: list[str] = []
        for post in self.posts:
            if post.run_id and post.run_id not in found:
                found.append(post.run_id)
        return found


def play(deliveries: list[BundledDelivery], installation: Installation, moment: datetime,
         stop_requested: Callable[[], bool] = lambda: False) -> list[PlayedDelivery]:
    """Send each delivery and its repeats, in order, and return Arrimage's responses.

    Once ``stop_requested`` returns true, no further delivery is sent and those sent so far
    are returned.
    """
    played = []
    for delivery in deliveries:
        if stop_requested():
            break
        payload = dated_now(delivery.payload(), delivery.source, moment)
        automation = installation.automations[delivery.automation]
        secret = installation.signing_secrets[delivery.source]
        played.append(PlayedDelivery(delivery, payload, _send(delivery, payload, automation, secret)))
    return played


def _send(delivery: BundledDelivery, payload: dict[str, Any], automation: InstalledAutomation,
          signing_secret: str) -> list[Post]:
    copies = 1 + delivery.repeat
    try:
        if delivery.source == "google_forms":
            request = apps_script_request(payload, automation, signing_secret)
            return [_post_result(httpx.post(request.url, content=request.body, headers=request.headers,
                                            timeout=REQUEST_TIMEOUT_SECONDS))
                    for _copy in range(copies)]
        if delivery.source == "shopify":
            shop = ShopifyShop(url=automation.webhook_url, secret=signing_secret,
                               api_version=SHOPIFY_API_VERSION,
                               timeout_seconds=REQUEST_TIMEOUT_SECONDS)
            first = shop.deliver(str(delivery.topic), payload, event_id=delivery.event_id)
            sent = [first] + [shop.redeliver(first) for _copy in range(delivery.repeat)]
            return [_post_result(copy.response) for copy in sent]
        store = WooCommerceStore(delivery_url=automation.webhook_url, secret=signing_secret,
                                 timeout_seconds=REQUEST_TIMEOUT_SECONDS)
        first_woo = store.deliver(str(delivery.topic), payload)
        sent_woo = [first_woo] + [store.redeliver(first_woo) for _copy in range(delivery.repeat)]
        return [_post_result(copy.response) for copy in sent_woo]
    except httpx.HTTPError as error:
        return [Post(status_code=None, error=f"{type(error).__name__}: {error}")]


@dataclass(frozen=True)
class SignedRequest:
    url: str
    body: bytes
    headers: dict[str, str]


def apps_script_request(payload: dict[str, Any], automation: InstalledAutomation,
                        signing_secret: str) -> SignedRequest:
    """Return the request the generated Apps Script sends for one form response."""
    body = encode_script_body(payload)
    digest = hmac.new(signing_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    # The script posts to /hooks/<id> and sends the webhook secret in a header.
    url = automation.webhook_url.rsplit("/", 1)[0]
    headers = {"Content-Type": "application/json", "X-Arrimage-Secret": automation.webhook_secret,
               "X-Arrimage-Signature": f"sha256={digest}"}
    return SignedRequest(url=url, body=body, headers=headers)


def _post_result(response: httpx.Response) -> Post:
    try:
        body = response.json()
    except json.JSONDecodeError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        # NOTE: the emulators send no Accept-Language, so a rejection's message is in French,
        # Arrimage's default, whatever the demo's language.
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
        return Post(status_code=response.status_code, error=str(message or response.text[:300]))
    events = body.get("events") or []
    if len(events) != 1:
        return Post(status_code=response.status_code,
                    error=f"expected one event in the response, got {len(events)}")
    return Post(status_code=response.status_code, run_id=events[0].get("run_id"),
                duplicate=bool(events[0].get("duplicate")))
