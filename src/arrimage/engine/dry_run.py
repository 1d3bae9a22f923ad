"""Dry runs: run an automation once on sample data without writing to any real account.

:func:`dry_run` validates the document, then starts one private in-memory Cyberimpact sandbox
for each Cyberimpact connection that the steps use (see :mod:`.dry_run_accounts`). Each
sandbox is seeded with a read-only copy of that account's groups and custom fields, with the
same ids and titles, so the group ids in the document exist in the copy. A real
:class:`~arrimage.engine.executor.Executor` then runs the document with a memory recorder and
no retries. Cyberimpact steps call their private sandbox, and the steps of every other app
return their operation's declared sample output without calling anything (see
:mod:`.dry_run_apps`). The sandboxes stop when the dry run ends, whatever the outcome.

The copy contains no contacts. A contact search therefore finds nothing, and actions treat every
address as new, unless an earlier step of the same dry run added the contact. Each such step
carries a warning that explains this.

:func:`recipients` lists the addresses that a real test would write to, for the confirmation
that names them. It uses the preview and calls no app.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from arrimage.connectors.context import ConnectionData
from arrimage.connectors.declaration import App
from arrimage.engine.document import AutomationDocument
from arrimage.engine.dry_run_accounts import DryRunWarning, start_private_accounts
from arrimage.engine.dry_run_apps import DRY_RUN_TARGETS, dry_run_apps
from arrimage.engine.errors import DocumentError
from arrimage.engine.executor import Executor, RetryPolicy, RunPlan
from arrimage.engine.preview import preview_automation
from arrimage.engine.records import RunStatus, StepRecord
from arrimage.engine.validation import check_document, load_document
from arrimage.i18n import current_locale, normalize_locale
from arrimage.logs import ContextAdapter

if TYPE_CHECKING:
    from arrimage.runtime import Runtime

logger = logging.getLogger(__name__)

# The run id and event id of every dry run, in logs and in templates ({{ event.id }}).
DRY_RUN_ID = "dry-run"

# Apps whose actions write a contact found by its email address, for recipients().
CONTACT_APPS = frozenset({"cyberimpact", "hubspot"})
# Actions that email the person: (app, action).
EMAILING_ACTIONS = frozenset({("cyberimpact", "send_optin")})


@dataclass
class DryRunStep:
    """One step of a dry run, as the executor recorded it.

    ``input`` is the step's input after mapping. ``warnings`` are ``{"field", "code",
    "message"}`` with the message in every language. ``error`` is the recorded error
    (``code``, ``message`` in every language, details) or None. ``dry`` is true when the
    step's app was not called and its declared sample output stood in for the real output.
    It is false for Cyberimpact steps, which called the private sandbox, and for filters and
    paths, which call no app.
    """

    step_id: str
    type: str
    app: str | None
    operation: str | None
    status: str
    input: Any
    output: Any
    warnings: list[dict[str, Any]]
    error: dict[str, Any] | None
    dry: bool

    def error_message(self, locale: str | None = None) -> str | None:
        """Return the error's message in ``locale``, or None when the step did not fail."""
        return _record_message(self.error, locale)

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        """Return the step as JSON-ready data, texts rendered in ``locale``."""
        return {
            "id": self.step_id,
            "type": self.type,
            "app": self.app,
            "operation": self.operation,
            "status": self.status,
            "input": self.input,
            "output": self.output,
            "warnings": [
                {"field": warning.get("field"), "code": warning.get("code"),
                 "message": _pick(warning.get("message"), locale)}
                for warning in self.warnings
            ],
            "error": None if self.error is None else {
                "code": self.error.get("code"), "message": self.error_message(locale)},
            "dry": self.dry,
        }


@dataclass
class DryRunResult:
    """The outcome of a dry run.

    ``status`` is succeeded, failed or filtered. ``error`` is the run's error (with the failed
    step's ``step_id``) or None. ``emails`` are the opt-in emails that the private sandboxes'
    outboxes contain at the end: ``connection`` (the connection's name), ``to``, ``subject``,
    ``locale`` and the ``groups``' titles. ``contacts`` are the contacts the private sandboxes
    contain at the end, so the ones that the dry run created, each with its ``connection``.
    ``warnings`` name the connections whose account could not be copied.
    """

    automation_id: str | None
    status: RunStatus
    steps: list[DryRunStep]
    emails: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[DryRunWarning] = field(default_factory=list)
    error: dict[str, Any] | None = None
    locale: str | None = None
    duration_ms: float = 0.0

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        """Return the result as JSON-ready data, texts rendered in ``locale``.

        Without ``locale``, texts are rendered in the locale given to :func:`dry_run`, else in
        the current one.
        """
        locale = locale or self.locale
        return {
            "automation_id": self.automation_id,
            "status": str(self.status),
            "error": None if self.error is None else {
                "step_id": self.error.get("step_id"), "code": self.error.get("code"),
                "message": _record_message(self.error, locale)},
            "steps": [step.to_dict(locale) for step in self.steps],
            "emails": self.emails,
            "contacts": self.contacts,
            "warnings": [warning.to_dict(locale) for warning in self.warnings],
            "duration_ms": self.duration_ms,
        }


class _MemoryRecorder:
    """Keeps step records in memory, in the order the steps were first saved."""

    def __init__(self) -> None:
        self.records: dict[str, StepRecord] = {}

    def save_step(self, record: StepRecord) -> None:
        self.records[record.step_id] = record


def dry_run(
    runtime: Runtime,
    document: AutomationDocument | dict[str, Any],
    trigger_data: dict[str, Any],
    *,
    locale: str | None = None,
) -> DryRunResult:
    """Run ``document`` once on ``trigger_data`` against private sandboxes, and return the result.

    Raises :class:`~arrimage.engine.errors.DocumentError` when the document is invalid. A
    Cyberimpact connection that does not exist fails its steps as in a real run. A connection
    whose account cannot be read gets an empty private account and a warning in the result.
    """
    parsed = _validated(document, runtime.apps)
    log = ContextAdapter(logger, {"automation_id": parsed.id, "run_id": DRY_RUN_ID})
    started = time.monotonic()

    with ExitStack() as stack:
        private = start_private_accounts(runtime, parsed, stack, log)

        def resolve_connection(reference: str, app_key: str) -> ConnectionData:
            # A Cyberimpact step never gets its real connection, so no real account is written.
            if app_key in DRY_RUN_TARGETS:
                return private.connection(reference)
            return runtime.connections.resolve(reference, app_key)

        executor = Executor(
            apps=dry_run_apps(runtime.apps),
            renderer=runtime.renderer,
            resolve_connection=resolve_connection,
            http=runtime.http,
            retry=RetryPolicy(max_attempts=1),
            timeout_seconds=runtime.settings.http_timeout_seconds,
        )
        recorder = _MemoryRecorder()
        plan = RunPlan(
            run_id=DRY_RUN_ID, automation_id=parsed.id or "", document=parsed,
            trigger_output=dict(trigger_data),
            event={"id": DRY_RUN_ID, "received_at": datetime.now(timezone.utc).isoformat()},
        )
        outcome = executor.execute(plan, recorder)
        emails, contacts = private.emails(), private.contacts()

    result = DryRunResult(
        automation_id=parsed.id,
        status=outcome.status,
        steps=[_step_of(record) for record in
               sorted(recorder.records.values(), key=lambda record: record.position)],
        emails=emails,
        contacts=contacts,
        warnings=private.warnings,
        error=outcome.error,
        locale=locale,
        duration_ms=round((time.monotonic() - started) * 1000, 1),
    )
    log.info("dry run %s in %.0f ms: %d steps, %d opt-in emails, %d contacts",
             result.status.value, result.duration_ms, len(result.steps), len(emails), len(contacts))
    return result


def _validated(
    document: AutomationDocument | dict[str, Any], apps: dict[str, App],
) -> AutomationDocument:
    if not isinstance(document, AutomationDocument):
        return load_document(document, apps)
    issues = check_document(document, apps)
    if issues:
        raise DocumentError(issues)
    return document


def _step_of(record: StepRecord) -> DryRunStep:
    is_operation = record.kind in ("action", "search")
    return DryRunStep(
        step_id=record.step_id,
        type=record.kind,
        app=record.app,
        operation=record.operation,
        status=str(record.status),
        input=record.input,
        output=record.output,
        warnings=list(record.warnings),
        error=record.error,
        dry=is_operation and record.app not in DRY_RUN_TARGETS,
    )


def _pick(texts: Any, locale: str | None) -> str | None:
    """Return the text for ``locale`` from ``{locale: text}``, or a plain text as is."""
    if isinstance(texts, dict):
        texts = texts.get(normalize_locale(locale or current_locale()))
    return None if texts is None else str(texts)


def _record_message(error: dict[str, Any] | None, locale: str | None) -> str | None:
    if error is None:
        return None
    return _pick(error.get("message"), locale)


# -- recipients of a real test ----------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """An address that a real run writes to: the step, and whether the step emails the person."""

    email: str
    step_id: str
    app: str
    operation: str
    sends_email: bool


def recipient_steps(
    document: AutomationDocument | dict[str, Any],
    trigger_data: dict[str, Any],
    apps: dict[str, App] | None = None,
) -> list[Recipient]:
    """Return, step by step, the addresses that a real run would write to on ``trigger_data``.

    Each Cyberimpact and HubSpot action (not search) that the run would reach gives the
    converted value of its email fields, computed with the preview, so no app is called.
    ``sends_email`` is true for Cyberimpact's opt-in request. Steps after a filter that stops
    are left out, as are steps in branches the run would not take. Raises
    :class:`~arrimage.engine.errors.DocumentError` when the document is invalid.
    """
    # NOTE: the preview decides filters and paths on the sample outputs of earlier actions
    # and searches, so after a search a real run can take another branch than the one listed.
    data = document
    if isinstance(document, AutomationDocument):
        data = document.model_dump(mode="json")
    preview = preview_automation(data, trigger_data, apps=apps)
    found: list[Recipient] = []
    for step in preview.steps:
        if step.type != "action" or step.app not in CONTACT_APPS:
            continue
        assert step.app is not None and step.operation is not None
        for previewed in step.fields:
            sent = previewed.sent
            if previewed.normalizer == "email" and isinstance(sent, str) and sent:
                found.append(Recipient(
                    email=sent, step_id=step.step_id, app=step.app,
                    operation=step.operation,
                    sends_email=(step.app, step.operation) in EMAILING_ACTIONS))
    return found


def recipients(
    document: AutomationDocument | dict[str, Any],
    trigger_data: dict[str, Any],
    apps: dict[str, App] | None = None,
) -> list[str]:
    """Return the addresses that a real run would write to, each once, in step order.

    Addresses that differ only in case count once, spelled as first seen. See
    :func:`recipient_steps` for the steps that count and for which of them email the person.
    """
    addresses: dict[str, str] = {}
    for recipient in recipient_steps(document, trigger_data, apps):
        addresses.setdefault(recipient.email.casefold(), recipient.email)
    return list(addresses.values())
