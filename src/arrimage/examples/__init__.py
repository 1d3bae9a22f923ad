"""Bundled example automations and events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

EXAMPLES_DIR = Path(__file__).parent


def example_automation(base_url: str) -> dict[str, Any]:
    """Return the webhook → filter → HTTP request example, aimed at ``base_url``'s echo endpoint."""
    text = (EXAMPLES_DIR / "webhook-to-http.yaml").read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text.replace("{base_url}", base_url))
    return document


def example_event() -> dict[str, Any]:
    """Return the sample event that the example automation accepts."""
    event: dict[str, Any] = json.loads((EXAMPLES_DIR / "webhook-event.json").read_text(encoding="utf-8"))
    return event
