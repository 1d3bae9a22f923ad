"""Choice lists loaded from a Cyberimpact account: its groups and its custom fields."""

from __future__ import annotations

import unicodedata
from typing import Any

from arrimage.connectors.context import TriggerContext
from arrimage.connectors.cyberimpact.connection import client_for_connection


def list_group_choices(context: TriggerContext) -> list[dict[str, Any]]:
    """Return every group as ``{"value": id, "label": title, ...}``, sorted by title.

    Titles sort as people read them: ignoring case and accents, so Événements comes before
    Infolettre.

    Dynamic groups are listed with ``"dynamic": true``: Cyberimpact fills them from rules, so
    they cannot be chosen as a group to add contacts to.
    """
    with client_for_connection(context.connection, context.http) as client:
        groups = list(client.iter_groups())
    choices = [
        {
            "value": str(group["id"]),
            "label": str(group.get("title") or group["id"]),
            "public": bool(group.get("isPublic")),
            "dynamic": bool(group.get("isDynamic")),
            "members": group.get("membersCount"),
        }
        for group in groups
        if group.get("id") is not None
    ]
    return sorted(choices, key=lambda choice: _sort_key(choice["label"]))


def list_custom_field_choices(context: TriggerContext) -> list[dict[str, Any]]:
    """Return every custom field as ``{"value": id, "label": name, "type": type}``."""
    with client_for_connection(context.connection, context.http) as client:
        fields = client.list_custom_fields()
    return [
        {"value": str(field["id"]), "label": str(field.get("name") or field["id"]),
         "type": field.get("type")}
        for field in fields
        if field.get("id") is not None
    ]


def _sort_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
