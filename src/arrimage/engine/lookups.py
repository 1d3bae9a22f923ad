"""Data read live from an app for people building automations: sample items and choices.

"Load sample data" shows a trigger's recent real items, so that mappings can be written against
the shapes the app really sends. Choice lists (such as an account's groups) fill the fields
whose choices depend on the connection. Neither stores anything or starts a run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from arrimage.connectors.context import TriggerContext
from arrimage.connectors.declaration import Operation, OperationKind
from arrimage.engine.errors import InvalidInputError, NotFoundError
from arrimage.i18n import _l
from arrimage.logs import ContextAdapter

if TYPE_CHECKING:
    from arrimage.runtime import Runtime

logger = logging.getLogger(__name__)

MAX_SAMPLES = 10


def load_trigger_samples(
    runtime: Runtime,
    app_key: str,
    trigger_key: str,
    connection: str | None = None,
    options: dict[str, Any] | None = None,
    limit: int = 3,
) -> dict[str, Any]:
    """Return ``{"source", "items"}``: up to ``limit`` recent items of a trigger.

    ``source`` is ``"app"`` when the items come from the account, and ``"declared"`` when the
    trigger cannot fetch items or the account has none yet, in which case ``items`` contains the
    trigger's declared sample. Errors from the app (invalid token, unknown group) are raised.
    """
    operation = _trigger(runtime, app_key, trigger_key)
    limit = max(1, min(limit, MAX_SAMPLES))
    if operation.load_samples is None:
        return {"source": "declared", "items": [dict(operation.sample)]}

    context = _context(runtime, app_key, connection, options or {}, operation)
    items = operation.load_samples(context, limit)
    if not items:
        return {"source": "declared", "items": [dict(operation.sample)]}
    return {"source": "app", "items": items[:limit]}


def load_choices(runtime: Runtime, app_key: str, source: str, connection: str) -> list[dict[str, Any]]:
    """Return the choices of ``app_key``'s choice ``source`` for a connection."""
    app = runtime.apps.get(app_key)
    if app is None:
        raise NotFoundError(_l("Unknown app {app}. Known: {known}.", app=repr(app_key),
                               known=", ".join(runtime.apps)))
    load = app.choice_sources.get(source)
    if load is None:
        known = ", ".join(app.choice_sources) or "-"
        raise NotFoundError(_l("The app {app} has no choice list {source}. Known: {known}.",
                               app=app_key, source=repr(source), known=known))
    return load(_context(runtime, app_key, connection, {}, None))


def _trigger(runtime: Runtime, app_key: str, trigger_key: str) -> Operation:
    app = runtime.apps.get(app_key)
    if app is None:
        raise NotFoundError(_l("Unknown app {app}. Known: {known}.", app=repr(app_key),
                               known=", ".join(runtime.apps)))
    operation = app.operation(OperationKind.TRIGGER, trigger_key)
    if operation is None:
        known = ", ".join(trigger.key for trigger in app.triggers) or "-"
        raise NotFoundError(_l("The app {app} has no trigger {value}. Known: {known}.",
                               app=app_key, value=repr(trigger_key), known=known))
    return operation


def _context(
    runtime: Runtime,
    app_key: str,
    connection: str | None,
    options: dict[str, Any],
    operation: Operation | None,
) -> TriggerContext:
    needs_connection = operation is None or operation.needs_connection
    if needs_connection and not connection:
        raise InvalidInputError(_l(
            "Choose a connection to {app}: Arrimage reads this from the account.", app=app_key))
    resolved = runtime.connections.resolve(connection, app_key) if connection else None
    log = ContextAdapter(logger, {"connection_id": resolved.id if resolved else None})
    return TriggerContext(automation_id="", options=options, connection=resolved,
                          http=runtime.http, logger=log)


def check_connection(runtime: Runtime, app_key: str, values: dict[str, Any]) -> str | None:
    """Check credentials with the app and return the account's name.

    Returns None when the app has no check. Raises the app's error (such as
    :class:`~arrimage.engine.errors.AuthenticationError` for an invalid token).
    """
    app = runtime.apps.get(app_key)
    if app is None:
        raise NotFoundError(_l("Unknown app {app}. Known: {known}.", app=repr(app_key),
                               known=", ".join(runtime.apps)))
    if app.check_connection is None:
        return None
    return app.check_connection(values)


def check_stored_connection(runtime: Runtime, reference: str) -> dict[str, Any]:
    """Check a saved connection (by id or name) and return ``{"id", "app", "account"}``."""
    summary = _stored_summary(runtime, reference)
    stored = runtime.connections.resolve(summary["id"], summary["app"])
    account = check_connection(runtime, stored.app, {**stored.config, **stored.secrets})
    return {"id": stored.id, "app": stored.app, "account": account}


def _stored_summary(runtime: Runtime, reference: str) -> dict[str, Any]:
    matches = [summary for summary in runtime.connections.list()
               if reference in (summary["id"], summary["name"])]
    if not matches:
        raise NotFoundError(_l("No connection has the id or name {reference}.",
                               reference=repr(reference)))
    return matches[0]
