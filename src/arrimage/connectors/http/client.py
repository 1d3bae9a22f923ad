"""Sending one HTTP request and mapping failures to transient or permanent step errors."""

from __future__ import annotations

from typing import Any

import httpx

from arrimage.engine.errors import (
    AppRejectedError,
    AuthenticationError,
    ConnectError,
    RateLimitedError,
    ServerError,
    StepTimeoutError,
)
from arrimage.engine.retry import parse_retry_after
from arrimage.i18n import _l

BODY_EXCERPT_CHARS = 500


def send(client: httpx.Client, request: httpx.Request, timeout_seconds: float) -> httpx.Response:
    """Send ``request``; return a 2xx or 3xx response or raise the matching step error.

    ``timeout_seconds`` only words the message: the timeout itself is set on the request.
    """
    url = _url_without_query(request.url)
    try:
        response = client.send(request)
    except httpx.TimeoutException as exc:
        raise StepTimeoutError(
            _l("{method} {url} timed out after {seconds} s.", method=request.method, url=url,
               seconds=timeout_seconds)
        ) from exc
    except httpx.TransportError as exc:
        raise ConnectError(
            _l("{method} {url} failed: {problem}.", method=request.method, url=url,
               problem=str(exc) or type(exc).__name__)
        ) from exc

    raise_for_status(response)
    return response


def raise_for_status(response: httpx.Response) -> None:
    """Raise the step error that matches a 4xx or 5xx response, with the body's first lines."""
    status = response.status_code
    if status < 400:
        return

    excerpt = response.text[:BODY_EXCERPT_CHARS]
    url = _url_without_query(response.request.url)
    common: dict[str, Any] = {"status_code": status, "response": excerpt}
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise RateLimitedError(
            _l("{url} answered 429 Too Many Requests: Arrimage will try again later.", url=url),
            retry_after=retry_after,
            **common,
        )
    if status >= 500:
        raise ServerError(
            _l("{url} answered {status}: a server error, Arrimage will try again.", url=url,
               status=status),
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            **common,
        )
    if status in (401, 403):
        raise AuthenticationError(
            _l("{url} refused the credentials ({status}): check the connection.", url=url,
               status=status),
            **common,
        )
    raise AppRejectedError(
        _l("{url} rejected the request ({status}): {response}", url=url, status=status,
           response=excerpt or "-"),
        **common,
    )


def decode_response(response: httpx.Response) -> Any:
    """Return the body as JSON when it is JSON, else as text."""
    content_type = response.headers.get("content-type", "")
    if "json" in content_type:
        try:
            return response.json()
        except ValueError:
            pass
    return response.text


def _url_without_query(url: httpx.URL) -> str:
    # Query strings can carry tokens: messages and logs show scheme, host and path only.
    return str(url.copy_with(query=None, fragment=None))
