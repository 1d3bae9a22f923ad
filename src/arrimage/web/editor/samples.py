"""Sample data of an automation: the event the editor previews and the test runs on.

One sample is kept per automation, in the stored settings (it is not part of the versioned
document). It comes from the trigger app's recent items ("Refresh data"), from JSON the user
pasted, from the recipe the automation was imported from, or from the trigger's bundled sample,
which is also the default. A sample taken from
an account may hold personal information: erasing an email address also erases the samples
that contain it (see :func:`erase_email`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from arrimage.connectors.declaration import App, OperationKind
from arrimage.runtime import Runtime

SOURCES = ("app", "loaded", "pasted", "recipe")
# The side panel lists at most this many values per step, to keep the page light.
MAX_PATHS = 150
_PREFIX = "sample:"


@dataclass(frozen=True)
class Sample:
    """The event used as sample data: its payload and where it came from (one of SOURCES)."""

    payload: dict[str, Any]
    source: str


def _key(automation_id: str) -> str:
    # Stored settings keys hold 64 characters; automation ids may use all 64 themselves.
    return _PREFIX + hashlib.sha256(automation_id.encode()).hexdigest()[:40]


def bundled_sample(apps: dict[str, App], document: dict[str, Any]) -> dict[str, Any]:
    """Return the trigger's declared sample output, or an empty mapping for an unknown trigger."""
    trigger = document.get("trigger") or {}
    app = apps.get(str(trigger.get("app")))
    operation = app.operation(OperationKind.TRIGGER, str(trigger.get("event"))) if app else None
    return dict(operation.sample) if operation else {}


def current_sample(runtime: Runtime, automation_id: str, document: dict[str, Any]) -> Sample:
    """Return the automation's chosen sample, else the trigger's bundled one."""
    stored = runtime.users.setting(_key(automation_id))
    if isinstance(stored, dict) and isinstance(stored.get("payload"), dict):
        return Sample(stored["payload"], str(stored.get("source") or "pasted"))
    return Sample(bundled_sample(runtime.apps, document), "app")


def save_sample(runtime: Runtime, automation_id: str, sample: Sample) -> None:
    """Keep ``sample`` as the automation's sample data."""
    runtime.users.save_setting(_key(automation_id), {"payload": sample.payload, "source": sample.source})


def forget_sample(runtime: Runtime, automation_id: str) -> None:
    """Go back to the trigger's bundled sample."""
    runtime.users.save_setting(_key(automation_id), None)


def erase_email(runtime: Runtime, automation_ids: list[str], email: str) -> int:
    """Forget every stored sample whose text contains ``email``; return how many were dropped."""
    needle = email.strip().lower()
    dropped = 0
    for automation_id in automation_ids:
        stored = runtime.users.setting(_key(automation_id))
        if stored and needle in json.dumps(stored, ensure_ascii=False).lower():
            forget_sample(runtime, automation_id)
            dropped += 1
    return dropped


@dataclass(frozen=True)
class DataPath:
    """One value of sample data: the template that reads it and a short view of the value."""

    template: str
    label: str
    example: str


def data_paths(data: Any, root: str) -> list[DataPath]:
    """List the values of ``data`` as templates under ``root`` (``trigger``, ``steps.find``)."""
    found: list[DataPath] = []
    _walk(data, root, root, found)
    return found[:MAX_PATHS]


def _quoted(key: str) -> str:
    """Return ``key`` as a template string: in single quotes unless it contains one."""
    if "'" not in key and "\\" not in key:
        return f"'{key}'"
    return json.dumps(key, ensure_ascii=False)


def _walk(value: Any, expression: str, label: str, found: list[DataPath]) -> None:
    if len(found) >= MAX_PATHS:
        return
    if isinstance(value, dict) and value:
        for key, item in value.items():
            key = str(key)
            if key.isascii() and key.isidentifier() and not key.startswith("_"):
                child = f"{expression}.{key}"
            else:
                child = f"{expression}[{_quoted(key)}]"
            _walk(item, child, f"{label} › {key}", found)
        return
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        _walk(value[0], f"{expression}[0]", f"{label} › 1", found)
        return
    example = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    found.append(DataPath("{{ " + expression + " }}", label, example[:80]))
