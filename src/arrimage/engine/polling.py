"""Polling triggers: ask an app for new items on a schedule and turn them into events.

The first poll after an automation is turned on only *seeds* the state: it records the ids and
the cursor the app returns and fires nothing old. Later polls store each item not seen before
as an event (keyed by the source's id, so the events table rejects a repeat), then save the new
cursor and seen ids. A poll that fails keeps the previous cursor, so nothing is skipped, and
records its error on the trigger state.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from arrimage.connectors.context import TriggerContext
from arrimage.connectors.declaration import IncomingEvent, Operation, OperationKind, PollState, TriggerMode
from arrimage.engine.errors import ArrimageError
from arrimage.engine.intake import dedup_key
from arrimage.i18n import SUPPORTED_LOCALES, current_locale
from arrimage.logs import ContextAdapter
from arrimage.storage.events import NewEvent
from arrimage.storage.trigger_states import MAX_SEEN_IDS

if TYPE_CHECKING:
    from arrimage.runtime import Runtime

logger = logging.getLogger(__name__)


def polling_operation(runtime: Runtime, app_key: str, trigger_key: str) -> Operation | None:
    """Return the trigger operation if it is a polling one, else None."""
    app = runtime.apps.get(app_key)
    operation = app.operation(OperationKind.TRIGGER, trigger_key) if app else None
    if operation is None or operation.mode is not TriggerMode.POLLING or operation.poll is None:
        return None
    return operation


def schedule_polls(runtime: Runtime) -> int:
    """Enqueue a poll for each enabled polling automation whose interval has passed.

    The interval is the automation's ``trigger.poll_interval_minutes``, else the trigger's own.
    """
    count = 0
    for automation_id, app_key, trigger_key in runtime.trigger_states.due_automations():
        operation = polling_operation(runtime, app_key, trigger_key)
        if operation is None:
            continue
        active = runtime.automations.active(automation_id)
        if active is None:
            continue
        minutes = active.document.trigger.poll_interval_minutes
        interval = minutes * 60 if minutes is not None else operation.poll_interval_seconds
        if runtime.trigger_states.claim_due(automation_id, interval):
            runtime.enqueue_poll(automation_id)
            count += 1
    return count


def poll_automation(runtime: Runtime, automation_id: str) -> list[str]:
    """Poll the trigger of ``automation_id`` once; return the ids of the runs it queued."""
    log = ContextAdapter(logger, {"automation_id": automation_id})
    active = runtime.automations.active(automation_id)
    if active is None or not active.enabled:
        return []
    spec = active.document.trigger
    operation = polling_operation(runtime, spec.app, spec.event)
    if operation is None or operation.poll is None:
        return []

    state = runtime.trigger_states.get(automation_id)
    now = datetime.now(timezone.utc)
    try:
        connection = runtime.connections.resolve(spec.connection, spec.app) if spec.connection else None
        context = TriggerContext(automation_id=automation_id, options=dict(spec.input),
                                 connection=connection, http=runtime.http, logger=log)
        result = operation.poll(context, PollState(cursor=state.cursor, seen_ids=list(state.seen_ids)))
    except Exception as exc:  # any failure: keep the cursor, record why, try again next time
        if state.error is None:
            log.error("poll of %s.%s failed: %s", spec.app, spec.event, exc)
        state.error = poll_error_text(exc)
        state.polled_at = now
        runtime.trigger_states.save(state)
        return []

    if state.error is not None:
        log.info("poll of %s.%s works again", spec.app, spec.event)
    seen = set(state.seen_ids)
    fresh = [event for event in result.events if _source_key(event) not in seen]
    run_ids: list[str] = []
    if state.seeded_at is None:
        log.info("trigger seeded with %d existing items; none of them fires", len(result.events))
        state.seeded_at = now
    elif fresh:
        stored = runtime.events.store(
            automation_id, active.version,
            [NewEvent(payload=event.payload, dedup_key=dedup_key(event, None, 0, 1)) for event in fresh],
            headers={},
        )
        run_ids = [event.run_id for event in stored if event.run_id and not event.duplicate]
        for run_id in run_ids:
            runtime.enqueue_run(run_id)

    state.seen_ids = [*state.seen_ids, *(_source_key(event) for event in fresh)]
    if len(state.seen_ids) > MAX_SEEN_IDS:
        # The events table's unique key still rejects a repeat of a dropped id.
        log.warning("trigger keeps the newest %d of %d seen ids; older ones are dropped",
                    MAX_SEEN_IDS, len(state.seen_ids))
    state.cursor = result.cursor
    state.polled_at = now
    state.error = None
    runtime.trigger_states.save(state)
    return run_ids


def _source_key(event: IncomingEvent) -> str:
    return event.dedup_key or dedup_key(event, None, 0, 1)


def poll_error_text(error: Exception) -> str:
    """Return how a failed poll is stored: JSON with the message in every locale.

    The scheduler's thread has no reader's language, so the reader's one is chosen when the
    error is shown (see :func:`describe_poll_error`).
    """
    if isinstance(error, ArrimageError):
        message = error.message.as_dict()
    else:
        # A connector bug: the exception's class is then the reader's best clue.
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        message = {locale: text for locale in SUPPORTED_LOCALES}
    return json.dumps({"type": type(error).__name__, "message": message}, ensure_ascii=False)


def describe_poll_error(stored: str | None, locale: str | None = None) -> str | None:
    """Return a stored poll error's message in ``locale``, without its class name.

    Text stored by older versions, which was not JSON, is returned as is.
    """
    if not stored:
        return None
    try:
        error = json.loads(stored)
        messages: dict[str, str] = error["message"]
        wanted = (locale or current_locale()).split("_")[0]
        text = next((value for key, value in messages.items() if key.split("_")[0] == wanted),
                    messages["en"])
        return str(text)
    except (ValueError, KeyError, TypeError, AttributeError):
        return stored
