"""HMAC-SHA256 signatures sent as base64 in a header, as Shopify and WooCommerce sign webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac

from arrimage.connectors.context import TriggerContext, WebhookRequest
from arrimage.engine.errors import WebhookRejectedError
from arrimage.i18n import LazyText, _l


def base64_hmac_sha256(secret: str, body: bytes) -> str:
    """Return the base64 HMAC-SHA256 of the raw ``body`` bytes, keyed with ``secret`` as UTF-8."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def base64_signature_matches(secret: str, body: bytes, received: str) -> bool:
    """Return whether ``received`` is the signature of ``body``, compared in constant time.

    Spaces around the header value are ignored. A header with non-ASCII characters never
    matches, and it takes the same comparison as any other wrong value.
    """
    expected = base64_hmac_sha256(secret, body).encode("ascii")
    return hmac.compare_digest(expected, received.strip().encode("utf-8", "replace"))


def check_webhook_signature(
    context: TriggerContext,
    request: WebhookRequest,
    *,
    app_name: str,
    header: str,
    secret_hint: LazyText,
) -> None:
    """Reject a delivery with 401 unless ``header`` contains the signature of the raw body.

    The secret is the connection's ``signing_secret``, without surrounding spaces. The check
    fails closed: no connection, an empty secret, a missing header and a wrong signature are
    all rejected, so nothing is stored.
    """
    secret = context.connection.value("signing_secret") if context.connection else None
    secret = str(secret or "").strip()
    if not secret:
        raise WebhookRejectedError(401, _l(
            "This automation has no {app} signing secret, so it cannot check deliveries. "
            "{hint}", app=app_name, hint=secret_hint))

    received = request.headers.get(header.lower(), "")
    if not received.strip():
        raise WebhookRejectedError(401, _l(
            "The {header} header is missing, so {app} did not sign this request. Arrimage "
            "accepts only signed deliveries.", header=header, app=app_name))
    if not base64_signature_matches(secret, request.body, received):
        raise WebhookRejectedError(401, _l(
            "The signature in {header} does not match the body. Check that the connection "
            "holds the right secret. {hint}", header=header, hint=secret_hint))
