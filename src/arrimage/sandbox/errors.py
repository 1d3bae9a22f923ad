"""API errors and the body shapes they are rendered in.

Cyberimpact documents no error body. Known clients read a top-level ``message`` and an
``errors`` list whose items have a ``description``, so the default shape carries both. The
``error_shape`` setting switches to the other plausible forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response

from arrimage.sandbox.config import ErrorShape, SandboxConfig

StatusKind = Literal["validation", "schema", "duplicate"]


class ApiError(Exception):
    """An error response: a status (or a configurable kind), a message and per-field details."""

    def __init__(
        self,
        status: int | StatusKind,
        message: str,
        errors: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = list(errors)
        self.headers = dict(headers or {})

    def status_code(self, config: SandboxConfig) -> int:
        """Resolve the status, reading the configured code for validation, schema and duplicates."""
        if self.status == "validation":
            return config.validation_status
        if self.status == "schema":
            return config.schema_error_status
        if self.status == "duplicate":
            return config.duplicate_status
        return self.status


def invalid(field: str, description: str) -> ApiError:
    """Build the error for one invalid input field."""
    return ApiError("validation", "The given data was invalid.", [(field, description)])


def not_found(resource: str, key: object) -> ApiError:
    """Build the 404 for an unknown member, group, batch or opt-in request."""
    return ApiError(404, f"{resource} {key} not found")


def render_error(
    shape: ErrorShape,
    status: int,
    message: str,
    errors: Sequence[tuple[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Render an error in ``shape``; see :data:`arrimage.sandbox.config.ErrorShape`."""
    if shape == "text":
        lines = [message] + [f"{field}: {text}" for field, text in errors]
        return PlainTextResponse("\n".join(lines), status, headers=headers)
    body: dict[str, object] = {"message": message}
    if shape == "errors_list":
        body["errors"] = [{"field": field, "description": text} for field, text in errors]
    elif shape == "errors_object":
        grouped: dict[str, list[str]] = {}
        for field, text in errors:
            grouped.setdefault(field, []).append(text)
        body["errors"] = grouped
    return JSONResponse(body, status, headers=headers)


def install_error_handlers(app: FastAPI, config: SandboxConfig) -> None:
    """Render API errors, FastAPI validation errors and routing errors in the configured shape."""

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)  # registered for ApiError only
        return render_error(
            config.error_shape, exc.status_code(config), exc.message, exc.errors, exc.headers
        )

    async def on_request_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = [
            (str(error["loc"][-1]) if error.get("loc") else "", str(error.get("msg", "")))
            for error in exc.errors()
        ]
        return render_error(
            config.error_shape, config.validation_status, "The given data was invalid.", details
        )

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return render_error(
            config.error_shape, exc.status_code, str(exc.detail), headers=exc.headers
        )

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_request_validation)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
