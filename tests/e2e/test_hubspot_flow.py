"""Automations that write to HubSpot, run by the engine against the HubSpot emulator.

The recipe "Cyberimpact contact added → HubSpot" runs from its file, with the Cyberimpact
sandbox as the source, and a transient 429 is retried by the engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from arrimage.connectors.cyberimpact import APP as CYBERIMPACT
from arrimage.connectors.hubspot import APP as HUBSPOT
from arrimage.emulators.hubspot import (
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TOKEN,
    EmulatorServer,
    HubSpotEmulator,
    creation_event,
    send_webhook_batch,
)
from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from arrimage.storage.events import NewEvent
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN
from tests.support.processes import in_process_server

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "cyberimpact-contact-to-hubspot.yaml"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[TOKEN], seed=SEED)).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def emulator_server() -> Iterator[EmulatorServer]:
    server = EmulatorServer(HubSpotEmulator()).start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> HubSpotEmulator:
    emulator_server.emulator.reset()
    return emulator_server.emulator


@pytest.fixture
def admin(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=10) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


@pytest.fixture
def recipe_id(runtime: Runtime, sandbox: SandboxServer, emulator_server: EmulatorServer,
              emulator: HubSpotEmulator, admin: httpx.Client) -> str:
    """Create the connections the recipe names, then import and enable it from its file."""
    runtime.connections.create(CYBERIMPACT, "cyberimpact",
                               {"token": TOKEN, "base_url": sandbox.base_url})
    runtime.connections.create(HUBSPOT, "hubspot",
                               {"token": DEFAULT_TOKEN, "base_url": emulator_server.base_url})
    saved = runtime.automations.save(yaml.safe_load(RECIPE.read_text(encoding="utf-8")))
    runtime.automations.set_enabled(saved["id"], True)
    return str(saved["id"])


def crm_step(runtime: Runtime, run_id: str) -> dict[str, Any]:
    run = runtime.runs.get(run_id)
    step: dict[str, Any] = next(record for record in run["steps"] if record["step_id"] == "crm")
    return step


def test_recipe_creates_prospect(runtime: Runtime, recipe_id: str, admin: httpx.Client,
                                 emulator: HubSpotEmulator) -> None:
    seeded = runtime.poll_trigger(recipe_id)
    admin.post("/members", json={"email": "Noemie.Caron@exemple.ca", "firstname": "Noémie",
                                 "lastname": "Caron", "company": "Fromagerie Caron",
                                 "language": "fr_ca"}).raise_for_status()

    run_ids = runtime.poll_trigger(recipe_id)
    statuses = [runtime.execute_run(run_id) for run_id in run_ids]

    assert seeded == []
    assert statuses == ["succeeded"]
    assert crm_step(runtime, run_ids[0])["output"]["outcome"] == "created"
    contact = emulator.find_by_email("noemie.caron@exemple.ca")
    assert contact is not None
    assert contact["properties"]["firstname"] == "Noémie"
    assert contact["properties"]["company"] == "Fromagerie Caron"
    assert contact["properties"]["lifecyclestage"] == "subscriber"
    assert contact["properties"]["hs_language"] == "fr"
    assert runtime.poll_trigger(recipe_id) == []


def test_recipe_keeps_customer_stage(runtime: Runtime, recipe_id: str, admin: httpx.Client,
                                     emulator: HubSpotEmulator) -> None:
    existing = emulator.add_contact({"email": "client@exemple.ca", "lifecyclestage": "customer",
                                     "firstname": "Ancien"})
    runtime.poll_trigger(recipe_id)
    admin.post("/members", json={"email": "client@exemple.ca", "firstname": "Jacinthe",
                                 "language": "en_ca"}).raise_for_status()

    run_ids = runtime.poll_trigger(recipe_id)
    statuses = [runtime.execute_run(run_id) for run_id in run_ids]

    assert statuses == ["succeeded"]
    assert crm_step(runtime, run_ids[0])["output"]["outcome"] == "updated"
    contact = emulator.contact(existing["id"])
    assert contact is not None
    assert contact["properties"]["lifecyclestage"] == "customer"
    assert contact["properties"]["firstname"] == "Jacinthe"
    assert contact["properties"]["hs_language"] == "en"


def webhook_to_hubspot(connection_id: str) -> dict[str, Any]:
    return {
        "id": f"hubspot-{uuid.uuid4().hex[:12]}",
        "name": "Formulaire vers HubSpot",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [
            {"id": "crm", "app": "hubspot", "action": "create_or_update_contact",
             "connection": connection_id,
             "input": {"email": "{{ trigger.courriel }}", "firstname": "{{ trigger.prenom }}",
                       "lifecyclestage": "lead"}},
        ],
    }


def start_run(runtime: Runtime, document: dict[str, Any], payload: dict[str, Any]) -> str:
    saved = runtime.automations.save(document)
    runtime.automations.set_enabled(saved["id"], True)
    stored = runtime.events.store(saved["id"], saved["version"],
                                  [NewEvent(payload=payload, dedup_key=uuid.uuid4().hex)], {})
    run_id = stored[0].run_id
    assert run_id is not None
    return run_id


@pytest.mark.parametrize(("faults", "code"), [
    pytest.param({"throttle_after": 1, "retry_after_seconds": 0}, "rate_limited", id="429"),
    pytest.param({"fail_next": 1}, "server_error", id="500"),
])
def test_transient_error_then_success(runtime: Runtime, emulator_server: EmulatorServer,
                                      emulator: HubSpotEmulator, faults: dict[str, Any],
                                      code: str) -> None:
    connection = runtime.connections.create(HUBSPOT, "CRM", {
        "token": DEFAULT_TOKEN, "base_url": emulator_server.base_url})
    emulator.set_faults(**faults)
    run_id = start_run(runtime, webhook_to_hubspot(connection["id"]),
                       {"courriel": "reessai@exemple.ca", "prenom": "Rémi"})

    first = runtime.execute_run(run_id)
    waiting = crm_step(runtime, run_id)
    second = runtime.execute_run(run_id)

    assert first == "waiting_retry"
    assert waiting["status"] == "waiting_retry"
    assert waiting["error"]["transient"] is True
    assert waiting["error"]["code"] == code
    assert second == "succeeded"
    step = crm_step(runtime, run_id)
    assert step["output"]["outcome"] == "created"
    assert step["attempts"] == 2
    contact = emulator.find_by_email("reessai@exemple.ca")
    assert contact is not None
    assert contact["properties"]["lifecyclestage"] == "lead"


def test_invalid_token_fails_run(runtime: Runtime, emulator_server: EmulatorServer,
                                 emulator: HubSpotEmulator) -> None:
    connection = runtime.connections.create(HUBSPOT, "CRM", {
        "token": "pat-na1-revoque", "base_url": emulator_server.base_url})
    run_id = start_run(runtime, webhook_to_hubspot(connection["id"]),
                       {"courriel": "refus@exemple.ca", "prenom": "Rémi"})

    status = runtime.execute_run(run_id)

    assert status == "failed"
    step = crm_step(runtime, run_id)
    assert step["error"]["code"] == "hubspot_invalid_token"
    assert step["error"]["status_code"] == 401
    assert emulator.find_by_email("refus@exemple.ca") is None


def test_instant_trigger_then_find(runtime: Runtime, emulator_server: EmulatorServer,
                                   emulator: HubSpotEmulator) -> None:
    connection = runtime.connections.create(HUBSPOT, "CRM", {
        "token": DEFAULT_TOKEN, "client_secret": DEFAULT_CLIENT_SECRET,
        "base_url": emulator_server.base_url})
    runtime.automations.save({
        "id": "hubspot-instantane", "name": "Nouveau contact HubSpot",
        "trigger": {"app": "hubspot", "event": "new_contact_instant",
                    "connection": connection["id"]},
        "steps": [
            {"id": "contact", "type": "search", "app": "hubspot", "action": "find_contact",
             "connection": connection["id"], "input": {"contact_id": "{{ trigger.contact_id }}"}},
        ],
    })
    runtime.automations.set_enabled("hubspot-instantane", True)
    secret = runtime.automations.webhook_secret("hubspot-instantane")
    created = emulator.add_contact({"email": "instant@exemple.ca", "firstname": "Inès"})

    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        answer = send_webhook_batch(f"{base_url}/hooks/hubspot-instantane/{secret}",
                                    [creation_event(created["id"])])
    run_id = answer.json()["events"][0]["run_id"]
    status = runtime.execute_run(run_id)

    assert answer.status_code == 200
    assert status == "succeeded"
    run = runtime.runs.get(run_id)
    step = next(record for record in run["steps"] if record["step_id"] == "contact")
    assert step["output"]["found"] is True
    assert step["output"]["contact"]["email"] == "instant@exemple.ca"
    assert step["output"]["contact"]["firstname"] == "Inès"


def instant_automation(runtime: Runtime, emulator_server: EmulatorServer) -> str:
    """Save "HubSpot new contact (instant) → filter on the email its details give"."""
    connection = runtime.connections.create(HUBSPOT, "CRM instantané", {
        "token": DEFAULT_TOKEN, "client_secret": DEFAULT_CLIENT_SECRET,
        "base_url": emulator_server.base_url})
    runtime.automations.save({
        "id": "hubspot-details", "name": "Détails du contact HubSpot",
        "trigger": {"app": "hubspot", "event": "new_contact_instant",
                    "connection": connection["id"]},
        "steps": [{"id": "keep", "type": "filter",
                   "conditions": [{"value": "{{ trigger.email }}", "operator": "exists"}]}],
    })
    runtime.automations.set_enabled("hubspot-details", True)
    return "hubspot-details"


def deliver_creation(runtime: Runtime, automation_id: str, contact_id: str) -> str:
    secret = runtime.automations.webhook_secret(automation_id)
    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        answer = send_webhook_batch(f"{base_url}/hooks/{automation_id}/{secret}",
                                    [creation_event(contact_id)])
    run_id: str = answer.json()["events"][0]["run_id"]
    return run_id


def test_instant_trigger_reads_properties(runtime: Runtime, emulator_server: EmulatorServer,
                                          emulator: HubSpotEmulator) -> None:
    automation_id = instant_automation(runtime, emulator_server)
    created = emulator.add_contact({"email": "details@exemple.ca", "firstname": "Élodie"})
    run_id = deliver_creation(runtime, automation_id, created["id"])
    emulator.set_faults(fail_next=1)

    first = runtime.execute_run(run_id)
    second = runtime.execute_run(run_id)

    assert first == "waiting_retry"
    assert second == "succeeded"
    details = next(record for record in runtime.runs.get(run_id)["steps"]
                   if record["step_id"] == "trigger_details")
    assert details["attempts"] == 2
    assert details["output"]["email"] == "details@exemple.ca"
    assert details["output"]["firstname"] == "Élodie"
    assert details["output"]["contact_id"] == str(created["id"])


def test_instant_trigger_deleted_contact_fails(runtime: Runtime, emulator_server: EmulatorServer,
                                               emulator: HubSpotEmulator) -> None:
    automation_id = instant_automation(runtime, emulator_server)
    run_id = deliver_creation(runtime, automation_id, "987654321")

    status = runtime.execute_run(run_id)

    assert status == "failed"
    details = next(record for record in runtime.runs.get(run_id)["steps"]
                   if record["step_id"] == "trigger_details")
    assert "987654321" in details["error"]["message"]["en"]
