"""An HTTP client of the Cyberimpact REST API v4, with every failure mapped to a step error.

Requests carry ``Authorization: Bearer <token>`` and JSON bodies. Calls whose response contains
dates ask for ``dateReturnFormat=ISO8601``, because Cyberimpact otherwise returns Eastern time
with no offset. Member keys (an email address or a numeric id) are URL-encoded whole, so a
``+`` in an address reaches the API as ``%2B`` and not as a space. The exception tree is drawn
in :mod:`arrimage.connectors.cyberimpact.errors`.

The token never appears in logs or messages, and email addresses in paths are masked there.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any, NoReturn
from urllib.parse import quote, unquote, urlencode

import httpx

from arrimage.connectors.api_client import BearerClient
from arrimage.connectors.cyberimpact.errors import (
    AccessDeniedError,
    ConsentConflictError,
    CyberimpactNotFoundError,
    CyberimpactRejectedError,
    CyberimpactValidationError,
    ErrorBody,
    InvalidTokenError,
    MemberExistsError,
    UnsubscribedError,
    excerpt,
    parse_error_body,
)
from arrimage.engine.errors import (
    ConnectError,
    PermanentStepError,
    RateLimitedError,
    ServerError,
    StepTimeoutError,
)
from arrimage.engine.retry import parse_retry_after
from arrimage.i18n import _l
from arrimage.logs import mask_email

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.cyberimpact.com"
DEFAULT_PAGE_SIZE = 20  # Cyberimpact's default ``limit``
MAX_PAGE_SIZE = 10_000  # Cyberimpact's documented maximum ``limit``
ITER_PAGE_SIZE = 500
ISO_DATES = {"dateReturnFormat": "ISO8601"}

# Phrases of an error body that mark a duplicate member or an unsubscribed address. Cyberimpact
# documents neither response, so these match the usual wording ("already exists", "has already
# been taken", "is unsubscribed") whatever status comes with it.
EXISTS_PATTERN = re.compile(r"\balready (?:exists?|been taken|registered|subscribed)\b")
UNSUBSCRIBED_PATTERN = re.compile(r"\bunsubscribed\b")
CONSENT_PATH = re.compile(r"^/members/[^/]+/consent$")

FilterValue = str | int | date


class CyberimpactClient(BearerClient):
    """Call the Cyberimpact API of one account (pooling and timeouts: :class:`BearerClient`)."""

    app_name = "Cyberimpact API"
    base_url_hint = "https://api.cyberimpact.com or the sandbox's http://127.0.0.1:<port>"

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.Client | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        super().__init__(token, base_url, http, timeout_seconds)

    # Account

    def ping(self) -> dict[str, Any]:
        """Call ``GET /ping``: check the token and return the account's name and email."""
        return self._request("GET", "/ping", dates=False)

    def list_custom_fields(self) -> list[dict[str, Any]]:
        """Call ``GET /customfields`` and return the ``customFields`` list (not paginated)."""
        body = self._request("GET", "/customfields", dates=False)
        fields: list[dict[str, Any]] = body.get("customFields", [])
        return fields

    # Members

    def get_member(self, key: str | int) -> dict[str, Any] | None:
        """Call ``GET /members/{key}`` and return the member, or None if no email or id matches."""
        try:
            return self._request("GET", f"/members/{member_key(key)}")
        except CyberimpactNotFoundError:
            return None

    def create_member(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``POST /members``: add a member without a confirmation email."""
        return self._request("POST", "/members", json=dict(fields))

    def add_member_groups(self, key: str | int, group_ids: Iterable[int]) -> list[dict[str, Any]]:
        """Call ``POST /members/{key}/groups`` and return all of the member's groups after it.

        The POST route adds groups and keeps the member's others. The PUT route would replace
        them, so this client never calls it.
        """
        ids = [int(group_id) for group_id in group_ids]
        if not ids:
            raise ValueError("add_member_groups needs at least one group id")
        body = self._request(
            "POST",
            f"/members/{member_key(key)}/groups",
            json={"groups": ",".join(str(group_id) for group_id in ids)},
        )
        groups: list[dict[str, Any]] = body.get("groups", [])
        return groups

    def iter_member_groups(
        self, key: str | int, *, page_size: int = ITER_PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Yield every group of ``GET /members/{key}/groups``, page after page."""
        return self._iter_pages(f"/members/{member_key(key)}/groups", "groups", page_size, {})

    def get_unsubscribed_member(self, email: str) -> dict[str, Any] | None:
        """Call ``GET /members/unsubscribed/{email}``: the member if it unsubscribed, else None.

        ``GET /members/{key}`` also returns unsubscribed members, so this is how to tell them apart.
        """
        try:
            return self._request("GET", f"/members/unsubscribed/{member_key(email)}")
        except CyberimpactNotFoundError:
            return None

    def get_member_consent(self, key: str | int) -> dict[str, Any]:
        """Call ``GET /members/{key}/consent``: its type, relation type, date and proof."""
        return self._request("GET", f"/members/{member_key(key)}/consent")

    def put_member_consent(self, key: str | int, consent: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``PUT /members/{key}/consent`` with ``relationType``, ``consentDate`` and proof."""
        return self._request("PUT", f"/members/{member_key(key)}/consent", json=dict(consent))

    def send_optin(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``POST /members/optins``: email a confirmation request to the address.

        Returns ``{"<opt-in request id>": "created"}``. The member exists only after the
        person confirms.
        """
        return self._request("POST", "/members/optins", json=dict(fields), dates=False)

    def list_members(
        self, *, page: int = 1, limit: int = DEFAULT_PAGE_SIZE, **filters: FilterValue
    ) -> dict[str, Any]:
        """Call ``GET /members`` for one page: ``members``, ``totalCount``, ``page``, ``limit``.

        ``filters`` are the API's query parameters, such as ``status="all"`` (the default
        ``active`` leaves out members in no group), ``sort`` or ``joinedOnFrom``.
        """
        return self._request("GET", "/members", params=_page_params(page, limit, filters))

    def iter_members(
        self, *, page_size: int = ITER_PAGE_SIZE, **filters: FilterValue
    ) -> Iterator[dict[str, Any]]:
        """Yield every member that ``GET /members`` lists with ``filters``, page after page."""
        return self._iter_pages("/members", "members", page_size, filters)

    # Groups

    def list_groups(
        self, *, page: int = 1, limit: int = DEFAULT_PAGE_SIZE, **filters: FilterValue
    ) -> dict[str, Any]:
        """Call ``GET /groups`` for one page: ``groups``, ``totalCount``, ``page``, ``limit``."""
        return self._request("GET", "/groups", params=_page_params(page, limit, filters))

    def iter_groups(
        self, *, page_size: int = ITER_PAGE_SIZE, **filters: FilterValue
    ) -> Iterator[dict[str, Any]]:
        """Yield every group of ``GET /groups``, page after page."""
        return self._iter_pages("/groups", "groups", page_size, filters)

    def get_group(self, group_id: int) -> dict[str, Any] | None:
        """Call ``GET /groups/{id}`` and return the group, or None if no group has this id."""
        try:
            return self._request("GET", f"/groups/{int(group_id)}")
        except CyberimpactNotFoundError:
            return None

    def create_group(self, title: str, is_public: bool) -> dict[str, Any]:
        """Call ``POST /groups``: create a static group (public ones appear on forms)."""
        return self._request("POST", "/groups", json={"title": title, "isPublic": is_public})

    def list_group_members(
        self,
        group_id: int,
        page: int = 1,
        limit: int = DEFAULT_PAGE_SIZE,
        **filters: FilterValue,
    ) -> dict[str, Any]:
        """Call ``GET /groups/{id}/members`` for one page of the group's subscribed members."""
        return self._request(
            "GET", f"/groups/{int(group_id)}/members", params=_page_params(page, limit, filters)
        )

    def iter_group_members(
        self, group_id: int, *, page_size: int = ITER_PAGE_SIZE, **filters: FilterValue
    ) -> Iterator[dict[str, Any]]:
        """Yield every subscribed member of a group, page after page."""
        return self._iter_pages(f"/groups/{int(group_id)}/members", "members", page_size, filters)

    def iter_unsubscribed_members(
        self, *, page_size: int = ITER_PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Yield every member of ``GET /members/unsubscribed`` (items have no ``id``)."""
        return self._iter_pages("/members/unsubscribed", "members", page_size, {})

    def iter_bounced_members(self, *, page_size: int = ITER_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Yield every member of ``GET /members/bounced`` (last mailing hard-bounced)."""
        return self._iter_pages("/members/bounced", "members", page_size, {})

    # Batches

    def create_batch(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``POST /batches`` and return the batch (``id``, ``status`` ``NEW``).

        Cyberimpact processes the batch later. Read its outcome with :meth:`get_batch`.
        """
        return self._request("POST", "/batches", json=dict(body))

    def get_batch(self, batch_id: int, *, error_details: bool = True) -> dict[str, Any]:
        """Call ``GET /batches/{id}``: ``status`` and, once ``COMPLETED``, ``result``.

        ``result`` has ``successes`` (the keys as submitted) and ``errors`` (``id`` and
        ``description``). ``error_details`` sets ``showErrorDetails``.
        """
        params = {"showErrorDetails": "true" if error_details else "false"}
        return self._request("GET", f"/batches/{int(batch_id)}", params=params)

    # Transport

    def _iter_pages(
        self, path: str, collection: str, page_size: int, filters: Mapping[str, FilterValue]
    ) -> Iterator[dict[str, Any]]:
        # NOTE: pages are offsets, as the API has no cursor. A member added or removed while
        # the pages are read shifts the later pages, so one item can be seen twice or missed.
        page = 1
        while True:
            body = self._request("GET", path, params=_page_params(page, page_size, filters))
            items: list[dict[str, Any]] = body.get(collection, [])
            yield from items

            # A server may serve fewer items per page than requested; its ``limit`` gives the count.
            served_limit = min(_int_or(body.get("limit"), page_size), MAX_PAGE_SIZE)
            total = _int_or(body.get("totalCount"), 0)
            if not items or page * served_limit >= total:
                return
            # Requesting the served size keeps later pages aligned with the items already read.
            page_size = served_limit
            page += 1

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, FilterValue] | None = None,
        json: Any = None,
        dates: bool = True,
    ) -> dict[str, Any]:
        query = {**(ISO_DATES if dates else {}), **(params or {})}
        url = self.base_url + path
        if query:
            # Encoded here rather than passed as ``params``, because httpx then parses and
            # rebuilds the URL once more on every request.
            url += "?" + urlencode({name: _query_value(value) for name, value in query.items()})
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        request_name = describe_request(method, path)
        started = time.monotonic()
        try:
            response = self._http.request(
                method,
                url,
                json=json,
                headers=headers,
                timeout=self.timeout_seconds,
            )
        except httpx.TimeoutException as exc:
            logger.warning(
                "Cyberimpact %s timed out after %s s", request_name, self.timeout_seconds
            )
            raise StepTimeoutError(
                _l("Cyberimpact did not respond to {request} within {seconds} s. Arrimage "
                   "will try again.", request=request_name, seconds=self.timeout_seconds)
            ) from exc
        except httpx.TransportError as exc:
            problem = str(exc) or type(exc).__name__
            logger.warning("Cyberimpact %s failed: %s", request_name, problem)
            raise ConnectError(
                _l("Arrimage could not reach Cyberimpact at {url}: {problem}. Check the "
                   "connection's address. Arrimage will try again.",
                   url=self.base_url, problem=problem)
            ) from exc

        logger.debug(
            "Cyberimpact %s returned %d in %.3f s",
            request_name, response.status_code, time.monotonic() - started,
        )
        raise_for_status(response, method, path)
        return _decode(response, request_name)


def member_key(key: str | int) -> str:
    """Return a member's email address or id encoded as one path segment (``+`` as ``%2B``)."""
    return quote(str(key).strip(), safe="")


def describe_request(method: str, path: str) -> str:
    """Return ``METHOD /path`` for messages and logs, with email addresses masked."""
    segments = [unquote(segment) for segment in path.split("/")]
    masked = [mask_email(segment) if "@" in segment else segment for segment in segments]
    return f"{method} {'/'.join(masked)}"


def raise_for_status(response: httpx.Response, method: str, path: str) -> None:
    """Raise the error that matches a 4xx or 5xx response, and do nothing for other statuses."""
    status = response.status_code
    if status < 400:
        return

    request_name = describe_request(method, path)
    body = parse_error_body(response.content, response.headers.get("content-type", ""))
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if status == 429:
        _raise_rate_limited(request_name, body, retry_after)
    if status >= 500:
        logger.warning("Cyberimpact %s returned %d", request_name, status)
        raise ServerError(
            _l("Cyberimpact had a server error ({status}) on {request}. Arrimage will try "
               "again. Response from Cyberimpact: {detail}",
               status=status, request=request_name, detail=body.summary()),
            status_code=status,
            retry_after=retry_after,
            **body.to_record(),
        )
    raise _client_error(status, method, path, body)


def _raise_rate_limited(request_name: str, body: ErrorBody, retry_after: float | None) -> NoReturn:
    logger.warning("Cyberimpact %s returned 429 with Retry-After %s s", request_name, retry_after)
    if retry_after is None:
        message = _l("Cyberimpact limits the request rate and rejected {request} (429). "
                     "Arrimage will try again later.", request=request_name)
    else:
        message = _l("Cyberimpact limits the request rate and rejected {request} (429). "
                     "Arrimage will try again in {seconds} s.",
                     request=request_name, seconds=round(retry_after))
    raise RateLimitedError(message, status_code=429, retry_after=retry_after, **body.to_record())


def _client_error(status: int, method: str, path: str, body: ErrorBody) -> PermanentStepError:
    """Build the error for a 4xx other than 429, from its status and the body's wording."""
    request_name = describe_request(method, path)
    detail = body.summary()
    if status == 401:
        return InvalidTokenError(
            _l("Cyberimpact rejected the API token (401). Create a token under Developers > "
               "API tokens in Cyberimpact and save it in the connection. Response from "
               "Cyberimpact: {detail}",
               detail=detail),
            status_code=status,
            **body.to_record(),
        )
    if status == 403:
        return AccessDeniedError(
            _l("Cyberimpact denied access to {request} (403). Use a token created by an "
               "administrator, on a plan that includes API access. Response from "
               "Cyberimpact: {detail}",
               request=request_name, detail=detail),
            status_code=status,
            **body.to_record(),
        )
    if status == 404:
        return CyberimpactNotFoundError(
            _l("Cyberimpact found nothing for {request}. Check the email address or id, and "
               "that it belongs to this account. Response from Cyberimpact: {detail}",
               request=request_name, detail=detail),
            body=body, status_code=status,
        )

    wording = body.text()
    if status == 409 or EXISTS_PATTERN.search(wording):
        return MemberExistsError(
            _l("A contact with this email address already exists in Cyberimpact. Update the "
               "existing contact instead of creating it. Response from Cyberimpact: {detail}",
               detail=detail),
            body=body, status_code=status,
        )
    if UNSUBSCRIBED_PATTERN.search(wording):
        return UnsubscribedError(
            _l("This contact unsubscribed, so Cyberimpact does not add it again. Only an "
               "opt-in request that the contact confirms can subscribe it again. Response "
               "from Cyberimpact: {detail}",
               detail=detail),
            body=body, status_code=status,
        )
    if status == 422 and CONSENT_PATH.match(path):
        return ConsentConflictError(
            _l("Cyberimpact kept the contact's current consent, because an express consent "
               "cannot be replaced by an implied one. Leave the consent unchanged. Response "
               "from Cyberimpact: {detail}",
               detail=detail),
            body=body, status_code=status,
        )
    if status in (400, 422):
        return _validation_error(status, request_name, body)
    return CyberimpactRejectedError(
        _l("Cyberimpact rejected {request} ({status}). Response from Cyberimpact: {detail}",
           request=request_name, status=status, detail=detail),
        body=body, status_code=status,
    )


def _validation_error(
    status: int, request_name: str, body: ErrorBody
) -> CyberimpactValidationError:
    if body.field is None:
        message = _l("Cyberimpact rejected {request} as invalid ({status}). Correct the step's "
                     "fields. Response from Cyberimpact: {detail}",
                     request=request_name, status=status,
                     detail=body.summary())
    else:
        message = _l("Cyberimpact rejected the value of the field {field} ({status}). Correct "
                     "the value mapped to this field. Response from Cyberimpact: {detail}",
                     field=body.field, status=status,
                     detail=body.summary())
    return CyberimpactValidationError(message, body=body, status_code=status)


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
        _l("Cyberimpact answered {request} with a body that is not a JSON object. Arrimage "
           "will try again. Start of the body: {excerpt}", request=request_name,
           excerpt=excerpt(response.text) or "-"),
        status_code=response.status_code,
    )


def _page_params(
    page: int, limit: int, filters: Mapping[str, FilterValue]
) -> dict[str, FilterValue]:
    if page < 1:
        raise ValueError(f"page must be 1 or more, not {page}")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, not {limit}")
    return {**filters, "page": page, "limit": limit}


def _int_or(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def _query_value(value: FilterValue) -> str | int:
    # Cyberimpact's date filters take whole days as yyyy-mm-dd.
    return value.isoformat() if isinstance(value, date) else value
