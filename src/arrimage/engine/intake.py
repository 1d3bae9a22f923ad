"""Webhook intake: check a delivery, store its events, and queue their runs.

The sender gets its response only after the events are committed, and each event carries
a de-duplication key: the source's event id when a known header has one, else a SHA-256 hash
of the event's canonical JSON. A repeated delivery gets the same response as the first and starts no run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arrimage.connectors.context import TriggerContext, WebhookRequest
from arrimage.connectors.declaration import App, IncomingEvent, OperationKind, TriggerMode
from arrimage.engine.errors import WebhookRejectedError
from arrimage.i18n import _l
from arrimage.storage.events import NewEvent, StoredEvent

if TYPE_CHECKING:
    from arrimage.runtime import Runtime

logger = logging.getLogger(__name__)

# Headers kept with an event: enough to understand a delivery, never credentials.
KEPT_HEADERS = ("content-type", "user-agent")
MAX_DEDUP_KEY_CHARS = 200


@dataclass(frozen=True)
class IntakeResult:
    events: list[StoredEvent]

    @property
    def all_duplicates(self) -> bool:
        # An empty array is an accepted delivery with no events, not a repeat of an earlier one.
        return bool(self.events) and all(event.duplicate for event in self.events)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "duplicate" if self.all_duplicates else "accepted",
            "events": [
                {"event_id": e.event_id, "run_id": e.run_id, "duplicate": e.duplicate}
                for e in self.events
            ],
        }


def accept_webhook(runtime: Runtime, automation_id: str, secret: str, request: WebhookRequest) -> IntakeResult:
    """Validate and store a delivery for ``automation_id``, then queue its runs.

    Raises :class:`WebhookRejectedError` with the HTTP status of the response: 404 for an unknown or
    disabled automation, 401 for a wrong secret or signature, 400/415 for a body that cannot be
    read.
    """
    active = runtime.automations.active(automation_id)
    if active is None or not active.enabled:
        raise WebhookRejectedError(404, _l(
            "No automation that is turned on has the id {id}: check the URL, and turn the "
            "automation on.", id=automation_id))
    if not secret or not runtime.automations.secret_matches(active, secret):
        raise WebhookRejectedError(401, _l(
            "The webhook secret is wrong for automation {id}: copy the webhook URL again.",
            id=automation_id))

    spec = active.document.trigger
    app: App | None = runtime.apps.get(spec.app)
    operation = app.operation(OperationKind.TRIGGER, spec.event) if app else None
    if operation is None or operation.mode is not TriggerMode.INSTANT or operation.parse is None:
        raise WebhookRejectedError(404, _l(
            "The automation {id} does not start from a webhook: its trigger is {app}.{event}.",
            id=automation_id, app=spec.app, event=spec.event))

    connection = runtime.connections.resolve(spec.connection, spec.app) if spec.connection else None
    context = TriggerContext(automation_id=automation_id, options=dict(spec.input), connection=connection)
    incoming = operation.parse(context, request)
    if not incoming:
        return IntakeResult([])

    id_headers = [str(spec.input.get("event_id_header") or "").strip().lower(), *operation.event_id_headers]
    delivery_id = next((request.headers[name] for name in id_headers if name and request.headers.get(name)), None)
    new_events = [
        NewEvent(payload=event.payload, dedup_key=dedup_key(event, delivery_id, index, len(incoming)))
        for index, event in enumerate(incoming)
    ]
    headers = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
    stored = runtime.events.store(automation_id, active.version, new_events, headers)

    for event in stored:
        if event.duplicate:
            logger.info("duplicate delivery ignored", extra={"automation_id": automation_id, "event_id": event.event_id})
        elif event.run_id:
            runtime.enqueue_run(event.run_id)
    return IntakeResult(stored)


def dedup_key(event: IncomingEvent, delivery_id: str | None, index: int, count: int) -> str:
    """Return the key that identifies ``event`` among the automation's events."""
    if event.dedup_key:
        key = f"id:{event.dedup_key}"
    elif delivery_id:
        key = f"hdr:{delivery_id}" if count == 1 else f"hdr:{delivery_id}:{index}"
    else:
        canonical = json.dumps(event.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    if len(key) > MAX_DEDUP_KEY_CHARS:
        return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key
