"""Constants and assertions shared by the sandbox contract tests."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from arrimage.sandbox.seed import SEEDS_DIR

TOKEN = "test-token"
SEED = SEEDS_DIR / "quebec-shop.json"
EASTERN_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$")

MEMBER_FIELDS = {
    "id": int,
    "email": str,
    "firstname": str,
    "lastname": str,
    "company": str,
    "gender": str,
    "language": str,
    "birthdate": (str, type(None)),
    "postalCode": str,
    "country": str,
    "note": str,
    "joinedOn": str,
    "updatedOn": (str, type(None)),
    "consentType": str,
    "mailingsReceived": int,
    "mailingsOpened": int,
    "mailingsClicked": int,
    "customFields": dict,
}
GROUP_FIELDS = {
    "id": int,
    "title": str,
    "isPublic": bool,
    "membersCount": int,
    "mailingsCount": int,
    "createdOn": str,
    "isDynamic": bool,
}


def assert_shape(body: dict[str, Any], fields: dict[str, Any]) -> None:
    """Check that ``body`` has exactly ``fields``, each of the given type."""
    assert set(body) == set(fields), f"fields differ: {sorted(set(body) ^ set(fields))}"
    for name, kind in fields.items():
        assert isinstance(body[name], kind), f"{name} is {type(body[name]).__name__}"
        assert not (kind is int and isinstance(body[name], bool)), f"{name} is a bool"


def wait_for_batch(client: httpx.Client, batch_id: int, timeout: float = 10) -> dict[str, Any]:
    """Poll a batch until it is COMPLETED and return it with error details."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch: dict[str, Any] = client.get(
            f"/batches/{batch_id}", params={"showErrorDetails": "true"}
        ).json()
        if batch["status"] == "COMPLETED":
            return batch
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} still not COMPLETED after {timeout} s")
