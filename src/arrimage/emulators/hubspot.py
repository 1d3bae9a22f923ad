"""A local emulator of HubSpot's CRM v3 contacts API, and a sender of signed webhook batches.

:class:`HubSpotEmulator` keeps contacts in memory and serves, on 127.0.0.1 only:

- ``GET /account-info/v3/details``
- ``GET /crm/v3/objects/contacts`` (``limit``, ``after``, ``properties``)
- ``GET /crm/v3/objects/contacts/{id}`` (``idProperty=email``, ``properties``)
- ``POST /crm/v3/objects/contacts`` and ``PATCH /crm/v3/objects/contacts/{id}``
- ``POST /crm/v3/objects/contacts/search`` (filters EQ, NEQ, GT, GTE, LT, LTE, HAS_PROPERTY,
  NOT_HAS_PROPERTY; sorts; ``limit`` up to 200; ``after``; ``total``)

with HubSpot's JSON shapes: objects are ``{id, properties, createdAt, updatedAt, archived}``
and errors ``{status, message, correlationId, category}``. Requests need
``Authorization: Bearer <token>`` with one of the emulator's tokens. Admin routes under
``/_emulator`` reset the data, set faults and add contacts with a chosen creation date.

Facts taken from HubSpot's public documentation: the routes and shapes above, 409 with
"Contact already exists. Existing ID: <id>" on a duplicate email, the search page maximum of
200, and the webhook signature v3. Assumptions where the documentation shows no example:
validation errors list the invalid properties as JSON after "Property values were not valid:",
429 responses carry ``Retry-After`` only when :class:`Faults` sets one, and known properties
are a fixed list (:data:`KNOWN_PROPERTIES`) plus those given to the emulator.

:func:`send_webhook_batch` posts a batch of events to a URL, signed like HubSpot (v3, plus the
older v1 header). ``python -m arrimage.emulators.hubspot --port 8467`` serves the emulator in the
foreground, with the token ``emulator-token``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from arrimage.emulators.serving import BackgroundServer

DEFAULT_TOKEN = "emulator-token"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"
DEFAULT_PORTAL_ID = 12345678
MAX_SEARCH_LIMIT = 200
# HubSpot's search returns at most 10 000 results for one query.
MAX_SEARCH_RESULTS = 10_000
# Properties returned when a request names none (HubSpot's default set for contacts).
DEFAULT_RETURNED = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")
KNOWN_PROPERTIES = frozenset({
    "email", "firstname", "lastname", "company", "phone", "mobilephone", "website", "jobtitle",
    "address", "city", "state", "zip", "country", "lifecyclestage", "hs_language",
    "hs_lead_status", "createdate", "lastmodifieddate", "hs_object_id",
})
READ_ONLY_PROPERTIES = frozenset({"createdate", "lastmodifieddate", "hs_object_id"})
LIFECYCLE_STAGES = frozenset({
    "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
    "customer", "evangelist", "other",
})
LANGUAGES = frozenset({"en", "fr", "fr-ca", "en-us", "en-gb", "es", "de", "pt-br", "it", "nl"})
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Faults:
    """Failures the emulator injects into API requests (admin routes are exempt)."""

    # Serve this many requests, then respond to the next ``throttle_count`` ones with 429.
    throttle_after: int | None = None
    throttle_count: int = 1
    # Retry-After sent with a 429, in seconds; None sends only HubSpot's rate-limit headers.
    retry_after_seconds: int | None = 1
    # Respond to the next N requests with 500.
    fail_next: int = 0
    # The next create finds its email taken by a contact "another client" created just before.
    create_race: bool = False


@dataclass
class _State:
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_id: Iterator[int] = field(default_factory=lambda: itertools.count(151))
    faults: Faults = field(default_factory=Faults)
    requests_seen: int = 0
    throttled: int = 0
    log: list[str] = field(default_factory=list)


class HubSpotEmulator:
    """In-memory HubSpot contacts with the HTTP API above; safe to share between threads."""

    def __init__(
        self,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        *,
        portal_id: int = DEFAULT_PORTAL_ID,
        custom_properties: Iterable[str] = (),
    ) -> None:
        self.tokens = frozenset(tokens)
        self.portal_id = portal_id
        self.known_properties = KNOWN_PROPERTIES | frozenset(custom_properties)
        self._lock = threading.Lock()
        self._state = _State()
        self.app = Starlette(routes=[
            Route("/account-info/v3/details", self._account, methods=["GET"]),
            Route("/crm/v3/objects/contacts", self._list, methods=["GET"]),
            Route("/crm/v3/objects/contacts", self._create, methods=["POST"]),
            Route("/crm/v3/objects/contacts/search", self._search, methods=["POST"]),
            Route("/crm/v3/objects/contacts/{key}", self._get, methods=["GET"]),
            Route("/crm/v3/objects/contacts/{key}", self._update, methods=["PATCH"]),
            Route("/_emulator/reset", self._admin_reset, methods=["POST"]),
            Route("/_emulator/faults", self._admin_faults, methods=["PUT"]),
            Route("/_emulator/contacts", self._admin_add, methods=["POST"]),
        ])

    # Direct access, for tests and demonstrations

    def reset(self) -> None:
        """Delete every contact and clear the faults and the request log."""
        with self._lock:
            self._state = _State()

    def set_faults(self, **settings: Any) -> None:
        """Replace the injected faults (see :class:`Faults`)."""
        with self._lock:
            self._state.faults = Faults(**settings)
            self._state.requests_seen = 0
            self._state.throttled = 0

    def add_contact(self, properties: dict[str, Any], created_at: dt.datetime | None = None) -> dict[str, Any]:
        """Store a contact as if created at ``created_at`` (now by default); return its object."""
        with self._lock:
            return self._insert(properties, created_at or _now())

    def contact(self, contact_id: str) -> dict[str, Any] | None:
        """Return the stored contact with all its properties, or None."""
        with self._lock:
            stored = self._state.contacts.get(str(contact_id))
            return json.loads(json.dumps(stored)) if stored else None

    def find_by_email(self, email: str) -> dict[str, Any] | None:
        """Return the stored contact with this email address, or None."""
        with self._lock:
            found = self._by_email(email)
            return json.loads(json.dumps(found)) if found else None

    @property
    def request_log(self) -> list[str]:
        """``METHOD /path`` of each API request served, in order."""
        with self._lock:
            return list(self._state.log)

    # Store

    def _insert(self, properties: dict[str, Any], created_at: dt.datetime) -> dict[str, Any]:
        contact_id = str(next(self._state.next_id))
        stamp = _iso(created_at)
        stored = {key: _text(value) for key, value in properties.items()}
        if "email" in stored:
            stored["email"] = stored["email"].lower()
        stored.update({"createdate": stamp, "lastmodifieddate": stamp, "hs_object_id": contact_id})
        contact = {"id": contact_id, "properties": stored, "createdAt": stamp, "updatedAt": stamp,
                   "archived": False}
        self._state.contacts[contact_id] = contact
        return contact

    def _by_email(self, email: str) -> dict[str, Any] | None:
        address = email.strip().lower()
        return next((contact for contact in self._state.contacts.values()
                     if contact["properties"].get("email") == address), None)

    # Middleware: faults, then authentication

    def _check(self, request: Request) -> Response | None:
        state = self._state
        state.log.append(f"{request.method} {request.url.path}")
        faults = state.faults
        state.requests_seen += 1
        if faults.fail_next > 0:
            faults.fail_next -= 1
            return _error(500, "internal error", "INTERNAL_ERROR")
        if (faults.throttle_after is not None and state.requests_seen > faults.throttle_after
                and state.throttled < faults.throttle_count):
            state.throttled += 1
            headers = {"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": "0",
                       "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
            if faults.retry_after_seconds is not None:
                headers["Retry-After"] = str(faults.retry_after_seconds)
            body = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
                    "policyName": "TEN_SECONDLY_ROLLING"}
            return JSONResponse(body, status_code=429, headers=headers)
        authorization = request.headers.get("authorization", "")
        token = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
        if token not in self.tokens:
            return _error(401, "Authentication credentials not found. This API supports OAuth 2.0 "
                               "authentication and you can find more details at "
                               "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                          "INVALID_AUTHENTICATION")
        return None

    # API routes

    async def _account(self, request: Request) -> Response:
        with self._lock:
            if (failure := self._check(request)) is not None:
                return failure
        return JSONResponse({
            "portalId": self.portal_id, "accountType": "STANDARD", "timeZone": "America/Toronto",
            "companyCurrency": "CAD", "additionalCurrencies": [], "utcOffset": "-05:00",
            "utcOffsetMilliseconds": -18_000_000, "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        })

    async def _list(self, request: Request) -> Response:
        with self._lock:
            if (failure := self._check(request)) is not None:
                return failure
            limit = _int(request.query_params.get("limit"), 10)
            start = _int(request.query_params.get("after"), 0)
            names = _names(request.query_params.get("properties"))
            ordered = sorted(self._state.contacts.values(), key=lambda contact: int(contact["id"]))
            page = ordered[start:start + limit]
            body: dict[str, Any] = {"results": [_view(contact, names) for contact in page]}
        if start + limit < len(ordered):
            body["paging"] = {"next": {"after": str(start + limit)}}
        return JSONResponse(body)

    async def _get(self, request: Request) -> Response:
        with self._lock:
            if (failure := self._check(request)) is not None:
                return failure
            contact = self._lookup(request)
            if contact is None:
                return _error(404, "resource not found", "OBJECT_NOT_FOUND")
            return JSONResponse(_view(contact, _names(request.query_params.get("properties"))))

    async def _create(self, request: Request) -> Response:
        payload = await _json(request)
        with self._lock:
            if (failure := self._check(request)) is not None:
                return failure
            properties, problem = self._validate(payload)
            if problem is not None:
                return problem
            if self._state.faults.create_race and properties.get("email"):
                self._state.faults.create_race = False
                self._insert({"email": properties["email"]}, _now())
            existing = self._by_email(str(properties.get("email", "")))
            if existing is not None and properties.get("email"):
                return _error(409, f"Contact already exists. Existing ID: {existing['id']}", "CONFLICT")
            contact = self._insert(properties, _now())
            return JSONResponse(_view(contact, list(properties)), status_code=201)

    async def _update(self, request: Request) -> Response:
        payload = await _json(request)
        with self._lock:
            if (failure := self._check(request)) is not None:
                return failure
            contact = self._lookup(request)
            if contact is None:
                return _error(404, "resource not found", "OBJECT_NOT_FOUND")
            properties, problem = self._validate(payload)
            if problem is not None:
                return problem
            email = properties.get("email")
            other = self._by_email(str(email)) if email else None
            if other is not None and other["id"] != contact["id"]:
                return _error(409, f"Contact already exists. Existing ID: {other['id']}", "CONFLICT")
            for key, value in properties.items():
                contact["properties"][key] = value.lower() if key == "email" else value
            stamp = _iso(_now())
            contact["properties"]["lastmodifieddate"] = stamp
            contact["updatedAt"] = stamp
            return JSONResponse(_view(contact, list(properties)))

    async def _search(self, request: Request) -> Response:
        payload = await _json(request)
        with self._lock:
            if (failure := self._check(request)) is not None:
                return failure
            if not isinstance(payload, dict):
                return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
            limit = payload.get("limit", 10)
            if not isinstance(limit, int) or not 1 <= limit <= MAX_SEARCH_LIMIT:
                return _error(400, f"limit must be between 1 and {MAX_SEARCH_LIMIT}", "VALIDATION_ERROR")
            start = _int(payload.get("after"), 0)
            if start + limit > MAX_SEARCH_RESULTS:
                return _error(400, "The search API returns at most 10000 results", "VALIDATION_ERROR")
            try:
                matches = [contact for contact in self._state.contacts.values()
                           if _matches(contact, payload.get("filterGroups") or [])]
                matches = _sorted(matches, payload.get("sorts") or [])
            except ValueError as problem:
                return _error(400, str(problem), "VALIDATION_ERROR")
            names = [str(name) for name in payload.get("properties") or []]
            page = matches[start:start + limit]
            body: dict[str, Any] = {"total": len(matches),
                                    "results": [_view(contact, names) for contact in page]}
        if start + limit < len(matches):
            body["paging"] = {"next": {"after": str(start + limit)}}
        return JSONResponse(body)

    # Admin routes

    async def _admin_reset(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"reset": True})

    async def _admin_faults(self, request: Request) -> Response:
        payload = await _json(request)
        try:
            self.set_faults(**(payload if isinstance(payload, dict) else {}))
        except TypeError as problem:
            return _error(400, str(problem), "VALIDATION_ERROR")
        return JSONResponse({"faults": payload})

    async def _admin_add(self, request: Request) -> Response:
        payload = await _json(request)
        if not isinstance(payload, dict) or not isinstance(payload.get("properties"), dict):
            return _error(400, "send {\"properties\": {...}, \"createdAt\": ISO date}", "VALIDATION_ERROR")
        created = payload.get("createdAt")
        moment = dt.datetime.fromisoformat(created.replace("Z", "+00:00")) if isinstance(created, str) else None
        return JSONResponse(self.add_contact(payload["properties"], moment), status_code=201)

    # Helpers that need the store

    def _lookup(self, request: Request) -> dict[str, Any] | None:
        key = request.path_params["key"]
        if request.query_params.get("idProperty") == "email":
            return self._by_email(key)
        return self._state.contacts.get(key)

    def _validate(self, payload: Any) -> tuple[dict[str, str], Response | None]:
        properties = payload.get("properties") if isinstance(payload, dict) else None
        if not isinstance(properties, dict):
            return {}, _error(400, "Invalid input JSON: properties is required", "VALIDATION_ERROR")
        problems = []
        cleaned: dict[str, str] = {}
        for name, value in properties.items():
            text = _text(value)
            if name not in self.known_properties:
                problems.append((name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            elif name in READ_ONLY_PROPERTIES:
                problems.append((name, "READ_ONLY_VALUE", f"{name} is a read only property; its value cannot be set."))
            elif name == "email" and text and not EMAIL_PATTERN.match(text):
                problems.append((name, "INVALID_EMAIL", f"Email address {text} is invalid"))
            elif name == "lifecyclestage" and text and text not in LIFECYCLE_STAGES and not text.isdigit():
                problems.append((name, "INVALID_OPTION", f"{text} was not one of the allowed options"))
            elif name == "hs_language" and text and text not in LANGUAGES:
                problems.append((name, "INVALID_OPTION", f"{text} was not one of the allowed options"))
            else:
                cleaned[name] = text
        if not problems:
            return cleaned, None
        listed = [{"isValid": False, "message": message, "error": code, "name": name}
                  for name, code, message in problems]
        return {}, _error(400, "Property values were not valid: " + json.dumps(listed), "VALIDATION_ERROR")


def _view(contact: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Return the contact with the requested properties (the default set when none is named)."""
    returned = list(dict.fromkeys([*(names or DEFAULT_RETURNED), "createdate", "lastmodifieddate",
                                 "hs_object_id"]))
    stored = contact["properties"]
    return {"id": contact["id"], "properties": {name: stored.get(name) for name in returned},
            "createdAt": contact["createdAt"], "updatedAt": contact["updatedAt"],
            "archived": contact["archived"]}


def _matches(contact: dict[str, Any], groups: list[Any]) -> bool:
    """Return whether the contact meets any filter group (all filters of a group hold)."""
    if not groups:
        return True
    return any(all(_holds(contact, flt) for flt in group.get("filters") or []) for group in groups)


def _holds(contact: dict[str, Any], flt: dict[str, Any]) -> bool:
    name, operator = flt.get("propertyName"), flt.get("operator")
    value = contact["properties"].get(name)
    if operator == "HAS_PROPERTY":
        return value not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return value in (None, "")
    if operator not in ("EQ", "NEQ", "GT", "GTE", "LT", "LTE"):
        raise ValueError(f"Unsupported filter operator {operator}")
    if value in (None, ""):
        return operator == "NEQ"
    left, right = _comparable(name, value), _comparable(name, flt.get("value"))
    return {
        "EQ": left == right, "NEQ": left != right, "GT": left > right, "GTE": left >= right,
        "LT": left < right, "LTE": left <= right,
    }[operator]


def _comparable(name: str | None, value: Any) -> Any:
    text = _text(value)
    if name in ("createdate", "lastmodifieddate"):
        # Dates compare as epoch milliseconds, given as digits or as an ISO 8601 date.
        if text.isdigit():
            return int(text)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return int(moment.timestamp() * 1000)
    return text.lower()


def _sorted(contacts: list[dict[str, Any]], sorts: list[Any]) -> list[dict[str, Any]]:
    ordered = sorted(contacts, key=lambda contact: int(contact["id"]))
    for sort in reversed(sorts):
        if isinstance(sort, str):
            name, descending = sort.lstrip("-"), sort.startswith("-")
        else:
            name, descending = sort.get("propertyName"), sort.get("direction") == "DESCENDING"
        ordered.sort(key=lambda contact: _comparable(name, contact["properties"].get(name) or "0"),
                     reverse=descending)
    return ordered


def _error(status: int, message: str, category: str) -> JSONResponse:
    return JSONResponse({"status": "error", "message": message,
                         "correlationId": str(uuid.uuid4()), "category": category},
                        status_code=status)


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None


def _names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Serving

class EmulatorServer(BackgroundServer):
    """Serve a :class:`HubSpotEmulator` with uvicorn on a free 127.0.0.1 port, in a thread."""

    def __init__(self, emulator: HubSpotEmulator | None = None) -> None:
        self.emulator = emulator or HubSpotEmulator()
        super().__init__(self.emulator.app, name="HubSpot emulator", lifespan="off")


@contextmanager
def running_emulator(emulator: HubSpotEmulator | None = None) -> Iterator[EmulatorServer]:
    """Serve an emulator for the duration of a ``with`` block."""
    server = EmulatorServer(emulator).start()
    try:
        yield server
    finally:
        server.stop()


# Webhooks

_event_ids = itertools.count(1_000_001)


def creation_event(contact_id: str | int, *, portal_id: int = DEFAULT_PORTAL_ID,
                   subscription_type: str = "contact.creation",
                   event_id: int | None = None) -> dict[str, Any]:
    """Return one webhook event shaped like HubSpot's, for a contact id."""
    return {
        "eventId": event_id if event_id is not None else next(_event_ids),
        "subscriptionId": 234567,
        "portalId": portal_id,
        "appId": 987654,
        "occurredAt": int(time.time() * 1000),
        "subscriptionType": subscription_type,
        "attemptNumber": 0,
        "objectId": int(contact_id),
        "changeFlag": "CREATED",
        "changeSource": "CRM_UI",
    }


def sign_v3(client_secret: str, method: str, uri: str, body: bytes, timestamp_ms: int) -> str:
    """Return HubSpot's v3 signature: base64 of HMAC-SHA256(method + URI + body + timestamp)."""
    signed = method.encode() + uri.encode() + body + str(timestamp_ms).encode()
    return base64.b64encode(hmac.new(client_secret.encode(), signed, hashlib.sha256).digest()).decode()


def send_webhook_batch(
    url: str,
    events: list[dict[str, Any]],
    client_secret: str = DEFAULT_CLIENT_SECRET,
    *,
    timestamp_ms: int | None = None,
    signed_url: str | None = None,
    http: httpx.Client | None = None,
) -> httpx.Response:
    """POST ``events`` as one JSON array to ``url``, signed like HubSpot, and return the response.

    ``timestamp_ms`` defaults to now; ``signed_url`` (default ``url``) is the URL put in the
    signature, to imitate a proxy or a wrong target URL.
    """
    body = json.dumps(events, separators=(",", ":")).encode()
    timestamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Request-Timestamp": str(timestamp),
        "X-HubSpot-Signature-v3": sign_v3(client_secret, "POST", signed_url or url, body, timestamp),
        "X-HubSpot-Signature-Version": "v1",
        "X-HubSpot-Signature": hashlib.sha256(client_secret.encode() + body).hexdigest(),
        "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) (emulated)",
    }
    if http is not None:
        return http.post(url, content=body, headers=headers)
    return httpx.post(url, content=body, headers=headers, timeout=10)


def main(argv: list[str] | None = None) -> None:
    """Serve the emulator in the foreground: ``python -m arrimage.emulators.hubspot``."""
    import argparse

    parser = argparse.ArgumentParser(description="Local HubSpot contacts API emulator (127.0.0.1 only).")
    parser.add_argument("--port", type=int, default=8467, help="TCP port (default 8467)")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help=f"accepted access token (default {DEFAULT_TOKEN})")
    options = parser.parse_args(argv)
    emulator = HubSpotEmulator(tokens=[options.token])
    uvicorn.run(emulator.app, host="127.0.0.1", port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
