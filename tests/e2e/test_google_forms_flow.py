"""Google Forms response → Cyberimpact opt-in request, run by the engine against both emulators."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from arrimage.connectors.cyberimpact import APP as CYBERIMPACT
from arrimage.connectors.google_forms import APP as GOOGLE_FORMS
from arrimage.emulators.google_forms import FormsState, GoogleFormsEmulator
from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN
from tests.support.processes import in_process_server

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "google-forms-to-cyberimpact-optin.yaml"
FORMS_TOKEN = "emulator-owner-token"
SIGNING_SECRET = "secret-de-signature-e2e"
NEWSLETTER_GROUP = 101
QUESTIONS = [
    {"title": "Courriel", "kind": "text", "required": True},
    {"title": "Prénom", "kind": "text"},
    {"title": "Nom", "kind": "text"},
    {"title": "Langue", "kind": "radio", "options": ["Français", "English"]},
    {"title": "Infolettre", "kind": "checkbox", "options": ["Oui"]},
]


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
def forms() -> Iterator[GoogleFormsEmulator]:
    running = GoogleFormsEmulator(FormsState(tokens=(FORMS_TOKEN,))).start()
    yield running
    running.stop()


def recipe(trigger: dict[str, Any], cyberimpact_connection: str) -> dict[str, Any]:
    """Return the recipe with its trigger and connections replaced for this test."""
    document: dict[str, Any] = yaml.safe_load(RECIPE.read_text(encoding="utf-8"))
    document["id"] = f"forms-optin-{uuid.uuid4().hex[:8]}"
    document["trigger"] = trigger
    for step in document["steps"]:
        if step.get("connection"):
            step["connection"] = cyberimpact_connection
    return document


def outbox(admin: httpx.Client) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = admin.get("/outbox.json").json()["messages"]
    return messages


def cyberimpact_connection(runtime: Runtime, sandbox: SandboxServer) -> str:
    created = runtime.connections.create(CYBERIMPACT, "Bac à sable",
                                         {"token": TOKEN, "base_url": sandbox.base_url})
    return str(created["id"])


def test_apps_script_response_sends_optin(runtime: Runtime, sandbox: SandboxServer,
                                          admin: httpx.Client, forms: GoogleFormsEmulator) -> None:
    form_connection = runtime.connections.create(GOOGLE_FORMS, "formulaire",
                                                 {"signing_secret": SIGNING_SECRET})
    document = recipe({"app": "google_forms", "event": "new_response",
                       "connection": form_connection["id"]},
                      cyberimpact_connection(runtime, sandbox))
    saved = runtime.automations.save(document)
    runtime.automations.set_enabled(saved["id"], True)
    form_id = forms.state.add_form("Infolettre", QUESTIONS)
    response = forms.state.submit(form_id, {
        "Courriel": " Lea.Gagnon@Exemple.com ", "Prénom": "Léa", "Nom": "Gagnon",
        "Langue": "Français", "Infolettre": ["Oui"]})

    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        delivered = forms.state.deliver_response(
            form_id, response["responseId"], f"{base_url}/hooks/{saved['id']}",
            webhook_secret=runtime.automations.webhook_secret(saved["id"]),
            signing_secret=SIGNING_SECRET)

    assert delivered.status_code == 200, delivered.text
    [event] = delivered.json()["events"]
    assert runtime.execute_run(event["run_id"]) == "succeeded"
    [message] = outbox(admin)
    assert message["to"] == "Lea.Gagnon@exemple.com"
    assert message["language"] == "fr_CA"
    assert message["status"] == "pending"
    assert message["groups"] == ["Infolettre"]
    assert "Léa" in message["text"]


def test_no_consent_filtered(runtime: Runtime, sandbox: SandboxServer, admin: httpx.Client,
                             forms: GoogleFormsEmulator) -> None:
    document = recipe({"app": "google_forms", "event": "new_response"},
                      cyberimpact_connection(runtime, sandbox))
    saved = runtime.automations.save(document)
    runtime.automations.set_enabled(saved["id"], True)
    form_id = forms.state.add_form("Infolettre", QUESTIONS)
    response = forms.state.submit(form_id, {"Courriel": "sans.accord@exemple.ca"})

    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        delivered = forms.state.deliver_response(
            form_id, response["responseId"], f"{base_url}/hooks/{saved['id']}",
            webhook_secret=runtime.automations.webhook_secret(saved["id"]))

    [event] = delivered.json()["events"]
    assert runtime.execute_run(event["run_id"]) == "filtered"
    assert outbox(admin) == []


def test_polled_response_sends_optin(runtime: Runtime, sandbox: SandboxServer,
                                     admin: httpx.Client, forms: GoogleFormsEmulator) -> None:
    form_id = forms.state.add_form("Infolettre", QUESTIONS)
    key = forms.state.service_account_key()
    forms.state.share(form_id, key["client_email"])
    form_connection = runtime.connections.create(GOOGLE_FORMS, "api", {
        "service_account_key": json.dumps(key), "api_base_url": forms.base_url})
    document = recipe({"app": "google_forms", "event": "new_response_api",
                       "connection": form_connection["id"], "input": {"form_id": form_id}},
                      cyberimpact_connection(runtime, sandbox))
    saved = runtime.automations.save(document)
    runtime.automations.set_enabled(saved["id"], True)
    forms.state.submit(form_id, {"Courriel": "avant@exemple.ca",
                                 "Infolettre": ["Oui"]})
    runtime.poll_trigger(saved["id"])
    forms.state.submit(form_id, {"Courriel": "marc@exemple.ca", "Prénom": "Marc",
                                 "Langue": "English", "Infolettre": ["Oui"]})

    run_ids = runtime.poll_trigger(saved["id"])

    assert [runtime.execute_run(run_id) for run_id in run_ids] == ["succeeded"]
    [message] = outbox(admin)
    assert message["to"] == "marc@exemple.ca"
    assert message["language"] == "en"
