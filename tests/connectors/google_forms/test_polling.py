"""The Forms API triggers, polled by the engine against the emulator over HTTP."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from arrimage.connectors.context import ConnectionData, TriggerContext
from arrimage.connectors.declaration import PollState
from arrimage.connectors.google_forms import APP, check_connection
from arrimage.connectors.google_forms.triggers import chosen_form_id, poll_new_response
from arrimage.emulators.google_forms import FormsState, GoogleFormsEmulator
from arrimage.engine.errors import AuthenticationError, InvalidInputError
from arrimage.engine.lookups import load_trigger_samples
from arrimage.runtime import Runtime

from .conftest import ANSWERS, BIRTHDATE, EMAIL, FORM_QUESTIONS, OWNER_TOKEN, TOPICS


def owner_connection(runtime: Runtime, emulator: GoogleFormsEmulator) -> str:
    created = runtime.connections.create(APP, f"api-{uuid.uuid4().hex[:6]}", {
        "access_token": OWNER_TOKEN, "api_base_url": emulator.base_url})
    return str(created["id"])


def enable(runtime: Runtime, connection_id: str, form: str, event: str = "new_response_api") -> str:
    automation_id = f"forms-{uuid.uuid4().hex[:10]}"
    runtime.automations.save({
        "id": automation_id, "name": "Réponses",
        "trigger": {"app": "google_forms", "event": event, "connection": connection_id,
                    "input": {"form_id": form}},
        "steps": [],
    })
    runtime.automations.set_enabled(automation_id, True)
    return automation_id


def fired(runtime: Runtime, run_ids: list[str]) -> list[dict[str, Any]]:
    payloads = []
    for run_id in run_ids:
        event_id = runtime.runs.get(run_id)["event_id"]
        payloads.append(runtime.events.get(event_id)["payload"])
    return payloads


def submit(emulator: GoogleFormsEmulator, form_id: str, email: str, **extra: Any) -> dict[str, Any]:
    return emulator.state.submit(form_id, {**ANSWERS, EMAIL: email}, **extra)


def test_seed_then_new_responses(runtime: Runtime, emulator: GoogleFormsEmulator, form_id: str) -> None:
    automation_id = enable(runtime, owner_connection(runtime, emulator), form_id)
    submit(emulator, form_id, "avant@exemple.ca")

    seeded = runtime.poll_trigger(automation_id)
    after = submit(emulator, form_id, "apres@exemple.ca", respondent_email="apres@exemple.ca")
    run_ids = runtime.poll_trigger(automation_id)
    repeat = runtime.poll_trigger(automation_id)

    assert seeded == []
    assert repeat == []
    [payload] = fired(runtime, run_ids)
    assert payload["response_id"] == after["responseId"]
    assert payload["source"] == "forms_api"
    assert payload["respondent_email"] == "apres@exemple.ca"
    assert payload["create_time"] == after["createTime"]
    assert payload["last_submitted_time"] == after["lastSubmittedTime"]
    answers = payload["answers"]
    assert answers[EMAIL] == "apres@exemple.ca"
    assert answers[TOPICS] == ["Infolettre", "Promotions"]
    assert answers[BIRTHDATE] == ""
    assert answers["Disponibilités"] == {"Lundi": ["Matin", "Soir"], "Mardi": []}
    assert answers["Satisfaction"] == {"Accueil": "Bien", "Prix": ""}
    assert answers["Commentaire (2)"] == ""
    assert payload["form_title"] == "Inscription à l'infolettre"


def test_same_answers_as_apps_script(runtime: Runtime, emulator: GoogleFormsEmulator,
                                     form_id: str) -> None:
    automation_id = enable(runtime, owner_connection(runtime, emulator), form_id)
    runtime.poll_trigger(automation_id)
    response = submit(emulator, form_id, "pareil@exemple.ca")

    [payload] = fired(runtime, runtime.poll_trigger(automation_id))

    script = emulator.state.apps_script_payload(form_id, response["responseId"])
    assert payload["answers"] == script["answers"]
    assert payload["response_id"] == script["response_id"]


def test_new_responses_across_pages(runtime: Runtime, form_id: str) -> None:
    emulator = GoogleFormsEmulator(FormsState(tokens=(OWNER_TOKEN,), max_page_size=2)).start()
    try:
        paged_form = emulator.state.add_form("Paginé", FORM_QUESTIONS)
        automation_id = enable(runtime, owner_connection(runtime, emulator), paged_form)
        runtime.poll_trigger(automation_id)
        emails = [f"personne{index}@exemple.ca" for index in range(5)]
        for email in emails:
            submit(emulator, paged_form, email)

        run_ids = runtime.poll_trigger(automation_id)
        page_requests = [line for line in emulator.state.requests if line.startswith(
            f"GET /v1/forms/{paged_form}/responses")]
    finally:
        emulator.stop()

    assert sorted(payload["answers"][EMAIL] for payload in fired(runtime, run_ids)) == emails
    assert any("pageToken=" in line for line in page_requests)
    assert all("filter=timestamp" in line for line in page_requests)


def test_edited_response_not_new(runtime: Runtime, emulator: GoogleFormsEmulator, form_id: str) -> None:
    connection_id = owner_connection(runtime, emulator)
    new_automation = enable(runtime, connection_id, form_id)
    edited_automation = enable(runtime, connection_id, form_id, event="response_edited")
    runtime.poll_trigger(new_automation)
    runtime.poll_trigger(edited_automation)
    response = submit(emulator, form_id, "edite@exemple.ca")
    first_new = runtime.poll_trigger(new_automation)
    first_edited = runtime.poll_trigger(edited_automation)

    emulator.state.edit(form_id, response["responseId"], {BIRTHDATE: "1990-12-04"})
    second_new = runtime.poll_trigger(new_automation)
    second_edited = runtime.poll_trigger(edited_automation)
    third_edited = runtime.poll_trigger(edited_automation)

    assert len(first_new) == 1
    assert first_edited == []
    assert second_new == []
    [edit] = fired(runtime, second_edited)
    assert edit["response_id"] == response["responseId"]
    assert edit["answers"][BIRTHDATE] == "1990-12-04"
    assert third_edited == []


def test_old_response_edited_is_edit(runtime: Runtime, emulator: GoogleFormsEmulator,
                                     form_id: str) -> None:
    connection_id = owner_connection(runtime, emulator)
    new_automation = enable(runtime, connection_id, form_id)
    edited_automation = enable(runtime, connection_id, form_id, event="response_edited")
    old = submit(emulator, form_id, "ancien@exemple.ca",
                 create_time=datetime.now(timezone.utc) - timedelta(days=3))
    runtime.poll_trigger(new_automation)
    runtime.poll_trigger(edited_automation)

    emulator.state.edit(form_id, old["responseId"], {"Prénom": "Nouveau"})

    assert runtime.poll_trigger(new_automation) == []
    [edit] = fired(runtime, runtime.poll_trigger(edited_automation))
    assert edit["answers"]["Prénom"] == "Nouveau"


def test_service_account_token(runtime: Runtime, emulator: GoogleFormsEmulator, form_id: str) -> None:
    key = emulator.state.service_account_key()
    emulator.state.share(form_id, key["client_email"])
    connection = runtime.connections.create(APP, "compte-de-service", {
        "service_account_key": json.dumps(key), "api_base_url": emulator.base_url})
    automation_id = enable(runtime, connection["id"], form_id)

    runtime.poll_trigger(automation_id)
    submit(emulator, form_id, "service@exemple.ca")
    run_ids = runtime.poll_trigger(automation_id)

    assert runtime.trigger_states.get(automation_id).error is None
    assert [payload["answers"][EMAIL] for payload in fired(runtime, run_ids)] == ["service@exemple.ca"]
    assert emulator.state.token_requests == 1


def test_unshared_form_records_error(runtime: Runtime, emulator: GoogleFormsEmulator,
                                     form_id: str) -> None:
    key = emulator.state.service_account_key("pas-partage@emulator-project.iam.gserviceaccount.com")
    connection = runtime.connections.create(APP, "non-partage", {
        "service_account_key": json.dumps(key), "api_base_url": emulator.base_url})
    automation_id = enable(runtime, connection["id"], form_id)

    assert runtime.poll_trigger(automation_id) == []

    error = runtime.trigger_states.get(automation_id).error
    assert error is not None
    assert "AuthenticationError" in error
    assert "403" in error


def test_bad_service_account_signature(emulator: GoogleFormsEmulator) -> None:
    key = emulator.state.service_account_key()
    other = emulator.state.service_account_key("autre@emulator-project.iam.gserviceaccount.com")
    forged = {**key, "private_key": other["private_key"], "token_uri": key["token_uri"]}

    with pytest.raises(AuthenticationError) as caught:
        check_connection({"service_account_key": json.dumps(forged)})

    assert "Invalid JWT Signature" in caught.value.message.render("en")


def test_check_connection_names_account(emulator: GoogleFormsEmulator) -> None:
    key = emulator.state.service_account_key()

    account = check_connection({"service_account_key": json.dumps(key)})

    assert account == key["client_email"]


def test_refresh_token_grant(runtime: Runtime, emulator: GoogleFormsEmulator, form_id: str) -> None:
    emulator.state.add_refresh_token("1//rafraichir", "client.apps", "client-secret")
    connection = runtime.connections.create(APP, "oauth", {
        "refresh_token": "1//rafraichir", "client_id": "client.apps",
        "client_secret": "client-secret", "api_base_url": emulator.base_url,
        "token_url": f"{emulator.base_url}/token"})
    automation_id = enable(runtime, connection["id"], form_id)

    runtime.poll_trigger(automation_id)
    submit(emulator, form_id, "oauth@exemple.ca")

    assert len(runtime.poll_trigger(automation_id)) == 1


def test_rate_limited_then_success(runtime: Runtime, emulator: GoogleFormsEmulator, form_id: str) -> None:
    automation_id = enable(runtime, owner_connection(runtime, emulator), form_id)
    runtime.poll_trigger(automation_id)
    submit(emulator, form_id, "limite@exemple.ca")
    emulator.state.throttle(1, retry_after_seconds=7)

    throttled = runtime.poll_trigger(automation_id)
    error = runtime.trigger_states.get(automation_id).error
    recovered = runtime.poll_trigger(automation_id)

    assert throttled == []
    assert error is not None and "RateLimitedError" in error
    assert [payload["answers"][EMAIL] for payload in fired(runtime, recovered)] == ["limite@exemple.ca"]
    assert runtime.trigger_states.get(automation_id).error is None


def test_wrong_token_records_error(runtime: Runtime, emulator: GoogleFormsEmulator, form_id: str) -> None:
    connection = runtime.connections.create(APP, "mauvais", {
        "access_token": "expired", "api_base_url": emulator.base_url})
    automation_id = enable(runtime, connection["id"], form_id)

    runtime.poll_trigger(automation_id)

    error = runtime.trigger_states.get(automation_id).error
    assert error is not None and "AuthenticationError" in error


def test_form_id_from_edit_address() -> None:
    form = "1b2Xk9QeRZr7uTqLmN4pWc8sYd3fGh6jKa0vBn5xZ"

    assert chosen_form_id(f"https://docs.google.com/forms/d/{form}/edit#responses") == form
    assert chosen_form_id(f"  {form} ") == form
    with pytest.raises(InvalidInputError):
        chosen_form_id(f"https://docs.google.com/forms/d/e/1FAIpQLS{form}/viewform")
    with pytest.raises(InvalidInputError):
        chosen_form_id("")


def test_samples_newest_first(runtime: Runtime, emulator: GoogleFormsEmulator, form_id: str) -> None:
    connection_id = owner_connection(runtime, emulator)
    for email in ("un@exemple.ca", "deux@exemple.ca", "trois@exemple.ca"):
        submit(emulator, form_id, email)

    result = load_trigger_samples(runtime, "google_forms", "new_response_api", connection_id,
                                  {"form_id": form_id}, 2)

    assert result["source"] == "app"
    assert [item["answers"][EMAIL] for item in result["items"]] == ["trois@exemple.ca", "deux@exemple.ca"]


def test_poll_without_http_client_fails() -> None:
    connection = ConnectionData("con", "google_forms", "x", {}, {"access_token": "jeton"})
    context = TriggerContext(automation_id="a", options={"form_id": "1b2Xk9QeRZr7uTqLm"},
                             connection=connection)

    with pytest.raises(RuntimeError):
        poll_new_response(context, PollState(cursor=None, seen_ids=[]))
