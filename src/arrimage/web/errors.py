"""Error responses: JSON with a code and a message in the reader's language."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from arrimage.engine.errors import (
    ArrimageError,
    ConflictError,
    DocumentError,
    InvalidInputError,
    NotFoundError,
    TransientStepError,
    WebhookRejectedError,
)
from arrimage.i18n import negotiate_locale
from arrimage.storage.secrets import SecretDecryptionError

logger = logging.getLogger(__name__)


def request_locale(request: Request) -> str:
    """Return the locale for this request: ``?lang=`` first, then ``Accept-Language``."""
    return negotiate_locale(request.query_params.get("lang") or request.headers.get("accept-language"))


def error_response(request: Request, error: ArrimageError, status_code: int) -> JSONResponse:
    """Return ``error`` as JSON, its message rendered in the request's language."""
    locale = request_locale(request)
    body = {"error": {"code": error.code, "message": error.message.render(locale)}}
    if isinstance(error, DocumentError):
        body["error"]["issues"] = [
            {"location": issue.location, "where": issue.where_text(locale),
             "message": issue.message.render(locale)} for issue in error.issues
        ]
    if "automations" in error.details:
        body["error"]["automations"] = error.details["automations"]
    return JSONResponse(body, status_code=status_code)


def status_for(error: ArrimageError) -> int:
    """Return the HTTP status of the response to ``error``."""
    if isinstance(error, WebhookRejectedError):
        return error.status_code
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, DocumentError | InvalidInputError):
        return 422
    if isinstance(error, TransientStepError):
        return 502  # the app failed or timed out; the request can be sent again
    if isinstance(error, SecretDecryptionError):
        return 500  # the server's secret key is wrong, so a sender should try again later
    return 400


def install_error_handlers(app: FastAPI) -> None:
    """Map each kind of Arrimage error to its HTTP status."""

    async def handle(request: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, ArrimageError):  # only registered for ArrimageError
            raise error
        return error_response(request, error, status_for(error))

    app.add_exception_handler(ArrimageError, handle)
