"""The HubSpot "new contact" triggers: instant (webhook) and polling (search API).

Instant trigger. HubSpot posts a JSON array of up to 100 events, signed with the app's client
secret (signature v3). A ``contact.creation`` event carries the contact's id but none of its
properties. ``parse`` does no API call: it checks the signature and the timestamp, then stores
one event per ``contact.creation`` item, keyed by HubSpot's ``eventId`` so a redelivered batch
starts no second run. The properties are read at the start of each run by
:func:`enrich_new_contact`, which the engine records as the step "trigger_details". The
reasons for reading them there rather than in ``parse``:

- The intake responds to HubSpot only after the events are committed, and may run on the web
  server's event loop. A batch of 100 events would mean 100 API calls before the answer, and
  HubSpot counts a delivery as failed when the answer takes more than 5 seconds.
- A fetch that fails in ``parse`` could only drop the event or store it without properties.
  In a step it is retried with back-off (429, 5xx, timeouts) and the run can be replayed.
- A fetch at run time reads the contact as it is then, with the properties HubSpot's
  workflows may have added just after the creation.

Polling trigger. ``POST /crm/v3/objects/contacts/search`` with ``createdate >= from``, sorted by
``createdate`` ascending and paged with ``after``. The search index lags a little behind
writes, so each poll reads again the :data:`LOOKBACK` before the newest creation date it saw,
and the cursor keeps the ids read in that window to skip them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import unquote

from arrimage.connectors.context import StepContext, TriggerContext, WebhookRequest
from arrimage.connectors.declaration import IncomingEvent, PollResult, PollState
from arrimage.connectors.hubspot.client import MAX_SEARCH_PAGE_SIZE, HubSpotClient
from arrimage.connectors.hubspot.connection import (
    DEFAULT_PROPERTIES,
    client_for_connection,
    contact_output,
    property_names,
)
from arrimage.engine.errors import InvalidInputError, WebhookRejectedError
from arrimage.i18n import _l

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-hubspot-signature-v3"
TIMESTAMP_HEADER = "x-hubspot-request-timestamp"
# HubSpot's v3 instructions reject a request whose timestamp is older than 5 minutes.
MAX_TIMESTAMP_AGE_MS = 5 * 60 * 1000
CREATION_EVENT = "contact.creation"

# How far before the newest creation date seen the next poll reads again.
# NOTE: HubSpot does not document a bound on its search index's lag; 5 minutes is a margin.
LOOKBACK_MS = 5 * 60 * 1000
POLL_PAGE_SIZE = 100
# Pages read per poll at most; the next poll goes on from the last creation date read.
MAX_POLL_PAGES = 20


# Instant trigger

def parse_new_contact_webhook(context: TriggerContext, request: WebhookRequest) -> list[IncomingEvent]:
    """Check HubSpot's v3 signature, then return one event per ``contact.creation`` item."""
    verify_signature_v3(context, request, now_ms=int(time.time() * 1000))
    items = _batch(request.body)

    events = []
    for item in items:
        kind = item.get("subscriptionType")
        if kind != CREATION_EVENT:
            logger.info("HubSpot event %s of type %s ignored: only %s starts a run",
                        item.get("eventId"), kind, CREATION_EVENT,
                        extra={"automation_id": context.automation_id})
            continue
        if item.get("objectId") is None or item.get("eventId") is None:
            logger.warning("HubSpot %s event without objectId or eventId ignored", CREATION_EVENT,
                           extra={"automation_id": context.automation_id})
            continue
        events.append(IncomingEvent(payload=creation_payload(item),
                                    dedup_key=f"event:{item['eventId']}"))
    return events


def creation_payload(item: dict[str, Any]) -> dict[str, Any]:
    """Return the payload of a run started by one ``contact.creation`` event."""
    occurred = item.get("occurredAt")
    occurred_at = (
        dt.datetime.fromtimestamp(occurred / 1000, dt.timezone.utc).isoformat(timespec="milliseconds")
        if isinstance(occurred, int | float) else None
    )
    return {
        "contact_id": str(item["objectId"]),
        "event_id": str(item["eventId"]),
        "portal_id": item.get("portalId"),
        "occurred_at": occurred_at,
        "change_source": item.get("changeSource"),
        "subscription_type": item.get("subscriptionType"),
        "attempt_number": item.get("attemptNumber"),
    }


def enrich_new_contact(context: StepContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Return the event with the contact's properties, read at the start of the run.

    The engine records this as the run's "trigger_details" step, retried like any step. A
    contact deleted since its creation fails the run with that reason.
    """
    client = client_for_connection(context.connection, context.http, context.timeout_seconds)
    contact_id = str(payload.get("contact_id") or "")
    contact = client.get_contact(contact_id, properties=DEFAULT_PROPERTIES) if contact_id else None
    if contact is None:
        raise InvalidInputError(_l(
            "HubSpot has no contact with the id {id} any more: it was deleted or merged after "
            "its creation.", id=contact_id or "-"))
    return {**payload, **contact_output(contact)}


def verify_signature_v3(context: TriggerContext, request: WebhookRequest, *, now_ms: int) -> None:
    """Reject with 401 a delivery whose v3 signature or timestamp is missing, stale or wrong.

    The signed text is the method, the URL HubSpot called, the raw body and the timestamp. The
    URL is tried as published (``ARRIMAGE_PUBLIC_URL``) and as received, each also
    percent-decoded, because a proxy may stand between HubSpot and Arrimage.
    """
    secret = context.connection.value("client_secret") if context.connection else None
    if not isinstance(secret, str) or not secret.strip():
        raise WebhookRejectedError(401, _l(
            "This automation checks HubSpot's signature but its connection has no client "
            "secret: add the app's client secret to the HubSpot connection."))
    received = request.headers.get(SIGNATURE_HEADER, "").strip()
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    if not received or not timestamp:
        raise WebhookRejectedError(401, _l(
            "The headers X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp are required."))
    if not timestamp.isdigit() or abs(now_ms - int(timestamp)) > MAX_TIMESTAMP_AGE_MS:
        raise WebhookRejectedError(401, _l(
            "The HubSpot request timestamp {timestamp} is more than 5 minutes from this "
            "server's clock: the delivery is rejected as a possible replay. Check the server's "
            "clock if this repeats.", timestamp=timestamp))

    key = secret.strip().encode("utf-8")
    for uri in _signed_uris(request):
        signed = request.method.encode("utf-8") + uri.encode("utf-8") + request.body + timestamp.encode("ascii")
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
        if hmac.compare_digest(expected, received.encode("ascii", "replace")):
            return
    raise WebhookRejectedError(401, _l(
        "The signature in X-HubSpot-Signature-v3 does not match: check the client secret in "
        "the HubSpot connection, and that the target URL in HubSpot is the automation's "
        "webhook URL."))


def _signed_uris(request: WebhookRequest) -> list[str]:
    uris = []
    for url in (request.published_url, request.url):
        for candidate in (url, unquote(url)):
            if candidate and candidate not in uris:
                uris.append(candidate)
    return uris


def _batch(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRejectedError(400, _l(
            "The body is not a JSON array of HubSpot events.")) from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise WebhookRejectedError(400, _l("The body is not a JSON array of HubSpot events."))
    return data


# Polling trigger

def poll_new_contact(context: TriggerContext, state: PollState) -> PollResult:
    """Return the contacts created since the previous poll.

    The cursor is ``{"from": epoch ms, "ids": [...]}``: the creation date the next search starts
    at, and the ids already returned whose creation date is at or after it.
    """
    properties = [*DEFAULT_PROPERTIES, *property_names(context.options.get("properties"))]
    cursor = state.cursor or {}
    with _client(context) as client:
        if "from" not in cursor:
            return PollResult(events=[], cursor=_seed_cursor(client))
        read_from = int(cursor["from"])
        contacts, complete = _read_created_since(client, read_from, properties)

    seen = {str(contact_id) for contact_id in cursor.get("ids") or []}
    events = [
        IncomingEvent(payload=contact_output(contact), dedup_key=f"contact:{contact['id']}")
        for contact in contacts if str(contact["id"]) not in seen
    ]

    created = [(_created_ms(contact, read_from), str(contact["id"])) for contact in contacts]
    newest = max((moment for moment, _ in created), default=read_from)
    if complete:
        next_from = max(read_from, newest - LOOKBACK_MS)
        kept = {contact_id for moment, contact_id in created if moment >= next_from}
    else:
        # The pages were cut: the next poll starts at the last date read, without a look-back,
        # so it moves on even when the look-back window contains more contacts than one poll reads.
        next_from = newest
        read_ids = {contact_id for _, contact_id in created}
        kept = {contact_id for moment, contact_id in created if moment >= next_from}
        kept |= seen - read_ids
    return PollResult(events=events, cursor={"from": next_from, "ids": sorted(kept)})


def sample_new_contacts(context: TriggerContext, limit: int) -> list[dict[str, Any]]:
    """Return the most recently created contacts, newest first."""
    properties = [*DEFAULT_PROPERTIES, *property_names(context.options.get("properties"))]
    with _client(context) as client:
        body = client.search_contacts({
            "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
            "properties": properties,
            "limit": max(1, min(limit, MAX_SEARCH_PAGE_SIZE)),
        })
    return [contact_output(contact) for contact in body.get("results") or []][:limit]


def _seed_cursor(client: HubSpotClient) -> dict[str, Any]:
    """Return a cursor at the newest existing contact, or at now when there is none."""
    body = client.search_contacts({
        "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
        "properties": ["createdate"],
        "limit": 1,
    })
    results = body.get("results") or []
    now_ms = int(time.time() * 1000)
    if not results:
        return {"from": now_ms - LOOKBACK_MS, "ids": []}
    newest = results[0]
    return {"from": _created_ms(newest, now_ms), "ids": [str(newest["id"])]}


def _read_created_since(
    client: HubSpotClient, read_from: int, properties: list[str]
) -> tuple[list[dict[str, Any]], bool]:
    """Return the contacts created at or after ``read_from``, oldest first, and whether all were read."""
    contacts: list[dict[str, Any]] = []
    after: str | None = None
    for _page in range(MAX_POLL_PAGES):
        request: dict[str, Any] = {
            "filterGroups": [{"filters": [
                {"propertyName": "createdate", "operator": "GTE", "value": str(read_from)},
            ]}],
            "sorts": [{"propertyName": "createdate", "direction": "ASCENDING"}],
            "properties": properties,
            "limit": POLL_PAGE_SIZE,
        }
        if after is not None:
            request["after"] = after
        body = client.search_contacts(request)
        contacts.extend(contact for contact in body.get("results") or [] if contact.get("id") is not None)
        after = ((body.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return contacts, True
    logger.info("HubSpot poll read %d pages; the next poll goes on from there", MAX_POLL_PAGES)
    return contacts, False


def _created_ms(contact: dict[str, Any], default: int) -> int:
    properties = contact.get("properties") or {}
    for value in (properties.get("createdate"), contact.get("createdAt")):
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if text.isdigit():
                return int(text)
            try:
                moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)
            return int(moment.timestamp() * 1000)
    return default


def _client(context: TriggerContext) -> HubSpotClient:
    # Closing this client closes its connection pool only when it created one (no context.http).
    return client_for_connection(context.connection, context.http)
