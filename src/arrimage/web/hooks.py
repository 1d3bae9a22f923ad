"""``POST /hooks/{automation_id}/{secret}``: where apps deliver webhooks.

The secret may also come in the ``X-Arrimage-Secret`` header with ``POST /hooks/{automation_id}``.
The body is read up to ``webhook_max_bytes`` (413 beyond), the events are committed, and only
then does the sender get its 200. Rejections are logged with the automation id and the reason,
never with the body.
"""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from arrimage.connectors.context import WebhookRequest
from arrimage.engine.errors import ArrimageError, WebhookRejectedError
from arrimage.engine.intake import accept_webhook
from arrimage.i18n import _, _l
from arrimage.runtime import Runtime
from arrimage.web.errors import error_response, status_for

logger = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"])

SECRET_HEADER = "x-arrimage-secret"


# These routes document the endpoints in the OpenAPI schema, and they serve the requests when the
# app is mounted elsewhere. A request that reaches Arrimage's own app takes handle_webhook first.
@router.post("/hooks/{automation_id}/{secret}", summary="Deliver an event (secret in the URL)")
async def deliver_with_secret(automation_id: str, secret: str, request: Request) -> JSONResponse:
    return await _deliver(request, request.app.state.runtime, automation_id, secret)


@router.post("/hooks/{automation_id}", summary="Deliver an event (secret in X-Arrimage-Secret)")
async def deliver_with_header(automation_id: str, request: Request) -> JSONResponse:
    return await _deliver(request, request.app.state.runtime, automation_id,
                          request.headers.get(SECRET_HEADER, ""))


async def handle_webhook(runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> bool:
    """Handle ``POST /hooks/…`` without the framework's routing and middleware layers.

    Webhooks are the one endpoint under sustained load, and the layers cost about as much as
    storing the event. Returns False when the path is not a webhook path.
    """
    parts = scope["path"].split("/")
    if len(parts) == 4 and parts[3]:
        automation_id, secret = parts[2], parts[3]
        request = Request(scope, receive)
    elif len(parts) == 3 or (len(parts) == 4 and not parts[3]):
        automation_id = parts[2]
        request = Request(scope, receive)
        secret = request.headers.get(SECRET_HEADER, "")
    else:
        return False
    if not automation_id:
        return False

    try:
        response = await _deliver(request, runtime, automation_id, secret)
    except ArrimageError as error:
        logger.warning("webhook failed (%s)", error.code, extra={"automation_id": automation_id})
        response = error_response(request, error, status_for(error))
    except Exception:
        logger.exception("webhook intake failed", extra={"automation_id": automation_id})
        response = JSONResponse(
            {"error": {"code": "internal_error", "message": _("Arrimage could not store this event. "
                                                              "Send it again later.")}},
            status_code=500,
        )
    await response(scope, receive, send)
    return True


async def _deliver(request: Request, runtime: Runtime, automation_id: str, secret: str) -> JSONResponse:
    try:
        body = await read_body(request, runtime.settings.webhook_max_bytes)
        delivery = WebhookRequest(
            body=body,
            headers={name.lower(): value for name, value in request.headers.items() if name.lower() != SECRET_HEADER},
            query=dict(request.query_params),
            method=request.method,
            url=str(request.url),
            published_url=runtime.settings.base_url + request.url.path
            + (f"?{request.url.query}" if request.url.query else ""),
        )
        if runtime.db.is_sqlite and runtime.consumer is None:
            # A local SQLite commit takes a fraction of a millisecond, and with no worker threads
            # in this process nothing holds the write lock for long: the hop to a thread costs
            # more than the call. Worker threads would stall the event loop on that lock.
            result = accept_webhook(runtime, automation_id, secret, delivery)
        else:
            result = await anyio.to_thread.run_sync(accept_webhook, runtime, automation_id, secret, delivery)
    except WebhookRejectedError as error:
        logger.info("webhook rejected (%d): %s", error.status_code, error.message.render("en"),
                    extra={"automation_id": automation_id})
        return error_response(request, error, error.status_code)
    return JSONResponse(result.as_dict(), status_code=200)


async def read_body(request: Request, limit: int) -> bytes:
    """Read the request body, refusing it with 413 as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > limit:
            raise _too_large(len(chunks), limit)
    return bytes(chunks)


def _too_large(size: int, limit: int) -> WebhookRejectedError:
    return WebhookRejectedError(413, _l(
        "The body is too large ({size} bytes; the limit is {limit}). Send smaller events, or "
        "raise ARRIMAGE_WEBHOOK_MAX_BYTES.", size=size, limit=limit))
