"""Descriptions of apps and automations for people: the catalogue and webhook URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from arrimage.connectors.declaration import App, Field, Operation, OperationKind, TriggerMode
from arrimage.i18n import SUPPORTED_LOCALES

if TYPE_CHECKING:
    from arrimage.runtime import Runtime


def webhook_url(runtime: Runtime, automation_id: str) -> str | None:
    """Return the URL an app posts to, secret included; None if the trigger is not a webhook."""
    summary = runtime.automations.get(automation_id)
    app = runtime.apps.get(summary["trigger"]["app"])
    operation = app.operation(OperationKind.TRIGGER, summary["trigger"]["event"]) if app else None
    if operation is None or operation.parse is None:
        return None
    secret = runtime.automations.webhook_secret(automation_id)
    return f"{runtime.settings.base_url}/hooks/{automation_id}/{secret}"


def describe_app(app: App, locale: str | None = None) -> dict[str, Any]:
    """Return an app's catalogue entry: names in both languages, operations and fields."""
    return {
        "key": app.key,
        "name": {code: app.name.render(code) for code in SUPPORTED_LOCALES},
        "description": app.description.render(locale),
        "triggers": [describe_operation(op, locale) for op in app.triggers],
        "actions": [describe_operation(op, locale) for op in app.actions],
        "searches": [describe_operation(op, locale) for op in app.searches],
        "connection_fields": [describe_field(field, locale) for field in app.connection_fields],
    }


def describe_operation(operation: Operation, locale: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key": operation.key,
        "label": operation.label.render(locale),
        "description": operation.description.render(locale),
        "fields": [describe_field(field, locale) for field in operation.fields],
        "sample": operation.sample,
    }
    if operation.kind is OperationKind.TRIGGER and operation.mode is not None:
        entry["mode"] = operation.mode.value
        entry["loads_samples"] = operation.load_samples is not None
        if operation.mode is TriggerMode.POLLING:
            entry["poll_interval_seconds"] = operation.poll_interval_seconds
    return entry


def describe_field(field: Field, locale: str | None = None) -> dict[str, Any]:
    return {
        "key": field.key,
        "label": field.label.render(locale),
        "type": field.type.value,
        "required": field.required,
        "default": field.default,
        "choices": [{"value": c.value, "label": c.label.render(locale)} for c in field.choices],
        "help": field.help.render(locale) if field.help else None,
        "placeholder": field.placeholder,
        "normalizer": field.normalizer,
        # Load these choices with GET /api/apps/{app}/choices/{choices_from}?connection=…
        "choices_from": field.choices_from,
        "depends_on": list(field.depends_on),
    }
