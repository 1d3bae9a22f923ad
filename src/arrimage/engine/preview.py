"""Preview an automation on one event without calling any app: what each step would send.

:func:`preview_automation` validates the document, then walks its steps as the executor does,
with the event as the trigger's output. For each action and search it renders every mapped
field, then converts it with the field's normalizer and the step's ``formats:`` block, as the
connector does when it runs. Filters and paths evaluate their conditions, and the preview
follows the branch a run would take. No app is called, so each action and search gives later
steps its operation's declared sample output instead of a real one.

A template error or an unusable value is reported on its field. The preview goes on past a
step that would fail, to show every problem at once, but it stops where a filter would stop
the run or where a filter or path cannot be evaluated. The result is plain data: the CLI
renders it as tables or JSON, and the web interface can render it too.

Connector checks that need the app, such as Cyberimpact's custom field types, groups and
consent basis, are not run: those fields are shown with the value as mapped.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from arrimage.connectors.declaration import App, Operation, OperationKind
from arrimage.connectors.formats import FieldValue, convert_fields
from arrimage.connectors.registry import all_apps
from arrimage.engine.document import (
    ActionStep,
    AutomationDocument,
    FilterStep,
    PathStep,
    SearchStep,
)
from arrimage.engine.errors import ArrimageError, TemplateError
from arrimage.engine.executor import (
    empty_field_error,
    evaluate_conditions,
    field_location,
    is_blank,
    template_data,
)
from arrimage.engine.templates import TemplateRenderer, default_filters
from arrimage.engine.validation import load_document
from arrimage.i18n import LazyText, _l
from arrimage.normalize import Message

# The event id that templates see as {{ event.id }} in a preview.
PREVIEW_EVENT_ID = "preview"

SAMPLE_OUTPUT_NOTE = _l(
    "The app is not called, so later steps read this operation's sample output instead of "
    "its real output.")


@dataclass
class FieldPreview:
    """One field of an action or search: the mapped value and the value that would be sent.

    ``sent`` None means the field is left out. ``evaluated`` is false when the field's
    template failed, so neither value is known. ``normalizer`` is the field's conversion, and
    ``off`` is true when the step's ``formats:`` block turns it off.
    """

    key: str
    label: LazyText
    mapped: Any
    sent: Any
    evaluated: bool = True
    normalizer: str | None = None
    off: bool = False
    warnings: list[Message] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        """Return the field as JSON-ready data, texts rendered in ``locale``."""
        return {
            "key": self.key,
            "label": self.label.render(locale),
            "mapped": self.mapped,
            "sent": self.sent,
            "evaluated": self.evaluated,
            "normalizer": self.normalizer,
            "off": self.off,
            "warnings": _messages(self.warnings, locale),
            "errors": _messages(self.errors, locale),
        }


@dataclass
class BranchPreview:
    """One branch of a path step, with its evaluated conditions."""

    name: str
    passed: bool
    conditions: list[dict[str, Any]]


@dataclass
class StepPreview:
    """The outcome that one step would have on the event.

    ``status`` is "ok", "warning" (a value is left out or changed with a warning), "error"
    (a run would fail at this step) or "filtered" (a filter that would stop the run).
    """

    step_id: str
    type: str
    location: str
    status: str = "ok"
    app: str | None = None
    operation: str | None = None
    fields: list[FieldPreview] = field(default_factory=list)
    # Actions and searches: the stand-in output that later steps read.
    sample_output: Any = None
    # Filters: whether the conditions hold, and each condition's resolved values.
    match: str | None = None
    passed: bool | None = None
    conditions: list[dict[str, Any]] = field(default_factory=list)
    # Paths: every branch tested, in order, and the name of the branch taken (None: otherwise).
    branches: list[BranchPreview] = field(default_factory=list)
    branch: str | None = None
    errors: list[Message] = field(default_factory=list)

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        """Return the step as JSON-ready data, texts rendered in ``locale``."""
        entry: dict[str, Any] = {
            "id": self.step_id,
            "type": self.type,
            "location": self.location,
            "status": self.status,
        }
        if self.type in ("action", "search"):
            entry.update({
                "app": self.app,
                "operation": self.operation,
                "fields": [preview.to_dict(locale) for preview in self.fields],
                "sample_output": self.sample_output,
                "note": SAMPLE_OUTPUT_NOTE.render(locale),
            })
        elif self.type == "filter":
            entry.update(
                {"match": self.match, "passed": self.passed, "conditions": self.conditions})
        else:
            entry.update({
                "branch": self.branch,
                "branches": [
                    {"name": branch.name, "passed": branch.passed, "conditions": branch.conditions}
                    for branch in self.branches
                ],
            })
        entry["errors"] = _messages(self.errors, locale)
        return entry


@dataclass
class AutomationPreview:
    """The preview of an automation on one event.

    ``outcome`` is the status a run would end with: "succeeded", "filtered" or "failed".
    ``stopped_at`` is the id of the step where a run would stop, or None.
    """

    automation_id: str | None
    name: str
    steps: list[StepPreview]
    outcome: str = "succeeded"
    stopped_at: str | None = None

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        """Return the preview as JSON-ready data, texts rendered in ``locale``."""
        return {
            "automation": {"id": self.automation_id, "name": self.name},
            "outcome": self.outcome,
            "stopped_at": self.stopped_at,
            "steps": [step.to_dict(locale) for step in self.steps],
        }


class _Stop(Exception):
    """Raised to end the preview where a run would stop, or where the way on is unknown."""


def preview_automation(
    data: Any,
    trigger_data: Any,
    *,
    apps: dict[str, App] | None = None,
    renderer: TemplateRenderer | None = None,
    received_at: datetime | None = None,
    draft: bool = False,
) -> AutomationPreview:
    """Preview the automation ``data`` on an event whose trigger output is ``trigger_data``.

    Raises :class:`~arrimage.engine.errors.DocumentError` when the document is invalid. A
    ``draft`` (see :func:`~arrimage.engine.validation.load_document`) may miss required
    values: the preview reports each one on its field.
    """
    document = load_document(data, apps, draft=draft)
    walk = _PreviewWalk(
        document,
        trigger_data,
        apps if apps is not None else all_apps(),
        renderer or TemplateRenderer(default_filters()),
        received_at or datetime.now(timezone.utc),
    )
    try:
        walk.preview_steps(document.steps, "steps")
    except _Stop:
        pass
    return walk.result


class _PreviewWalk:
    """One pass over a document's steps, recording a :class:`StepPreview` for each."""

    def __init__(
        self,
        document: AutomationDocument,
        trigger_data: Any,
        apps: dict[str, App],
        renderer: TemplateRenderer,
        received_at: datetime,
    ) -> None:
        self.document = document
        self.trigger_data = trigger_data
        self.apps = apps
        self.renderer = renderer
        self.event = {"id": PREVIEW_EVENT_ID, "received_at": received_at.isoformat()}
        self.outputs: dict[str, Any] = {}
        self.result = AutomationPreview(document.id, document.name, [])

    @property
    def data(self) -> dict[str, Any]:
        return template_data(self.trigger_data, self.outputs, self.event)

    def preview_steps(self, steps: list[Any], prefix: str) -> None:
        for index, step in enumerate(steps):
            location = f"{prefix}[{index}]"
            if isinstance(step, FilterStep):
                self.preview_filter(step, location)
            elif isinstance(step, PathStep):
                self.preview_path(step, location)
            else:
                self.preview_operation(step, location)

    def preview_operation(self, step: ActionStep | SearchStep, location: str) -> None:
        kind = OperationKind.ACTION if isinstance(step, ActionStep) else OperationKind.SEARCH
        preview = StepPreview(step.id, str(kind), location, app=step.app, operation=step.action)
        self.result.steps.append(preview)
        # load_document has checked that the app and the operation exist.
        operation = self.apps[step.app].operation(kind, step.action)
        assert operation is not None

        rendered, mapping_errors, filter_warnings = self._render_input(step, operation)
        settings = step.format_settings()
        converted = convert_fields(operation.fields, rendered, settings)
        for declared in operation.fields:
            if declared.key not in rendered and declared.key not in mapping_errors:
                continue
            conversion = converted.get(declared.key, FieldValue(None))
            preview.fields.append(FieldPreview(
                key=declared.key,
                label=declared.label,
                mapped=rendered.get(declared.key),
                sent=conversion.value,
                evaluated=declared.key in rendered,
                normalizer=declared.normalizer,
                off=declared.key in settings.off,
                warnings=filter_warnings.get(declared.key, []) + list(conversion.warnings),
                errors=mapping_errors.get(declared.key, []) + list(conversion.errors),
            ))

        if any(entry.errors for entry in preview.fields):
            preview.status = "error"
            self._fail_at(step.id)
        elif any(entry.warnings for entry in preview.fields):
            preview.status = "warning"
        preview.sample_output = copy.deepcopy(dict(operation.sample))
        self.outputs[step.id] = preview.sample_output

    def _render_input(
        self, step: ActionStep | SearchStep, operation: Operation
    ) -> tuple[dict[str, Any], dict[str, list[Message]], dict[str, list[Message]]]:
        """Render each mapped field as the executor does, or take its default.

        Return the rendered values and, by field key, the errors of the mapping itself (a
        failed template, the field then being absent from the values, or a required field that
        is empty) and the messages of the format filters that could not convert a value.
        """
        rendered: dict[str, Any] = {}
        errors: dict[str, list[Message]] = {}
        filter_warnings: dict[str, list[Message]] = {}
        for declared in operation.fields:
            if declared.key in step.input:
                location = field_location(step.id, declared.key)
                messages: list[Message] = []
                try:
                    rendered[declared.key] = self.renderer.render(
                        step.input[declared.key], self.data, location, filter_messages=messages)
                except TemplateError as exc:
                    errors[declared.key] = [Message(exc.code, exc.message)]
                if messages:
                    filter_warnings[declared.key] = messages
            elif declared.default is not None:
                rendered[declared.key] = declared.default

        for declared in operation.fields:
            if not declared.required or declared.key in errors:
                continue
            if is_blank(rendered.get(declared.key)):
                error = empty_field_error(step.id, declared.key)
                errors[declared.key] = [Message(error.code, error.message)]
        return rendered, errors, filter_warnings

    def preview_filter(self, step: FilterStep, location: str) -> None:
        preview = StepPreview(step.id, "filter", location, match=step.match)
        self.result.steps.append(preview)
        try:
            passed, details = self._evaluate(step.conditions, step.match, step.id)
        except ArrimageError as exc:
            raise self._stop_with_error(preview, exc) from exc
        preview.passed = passed
        preview.conditions = details
        if passed:
            self.outputs[step.id] = {"passed": True}
            return
        preview.status = "filtered"
        if self.result.stopped_at is None:
            self.result.outcome = "filtered"
            self.result.stopped_at = step.id
        raise _Stop()

    def preview_path(self, step: PathStep, location: str) -> None:
        preview = StepPreview(step.id, "path", location)
        self.result.steps.append(preview)
        chosen: dict[str, Any] = {"branch": None, "index": None}
        try:
            for index, branch in enumerate(step.branches):
                where = f"{step.id}.{branch.name}"
                passed, details = self._evaluate(branch.conditions, branch.match, where)
                preview.branches.append(BranchPreview(branch.name, passed, details))
                if passed:
                    chosen = {"branch": branch.name, "index": index}
                    break
        except ArrimageError as exc:
            raise self._stop_with_error(preview, exc) from exc
        preview.branch = chosen["branch"]
        self.outputs[step.id] = chosen

        index = chosen["index"]
        if index is None:
            self.preview_steps(step.otherwise, f"{location}.otherwise")
        else:
            self.preview_steps(step.branches[index].steps, f"{location}.branches[{index}].steps")

    def _evaluate(
        self, conditions: list[Any], match: str, where: str
    ) -> tuple[bool, list[dict[str, Any]]]:
        return evaluate_conditions(
            self.renderer, conditions, match, where, self.data, self.document.settings.timezone)

    def _fail_at(self, step_id: str) -> None:
        if self.result.stopped_at is None:
            self.result.outcome = "failed"
            self.result.stopped_at = step_id

    def _stop_with_error(self, preview: StepPreview, error: ArrimageError) -> _Stop:
        """Record a condition that cannot be evaluated, and return the exception that stops."""
        preview.status = "error"
        preview.errors.append(Message(error.code, error.message))
        self._fail_at(preview.step_id)
        return _Stop()


def _messages(messages: list[Message], locale: str | None) -> list[dict[str, str]]:
    return [{"code": message.code, "message": message.render(locale)} for message in messages]
