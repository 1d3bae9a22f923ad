"""WooCommerce's new customer and new order triggers: webhooks signed with the webhook's secret.

WooCommerce sends two kinds of request to a webhook's delivery URL (WooCommerce 9.x,
``WC_Webhook::deliver`` and ``deliver_ping``):

- the ping, when a webhook is saved active: a POST whose body is ``webhook_id=N``, with no
  topic and no signature. WooCommerce keeps the webhook only if the response status is exactly
  200, so the ping gets 200 with no event, and no run starts.
- the deliveries: a JSON body, the ``X-WC-Webhook-*`` headers and ``X-WC-Webhook-Signature``,
  the base64 HMAC-SHA256 of the raw body keyed with the webhook's secret. A rejected
  delivery stores nothing. WooCommerce counts answers other than 2xx, 301 and 302 as
  failures and turns the webhook off after more than 5 failures in a row.

WooCommerce builds ``X-WC-Webhook-Delivery-ID`` from the webhook id and the current second,
so two deliveries of one webhook in the same second share it. The de-duplication key is
therefore the delivery id with the resource's id.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from arrimage.connectors.context import TriggerContext, WebhookRequest
from arrimage.connectors.declaration import IncomingEvent
from arrimage.connectors.signatures import check_webhook_signature
from arrimage.connectors.webhook.triggers import decode_body
from arrimage.connectors.woocommerce.output import customer_output, order_output
from arrimage.engine.errors import WebhookRejectedError
from arrimage.i18n import _l

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
DELIVERY_ID_HEADER = "x-wc-webhook-delivery-id"
PING_BODY = re.compile(rb"\s*webhook_id=\d+\s*")

SECRET_HINT = _l(
    "The secret is the Secret field of the webhook, under WooCommerce > Settings > Advanced > "
    "Webhooks.")


def parse_new_customer(context: TriggerContext, request: WebhookRequest) -> list[IncomingEvent]:
    """Check a ``customer.created`` delivery and return the customer as one event."""
    return parse_delivery(context, request, "customer", "created")


def parse_new_order(context: TriggerContext, request: WebhookRequest) -> list[IncomingEvent]:
    """Check an ``order.created`` delivery and return the order as one event."""
    return parse_delivery(context, request, "order", "created")


def parse_delivery(
    context: TriggerContext, request: WebhookRequest, resource: str, event: str
) -> list[IncomingEvent]:
    """Return no event for a ping, else check the delivery and return its resource as one event."""
    if is_ping(request):
        logger.info("WooCommerce ping answered", extra={"automation_id": context.automation_id})
        return []

    check_webhook_signature(context, request, app_name="WooCommerce", header=SIGNATURE_HEADER,
                            secret_hint=SECRET_HINT)
    check_topic(request, resource, event)
    body = decode_body(request)
    topic = f"{resource}.{event}"
    if not isinstance(body, dict):
        raise WebhookRejectedError(400, _l(
            "The body of a WooCommerce {topic} webhook must be a JSON object.", topic=topic))
    if set(body) == {resource} and isinstance(body[resource], dict):
        # The Legacy REST API wraps the resource in one key and names its fields otherwise.
        raise WebhookRejectedError(422, _l(
            "This WooCommerce webhook uses the legacy API, whose data Arrimage does not read. "
            "Edit the webhook and set API version to WP REST API Integration v3."))

    build = order_output if resource == "order" else customer_output
    payload = build(body, request.headers, context.options)
    return [IncomingEvent(payload=payload, dedup_key=dedup_key(request, body))]


def is_ping(request: WebhookRequest) -> bool:
    """Return whether the request is WooCommerce's ping: ``webhook_id=N``, unsigned, no topic."""
    if request.headers.get(TOPIC_HEADER.lower()) or request.headers.get(SIGNATURE_HEADER.lower()):
        return False
    return PING_BODY.fullmatch(request.body) is not None


def check_topic(request: WebhookRequest, resource: str, event: str) -> None:
    """Reject a delivery whose topic, resource or event header is not the trigger's."""
    expected = f"{resource}.{event}"
    topic = request.headers.get(TOPIC_HEADER.lower(), "").strip().lower()
    sent_resource = request.headers.get("x-wc-webhook-resource", "").strip().lower()
    sent_event = request.headers.get("x-wc-webhook-event", "").strip().lower()
    if not topic and not (sent_resource and sent_event):
        raise WebhookRejectedError(400, _l(
            "The {header} header is missing, so Arrimage cannot tell which WooCommerce event "
            "this is.", header=TOPIC_HEADER))

    received = topic or f"{sent_resource}.{sent_event}"
    mismatched = (
        (topic and topic != expected)
        or (sent_resource and sent_resource != resource)
        or (sent_event and sent_event != event)
    )
    if mismatched:
        raise WebhookRejectedError(422, _l(
            "This automation starts on WooCommerce {expected} webhooks, but this delivery is "
            "a {received} webhook. In WooCommerce, change the webhook's topic, or send it to an "
            "automation made for {received}.", expected=expected, received=received))


def dedup_key(request: WebhookRequest, body: dict[str, Any]) -> str | None:
    """Return the delivery id with the resource id, or None to de-duplicate on the body."""
    delivery_id = request.headers.get(DELIVERY_ID_HEADER, "").strip()
    if not delivery_id:
        return None
    return f"wc:{delivery_id}:{body.get('id')}"
