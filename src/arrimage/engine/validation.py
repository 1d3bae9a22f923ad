"""Checks of an automation document against the connector catalogue.

:func:`load_document` is the one entry point: shape first, then meaning. Every problem is
reported at once, each with the step id and the field, and with the closest known name when a
key looks mistyped.
"""

from __future__ import annotations

from typing import Any

from arrimage.connectors.context import FormatSettings
from arrimage.connectors.declaration import (
    App,
    Field,
    FieldType,
    Operation,
    OperationKind,
    TriggerMode,
)
from arrimage.connectors.formats import convert_value
from arrimage.connectors.registry import all_apps, suggest
from arrimage.engine.conditions import UNARY_OPERATORS
from arrimage.engine.document import (
    ActionStep,
    AutomationDocument,
    Condition,
    FilterStep,
    Formats,
    PathStep,
    SearchStep,
    parse_document,
)
from arrimage.engine.errors import DocumentError, DocumentIssue
from arrimage.engine.templates import TemplateRenderer
from arrimage.i18n import LazyText, _l

_RENDERER = TemplateRenderer()


def load_document(
    data: Any, apps: dict[str, App] | None = None, *, draft: bool = False
) -> AutomationDocument:
    """Return the validated document, or raise :class:`DocumentError` listing every problem.

    A ``draft`` is a document still being built in the editor: its required fields and its
    trigger's connection may be missing. Every other check applies. A draft is only stored
    while its automation is off; turning it on checks it again in full.
    """
    document = parse_document(data)
    issues = check_document(document, all_apps() if apps is None else apps, draft=draft)
    if issues:
        raise DocumentError(issues)
    return document


def check_document(
    document: AutomationDocument, apps: dict[str, App], *, draft: bool = False
) -> list[DocumentIssue]:
    """Return the problems of a well-formed document: unknown apps, fields, bad templates.

    With ``draft``, missing required values are not problems (see :func:`load_document`).
    """
    issues: list[DocumentIssue] = []
    issues += _check_trigger(document, apps, draft)

    seen_ids: set[str] = {"trigger", "trigger_details"}  # the ids of the trigger's records
    for location, step in document.iter_steps():
        label = f"step {step.id!r} ({location})"
        if step.id in seen_ids:
            issues.append(DocumentIssue(label, _l(
                "The id {step_id} is used twice: give each step its own id.", step_id=step.id)))
        seen_ids.add(step.id)

        if isinstance(step, ActionStep | SearchStep):
            kind = OperationKind.ACTION if isinstance(step, ActionStep) else OperationKind.SEARCH
            issues += _check_operation(
                label, step.app, step.action, kind, step.input, apps, step.format_settings(), draft,
                step_id=step.id)
            operation = _find(apps, step.app, kind, step.action)
            if operation is not None and step.formats is not None:
                issues += _check_formats(label, operation, step.formats)
        elif isinstance(step, FilterStep):
            issues += _check_conditions(label, step.conditions, _l("Step “Filter” ({step_id})", step_id=step.id))
        elif isinstance(step, PathStep):
            for index, branch in enumerate(step.branches):
                title = _l("Step “Paths” ({step_id}), branch “{branch}”", step_id=step.id, branch=branch.name)
                issues += _check_conditions(f"{label}, branch {branch.name!r}", branch.conditions, title)
                if not branch.name.strip() and not draft:
                    issues.append(DocumentIssue(f"{label}, branches[{index}]", _l("A branch needs a name.")))
    return issues


def _check_trigger(document: AutomationDocument, apps: dict[str, App], draft: bool) -> list[DocumentIssue]:
    trigger = document.trigger
    issues = _check_operation(
        "trigger", trigger.app, trigger.event, OperationKind.TRIGGER, trigger.input, apps, None, draft
    )
    operation = _find(apps, trigger.app, OperationKind.TRIGGER, trigger.event)
    if operation is not None and operation.needs_connection and not trigger.connection and not draft:
        issues.append(DocumentIssue("trigger, field connection", _l(
            "The trigger {event} needs a connection to {app}: add connection: with a "
            "connection's id or name.", event=trigger.event, app=trigger.app)))
    wants_signature = bool(str(trigger.input.get("signature_header") or "").strip())
    if operation is not None and operation.mode is TriggerMode.INSTANT and wants_signature and not trigger.connection:
        issues.append(DocumentIssue("trigger, field connection", _l(
            "Checking signatures needs a connection that holds the signing secret: add "
            "connection: with its id or name.")))
    polls = operation is not None and operation.mode is TriggerMode.POLLING
    if trigger.poll_interval_minutes is not None and operation is not None and not polls:
        issues.append(DocumentIssue("trigger, field poll_interval_minutes", _l(
            "The trigger {event} receives its events as they happen, so it has no polling "
            "interval: remove poll_interval_minutes.", event=trigger.event)))
    return issues


def _check_operation(
    label: str,
    app_key: str,
    operation_key: str,
    kind: OperationKind,
    values: dict[str, Any],
    apps: dict[str, App],
    formats: FormatSettings | None = None,
    draft: bool = False,
    *,
    step_id: str | None = None,
) -> list[DocumentIssue]:
    """Check a trigger (``step_id`` None) or a step against its app's operation ``operation_key``."""
    app = apps.get(app_key)
    if app is None:
        return [DocumentIssue(f"{label}, field app", _unknown(
            _l("Unknown app {value}.", value=repr(app_key)), app_key, list(apps)))]

    operation = app.operation(kind, operation_key)
    if operation is None:
        known = [candidate.key for candidate in app.operations(kind)]
        field_name = "event" if kind is OperationKind.TRIGGER else "action"
        message = {
            OperationKind.TRIGGER: _l("The app {app} has no trigger {value}.", app=app_key, value=repr(operation_key)),
            OperationKind.ACTION: _l("The app {app} has no action {value}.", app=app_key, value=repr(operation_key)),
            OperationKind.SEARCH: _l("The app {app} has no search {value}.", app=app_key, value=repr(operation_key)),
        }[kind]
        return [DocumentIssue(f"{label}, field {field_name}", _unknown(message, operation_key, known))]

    if step_id is None:
        title = _l("Trigger “{app}, {operation}”", app=app.name, operation=operation.label)
    else:
        title = _l("Step “{app}: {operation}” ({step_id})", app=app.name, operation=operation.label, step_id=step_id)
    return _check_fields(label, title, operation, values, formats or FormatSettings(), draft)


def _check_fields(
    label: str, title: LazyText, operation: Operation, values: dict[str, Any], formats: FormatSettings,
    draft: bool = False,
) -> list[DocumentIssue]:
    """Check the values of ``operation``'s fields. ``title`` names the step as the editor shows it."""
    issues: list[DocumentIssue] = []
    known = [field.key for field in operation.fields]
    for key, value in values.items():
        field = operation.field(key)
        if field is None:
            issues.append(DocumentIssue(f"{label}, field input.{key}", _unknown(
                _l("Unknown field {value}.", value=repr(key)), key, known)))
            continue
        for _template, problem in _RENDERER.check(value):
            issues.append(DocumentIssue(f"{label}, field input.{key}", problem,
                                        where=_field_place(title, field.label)))
        if field.choices and isinstance(value, str) and "{{" not in value:
            problem = _choice_problem(field, value, formats)
            if problem is not None:
                issues.append(DocumentIssue(f"{label}, field input.{key}", problem))

    required = () if draft else operation.fields
    for field in required:
        if field.required and field.default is None and _is_blank(values.get(field.key)):
            issues.append(DocumentIssue(f"{label}, field input.{field.key}", _l(
                "The field {field} ({label}) is required.", field=field.key, label=field.label)))
    return issues


def _choice_problem(field: Field, value: str, formats: FormatSettings) -> LazyText | None:
    """Return why a fixed value of a choice field is rejected, or None if the step can send it.

    A value that the field's normalizer converts to one of the choices ("Femme" for ``f``) is
    accepted, because the step converts it the same way when it runs.
    """
    choices = [choice.value for choice in field.choices]
    if field.type is not FieldType.CHOICE or value in choices:
        return None
    if field.normalizer is None:
        return _unknown(_l("{value} is not one of the choices: {choices}.", value=repr(value),
                           choices=", ".join(choices)), value, choices)
    if field.key in formats.off:
        return _l(
            "{value} is not one of the choices: {choices}. The step's formats: block turns off "
            "the conversion of this field, so the value would be sent as written.",
            value=repr(value), choices=", ".join(choices))

    result = convert_value(field, value, formats)
    if result.value in choices:
        return None
    if not result.messages:
        return _l("{value} is not one of the choices: {choices}.", value=repr(value),
                  choices=", ".join(choices))
    return _l(
        "{value} is not one of the choices ({choices}), and Arrimage cannot convert it. {reason}",
        value=repr(value), choices=", ".join(choices),
        reason=_JoinedTexts([message.text for message in result.messages]))


def _check_formats(label: str, operation: Operation, formats: Formats) -> list[DocumentIssue]:
    """Check that the fields that ``formats.off`` names exist and have a conversion."""
    where = f"{label}, field formats.off"
    convertible = [field.key for field in operation.fields if field.normalizer]
    if not convertible:
        return [DocumentIssue(f"{label}, field formats", _l(
            "This step sends every field as mapped, so formats: has no effect. Remove it."))]

    issues: list[DocumentIssue] = []
    for key in formats.off:
        field = operation.field(key)
        if field is None:
            issues.append(DocumentIssue(where, _unknown(
                _l("Unknown field {value}.", value=repr(key)), key, convertible)))
        elif field.normalizer is None:
            issues.append(DocumentIssue(where, _l(
                "The field {value} has no conversion to turn off. Fields with a conversion: "
                "{fields}.", value=repr(key), fields=", ".join(convertible))))
    return issues


def _check_conditions(label: str, conditions: list[Condition], title: LazyText) -> list[DocumentIssue]:
    """Check a filter's or a branch's conditions. ``title`` names the step as the editor shows it."""
    issues: list[DocumentIssue] = []
    for index, condition in enumerate(conditions):
        where = f"{label}, conditions[{index}]"
        if condition.operator not in UNARY_OPERATORS and condition.compare_to is None:
            issues.append(DocumentIssue(where, _l(
                "The operator {operator} needs compare_to: the value to compare with.",
                operator=condition.operator.value)))
        # The editor's labels of the condition's two inputs.
        parts = ((condition.value, _l("Value {number}", number=index + 1)),
                 (condition.compare_to, _l("Compared with")))
        for part, field_label in parts:
            for _template, problem in _RENDERER.check(part):
                issues.append(DocumentIssue(where, problem, where=_field_place(title, field_label)))
    return issues


def _field_place(title: LazyText, field_label: LazyText) -> LazyText:
    """Return where a field is, in the editor's words: the step's title, then the field's label."""
    return _l("{step}, field “{field}”", step=title, field=field_label)


class _JoinedTexts(LazyText):
    """Several texts rendered in the same locale, separated by spaces."""

    def __init__(self, texts: list[LazyText]) -> None:
        super().__init__("")
        self.texts = texts

    def render(self, locale: str | None = None) -> str:
        return " ".join(text.render(locale) for text in self.texts)


def _unknown(message: LazyText, value: str, known: list[str]) -> LazyText:
    guess = suggest(value, known)
    if guess:
        return _l("{problem} Did you mean {guess}?", problem=message, guess=repr(guess))
    if known:
        return _l("{problem} Known: {known}.", problem=message, known=", ".join(known))
    return message


def _find(apps: dict[str, App], app_key: str, kind: OperationKind, key: str) -> Operation | None:
    app = apps.get(app_key)
    return app.operation(kind, key) if app else None


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
