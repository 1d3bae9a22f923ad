"""The apps of a dry run: Cyberimpact for real, every other app as a stand-in.

Cyberimpact is the only app with a dry-run target. Its steps call a private sandbox that contains
a copy of the account's groups and custom fields but no contacts, so its steps that look a
contact up carry a warning about it. Every operation of the other apps (HTTP requests and webhooks
included) is replaced by a stand-in whose ``perform`` calls nothing and returns the operation's
declared sample output, with a warning on the step. Triggers lose their ``enrich``, so a dry
run reads the trigger data as given.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from arrimage.connectors.context import StepContext
from arrimage.connectors.declaration import App, Operation, OperationKind, PerformFunction
from arrimage.engine.errors import AppRejectedError, StepError
from arrimage.i18n import LazyText, _l

# Apps whose steps a dry run really calls, against a private sandbox.
DRY_RUN_TARGETS = frozenset({"cyberimpact"})

# Warning codes on the steps of a dry run.
NOT_SENT = "dry_run.not_sent"
NOT_SEARCHED = "dry_run.not_searched"
NO_CONTACTS = "dry_run.no_contacts"

# The Cyberimpact operations that read a contact. In the dry run's copy of the account, every
# address is unknown unless an earlier step of the same dry run added it.
CONTACT_READERS = frozenset({
    (OperationKind.SEARCH, "find_contact"),
    (OperationKind.ACTION, "create_contact"),
    (OperationKind.ACTION, "find_or_create_contact"),
    (OperationKind.ACTION, "add_to_groups"),
})

NO_CONTACTS_NOTE = _l(
    "The dry run's copy of the Cyberimpact account contains its groups and custom fields but "
    "no contacts, so this step finds a contact only if an earlier step of this dry run added "
    "it.")


def dry_run_apps(apps: dict[str, App]) -> dict[str, App]:
    """Return ``apps`` with the stand-ins and notes of a dry run, keyed as given."""
    return {key: _dry_run_app(app) for key, app in apps.items()}


def _dry_run_app(app: App) -> App:
    triggers = tuple(
        replace(trigger, enrich=None) if trigger.enrich is not None else trigger
        for trigger in app.triggers
    )
    if app.key in DRY_RUN_TARGETS:
        actions = tuple(_with_contact_note(operation) for operation in app.actions)
        searches = tuple(_with_contact_note(operation) for operation in app.searches)
    else:
        actions = tuple(replace(operation, perform=_sample_perform(app, operation))
                        for operation in app.actions)
        searches = tuple(replace(operation, perform=_sample_perform(app, operation))
                         for operation in app.searches)
    return replace(app, triggers=triggers, actions=actions, searches=searches)


def _sample_perform(app: App, operation: Operation) -> PerformFunction:
    """Return a ``perform`` that calls nothing and returns a copy of the declared sample."""
    sample = copy.deepcopy(dict(operation.sample))
    if operation.kind is OperationKind.SEARCH:
        code = NOT_SEARCHED
        note = _l("{app} was not searched during the dry run, so later steps read this "
                  "search's sample output.", app=app.name)
    else:
        code = NOT_SENT
        note = _l("This step was not sent to {app} during the dry run, so later steps read "
                  "its sample output.", app=app.name)

    def perform_sample(context: StepContext, values: dict[str, Any]) -> Any:
        _warn(context, code, note)
        return copy.deepcopy(sample)

    return perform_sample


def _with_contact_note(operation: Operation) -> Operation:
    """Return ``operation`` with the no-contacts note, if it reads a contact."""
    perform = operation.perform
    if perform is None or (operation.kind, operation.key) not in CONTACT_READERS:
        return operation

    def perform_in_copy(context: StepContext, values: dict[str, Any]) -> Any:
        try:
            output = perform(context, values)
        except StepError as exc:
            if exc.status_code != 404:
                raise
            # The contact exists in the real account, maybe, but never in the copy.
            raise AppRejectedError(_l(
                "{reason} The dry run's copy of the Cyberimpact account contains no contacts, so "
                "an address that the real account has is unknown here.", reason=exc.message),
                status_code=404) from exc
        _warn(context, NO_CONTACTS, NO_CONTACTS_NOTE)
        return output

    return replace(operation, perform=perform_in_copy)


def _warn(context: StepContext, code: str, note: LazyText) -> None:
    context.warnings.append({"field": None, "code": code, "message": note.as_dict()})
