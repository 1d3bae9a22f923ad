"""The catch-hook trigger: any app that can POST JSON or a form to a URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl

from arrimage.connectors.context import TriggerContext, WebhookRequest
from arrimage.connectors.declaration import IncomingEvent
from arrimage.engine.errors import WebhookRejectedError
from arrimage.engine.json_errors import json_problem
from arrimage.i18n import LazyText, _l


def parse_catch_hook(context: TriggerContext, request: WebhookRequest) -> list[IncomingEvent]:
    """Check the signature when one is configured, then turn the body into events.

    A JSON object is one event, and a JSON array of objects gives one event per object. A form
    body (``application/x-www-form-urlencoded``) is one event with its fields.
    """
    verify_signature(context, request)
    body = decode_body(request)
    if isinstance(body, dict):
        return [IncomingEvent(payload=body)]

    for index, item in enumerate(body):
        if not isinstance(item, dict):
            raise WebhookRejectedError(
                400,
                _l(
                    "Item {index} of the JSON array is not an object. Send an object, or an "
                    "array of objects (one event each).",
                    index=index,
                ),
            )
    return [IncomingEvent(payload=item) for item in body]


def decode_body(request: WebhookRequest) -> dict[str, Any] | list[Any]:
    """Return the parsed body, or raise :class:`WebhookRejectedError` naming the problem."""
    content_type = request.content_type
    if content_type == "application/x-www-form-urlencoded":
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _not_utf8(exc) from exc
        return dict(parse_qsl(text, keep_blank_values=True))

    is_json = content_type in ("", "text/plain", "application/json") or content_type.endswith("+json")
    if not is_json:
        raise WebhookRejectedError(
            415,
            _l(
                "Unsupported content type {content_type}: send application/json or "
                "application/x-www-form-urlencoded.",
                content_type=content_type,
            ),
        )
    if not request.body.strip():
        raise WebhookRejectedError(400, _l("The body is empty: send a JSON object."))
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc) from exc
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WebhookRejectedError(
            400,
            _l(
                "The body is not valid JSON: {problem} at line {line}, column {column}.",
                problem=json_problem(exc),
                line=exc.lineno,
                column=exc.colno,
            ),
        ) from exc
    if not isinstance(body, dict | list):
        raise WebhookRejectedError(
            400,
            _l(
                "The body is a JSON {kind}: send a JSON object, or an array of objects.",
                kind=_json_kind(body),
            ),
        )
    return body


def _json_kind(value: Any) -> LazyText:
    """Name the JSON type of a decoded scalar, as a message shows it."""
    if isinstance(value, str):
        return _l("text (string)")
    if isinstance(value, bool):
        return _l("true or false (boolean)")
    if isinstance(value, int | float):
        return _l("number")
    return _l("null")


def verify_signature(context: TriggerContext, request: WebhookRequest) -> None:
    """Check an HMAC-SHA256 signature over the raw body when the trigger is configured for one.

    The check fails closed: a configured header with no secret, a missing header or a wrong
    signature all reject the delivery with 401.
    """
    header = (context.options.get("signature_header") or "").strip().lower()
    if not header:
        return

    secret = context.connection.value("signing_secret") if context.connection else None
    if not secret:
        raise WebhookRejectedError(
            401,
            _l(
                "This automation checks signatures but its connection has no signing secret: "
                "add the secret to the connection."
            ),
        )
    received = request.headers.get(header, "").strip()
    if not received:
        raise WebhookRejectedError(
            401, _l("The signature header {header} is missing.", header=header)
        )

    prefix = context.options.get("signature_prefix") or ""
    if prefix and received.startswith(prefix):
        received = received[len(prefix) :]
    digest = hmac.new(str(secret).encode("utf-8"), request.body, hashlib.sha256).digest()
    if context.options.get("signature_encoding") == "base64":
        expected = base64.b64encode(digest).decode("ascii")
    else:
        expected = digest.hex()
        received = received.lower()
    if not hmac.compare_digest(expected.encode("ascii"), received.encode("ascii", "replace")):
        raise WebhookRejectedError(
            401,
            _l(
                "The signature in {header} does not match the body: check the signing secret.",
                header=header,
            ),
        )


def _not_utf8(exc: UnicodeDecodeError) -> WebhookRejectedError:
    return WebhookRejectedError(
        400, _l("The body is not UTF-8 text (invalid byte at position {position}).", position=exc.start)
    )
