"""Choose where the rows of an import go: an automation's events, or Cyberimpact batches.

An automation whose only step is Cyberimpact's "create contact" or "find or create contact"
imports in batches, each row mapped by the step's own input templates with the row as
``trigger``. Any other automation gets one event per row. ``--bulk`` without an automation
sends the mapped columns to a connection's account in batches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arrimage.connectors.context import FormatSettings
from arrimage.connectors.declaration import OperationKind
from arrimage.engine.document import ActionStep, AutomationDocument
from arrimage.engine.errors import ArrimageError
from arrimage.engine.executor import field_location, template_data
from arrimage.i18n import _l
from arrimage.imports.reading import SourceRow

if TYPE_CHECKING:
    from arrimage.runtime import Runtime

CONTACT_ACTIONS = {"create_contact": "create", "find_or_create_contact": "find_or_create"}


@dataclass(frozen=True)
class ContactStep:
    """The Cyberimpact step of an automation that can import in batches."""

    step: ActionStep
    existing_policy: str


def contact_step(document: AutomationDocument) -> ContactStep | None:
    """Return the automation's step when it is a single Cyberimpact contact action, else None."""
    if len(document.steps) != 1:
        return None
    step = document.steps[0]
    if not isinstance(step, ActionStep) or step.app != "cyberimpact":
        return None
    policy = CONTACT_ACTIONS.get(step.action)
    return None if policy is None else ContactStep(step, policy)


def step_values(
    runtime: Runtime, found: ContactStep, file_name: str
) -> Callable[[SourceRow], dict[str, Any]]:
    """Return a function that maps a row with the step's input, as a run would.

    ``event.received_at`` is the time of the import, and ``event.id`` is empty.
    """
    app = runtime.apps.get(found.step.app)
    operation = app.operation(OperationKind.ACTION, found.step.action) if app else None
    if operation is None:
        raise ArrimageError(_l(
            "The app {app} has no action {action} in this version of Arrimage.",
            app=found.step.app, action=found.step.action))
    received_at = dt.datetime.now(dt.timezone.utc).isoformat()

    def values_of(row: SourceRow) -> dict[str, Any]:
        data = template_data(row.payload(file_name), {}, {"id": "", "received_at": received_at})
        values: dict[str, Any] = {}
        for field in operation.fields:
            if field.key in found.step.input:
                values[field.key] = runtime.renderer.render(
                    found.step.input[field.key], data, field_location(found.step.id, field.key))
            elif field.default is not None:
                values[field.key] = field.default
        return values

    return values_of


def column_values(row: SourceRow) -> dict[str, Any]:
    """Map a row by its matched columns only (``--bulk`` without an automation)."""
    return dict(row.values)


def date_order_formats(date_order: str) -> FormatSettings:
    """Return the default conversions with another order of numeric dates."""
    return FormatSettings(date_order=date_order)
