"""An HTTP client of HubSpot's CRM v3 contacts API, with every failure mapped to a step error.

Requests carry ``Authorization: Bearer <token>``, the access token of a HubSpot private app.
Status codes map to the engine's errors:

- 401 and 403 raise :class:`InvalidTokenError` and :class:`MissingScopesError`
  (both :class:`~arrimage.engine.errors.AuthenticationError`).
- 429 raises :class:`~arrimage.engine.errors.RateLimitedError`. The wait comes from
  ``Retry-After``, else from ``X-HubSpot-RateLimit-Interval-Milliseconds`` when the response
  shows that the interval's requests are used up.
- 5xx, and a 2xx body that is not a JSON object, raise :class:`~arrimage.engine.errors.ServerError`.
- 409 raises :class:`ContactExistsError`, with the existing contact's id when the message
  gives it ("Contact already exists. Existing ID: 123").
- 400 with category ``VALIDATION_ERROR`` raises :class:`HubSpotValidationError`
  (an :class:`~arrimage.engine.errors.InvalidInputError`) naming the property.
- 404 raises :class:`HubSpotNotFoundError`. Other 4xx raise :class:`HubSpotRejectedError`.

The token never appears in logs or messages, and email addresses in paths are masked there.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import httpx

from arrimage.connectors.api_client import BearerClient
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
from arrimage.i18n import LazyText, _l
from arrimage.logs import mask_email

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.hubapi.com"
CONTACTS_PATH = "/crm/v3/objects/contacts"
# HubSpot's maximum ``limit`` for one page of the search endpoint.
MAX_SEARCH_PAGE_SIZE = 200
# Characters of a non-JSON body kept in a message: enough for an error line, short of a page.
EXCERPT_CHARS = 200
EXISTING_ID_PATTERN = re.compile(r"Existing ID:\s*(\d+)", re.IGNORECASE)
# HubSpot puts the invalid properties in the message as a JSON list after this prefix.
INVALID_PROPERTIES_PREFIX = "Property values were not valid:"


@dataclass(frozen=True)
class PropertyError:
    """One problem that an error body reports, on a property when it names one."""

    property: str | None
    message: str
    code: str | None = None

    def render(self) -> str:
        """Return ``property: message``, or the message alone."""
        return f"{self.property}: {self.message}" if self.property else self.message


@dataclass(frozen=True)
class ErrorBody:
    """HubSpot's error body: ``message``, ``category`` and the per-property errors."""

    message: str | None
    category: str | None = None
    errors: tuple[PropertyError, ...] = ()
    policy: str | None = None

    def summary(self) -> str:
        """Return one readable line: the property errors, else the message."""
        if self.errors:
            return "; ".join(error.render() for error in self.errors)
        return self.message or "-"

    @property
    def property(self) -> str | None:
        """Return the first property that the errors name, or None."""
        return next((error.property for error in self.errors if error.property), None)

    def to_record(self) -> dict[str, Any]:
        """Return the body as JSON-ready data for the run record."""
        return {
            "api_message": self.message,
            "category": self.category,
            "errors": [{"property": error.property, "message": error.message, "code": error.code}
                       for error in self.errors],
        }


def parse_error_body(content: bytes) -> ErrorBody:
    """Read a HubSpot error body, tolerating other shapes and plain text.

    Per-property errors come from the ``errors`` list (``context.propertyName`` or ``name``),
    else from the JSON list that follows "Property values were not valid:" in ``message``.
    """
    text = content.decode("utf-8", errors="replace")
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return ErrorBody(_excerpt(text) or None)

    message = data.get("message") if isinstance(data.get("message"), str) else None
    category = data.get("category") if isinstance(data.get("category"), str) else None
    policy = data.get("policyName") if isinstance(data.get("policyName"), str) else None
    errors = _errors_of(data.get("errors"))
    if not errors and message and message.startswith(INVALID_PROPERTIES_PREFIX):
        errors = _embedded_errors(message[len(INVALID_PROPERTIES_PREFIX):])
    return ErrorBody(message, category, tuple(errors), policy)


def _errors_of(value: Any) -> list[PropertyError]:
    if not isinstance(value, list):
        return []
    found = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("message"), str):
            continue
        context = item.get("context") if isinstance(item.get("context"), dict) else {}
        names = context.get("propertyName") or item.get("name")
        name = names[0] if isinstance(names, list) and names else names
        code = item.get("code") or item.get("error")
        found.append(PropertyError(str(name) if name else None, item["message"],
                                   str(code) if code else None))
    return found


def _embedded_errors(text: str) -> list[PropertyError]:
    try:
        items = json.loads(text.strip())
    except ValueError:
        return []
    return _errors_of(items) if isinstance(items, list) else []


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


class InvalidTokenError(AuthenticationError):
    """HubSpot returned 401: the access token is invalid, expired or revoked."""

    code = "hubspot_invalid_token"


class MissingScopesError(AuthenticationError):
    """HubSpot returned 403: the private app lacks a scope this request needs."""

    code = "hubspot_missing_scopes"


class HubSpotRejectedError(AppRejectedError):
    """HubSpot returned a 4xx status. ``body`` contains its message and property errors."""

    code = "hubspot_rejected"

    def __init__(self, message: LazyText, *, body: ErrorBody, status_code: int) -> None:
        super().__init__(message, status_code=status_code, **body.to_record())
        self.body = body


class HubSpotNotFoundError(HubSpotRejectedError):
    """HubSpot returned 404: no contact has this id or email address."""

    code = "hubspot_not_found"


class ContactExistsError(HubSpotRejectedError):
    """HubSpot returned 409: a contact with this email address exists already."""

    code = "hubspot_contact_exists"

    @property
    def existing_id(self) -> str | None:
        """Return the id that HubSpot's message gives for the existing contact, or None."""
        match = EXISTING_ID_PATTERN.search(self.body.message or "")
        return match[1] if match else None


class HubSpotValidationError(InvalidInputError):
    """HubSpot rejected a property value (400). ``property`` names the first one."""

    code = "hubspot_invalid"

    def __init__(self, message: LazyText, *, body: ErrorBody, status_code: int) -> None:
        super().__init__(message, status_code=status_code, **body.to_record())
        self.body = body

    @property
    def property(self) -> str | None:
        """Return the first property that the response blames, or None."""
        return self.body.property


class HubSpotClient(BearerClient):
    """Call the CRM API of one HubSpot account with a private app's access token.

    Pooling and timeouts work as in :class:`BearerClient`.
    """

    app_name = "HubSpot access"
    base_url_hint = DEFAULT_BASE_URL

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.Client | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        super().__init__(token, base_url, http, timeout_seconds)

    # Account

    def get_account_details(self) -> dict[str, Any]:
        """Call ``GET /account-info/v3/details``: the portal id, time zone and currency."""
        return self._request("GET", "/account-info/v3/details")

    # Contacts

    def list_contacts(self, limit: int = 1) -> dict[str, Any]:
        """Call ``GET /crm/v3/objects/contacts`` for one page (needs the contacts read scope)."""
        return self._request("GET", CONTACTS_PATH, params={"limit": limit})

    def get_contact(
        self, key: str, *, by_email: bool = False, properties: Iterable[str] = ()
    ) -> dict[str, Any] | None:
        """Call ``GET /crm/v3/objects/contacts/{key}``: the contact, or None if none matches.

        ``by_email`` looks the contact up by email address (``idProperty=email``) instead of
        by record id.
        """
        params: dict[str, str] = {}
        if by_email:
            params["idProperty"] = "email"
        if properties:
            params["properties"] = ",".join(properties)
        try:
            return self._request("GET", f"{CONTACTS_PATH}/{path_segment(key)}", params=params)
        except HubSpotNotFoundError:
            return None

    def create_contact(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``POST /crm/v3/objects/contacts`` with the properties of a new contact."""
        return self._request("POST", CONTACTS_PATH, json={"properties": dict(properties)})

    def update_contact(self, contact_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``PATCH /crm/v3/objects/contacts/{id}``: change the given properties only."""
        return self._request("PATCH", f"{CONTACTS_PATH}/{path_segment(contact_id)}",
                             json={"properties": dict(properties)})

    def search_contacts(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``POST /crm/v3/objects/contacts/search``: ``total``, ``results`` and ``paging``."""
        return self._request("POST", f"{CONTACTS_PATH}/search", json=dict(body))

    # Transport

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        request_name = describe_request(method, path)
        started = time.monotonic()
        try:
            response = self._http.request(
                method, self.base_url + path, params=params, json=json, headers=headers,
                timeout=self.timeout_seconds,
            )
        except httpx.TimeoutException as exc:
            logger.warning("HubSpot %s timed out after %s s", request_name, self.timeout_seconds)
            raise StepTimeoutError(_l(
                "HubSpot did not respond to {request} within {seconds} s. Arrimage will try "
                "again.", request=request_name, seconds=self.timeout_seconds)) from exc
        except httpx.TransportError as exc:
            problem = str(exc) or type(exc).__name__
            logger.warning("HubSpot %s failed: %s", request_name, problem)
            raise ConnectError(_l(
                "Arrimage could not reach HubSpot at {url}: {problem}. Check the connection's "
                "address. Arrimage will try again.", url=self.base_url, problem=problem)) from exc

        logger.debug("HubSpot %s returned %d in %.3f s", request_name, response.status_code,
                     time.monotonic() - started)
        raise_for_status(response, request_name)
        return _decode(response, request_name)


def path_segment(key: str) -> str:
    """Return a contact id or email address encoded as one path segment (``+`` as ``%2B``)."""
    return quote(str(key).strip(), safe="")


def describe_request(method: str, path: str) -> str:
    """Return ``METHOD /path`` for messages and logs, with email addresses masked."""
    segments = [unquote(segment) for segment in path.split("/")]
    masked = [mask_email(segment) if "@" in segment else segment for segment in segments]
    return f"{method} {'/'.join(masked)}"


def rate_limit_wait(headers: httpx.Headers) -> float | None:
    """Return the seconds to wait after a 429, from ``Retry-After`` or HubSpot's own headers.

    Without ``Retry-After``, a response whose ``X-HubSpot-RateLimit-Remaining`` is 0 means the
    rolling interval is used up, so the wait is one interval
    (``X-HubSpot-RateLimit-Interval-Milliseconds``).
    """
    retry_after = parse_retry_after(headers.get("retry-after"))
    if retry_after is not None:
        return retry_after
    remaining = headers.get("x-hubspot-ratelimit-remaining")
    interval = headers.get("x-hubspot-ratelimit-interval-milliseconds")
    if remaining is not None and remaining.strip() == "0" and interval and interval.strip().isdigit():
        return int(interval) / 1000
    return None


def raise_for_status(response: httpx.Response, request_name: str) -> None:
    """Raise the error that matches a 4xx or 5xx response, and do nothing for other statuses."""
    status = response.status_code
    if status < 400:
        return

    body = parse_error_body(response.content)
    if status == 429:
        wait = rate_limit_wait(response.headers)
        logger.warning("HubSpot %s returned 429 (%s) with a wait of %s s",
                       request_name, body.policy or "no policy name", wait)
        if wait is None:
            message = _l("HubSpot limits the request rate and rejected {request} (429). "
                         "Arrimage will try again later.", request=request_name)
        else:
            message = _l("HubSpot limits the request rate and rejected {request} (429). "
                         "Arrimage will try again in {seconds} s.",
                         request=request_name, seconds=round(wait, 1))
        raise RateLimitedError(message, status_code=429, retry_after=wait, **body.to_record())
    if status >= 500:
        logger.warning("HubSpot %s returned %d", request_name, status)
        raise ServerError(
            _l("HubSpot had a server error ({status}) on {request}. Arrimage will try again. "
               "Response from HubSpot: {detail}",
               status=status, request=request_name, detail=body.summary()),
            status_code=status, retry_after=parse_retry_after(response.headers.get("retry-after")),
            **body.to_record(),
        )
    raise client_error(status, request_name, body)


def client_error(status: int, request_name: str, body: ErrorBody) -> Exception:
    """Build the error for a 4xx other than 429, from its status and HubSpot's category."""
    detail = body.summary()
    if status == 401:
        return InvalidTokenError(
            _l("HubSpot rejected the access token (401). Copy the token of your private app "
               "again (in HubSpot: Settings > Integrations > Private Apps) and save it in the "
               "connection. Response from HubSpot: {detail}", detail=detail),
            status_code=status, **body.to_record())
    if status == 403:
        return MissingScopesError(
            _l("HubSpot denied {request} (403). Give the private app the scopes "
               "crm.objects.contacts.read and crm.objects.contacts.write, then copy its token "
               "again. Response from HubSpot: {detail}", request=request_name, detail=detail),
            status_code=status, **body.to_record())
    if status == 404:
        return HubSpotNotFoundError(
            _l("HubSpot found nothing for {request}. Response from HubSpot: {detail}",
               request=request_name, detail=detail),
            body=body, status_code=status)
    if status == 409:
        return ContactExistsError(
            _l("A contact with this email address already exists in HubSpot. Response from "
               "HubSpot: {detail}", detail=detail),
            body=body, status_code=status)
    if status == 400 and (body.category == "VALIDATION_ERROR" or body.errors):
        if body.property:
            message = _l("HubSpot rejected the value of the property {property} (400). Correct "
                         "the value mapped to it. Response from HubSpot: {detail}",
                         property=body.property, detail=detail)
        else:
            message = _l("HubSpot rejected {request} as invalid (400). Correct the step's "
                         "fields. Response from HubSpot: {detail}",
                         request=request_name, detail=detail)
        return HubSpotValidationError(message, body=body, status_code=status)
    return HubSpotRejectedError(
        _l("HubSpot rejected {request} ({status}). Response from HubSpot: {detail}",
           request=request_name, status=status, detail=detail),
        body=body, status_code=status)


def _decode(response: httpx.Response, request_name: str) -> dict[str, Any]:
    # Every route this client calls returns a JSON object. Anything else in a 2xx comes from
    # a proxy or an outage page, not from the API.
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    raise ServerError(
        _l("HubSpot answered {request} with a body that is not a JSON object. Arrimage will "
           "try again. Start of the body: {excerpt}", request=request_name,
           excerpt=_excerpt(response.text) or "-"),
        status_code=response.status_code)
