"""The REST API under ``/api``: automations, connections, runs, events and the app catalogue."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.exceptions import StarletteDeprecationWarning

from arrimage.i18n import translate
from arrimage.runtime import Runtime
from arrimage.storage.models import Connection
from arrimage.web.app import create_app
from tests.support.sink import Reply, Sink

with warnings.catch_warnings():
    # Starlette's test client warns that it will move to httpx2; nothing these tests use changes.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PLAIN_SECRET = "Bearer tok-5e4f-plain"


def automation(automation_id: str, sink_url: str, **step: Any) -> dict[str, Any]:
    return {
        "id": automation_id,
        "name": f"Automation {automation_id}",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [
            {"id": "forward", "app": "http", "action": "request",
             "input": {"url": f"{sink_url}/contacts", "body": {"email": "{{ trigger.email }}"}}, **step},
        ],
    }


@pytest.fixture
def api(runtime: Runtime) -> Iterator[httpx.Client]:
    # The app in-process, without its consumer: a test executes runs itself, so their statuses
    # are known. Real HTTP to the intake is covered by test_hooks.
    with TestClient(create_app(runtime), base_url="http://127.0.0.1") as client:
        yield client


def deliver(api: httpx.Client, runtime: Runtime, automation_id: str, payload: dict[str, Any]) -> str:
    """Post ``payload`` to the automation's webhook, execute its run here, and return its id."""
    secret = runtime.automations.webhook_secret(automation_id)
    answer = api.post(f"/hooks/{automation_id}/{secret}", json=payload)
    answer.raise_for_status()
    run_id: str = answer.json()["events"][0]["run_id"]
    runtime.execute_run(run_id)
    return run_id


def create_enabled(api: httpx.Client, document: dict[str, Any]) -> None:
    api.post("/api/automations", json=document).raise_for_status()
    api.post(f"/api/automations/{document['id']}/enable").raise_for_status()


# -- schema and catalogue ------------------------------------------------------------------

def test_openapi_lists_paths(api: httpx.Client) -> None:
    paths = api.get("/api/openapi.json").json()["paths"]

    for path in ("/api/automations", "/api/automations/{automation_id}", "/api/connections",
                 "/api/runs", "/api/runs/{run_id}/replay", "/api/events", "/api/apps",
                 "/hooks/{automation_id}/{secret}", "/hooks/{automation_id}"):
        assert path in paths, path


def test_openapi_operation_ids_unique(api: httpx.Client) -> None:
    paths = api.get("/api/openapi.json").json()["paths"]

    operation_ids = [operation["operationId"] for item in paths.values() for operation in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_apps_names_in_both_languages(api: httpx.Client) -> None:
    apps = {entry["key"]: entry for entry in api.get("/api/apps").json()}

    assert {"webhook", "http"} <= set(apps)
    assert apps["webhook"]["name"]["en"] == "Webhook"
    assert apps["http"]["name"]["en"] == "HTTP request"
    assert apps["webhook"]["name"]["fr_CA"] == translate("Webhook", "fr_CA")
    assert apps["http"]["name"]["fr_CA"] == translate("HTTP request", "fr_CA")


# -- automations ---------------------------------------------------------------------------

def test_automation_create_and_get(api: httpx.Client, sink: Sink) -> None:
    created = api.post("/api/automations", json=automation("to-sink", sink.url))

    assert created.status_code == 201
    assert created.json()["version"] == 1
    assert created.json()["created"] is True
    assert created.json()["enabled"] is False
    assert "/hooks/to-sink/" in created.json()["webhook_url"]
    fetched = api.get("/api/automations/to-sink").json()
    assert fetched["document"]["steps"][0]["id"] == "forward"


def test_automation_list(api: httpx.Client, sink: Sink) -> None:
    api.post("/api/automations", json=automation("first", sink.url)).raise_for_status()
    api.post("/api/automations", json=automation("second", sink.url)).raise_for_status()

    listed = api.get("/api/automations").json()

    assert [entry["id"] for entry in listed] == ["first", "second"]


def test_put_makes_new_version(api: httpx.Client, sink: Sink) -> None:
    api.post("/api/automations", json=automation("to-sink", sink.url)).raise_for_status()
    changed = automation("to-sink", sink.url)
    changed["name"] = "Renamed"

    updated = api.put("/api/automations/to-sink", json=changed)

    assert updated.status_code == 200
    assert updated.json()["version"] == 2
    assert updated.json()["new_version"] is True
    assert api.get("/api/automations/to-sink").json()["name"] == "Renamed"


def test_put_same_document_keeps_version(api: httpx.Client, sink: Sink) -> None:
    document = automation("to-sink", sink.url)
    api.post("/api/automations", json=document).raise_for_status()

    again = api.put("/api/automations/to-sink", json=document)

    assert again.status_code == 200
    assert again.json()["version"] == 1
    assert again.json()["new_version"] is False


def test_put_unknown_automation_not_found(api: httpx.Client, sink: Sink) -> None:
    answer = api.put("/api/automations/nobody", json=automation("nobody", sink.url))

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_export_returns_document(api: httpx.Client, sink: Sink) -> None:
    api.post("/api/automations", json=automation("to-sink", sink.url)).raise_for_status()

    exported = api.get("/api/automations/to-sink/export").json()

    assert exported["id"] == "to-sink"
    assert exported["trigger"] == {"app": "webhook", "event": "catch_hook", "input": {}}
    assert exported["steps"][0]["input"]["url"] == f"{sink.url}/contacts"


def test_enable_and_disable(api: httpx.Client, sink: Sink) -> None:
    api.post("/api/automations", json=automation("to-sink", sink.url)).raise_for_status()

    enabled = api.post("/api/automations/to-sink/enable")
    disabled = api.post("/api/automations/to-sink/disable")

    assert enabled.json()["enabled"] is True
    assert disabled.json()["enabled"] is False
    assert api.get("/api/automations/to-sink").json()["enabled"] is False


def test_delete_automation(api: httpx.Client, sink: Sink) -> None:
    api.post("/api/automations", json=automation("to-sink", sink.url)).raise_for_status()

    deleted = api.delete("/api/automations/to-sink")

    assert deleted.status_code == 204
    assert api.get("/api/automations/to-sink").status_code == 404


def test_invalid_document_lists_issues(api: httpx.Client, sink: Sink) -> None:
    document = automation("broken", sink.url)
    document["steps"][0]["action"] = "requets"

    answer = api.post("/api/automations", headers={"Accept-Language": "en"}, json=document)

    assert answer.status_code == 422
    issues = answer.json()["error"]["issues"]
    assert len(issues) == 1
    assert "step 'forward'" in issues[0]["location"]
    assert "field action" in issues[0]["location"]
    assert "Did you mean 'request'?" in issues[0]["message"]
    assert api.get("/api/automations/broken").status_code == 404


def test_template_error_names_step_and_field(api: httpx.Client, sink: Sink) -> None:
    document = automation("broken", sink.url)
    document["steps"][0]["input"]["body"] = {"email": "{{ trigger.email"}

    english = api.post("/api/automations", headers={"Accept-Language": "en"}, json=document).json()["error"]
    french = api.post("/api/automations", headers={"Accept-Language": "fr-CA"}, json=document).json()["error"]

    # The location stays the key that the editor uses to show the problem next to its field.
    assert english["issues"][0]["location"] == "step 'forward' (steps[0]), field input.body"
    assert french["issues"][0]["location"] == "step 'forward' (steps[0]), field input.body"
    assert english["issues"][0]["where"] == "Step “HTTP request: Send an HTTP request” (forward), field “Body”"
    assert french["issues"][0]["where"] == ("Étape «\u00a0Requête HTTP\u00a0: Envoyer une requête HTTP\u00a0» "
                                            "(forward), champ «\u00a0Corps\u00a0»")
    assert english["issues"][0]["message"] == ("The template “{{ trigger.email” is invalid: a “{{” is not closed by "
                                               "“}}”. Add “}}” at its end, as in “{{ trigger.email }}”.")
    assert french["issues"][0]["message"].startswith("Le modèle «\u00a0{{ trigger.email\u00a0» n’est pas valide")
    for error in (english, french):
        assert "steps[0]" not in error["message"]
        assert "end of print statement" not in error["message"]


# -- connections ---------------------------------------------------------------------------

def create_connection(api: httpx.Client, name: str = "Partner API") -> httpx.Response:
    return api.post("/api/connections", json={
        "app": "http", "name": name,
        "values": {"auth_header_name": "X-Token", "auth_header_value": PLAIN_SECRET},
    })


def test_connection_create_hides_secret(api: httpx.Client) -> None:
    created = create_connection(api)

    assert created.status_code == 201
    assert created.json()["config"] == {"auth_header_name": "X-Token"}
    assert PLAIN_SECRET not in created.text


def test_connection_list_and_get_hide_secret(api: httpx.Client) -> None:
    connection_id = create_connection(api).json()["id"]

    listed = api.get("/api/connections")
    fetched = api.get(f"/api/connections/{connection_id}")

    assert [entry["id"] for entry in listed.json()] == [connection_id]
    assert fetched.json()["name"] == "Partner API"
    assert PLAIN_SECRET not in listed.text
    assert PLAIN_SECRET not in fetched.text


def test_connection_secret_encrypted_at_rest(api: httpx.Client, runtime: Runtime) -> None:
    connection_id = create_connection(api).json()["id"]

    with runtime.db.read_session() as session:
        stored = session.scalar(select(Connection.secrets).where(Connection.id == connection_id))

    assert stored is not None
    assert PLAIN_SECRET.encode() not in bytes(stored)
    assert runtime.box.decrypt_json(bytes(stored)) == {"auth_header_value": PLAIN_SECRET}


def test_connection_patch_renames(api: httpx.Client) -> None:
    connection_id = create_connection(api).json()["id"]

    patched = api.patch(f"/api/connections/{connection_id}", json={"name": "Partner API (prod)"})

    assert patched.status_code == 200
    assert patched.json()["name"] == "Partner API (prod)"
    assert api.get(f"/api/connections/{connection_id}").json()["name"] == "Partner API (prod)"


def test_connection_name_taken_conflicts(api: httpx.Client) -> None:
    first_id = create_connection(api).json()["id"]

    again = create_connection(api)

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert first_id in again.json()["error"]["message"]
    assert [entry["id"] for entry in api.get("/api/connections").json()] == [first_id]


def test_connection_rename_to_taken_conflicts(api: httpx.Client) -> None:
    create_connection(api)
    second_id = create_connection(api, name="Partner API (test)").json()["id"]

    patched = api.patch(f"/api/connections/{second_id}", json={"name": "Partner API"}, params={"lang": "en"})

    assert patched.status_code == 409
    assert "choose another name" in patched.json()["error"]["message"]
    assert api.get(f"/api/connections/{second_id}").json()["name"] == "Partner API (test)"


def test_connection_delete_blocked_while_used(api: httpx.Client, sink: Sink) -> None:
    connection_id = create_connection(api).json()["id"]
    api.post("/api/automations", json=automation("uses-it", sink.url, connection="Partner API")).raise_for_status()

    blocked = api.delete(f"/api/connections/{connection_id}")

    assert blocked.status_code == 409
    assert blocked.json()["error"]["code"] == "conflict"
    assert blocked.json()["error"]["automations"] == ["uses-it"]
    assert api.get(f"/api/connections/{connection_id}").status_code == 200


def test_connection_delete_unused(api: httpx.Client) -> None:
    connection_id = create_connection(api).json()["id"]

    deleted = api.delete(f"/api/connections/{connection_id}")

    assert deleted.status_code == 204
    assert api.get(f"/api/connections/{connection_id}").status_code == 404


# -- runs and events -----------------------------------------------------------------------

def test_runs_filtered_by_automation_and_status(api: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    create_enabled(api, automation("first", sink.url))
    create_enabled(api, automation("second", sink.url))
    sink.replies = [Reply(status=422, body={"error": "invalid email"})]
    failed = deliver(api, runtime, "first", {"email": "bad"})
    succeeded = deliver(api, runtime, "first", {"email": "a@exemple.ca"})
    other = deliver(api, runtime, "second", {"email": "b@exemple.ca"})

    by_automation = api.get("/api/runs", params={"automation_id": "first"}).json()
    by_status = api.get("/api/runs", params={"status": "succeeded"}).json()
    both = api.get("/api/runs", params={"automation_id": "first", "status": "failed"}).json()

    assert {run["id"] for run in by_automation} == {failed, succeeded}
    assert {run["id"] for run in by_status} == {succeeded, other}
    assert [run["id"] for run in both] == [failed]


def test_run_detail_has_steps(api: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    create_enabled(api, automation("to-sink", sink.url))
    run_id = deliver(api, runtime, "to-sink", {"email": "a@exemple.ca"})

    run = api.get(f"/api/runs/{run_id}").json()

    assert run["status"] == "succeeded"
    assert [step["step_id"] for step in run["steps"]] == ["trigger", "forward"]
    assert run["steps"][0]["output"] == {"email": "a@exemple.ca"}
    assert run["steps"][1]["input"]["body"] == {"email": "a@exemple.ca"}
    assert run["steps"][1]["output"]["status_code"] == 200


def test_replay_succeeded_run_conflicts(api: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    create_enabled(api, automation("to-sink", sink.url))
    run_id = deliver(api, runtime, "to-sink", {"email": "a@exemple.ca"})

    answer = api.post(f"/api/runs/{run_id}/replay")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"
    assert api.get(f"/api/runs/{run_id}").json()["status"] == "succeeded"


def test_replay_failed_run_queues_it(api: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    create_enabled(api, automation("to-sink", sink.url))
    sink.replies = [Reply(status=422, body={"error": "invalid email"})]
    run_id = deliver(api, runtime, "to-sink", {"email": "bad"})
    assert api.get(f"/api/runs/{run_id}").json()["status"] == "failed"

    answer = api.post(f"/api/runs/{run_id}/replay")

    assert answer.status_code == 200
    assert answer.json()["status"] == "queued"
    assert answer.json()["replays"] == 1
    assert answer.json()["error"] is None
    steps = {step["step_id"]: step for step in answer.json()["steps"]}
    assert steps["forward"]["status"] == "pending"
    assert steps["trigger"]["status"] == "succeeded"


def test_replayed_run_succeeds(api: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    create_enabled(api, automation("to-sink", sink.url))
    sink.replies = [Reply(status=422, body={"error": "invalid email"})]
    run_id = deliver(api, runtime, "to-sink", {"email": "a@exemple.ca"})
    api.post(f"/api/runs/{run_id}/replay").raise_for_status()

    runtime.execute_run(run_id)

    assert api.get(f"/api/runs/{run_id}").json()["status"] == "succeeded"
    assert len(sink.requests) == 2


def test_events_list_and_detail(api: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    create_enabled(api, automation("first", sink.url))
    create_enabled(api, automation("second", sink.url))
    run_id = deliver(api, runtime, "first", {"email": "a@exemple.ca"})
    deliver(api, runtime, "second", {"email": "b@exemple.ca"})

    listed = api.get("/api/events", params={"automation_id": "first"}).json()
    detail = api.get(f"/api/events/{listed[0]['id']}").json()

    assert len(listed) == 1
    assert listed[0]["run_id"] == run_id
    assert listed[0]["run_status"] == "succeeded"
    assert "payload" not in listed[0]
    assert detail["payload"] == {"email": "a@exemple.ca"}
    assert detail["run_id"] == run_id
    assert len(api.get("/api/events").json()) == 2


def test_unknown_event_not_found(api: httpx.Client) -> None:
    answer = api.get("/api/events/evt_missing")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_recreated_automation_uses_new_document(api: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    create_enabled(api, automation("to-sink", sink.url))
    deliver(api, runtime, "to-sink", {"email": "a@exemple.ca"})
    api.delete("/api/automations/to-sink").raise_for_status()
    recreated = automation("to-sink", sink.url)
    recreated["steps"][0]["input"]["url"] = f"{sink.url}/leads"
    create_enabled(api, recreated)

    run_id = deliver(api, runtime, "to-sink", {"email": "b@exemple.ca"})

    assert api.get(f"/api/runs/{run_id}").json()["status"] == "succeeded"
    assert [request.path for request in sink.requests] == ["/contacts", "/leads"]


def test_delete_automation_removes_runs(api: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    create_enabled(api, automation("to-sink", sink.url))
    run_id = deliver(api, runtime, "to-sink", {"email": "a@exemple.ca"})

    api.delete("/api/automations/to-sink").raise_for_status()

    assert api.get(f"/api/runs/{run_id}").status_code == 404
    assert api.get("/api/events").json() == []


def test_erasure_removes_runs(api: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    api.post("/api/automations", json=automation("erase", sink.url)).raise_for_status()
    api.post("/api/automations/erase/enable").raise_for_status()
    deliver(api, runtime, "erase", {"email": "eloise@exemple.ca"})
    kept = deliver(api, runtime, "erase", {"email": "autre@exemple.ca"})

    answer = api.post("/api/runs/erasures", json={"email": "Eloise@Exemple.ca"})

    assert answer.status_code == 200
    assert answer.json() == {"erased_runs": 1}
    assert [run["id"] for run in api.get("/api/runs", params={"automation_id": "erase"}).json()] == [kept]


def test_erasure_rejects_non_email(api: httpx.Client) -> None:
    answer = api.post("/api/runs/erasures", json={"email": "not-an-address"}, headers={"Accept-Language": "en"})

    assert answer.status_code == 422
    assert "'not-an-address' is not an email address." in answer.json()["error"]["message"]
