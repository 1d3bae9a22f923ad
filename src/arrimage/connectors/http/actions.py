"""The "send an HTTP request" action."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx

from arrimage.connectors.context import StepContext
from arrimage.connectors.http.client import decode_response, send
from arrimage.engine.errors import InvalidInputError
from arrimage.i18n import _l

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def perform_request(context: StepContext, values: dict[str, Any]) -> dict[str, Any]:
    """Send the request described by ``values`` and return status, headers and body."""
    timeout = _timeout_seconds(values, context.timeout_seconds)
    request = build_request(context, values, timeout)
    context.logger.debug("HTTP request %s %s", request.method, request.url.copy_with(query=None))

    response = send(context.http, request, timeout)
    return {
        "status_code": response.status_code,
        "headers": dict(response.headers),
        "body": decode_response(response),
    }


def build_request(context: StepContext, values: dict[str, Any], timeout: float) -> httpx.Request:
    """Turn the mapped input into an :class:`httpx.Request`, or raise naming the bad field."""
    method = str(values.get("method") or "POST").upper()
    if method not in METHODS:
        raise InvalidInputError(
            _l("Method {method} is not supported: use one of {choices}.", method=method,
               choices=", ".join(METHODS))
        )
    url = str(values.get("url") or "").strip()
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise InvalidInputError(_l("The URL {url} is invalid: {problem}.", url=url, problem=str(exc))) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidInputError(
            _l("The URL {url} is invalid: it must start with http:// or https:// and name a host.",
               url=url)
        )

    headers = {str(key): str(value) for key, value in _mapping(values, "headers").items()}
    if context.connection is not None:
        name = context.connection.value("auth_header_name") or "Authorization"
        secret = context.connection.value("auth_header_value")
        if secret:
            # The connection's header replaces one of the same name typed in the step.
            headers = {key: value for key, value in headers.items() if key.lower() != str(name).lower()}
            headers[str(name)] = str(secret)
    lowered = {key.lower() for key in headers}
    if "idempotency-key" not in lowered:
        headers["Idempotency-Key"] = context.idempotency_key

    query = {str(key): str(value) for key, value in _mapping(values, "query").items()}
    if query:
        # Merged into the URL's own query string, because httpx 0.29 replaces it when given params.
        parsed = parsed.copy_merge_params(query)
    body_format = values.get("body_format") or "json"
    body = values.get("body")
    content: bytes | None = None
    data: dict[str, str] | None = None
    if method in ("GET", "DELETE") or body_format == "none" or body is None:
        pass
    elif body_format == "form":
        data = {str(key): "" if value is None else str(value) for key, value in _mapping(values, "body").items()}
    elif body_format == "raw":
        content = str(body).encode("utf-8")
    else:
        content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if "content-type" not in lowered:
            headers["Content-Type"] = "application/json"

    return context.http.build_request(method, parsed, headers=headers, content=content, data=data,
                                      timeout=timeout)


def _timeout_seconds(values: dict[str, Any], default: float) -> float:
    value = values.get("timeout_seconds")
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidInputError(
            _l("The field timeout_seconds must be a number of seconds above 0, not {value}.",
               value=repr(value)[:80])
        )
    return seconds


def _mapping(values: dict[str, Any], key: str) -> dict[str, Any]:
    value = values.get(key) or {}
    if not isinstance(value, dict):
        raise InvalidInputError(
            _l("The field {field} must be a set of names and values, not {value}.", field=key,
               value=repr(value)[:80])
        )
    return value
