"""Automations started by the Cyberimpact polling triggers, run by the engine against the sandbox."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from starlette.exceptions import StarletteDeprecationWarning

from arrimage.connectors.cyberimpact import APP
from arrimage.engine.polling import describe_poll_error
from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from arrimage.storage.models import TriggerState
from arrimage.web.app import create_app
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

NEWSLETTER_GROUP = 101
EVENTS_GROUP = 103
OLD_CONTACT = 5002  # sandbox starting data: joined in 2023, not in group 103
OLD_CONTACT_EMAIL = "marc-andre.gagnon@example.com"


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


@pytest.fixture
def connection_id(runtime: Runtime, sandbox: SandboxServer) -> str:
    connection = runtime.connections.create(APP, "Bac à sable",
                                            {"token": TOKEN, "base_url": sandbox.base_url})
    return str(connection["id"])


def group_automation(connection_id: str, **trigger: Any) -> dict[str, Any]:
    """Return "contact added to Événements → add the contact to Infolettre"."""
    return {
        "id": f"groupe-{uuid.uuid4().hex[:12]}",
        "name": "Événements vers Infolettre",
        "trigger": {"app": "cyberimpact", "event": "contact_added_to_group",
                    "connection": connection_id, "input": {"group": str(EVENTS_GROUP)},
                    **trigger},
        "steps": [
            {"id": "newsletter", "app": "cyberimpact", "action": "add_to_groups",
             "connection": connection_id,
             "input": {"email": "{{ trigger.email }}", "groups": [NEWSLETTER_GROUP]}},
        ],
    }


def enable(runtime: Runtime, document: dict[str, Any]) -> str:
    saved = runtime.automations.save(document)
    runtime.automations.set_enabled(saved["id"], True)
    return str(saved["id"])


def join_events_group(admin: httpx.Client, member_id: int) -> None:
    admin.post(f"/members/{member_id}/groups", json={"groups": str(EVENTS_GROUP)}).raise_for_status()


def test_group_trigger_runs_steps(runtime: Runtime, admin: httpx.Client, connection_id: str) -> None:
    automation_id = enable(runtime, group_automation(connection_id))
    seeded = runtime.poll_trigger(automation_id)
    join_events_group(admin, OLD_CONTACT)

    run_ids = runtime.poll_trigger(automation_id)
    statuses = [runtime.execute_run(run_id) for run_id in run_ids]
    repeat = runtime.poll_trigger(automation_id)

    assert seeded == []
    assert statuses == ["succeeded"]
    run = runtime.runs.get(run_ids[0])
    payload = runtime.events.get(run["event_id"])["payload"]
    assert payload["email"] == OLD_CONTACT_EMAIL
    assert payload["group"] == {"id": EVENTS_GROUP, "title": "Événements"}
    step = next(record for record in run["steps"] if record["step_id"] == "newsletter")
    assert step["status"] == "succeeded"
    assert NEWSLETTER_GROUP in {group["id"] for group in step["output"]["groups"]}
    assert repeat == []


def test_contact_trigger_skips_existing(runtime: Runtime, admin: httpx.Client,
                                        connection_id: str) -> None:
    document = group_automation(connection_id)
    document["trigger"] = {"app": "cyberimpact", "event": "contact_added",
                           "connection": connection_id}
    automation_id = enable(runtime, document)
    admin.post("/members", json={"email": "avant@exemple.ca"}).raise_for_status()
    seeded = runtime.poll_trigger(automation_id)
    admin.post("/members", json={"email": "apres@exemple.ca", "groups": "102"}).raise_for_status()

    run_ids = runtime.poll_trigger(automation_id)

    assert seeded == []
    assert len(run_ids) == 1
    assert runtime.execute_run(run_ids[0]) == "succeeded"
    event_id = runtime.runs.get(run_ids[0])["event_id"]
    assert runtime.events.get(event_id)["payload"]["email"] == "apres@exemple.ca"


def test_turning_on_again_reseeds(runtime: Runtime, admin: httpx.Client,
                                  connection_id: str) -> None:
    automation_id = enable(runtime, group_automation(connection_id))
    runtime.poll_trigger(automation_id)
    runtime.automations.set_enabled(automation_id, False)
    join_events_group(admin, OLD_CONTACT)  # while the automation is off

    runtime.automations.set_enabled(automation_id, True)
    reseeded = runtime.poll_trigger(automation_id)

    assert reseeded == []
    assert runtime.trigger_states.get(automation_id).seeded_at is not None


def test_poll_error_recorded_then_cleared(runtime: Runtime, admin: httpx.Client,
                                          connection_id: str) -> None:
    automation_id = enable(runtime, group_automation(connection_id))
    runtime.poll_trigger(automation_id)
    join_events_group(admin, OLD_CONTACT)
    admin.patch("/_sandbox/faults", json={"fail_next": 1}).raise_for_status()

    failed = runtime.poll_trigger(automation_id)
    error = runtime.trigger_states.get(automation_id).error
    recovered = runtime.poll_trigger(automation_id)

    assert failed == []
    assert error is not None and "ServerError" in error
    assert (describe_poll_error(error, "en") or "").startswith("Cyberimpact")
    assert "réessaiera" in (describe_poll_error(error, "fr") or "")
    assert len(recovered) == 1
    assert runtime.trigger_states.get(automation_id).error is None


def test_schedule_uses_automation_interval(runtime: Runtime, admin: httpx.Client,
                                           connection_id: str) -> None:
    automation_id = enable(runtime, group_automation(connection_id, poll_interval_minutes=5))
    first = runtime.schedule_polls()
    too_soon = runtime.schedule_polls()
    table = TriggerState.__table__
    with runtime.db.write() as connection:
        connection.execute(update(table).where(table.c.automation_id == automation_id).values(
            polled_at=datetime.now(timezone.utc) - timedelta(minutes=6)))

    later = runtime.schedule_polls()

    assert first == 1
    assert too_soon == 0
    assert later == 1


def test_interval_rejected_on_webhook_trigger(runtime: Runtime) -> None:
    document = {"id": "webhook-intervalle", "name": "Webhook",
                "trigger": {"app": "webhook", "event": "catch_hook", "poll_interval_minutes": 5},
                "steps": [{"id": "forward", "app": "http", "action": "request",
                           "input": {"url": "http://127.0.0.1:9/hook"}}]}

    with pytest.raises(Exception) as caught:
        runtime.automations.save(document)

    assert "poll_interval_minutes" in str(caught.value)


# The REST API used by the UI: sample data and choice lists


@pytest.fixture
def api(runtime: Runtime) -> Iterator[httpx.Client]:
    with TestClient(create_app(runtime), base_url="http://127.0.0.1") as client:
        yield client


def test_api_loads_trigger_samples(api: httpx.Client, admin: httpx.Client,
                                   connection_id: str) -> None:
    answer = api.post("/api/apps/cyberimpact/triggers/contact_added_to_group/samples",
                      json={"connection": connection_id, "input": {"group": "Événements"},
                            "limit": 2})

    assert answer.status_code == 200
    body = answer.json()
    assert body["source"] == "app"
    assert len(body["items"]) == 2
    assert body["items"][0]["group"]["id"] == EVENTS_GROUP


def test_api_samples_fall_back_to_declared(api: httpx.Client) -> None:
    answer = api.post("/api/apps/webhook/triggers/catch_hook/samples", json={})

    assert answer.status_code == 200
    assert answer.json()["source"] == "declared"
    assert len(answer.json()["items"]) == 1


def test_api_samples_unknown_group(api: httpx.Client, admin: httpx.Client,
                                   connection_id: str) -> None:
    answer = api.post("/api/apps/cyberimpact/triggers/contact_added_to_group/samples",
                      json={"connection": connection_id, "input": {"group": "999"}},
                      headers={"Accept-Language": "fr-CA"})

    assert answer.status_code == 422
    assert "999" in answer.json()["error"]["message"]


def test_api_samples_need_connection(api: httpx.Client) -> None:
    answer = api.post("/api/apps/cyberimpact/triggers/group_created/samples", json={},
                      headers={"Accept-Language": "en-CA"})

    assert answer.status_code == 422
    assert "Choose a connection to cyberimpact" in answer.json()["error"]["message"]


def test_api_lists_group_choices(api: httpx.Client, admin: httpx.Client,
                                 connection_id: str) -> None:
    answer = api.get("/api/apps/cyberimpact/choices/groups", params={"connection": "Bac à sable"})

    assert answer.status_code == 200
    choices = {choice["value"]: choice for choice in answer.json()}
    assert choices["103"]["label"] == "Événements"
    assert choices["103"]["public"] is True


def test_api_unknown_choice_source(api: httpx.Client, connection_id: str) -> None:
    answer = api.get("/api/apps/cyberimpact/choices/villes", params={"connection": connection_id})

    assert answer.status_code == 404
    assert "groups" in answer.json()["error"]["message"]


def test_catalogue_describes_choice_sources(api: httpx.Client) -> None:
    apps = {app["key"]: app for app in api.get("/api/apps").json()}
    triggers = {trigger["key"]: trigger for trigger in apps["cyberimpact"]["triggers"]}

    group_field = triggers["contact_added_to_group"]["fields"][0]
    assert group_field["choices_from"] == "groups"
    assert triggers["group_created"]["mode"] == "polling"
    assert triggers["group_created"]["poll_interval_seconds"] == 60
    assert triggers["group_created"]["loads_samples"] is True


# Connections: the token is checked with GET /ping before it is stored


def test_api_connection_checked_on_create(api: httpx.Client, sandbox: SandboxServer,
                                          admin: httpx.Client) -> None:
    created = api.post("/api/connections", json={
        "app": "cyberimpact", "name": "Compte",
        "values": {"token": TOKEN, "base_url": sandbox.base_url}})

    assert created.status_code == 201
    assert created.json()["account"] == "Boutique Sandbox"
    assert TOKEN not in created.text


def test_api_invalid_token_not_stored(api: httpx.Client, sandbox: SandboxServer,
                                      admin: httpx.Client) -> None:
    rejected = api.post("/api/connections", json={
        "app": "cyberimpact", "name": "Mauvais",
        "values": {"token": "jeton-invalide", "base_url": sandbox.base_url}},
        headers={"Accept-Language": "fr-CA"})

    assert rejected.status_code == 400
    assert rejected.json()["error"]["code"] == "cyberimpact_invalid_token"
    assert api.get("/api/connections").json() == []


def test_api_checks_stored_connection(api: httpx.Client, connection_id: str,
                                      admin: httpx.Client) -> None:
    checked = api.post(f"/api/connections/{connection_id}/check")

    assert checked.status_code == 200
    assert checked.json() == {"id": connection_id, "app": "cyberimpact",
                              "account": "Boutique Sandbox"}
