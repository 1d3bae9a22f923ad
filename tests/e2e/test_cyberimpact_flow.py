"""An automation "webhook → find or create contact → add to groups" run against the sandbox."""

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
EVENTS_GROUP = 103
SUBSCRIBED = "genevieve.tremblay@example.com"  # sandbox starting data: member 5001, groups 101 and 102


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


def flow(connection_id: str) -> dict[str, Any]:
    return {
        "id": f"cyberimpact-{uuid.uuid4().hex[:12]}",
        "name": "Formulaire vers Cyberimpact",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [
            {"id": "contact", "app": "cyberimpact", "action": "find_or_create_contact",
             "connection": connection_id,
             "input": {
                 "email": "{{ trigger.courriel }}",
                 "first_name": "{{ trigger.prenom }}",
                 "language": "{{ trigger.langue }}",
                 "postal_code": "{{ trigger.code_postal }}",
                 "groups": [NEWSLETTER_GROUP],
                 "relation_type": "web-contacts",
                 "consent_date": "{{ event.received_at }}",
                 "consent_proof": "Formulaire de contact du site",
             }},
            {"id": "events", "app": "cyberimpact", "action": "add_to_groups",
             "connection": connection_id,
             "input": {"email": "{{ steps.contact.contact.email }}", "groups": [EVENTS_GROUP]}},
        ],
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


def group_ids(admin: httpx.Client, email: str) -> set[int]:
    response = admin.get(f"/members/{email.replace('+', '%2B')}/groups", params={"limit": 100})
    response.raise_for_status()
    return {group["id"] for group in response.json()["groups"]}


def test_flow_creates_then_adds_groups(runtime: Runtime, sandbox: SandboxServer,
                                       admin: httpx.Client) -> None:
    connection = runtime.connections.create(APP, "Bac à sable",
                                            {"token": TOKEN, "base_url": sandbox.base_url})
    document = flow(connection["id"])

    run = run_event(runtime, document, {"courriel": "Lea.Gagnon+site@Example.com",
                                        "prenom": "Léa", "langue": "Français",
                                        "code_postal": "h2x1y4"})

    steps = {step["step_id"]: step for step in run["steps"]}
    assert run["status"] == "succeeded"
    assert steps["contact"]["status"] == "succeeded"
    assert steps["contact"]["output"]["outcome"] == "created"
    assert steps["contact"]["warnings"] == []
    assert steps["events"]["status"] == "succeeded"
    assert {group["id"] for group in steps["events"]["output"]["groups"]} == {
        NEWSLETTER_GROUP, EVENTS_GROUP}

    email = "Lea.Gagnon+site@example.com"
    member = admin.get(f"/members/{email.replace('+', '%2B')}").json()
    assert member["firstname"] == "Léa"
    assert member["language"] == "fr_ca"
    assert member["postalCode"] == "H2X 1Y4"
    assert group_ids(admin, email) == {NEWSLETTER_GROUP, EVENTS_GROUP}
    consent = admin.get(f"/members/{email.replace('+', '%2B')}/consent").json()
    assert consent["relationType"] == "web-contacts"
    assert consent["consentProof"] == "Formulaire de contact du site"


def test_flow_existing_contact_only_grouped(runtime: Runtime, sandbox: SandboxServer,
                                            admin: httpx.Client) -> None:
    connection = runtime.connections.create(APP, "Bac à sable",
                                            {"token": TOKEN, "base_url": sandbox.base_url})
    before = admin.get(f"/members/{SUBSCRIBED}").json()

    run = run_event(runtime, flow(connection["id"]), {"courriel": SUBSCRIBED, "prenom": "Autre",
                                                      "langue": "English", "code_postal": ""})

    steps = {step["step_id"]: step for step in run["steps"]}
    assert steps["contact"]["output"]["outcome"] == "added_to_groups"
    assert steps["events"]["status"] == "succeeded"
    assert group_ids(admin, SUBSCRIBED) == {NEWSLETTER_GROUP, 102, EVENTS_GROUP}
    after = admin.get(f"/members/{SUBSCRIBED}").json()
    assert after["firstname"] == before["firstname"]
    assert after["language"] == before["language"]
    assert admin.get(f"/members/{SUBSCRIBED}/consent").json()["relationType"] == "express-consent"


# Transient failures: the engine retries the step and the retry finishes the work.


def start_run(runtime: Runtime, document: dict[str, Any], payload: dict[str, Any]) -> str:
    saved = runtime.automations.save(document)
    runtime.automations.set_enabled(saved["id"], True)
    stored = runtime.events.store(saved["id"], saved["version"],
                                  [NewEvent(payload=payload, dedup_key=uuid.uuid4().hex)], {})
    run_id = stored[0].run_id
    assert run_id is not None
    return run_id


def contact_step(run: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = next(record for record in run["steps"] if record["step_id"] == "contact")
    return step


@pytest.mark.parametrize("faults", [
    pytest.param({"throttle_every": 1, "retry_after_seconds": 0,
                  "throttle_routes": ["POST /members"]}, id="429"),
    pytest.param({"fail_next": 1, "fail_status": 500}, id="500"),
])
def test_flow_transient_error_then_success(runtime: Runtime, sandbox: SandboxServer,
                                           admin: httpx.Client, faults: dict[str, Any]) -> None:
    connection = runtime.connections.create(APP, "Bac à sable",
                                            {"token": TOKEN, "base_url": sandbox.base_url})
    admin.patch("/_sandbox/faults", json=faults).raise_for_status()
    run_id = start_run(runtime, flow(connection["id"]), {"courriel": "reessai@exemple.ca",
                                                         "prenom": "Rémi", "langue": "fr", "code_postal": ""})

    first = runtime.execute_run(run_id)
    waiting = contact_step(runtime.runs.get(run_id))
    admin.put("/_sandbox/faults", json={}).raise_for_status()
    second = runtime.execute_run(run_id)

    assert first == "waiting_retry"
    assert waiting["status"] == "waiting_retry"
    assert waiting["error"]["transient"] is True
    assert second == "succeeded"
    step = contact_step(runtime.runs.get(run_id))
    assert step["output"]["outcome"] == "created"
    assert step["attempts"] == 2
    assert group_ids(admin, "reessai@exemple.ca") == {NEWSLETTER_GROUP, EVENTS_GROUP}


def test_flow_consent_kept_after_retry(runtime: Runtime, sandbox: SandboxServer,
                                       admin: httpx.Client) -> None:
    connection = runtime.connections.create(APP, "Bac à sable",
                                            {"token": TOKEN, "base_url": sandbox.base_url})
    admin.patch("/_sandbox/faults", json={
        "throttle_every": 1, "retry_after_seconds": 0, "throttle_routes": ["PUT /members/*/consent"],
    }).raise_for_status()
    run_id = start_run(runtime, flow(connection["id"]), {"courriel": "consentement@exemple.ca",
                                                         "prenom": "Zoé", "langue": "fr", "code_postal": ""})

    first = runtime.execute_run(run_id)
    created_before_retry = admin.get("/members/consentement@exemple.ca").status_code
    admin.put("/_sandbox/faults", json={}).raise_for_status()
    second = runtime.execute_run(run_id)

    assert first == "waiting_retry"
    assert created_before_retry == 200
    assert second == "succeeded"
    step = contact_step(runtime.runs.get(run_id))
    assert step["output"]["outcome"] == "created"
    assert step["output"]["consent"]["relationType"] == "web-contacts"
    consent = admin.get("/members/consentement@exemple.ca/consent").json()
    assert consent["relationType"] == "web-contacts"
    assert consent["consentProof"] == "Formulaire de contact du site"


def test_flow_replay_finishes_creation(runtime: Runtime, sandbox: SandboxServer,
                                       admin: httpx.Client) -> None:
    connection = runtime.connections.create(APP, "Bac à sable",
                                            {"token": TOKEN, "base_url": sandbox.base_url})
    # Every try of the consent call fails, so the step exhausts its attempts and the run fails.
    admin.patch("/_sandbox/faults", json={
        "throttle_every": 1, "retry_after_seconds": 0, "throttle_routes": ["PUT /members/*/consent"],
    }).raise_for_status()
    run_id = start_run(runtime, flow(connection["id"]), {"courriel": "relance@exemple.ca",
                                                         "prenom": "Éloi", "langue": "fr",
                                                         "code_postal": ""})
    statuses = [runtime.execute_run(run_id) for _ in range(runtime.settings.max_attempts)]
    admin.put("/_sandbox/faults", json={}).raise_for_status()

    runtime.runs.replay(run_id, runtime.automations.get(runtime.runs.get(run_id)["automation_id"])["version"])
    replayed = runtime.execute_run(run_id)

    assert statuses[-1] == "failed"
    assert replayed == "succeeded"
    step = contact_step(runtime.runs.get(run_id))
    assert step["output"]["outcome"] == "created"
    consent = admin.get("/members/relance@exemple.ca/consent").json()
    assert consent["relationType"] == "web-contacts"
