"""The catalogue of apps that Arrimage connects."""

from __future__ import annotations

import difflib
import importlib
from functools import cache

from arrimage.connectors.declaration import App

# Each entry is a connector package exposing ``APP``.
CONNECTOR_MODULES = (
    "arrimage.connectors.webhook",
    "arrimage.connectors.http",
    "arrimage.connectors.cyberimpact",
    "arrimage.connectors.shopify",
    "arrimage.connectors.woocommerce",
    "arrimage.connectors.google_forms",
    "arrimage.connectors.hubspot",
)


@cache
def all_apps() -> dict[str, App]:
    """Return every app, keyed by its key, in catalogue order."""
    apps: dict[str, App] = {}
    for module_name in CONNECTOR_MODULES:
        app: App = importlib.import_module(module_name).APP
        apps[app.key] = app
    return apps


def get_app(key: str) -> App | None:
    """Return the app named ``key``, or None."""
    return all_apps().get(key)


def suggest(value: str, candidates: list[str]) -> str | None:
    """Return the candidate closest to a mistyped ``value``, if one is close enough."""
    matches = difflib.get_close_matches(value, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None
