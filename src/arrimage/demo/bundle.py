"""The bundled webhook deliveries: ``events/deliveries.yaml`` and the bodies it names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EVENTS_DIR = Path(__file__).parent / "events"
DELIVERIES_FILE = EVENTS_DIR / "deliveries.yaml"
SOURCES = ("google_forms", "shopify", "woocommerce")
SOURCE_NAMES = {"google_forms": "Google Forms", "shopify": "Shopify", "woocommerce": "WooCommerce"}


@dataclass(frozen=True)
class BundledDelivery:
    """One delivery of the play list, followed by ``repeat`` unchanged copies."""

    key: str
    automation: str
    source: str
    file: str
    topic: str | None = None
    event_id: str | None = None
    repeat: int = 0

    @property
    def label(self) -> str:
        """The app and the topic, such as ``Shopify orders/create``."""
        name = SOURCE_NAMES[self.source]
        return f"{name} {self.topic}" if self.topic else name

    def payload(self) -> dict[str, Any]:
        """Return a fresh copy of the body read from the events folder."""
        body: dict[str, Any] = json.loads((EVENTS_DIR / self.file).read_text(encoding="utf-8"))
        return body


def bundled_deliveries() -> list[BundledDelivery]:
    """Read the play list. Raises ValueError naming the entry when the file is malformed."""
    entries = yaml.safe_load(DELIVERIES_FILE.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{DELIVERIES_FILE.name} must contain a list of deliveries")

    deliveries = []
    for index, entry in enumerate(entries):
        try:
            delivery = BundledDelivery(**entry)
        except TypeError as error:
            raise ValueError(f"{DELIVERIES_FILE.name}, entry {index}: {error}") from error
        if delivery.source not in SOURCES:
            raise ValueError(f"{DELIVERIES_FILE.name}, entry {index}: unknown source {delivery.source!r}")
        if not (EVENTS_DIR / delivery.file).is_file():
            raise ValueError(f"{DELIVERIES_FILE.name}, entry {index}: {delivery.file} is missing")
        deliveries.append(delivery)
    return deliveries
