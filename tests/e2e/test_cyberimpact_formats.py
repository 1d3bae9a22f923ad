"""French source values run through the engine to the Cyberimpact sandbox over HTTP.

The trigger data contains words as Québec forms write them ("Femme", "Français", "4 décembre
1990", "h2x1y4"). The run converts them to Cyberimpact's codes, leaves out the values that it
cannot convert, and records a warning for each on the step.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from arrimage.connectors.cyberimpact import APP
from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from arrimage.storage.events import NewEvent
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN

NEWSLETTER_GROUP = 101


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[TOKEN], seed=SEED)).start()
    yield running
    running.stop()


@pytest.fixture
def admin(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=10) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


def form_to_cyberimpact(connection_id: str, formats: dict[str, Any] | None = None) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "id": "contact", "app": "cyberimpact", "action": "create_contact",
        "connection": connection_id,
        "input": {
            "email": "{{ trigger.courriel }}",
            "first_name": "{{ trigger.prenom }}",
            "gender": "{{ trigger.genre }}",
            "language": "{{ trigger.langue }}",
            "birthdate": "{{ trigger.naissance }}",
            "country": "{{ trigger.pays }}",
            "postal_code": "{{ trigger.code_postal }}",
            "groups": [NEWSLETTER_GROUP],
            "relation_type": "web-contacts",
            "consent_date": "{{ event.received_at }}",
            "consent_proof": "Formulaire d’inscription du site",
        },
    }
    if formats is not None:
        contact["formats"] = formats
    return {
        "id": f"formats-{uuid.uuid4().hex[:12]}",
        "name": "Formulaire en français vers Cyberimpact",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [contact],
    }


def run_event(runtime: Runtime, document: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    saved = runtime.automations.save(document)
    runtime.automations.set_enabled(saved["id"], True)
    stored = runtime.events.store(saved["id"], saved["version"],
                                  [NewEvent(payload=payload, dedup_key=uuid.uuid4().hex)], {})
    run_id = stored[0].run_id
    assert run_id is not None
    assert runtime.execute_run(run_id) == "succeeded"
    run: dict[str, Any] = runtime.runs.get(run_id)
    return run


def member(admin: httpx.Client, email: str) -> dict[str, Any]:
    response = admin.get(f"/members/{email}", params={"dateReturnFormat": "ISO8601"})
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def contact_record(run: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = next(step for step in run["steps"] if step["step_id"] == "contact")
    return record


def sandbox_connection(runtime: Runtime, sandbox: SandboxServer) -> str:
    connection = runtime.connections.create(APP, "Bac à sable",
                                            {"token": TOKEN, "base_url": sandbox.base_url})
    return str(connection["id"])


def test_french_words_become_codes(runtime: Runtime, sandbox: SandboxServer,
                                   admin: httpx.Client) -> None:
    document = form_to_cyberimpact(sandbox_connection(runtime, sandbox))

    run = run_event(runtime, document, {
        "courriel": "Sophie.Lavoie@Example.com", "prenom": "Sophie", "genre": "Femme",
        "langue": "Français", "naissance": "4 décembre 1990", "pays": "Canada",
        "code_postal": "h2x1y4"})

    record = contact_record(run)
    assert record["status"] == "succeeded"
    assert record["output"]["outcome"] == "created"
    assert record["warnings"] == []
    created = member(admin, "Sophie.Lavoie@example.com")
    assert created["firstname"] == "Sophie"
    assert created["gender"] == "f"
    assert created["language"] == "fr_ca"
    assert created["birthdate"] == "1990-12-04"
    assert created["country"] == "CA"
    assert created["postalCode"] == "H2X 1Y4"


def test_unconvertible_values_left_out_with_warnings(runtime: Runtime, sandbox: SandboxServer,
                                                     admin: httpx.Client) -> None:
    document = form_to_cyberimpact(sandbox_connection(runtime, sandbox))

    run = run_event(runtime, document, {
        "courriel": "marc.gagne@example.com", "prenom": "Marc", "genre": "Peut-être",
        "langue": "English", "naissance": "29/02/2023", "pays": "États-Unis",
        "code_postal": "90210-1234"})

    record = contact_record(run)
    assert record["status"] == "succeeded"
    assert record["output"]["outcome"] == "created"
    assert [(warning["field"], warning["code"]) for warning in record["warnings"]] == [
        ("gender", "gender.unknown"), ("birthdate", "birthdate.impossible")]
    gender_warning = record["warnings"][0]["message"]
    assert "Peut-être" in gender_warning["en"]
    assert gender_warning["fr_CA"].startswith("«\u00a0Peut-être\u00a0»")
    assert "29/02/2023" in record["warnings"][1]["message"]["fr_CA"]

    created = member(admin, "marc.gagne@example.com")
    assert created["gender"] == ""
    assert created["birthdate"] is None
    assert created["language"] == "en_ca"
    assert created["country"] == "US"
    assert created["postalCode"] == "90210-1234"


def test_formats_block_applied_by_run(runtime: Runtime, sandbox: SandboxServer,
                                      admin: httpx.Client) -> None:
    formats = {"off": ["postal_code"], "date_order": "mdy", "default_language": "fr_ca",
               "province_implies_country": True}
    document = form_to_cyberimpact(sandbox_connection(runtime, sandbox), formats)

    run = run_event(runtime, document, {
        "courriel": "ines.roy@example.com", "prenom": "Inès", "genre": "F",
        "langue": "Espagnol", "naissance": "04/12/1990", "pays": "Québec",
        "code_postal": " h2x1y4 "})

    record = contact_record(run)
    assert [warning["code"] for warning in record["warnings"]] == [
        "language.default_used", "country.province_implies_country"]
    created = member(admin, "ines.roy@example.com")
    assert created["language"] == "fr_ca"
    assert created["birthdate"] == "1990-04-12"
    assert created["country"] == "CA"
    assert created["postalCode"] == "h2x1y4"
