"""Shopify's new customer and new order triggers: webhooks signed with the shop's secret.

Each delivery is checked in this order, and a rejected one stores nothing: the HMAC-SHA256
signature of the raw body (``X-Shopify-Hmac-Sha256``, base64), then the topic
(``X-Shopify-Topic``) against the trigger, then the JSON body. The intake de-duplicates on
``X-Shopify-Event-Id``, which Shopify keeps across repeated deliveries of one event, else on
``X-Shopify-Webhook-Id``.
"""

from __future__ import annotations

from typing import Any

from arrimage.connectors.context import TriggerContext, WebhookRequest
from arrimage.connectors.declaration import IncomingEvent
from arrimage.connectors.shopify.output import customer_output, order_output
from arrimage.connectors.signatures import check_webhook_signature
from arrimage.connectors.webhook.triggers import decode_body
from arrimage.engine.errors import WebhookRejectedError
from arrimage.i18n import _l

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
EVENT_ID_HEADERS = ("x-shopify-event-id", "x-shopify-webhook-id")
CUSTOMERS_CREATE = "customers/create"
ORDERS_CREATE = "orders/create"

SECRET_HINT = _l(
    "For a webhook created in Settings > Notifications > Webhooks, the secret is the key shown "
    "under the webhook list. For an app's webhook, it is the app's client secret.")


def parse_new_customer(context: TriggerContext, request: WebhookRequest) -> list[IncomingEvent]:
    """Check a ``customers/create`` delivery and return the customer as one event."""
    body = read_delivery(context, request, CUSTOMERS_CREATE)
    return [IncomingEvent(payload=customer_output(body, request.headers))]


def parse_new_order(context: TriggerContext, request: WebhookRequest) -> list[IncomingEvent]:
    """Check an ``orders/create`` delivery and return the order as one event."""
    body = read_delivery(context, request, ORDERS_CREATE)
    return [IncomingEvent(payload=order_output(body, request.headers))]


def read_delivery(context: TriggerContext, request: WebhookRequest, topic: str) -> dict[str, Any]:
    """Return the body of a delivery once its signature and topic are checked.

    The signature is checked first, over the raw bytes, so an unsigned request learns nothing
    about the automation.
    """
    check_webhook_signature(context, request, app_name="Shopify", header=SIGNATURE_HEADER,
                            secret_hint=SECRET_HINT)
    check_topic(request, topic)
    body = decode_body(request)
    if not isinstance(body, dict):
        raise WebhookRejectedError(400, _l(
            "The body of a Shopify {topic} webhook must be a JSON object.", topic=topic))
    return body


def check_topic(request: WebhookRequest, expected: str) -> None:
    """Reject a delivery whose ``X-Shopify-Topic`` is not the trigger's topic."""
    received = request.headers.get(TOPIC_HEADER.lower(), "").strip()
    if not received:
        raise WebhookRejectedError(400, _l(
            "The {header} header is missing, so Arrimage cannot tell which Shopify event this "
            "is.", header=TOPIC_HEADER))
    if normalize_topic(received) != expected:
        raise WebhookRejectedError(422, _l(
            "This automation starts on Shopify {expected} webhooks, but this delivery is a "
            "{received} webhook. In Shopify, change the webhook's event to {expected}, or "
            "send it to an automation made for {received}.", expected=expected,
            received=received))


def normalize_topic(topic: str) -> str:
    """Return a topic as ``customers/create``, also from the GraphQL form ``CUSTOMERS_CREATE``."""
    lowered = topic.strip().lower()
    if "/" not in lowered:
        lowered = lowered.replace("_", "/", 1)
    return lowered
