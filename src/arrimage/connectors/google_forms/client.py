"""An HTTP client of the Google Forms API v1 (``forms.get`` and ``forms.responses.list``).

Every failure becomes a step error: 401 and 403 are :class:`AuthenticationError`, 404 an
:class:`InvalidInputError` naming the form, 429 a :class:`RateLimitedError` with the
``Retry-After`` wait, 5xx a :class:`ServerError`. Google's error body
(``{"error": {"code", "message", "status"}}``) gives the reason. The access token never appears
in logs or messages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from arrimage.connectors.google_forms.answers import format_time
from arrimage.connectors.google_forms.auth import TokenSource
from arrimage.engine.errors import (
    AppRejectedError,
    AuthenticationError,
    ConnectError,
    InvalidInputError,
    RateLimitedError,
    ServerError,
    StepTimeoutError,
)
from arrimage.engine.retry import parse_retry_after
from arrimage.i18n import _l

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://forms.googleapis.com"
# The largest page forms.responses.list serves (its documented maximum pageSize).
MAX_PAGE_SIZE = 5000
# A pagination that never ends (a server repeating its nextPageToken) stops here.
MAX_PAGES = 1000


class FormsClient:
    """Call the Forms API with the tokens of one connection, sharing ``http``'s pool."""

    def __init__(self, tokens: TokenSource, http: httpx.Client,
                 base_url: str = DEFAULT_BASE_URL, timeout_seconds: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"invalid Forms API base URL {base_url!r}")
        self.tokens = tokens
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds

    def __repr__(self) -> str:
        return f"FormsClient(base_url={self.base_url!r})"

    def get_form(self, form_id: str) -> dict[str, Any]:
        """Call ``GET /v1/forms/{formId}``: the form's title and items."""
        return self._request(f"/v1/forms/{quote(form_id, safe='')}", {}, form_id)

    def iter_responses(self, form_id: str, since: datetime | None = None,
                       page_size: int = MAX_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Yield the responses of ``forms.responses.list``, page after page.

        With ``since``, only responses submitted at or after it (``timestamp >= …`` filter,
        whole seconds).
        """
        params: dict[str, Any] = {"pageSize": page_size}
        if since is not None:
            params["filter"] = f"timestamp >= {format_time(since)}"
        path = f"/v1/forms/{quote(form_id, safe='')}/responses"
        seen_tokens: set[str] = set()
        for _page in range(MAX_PAGES):
            body = self._request(path, params, form_id)
            yield from (item for item in body.get("responses") or [] if isinstance(item, dict))
            token = body.get("nextPageToken")
            if not token or token in seen_tokens:
                return
            seen_tokens.add(token)
            params = {**params, "pageToken": token}
        logger.warning("forms.responses.list stopped after %d pages", MAX_PAGES)

    def _request(self, path: str, params: dict[str, Any], form_id: str) -> dict[str, Any]:
        token = self.tokens.access_token(self.http, self.timeout_seconds)
        request_name = f"GET {path.split('?')[0]}"
        try:
            response = self.http.get(self.base_url + path, params=params, timeout=self.timeout_seconds,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Accept": "application/json"})
        except httpx.TimeoutException as exc:
            logger.warning("Forms API %s timed out after %s s", request_name, self.timeout_seconds)
            raise StepTimeoutError(_l(
                "Google Forms did not respond to {request} within {seconds} s. Arrimage will "
                "try again.", request=request_name, seconds=self.timeout_seconds)) from exc
        except httpx.TransportError as exc:
            problem = str(exc) or type(exc).__name__
            logger.warning("Forms API %s failed: %s", request_name, problem)
            raise ConnectError(_l(
                "Arrimage could not reach the Forms API at {url}: {problem}. Arrimage will try "
                "again.", url=self.base_url, problem=problem)) from exc

        if response.status_code >= 400:
            self._raise_for_status(response, request_name, form_id)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ServerError(_l(
                "Google Forms returned a body that is not a JSON object for {request}. Arrimage "
                "will try again.", request=request_name), status_code=response.status_code)
        return body

    def _raise_for_status(self, response: httpx.Response, request_name: str, form_id: str) -> None:
        status = response.status_code
        reason = google_error_message(response)
        logger.warning("Forms API %s returned %d", request_name, status)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise RateLimitedError(_l(
                "Google Forms limits the request rate and rejected {request} (429). Arrimage "
                "will try again later.", request=request_name),
                status_code=status, retry_after=retry_after)
        if status >= 500:
            raise ServerError(_l(
                "Google Forms had a server error ({status}) on {request}. Arrimage will try "
                "again. Reason: {reason}", status=status, request=request_name, reason=reason),
                status_code=status, retry_after=parse_retry_after(response.headers.get("retry-after")))
        if status == 401:
            self.tokens.forget()
            raise AuthenticationError(_l(
                "Google Forms rejected the connection's access token (401): {reason}. Renew the "
                "token or check the service account key.", reason=reason), status_code=status)
        if status == 403:
            raise AuthenticationError(_l(
                "The connection may not read the form {form_id} (403): {reason}. Share the form "
                "with the service account's email address, or use the account that owns it.",
                form_id=form_id, reason=reason), status_code=status)
        if status == 404:
            raise InvalidInputError(_l(
                "No Google form has the id {form_id} (404). Copy the id from the form's edit "
                "address: docs.google.com/forms/d/FORM_ID/edit.", form_id=form_id),
                status_code=status)
        raise AppRejectedError(_l(
            "Google Forms rejected {request} ({status}): {reason}", request=request_name,
            status=status, reason=reason), status_code=status)


def google_error_message(response: httpx.Response) -> str:
    """Return the ``error.message`` of a Google error body, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = body["error"].get("message") or body["error"].get("status")
        if message:
            return str(message)[:300]
    return response.text[:200].strip() or "-"
