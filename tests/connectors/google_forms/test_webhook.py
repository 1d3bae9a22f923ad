"""The new response trigger over real HTTP: responses posted as the generated Apps Script does."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from arrimage.connectors.google_forms import APP
from arrimage.emulators.google_forms import GoogleFormsEmulator, encode_script_body
from arrimage.runtime import Runtime
from tests.support.processes import in_process_server

from .conftest import ANSWERS, BIRTHDATE, EMAIL, SIGNING_SECRET, TOPICS


@dataclass
class Hook:
    runtime: Runtime
    base_url: str
    automation_id: str
    emulator: GoogleFormsEmulator
    form_id: str

    @property
    def url(self) -> str:
        return f"{self.base_url}/hooks/{self.automation_id}"

    @property
    def secret(self) -> str:
        return self.runtime.automations.webhook_secret(self.automation_id)

    def deliver(self, response_id: str, signing_secret: str = SIGNING_SECRET,
                webhook_secret: str | None = None) -> httpx.Response:
        return self.emulator.state.deliver_response(
            self.form_id, response_id, self.url,
            webhook_secret=self.secret if webhook_secret is None else webhook_secret,
            signing_secret=signing_secret)

    def payloads(self) -> list[dict[str, object]]:
        events = self.runtime.events.list(self.automation_id, limit=50)
        return [self.runtime.events.get(event["id"])["payload"] for event in events]

    def post_signed(self, body: bytes) -> httpx.Response:
        """POST ``body`` signed with the connection's secret, in English."""
        digest = hmac.new(SIGNING_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return httpx.post(self.url, params={"lang": "en"}, content=body, timeout=10, headers={
            "Content-Type": "application/json", "X-Arrimage-Secret": self.secret,
            "X-Arrimage-Signature": f"sha256={digest}"})

    def run_count(self) -> int:
        return len(self.runtime.runs.list(automation_id=self.automation_id, limit=50))


def start_hook(runtime: Runtime, emulator: GoogleFormsEmulator, form_id: str,
               connection_values: dict[str, str] | None) -> Iterator[Hook]:
    trigger: dict[str, object] = {"app": "google_forms", "event": "new_response"}
    if connection_values is not None:
        connection = runtime.connections.create(APP, "formulaire", connection_values)
        trigger["connection"] = connection["id"]
    runtime.automations.save({"id": "inscriptions", "name": "Inscriptions", "trigger": trigger,
                              "steps": []})
    runtime.automations.set_enabled("inscriptions", True)
    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        yield Hook(runtime, base_url, "inscriptions", emulator, form_id)


@pytest.fixture
def hook(runtime: Runtime, emulator: GoogleFormsEmulator, form_id: str) -> Iterator[Hook]:
    yield from start_hook(runtime, emulator, form_id, {"signing_secret": SIGNING_SECRET})


@pytest.fixture
def unsigned_hook(runtime: Runtime, emulator: GoogleFormsEmulator, form_id: str) -> Iterator[Hook]:
    yield from start_hook(runtime, emulator, form_id, None)


def test_response_stored_with_answers(hook: Hook) -> None:
    response = hook.emulator.state.submit(hook.form_id, ANSWERS, respondent_email="eloise@exemple.ca")

    answer = hook.deliver(response["responseId"])

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "accepted"
    [payload] = hook.payloads()
    assert payload["response_id"] == response["responseId"]
    assert payload["respondent_email"] == "eloise@exemple.ca"
    assert payload["form_id"] == hook.form_id
    assert payload["source"] == "apps_script"
    answers = payload["answers"]
    assert isinstance(answers, dict)
    assert answers[EMAIL] == "eloise.damour@exemple.ca"
    assert answers[TOPICS] == ["Infolettre", "Promotions"]
    assert answers[BIRTHDATE] == ""
    assert answers["Pièce jointe"] == []
    by_id = payload["answers_by_id"]
    assert isinstance(by_id, dict)
    assert sorted(by_id.values(), key=json.dumps) == sorted(answers.values(), key=json.dumps)
    assert hook.run_count() == 1


def test_file_upload_gives_drive_urls(hook: Hook) -> None:
    response = hook.emulator.state.submit(hook.form_id, {EMAIL: "a@exemple.ca",
                                                         "Pièce jointe": ["1AbCdEfGh"]})

    assert hook.deliver(response["responseId"]).status_code == 200

    [payload] = hook.payloads()
    assert payload["answers"]["Pièce jointe"] == ["https://drive.google.com/open?id=1AbCdEfGh"]  # type: ignore[index]


def test_wrong_signing_secret_rejected(hook: Hook) -> None:
    response = hook.emulator.state.submit(hook.form_id, ANSWERS)

    answer = hook.deliver(response["responseId"], signing_secret="another-secret")

    assert answer.status_code == 401
    assert "X-Arrimage-Signature" in answer.json()["error"]["message"]
    assert hook.payloads() == []
    assert hook.run_count() == 0


def test_missing_signature_rejected(hook: Hook) -> None:
    response = hook.emulator.state.submit(hook.form_id, ANSWERS)

    answer = hook.deliver(response["responseId"], signing_secret="")

    assert answer.status_code == 401
    assert hook.payloads() == []


def test_wrong_webhook_secret_rejected(hook: Hook) -> None:
    response = hook.emulator.state.submit(hook.form_id, ANSWERS)

    answer = hook.deliver(response["responseId"], webhook_secret="not-the-secret")

    assert answer.status_code == 401
    assert hook.payloads() == []


def test_tampered_body_rejected(hook: Hook) -> None:
    response = hook.emulator.state.submit(hook.form_id, ANSWERS)
    payload = hook.emulator.state.apps_script_payload(hook.form_id, response["responseId"])
    digest = hmac.new(SIGNING_SECRET.encode(), encode_script_body(payload), hashlib.sha256).hexdigest()
    payload["respondent_email"] = "intrus@exemple.ca"

    answer = httpx.post(hook.url, content=encode_script_body(payload), timeout=10, headers={
        "Content-Type": "application/json", "X-Arrimage-Secret": hook.secret,
        "X-Arrimage-Signature": f"sha256={digest}"})

    assert answer.status_code == 401
    assert hook.payloads() == []


def test_duplicate_delivery_one_run(hook: Hook) -> None:
    response = hook.emulator.state.submit(hook.form_id, ANSWERS)

    first = hook.deliver(response["responseId"])
    second = hook.deliver(response["responseId"])

    assert first.json()["status"] == "accepted"
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert len(hook.payloads()) == 1
    assert hook.run_count() == 1


def test_edited_response_not_new(hook: Hook) -> None:
    response = hook.emulator.state.submit(hook.form_id, ANSWERS)
    hook.deliver(response["responseId"])
    hook.emulator.state.edit(hook.form_id, response["responseId"], {BIRTHDATE: "1990-12-04"})

    again = hook.deliver(response["responseId"])

    assert again.json()["status"] == "duplicate"
    assert hook.run_count() == 1


def test_body_without_response_id_rejected(hook: Hook) -> None:
    answer = hook.post_signed(b'{"answers": {}}')

    assert answer.status_code == 400
    assert "response_id" in answer.json()["error"]["message"]
    assert hook.payloads() == []


def test_unsigned_accepted_without_connection(unsigned_hook: Hook) -> None:
    response = unsigned_hook.emulator.state.submit(unsigned_hook.form_id, ANSWERS)

    answer = unsigned_hook.deliver(response["responseId"], signing_secret="")

    assert answer.status_code == 200, answer.text
    assert len(unsigned_hook.payloads()) == 1


def test_connection_without_secret_rejects(runtime: Runtime, emulator: GoogleFormsEmulator,
                                           form_id: str) -> None:
    for hook in start_hook(runtime, emulator, form_id, {"access_token": "jeton-api"}):
        response = emulator.state.submit(form_id, ANSWERS)

        answer = hook.post_signed(encode_script_body(
            emulator.state.apps_script_payload(form_id, response["responseId"])))

        assert answer.status_code == 401
        assert "no signing secret" in answer.json()["error"]["message"]
        assert hook.payloads() == []
