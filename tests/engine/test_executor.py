"""The executor on a real runtime: retries, permanent failures, replay, paths and filters.

Each test stores an event (which queues a run) and executes the run with
``runtime.execute_run`` directly, one pass per call, so the outcome of every pass is known.
The ``runtime`` fixture runs each test on SQLite and on PostgreSQL with Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from arrimage.connectors.cyberimpact import APP as CYBERIMPACT
from arrimage.connectors.declaration import App, Operation, OperationKind
from arrimage.engine.executor import RunPlan
from arrimage.engine.records import StepRecord, StepStatus
from arrimage.i18n import _l
from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from arrimage.storage.events import NewEvent
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN
from tests.support.processes import free_port, in_process_server
from tests.support.sink import Reply, Sink

TRIGGER = {"app": "webhook", "event": "catch_hook"}


def http_step(step_id: str, url: str, **input_values: Any) -> dict[str, Any]:
    return {"id": step_id, "app": "http", "action": "request", "input": {"url": url, **input_values}}


def automation(*steps: dict[str, Any], automation_id: str | None = None) -> dict[str, Any]:
    # Each test gets its own automation id, so no two tests share a stored version.
    return {"id": automation_id or f"exec-{uuid.uuid4().hex[:12]}", "name": "Executor test",
            "trigger": dict(TRIGGER), "steps": list(steps)}


def start_run(runtime: Runtime, document: dict[str, Any], payload: dict[str, Any]) -> str:
    """Save and turn on ``document``, store one event for it, and return the queued run's id."""
    saved = runtime.automations.save(document)
    runtime.automations.set_enabled(saved["id"], True)
    stored = runtime.events.store(saved["id"], saved["version"],
                                  [NewEvent(payload=payload, dedup_key=uuid.uuid4().hex)], {})
    run_id = stored[0].run_id
    assert run_id is not None
    return run_id


def steps_by_id(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["step_id"]: step for step in run["steps"]}


def paths_of(sink: Sink) -> list[str]:
    return [request.path for request in sink.requests]


def english(error: dict[str, Any]) -> str:
    return str(error["message"]["en"])


def test_transient_503_then_success(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(status=503, body={"error": "busy"})]
    run_id = start_run(runtime, automation(http_step("notify", f"{sink.url}/hook")), {"n": 1})

    assert runtime.execute_run(run_id) == "waiting_retry"
    waiting = runtime.runs.get(run_id)
    assert waiting["status"] == "waiting_retry"
    step = steps_by_id(waiting)["notify"]
    assert step["status"] == "waiting_retry"
    assert step["attempts"] == 1
    assert step["error"]["code"] == "server_error"
    assert step["error"]["transient"] is True
    assert step["error"]["status_code"] == 503

    assert runtime.execute_run(run_id) == "succeeded"
    done = runtime.runs.get(run_id)
    assert done["status"] == "succeeded"
    assert done["error"] is None
    step = steps_by_id(done)["notify"]
    assert step["status"] == "succeeded"
    assert step["attempts"] == 2
    assert step["error"] is None
    assert step["output"]["status_code"] == 200
    assert len(sink.requests) == 2


def test_rate_limit_honours_retry_after(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(status=429, body={"error": "slow down"}, headers={"Retry-After": "1"})]
    run_id = start_run(runtime, automation(http_step("notify", f"{sink.url}/hook")), {"n": 1})
    before = datetime.now(UTC)

    assert runtime.execute_run(run_id) == "waiting_retry"

    run = runtime.runs.get(run_id)
    assert run["status"] == "waiting_retry"
    next_attempt = datetime.fromisoformat(run["next_attempt_at"])
    assert next_attempt >= before + timedelta(seconds=1)
    step = steps_by_id(run)["notify"]
    assert step["error"]["code"] == "rate_limited"
    assert step["error"]["retry_after"] == 1.0
    assert step["error"]["status_code"] == 429


def test_attempts_exhausted_fails_run(runtime: Runtime, sink: Sink) -> None:
    sink.default = Reply(status=503, body={"error": "down"})
    run_id = start_run(runtime, automation(http_step("notify", f"{sink.url}/hook")), {"n": 1})
    max_attempts = runtime.settings.max_attempts

    statuses = [runtime.execute_run(run_id) for _ in range(max_attempts)]

    assert statuses == ["waiting_retry"] * (max_attempts - 1) + ["failed"]
    run = runtime.runs.get(run_id)
    assert run["status"] == "failed"
    assert run["error"]["step_id"] == "notify"
    assert run["error"]["attempts_exhausted"] is True
    step = steps_by_id(run)["notify"]
    assert step["status"] == "failed"
    assert step["attempts"] == max_attempts
    assert step["error"]["attempts_exhausted"] is True
    assert len(sink.requests) == max_attempts


def test_failed_run_not_executed_again(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(status=400, body={"error": "bad"})]
    run_id = start_run(runtime, automation(http_step("notify", f"{sink.url}/hook")), {"n": 1})

    assert runtime.execute_run(run_id) == "failed"
    assert runtime.execute_run(run_id) is None
    assert len(sink.requests) == 1


def test_client_error_fails_at_once(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(status=400, body={"error": "email: format invalide"})]
    run_id = start_run(runtime, automation(http_step("notify", f"{sink.url}/hook")), {"n": 1})

    assert runtime.execute_run(run_id) == "failed"

    run = runtime.runs.get(run_id)
    assert run["error"]["step_id"] == "notify"
    assert run["error"]["code"] == "app_rejected"
    assert run["error"]["status_code"] == 400
    assert run["error"]["transient"] is False
    assert "attempts_exhausted" not in run["error"]
    assert "email: format invalide" in english(run["error"])
    assert "email: format invalide" in run["error"]["response"]
    step = steps_by_id(run)["notify"]
    assert step["attempts"] == 1
    assert len(sink.requests) == 1


def test_unauthorized_is_authentication_failed(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(status=401, body={"error": "bad token"})]
    run_id = start_run(runtime, automation(http_step("notify", f"{sink.url}/hook")), {"n": 1})

    assert runtime.execute_run(run_id) == "failed"

    run = runtime.runs.get(run_id)
    assert run["error"]["code"] == "authentication_failed"
    assert run["error"]["status_code"] == 401
    assert len(sink.requests) == 1


def test_timeout_is_transient(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(delay_seconds=1.5)]
    step = http_step("notify", f"{sink.url}/slow", timeout_seconds=0.2)
    run_id = start_run(runtime, automation(step), {"n": 1})

    assert runtime.execute_run(run_id) == "waiting_retry"

    error = steps_by_id(runtime.runs.get(run_id))["notify"]["error"]
    assert error["code"] == "timeout"
    assert error["transient"] is True
    assert "timed out after 0.2 s" in english(error)


def test_connection_refused_is_transient(runtime: Runtime) -> None:
    closed_url = f"http://127.0.0.1:{free_port()}/hook"
    run_id = start_run(runtime, automation(http_step("notify", closed_url)), {"n": 1})

    assert runtime.execute_run(run_id) == "waiting_retry"

    error = steps_by_id(runtime.runs.get(run_id))["notify"]["error"]
    assert error["code"] == "connect_error"
    assert error["transient"] is True


def test_idempotency_key_stable_across_retries(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(status=503), Reply(status=502)]
    run_id = start_run(runtime, automation(http_step("notify", f"{sink.url}/hook")), {"n": 1})

    statuses = [runtime.execute_run(run_id) for _ in range(3)]

    assert statuses == ["waiting_retry", "waiting_retry", "succeeded"]
    keys = [request.headers.get("idempotency-key") for request in sink.requests]
    assert len(keys) == 3
    assert keys == [f"arrimage-{run_id}-notify"] * 3


def test_replay_resumes_from_failed_step(runtime: Runtime, sink: Sink) -> None:
    automation_id = f"replay-{uuid.uuid4().hex[:12]}"
    broken = automation(
        http_step("first", f"{sink.url}/first", body={"email": "{{ trigger.email }}"}),
        http_step("second", f"{sink.url}/second", body={"email": "{{ trigger.emial }}"}),
        automation_id=automation_id,
    )
    run_id = start_run(runtime, broken, {"email": "eloise@exemple.ca"})
    assert runtime.execute_run(run_id) == "failed"
    assert paths_of(sink) == ["/first"]

    fixed = automation(
        http_step("first", f"{sink.url}/first", body={"email": "{{ trigger.email }}"}),
        http_step("second", f"{sink.url}/second", body={"email": "{{ trigger.email }}"}),
        automation_id=automation_id,
    )
    version = runtime.automations.save(fixed)["version"]
    assert version == 2
    replayed = runtime.runs.replay(run_id, version)
    assert replayed["status"] == "queued"
    assert replayed["replays"] == 1

    assert runtime.execute_run(run_id) == "succeeded"

    assert paths_of(sink) == ["/first", "/second"]
    assert sink.requests[1].json() == {"email": "eloise@exemple.ca"}
    steps = steps_by_id(runtime.runs.get(run_id))
    assert steps["first"]["attempts"] == 1
    assert steps["first"]["status"] == "succeeded"
    assert steps["second"]["status"] == "succeeded"
    assert steps["second"]["attempts"] == 1


def test_replay_after_app_rejection(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(status=200), Reply(status=422, body={"error": "duplicate"})]
    document = automation(http_step("first", f"{sink.url}/first"),
                          http_step("second", f"{sink.url}/second"))
    run_id = start_run(runtime, document, {"n": 1})
    assert runtime.execute_run(run_id) == "failed"
    version = runtime.runs.get(run_id)["automation_version"]

    runtime.runs.replay(run_id, version)

    assert runtime.execute_run(run_id) == "succeeded"
    assert paths_of(sink) == ["/first", "/second", "/second"]


def branching_automation(sink: Sink) -> dict[str, Any]:
    return automation(
        {"id": "by_amount", "branches": [
            {"name": "big", "conditions": [
                {"value": "{{ trigger.amount }}", "operator": "greater_than", "compare_to": 100}],
             "steps": [http_step("send_big", f"{sink.url}/big")]},
            {"name": "medium", "conditions": [
                {"value": "{{ trigger.amount }}", "operator": "greater_than", "compare_to": 10}],
             "steps": [http_step("send_medium", f"{sink.url}/medium")]},
        ], "otherwise": [http_step("send_small", f"{sink.url}/small")]},
        http_step("after", f"{sink.url}/after"),
    )


@pytest.mark.parametrize(("amount", "branch", "path"), [
    (500, "big", "/big"),
    (50, "medium", "/medium"),
    (1, None, "/small"),
])
def test_path_takes_first_matching_branch(
    runtime: Runtime, sink: Sink, amount: int, branch: str | None, path: str
) -> None:
    run_id = start_run(runtime, branching_automation(sink), {"amount": amount})

    assert runtime.execute_run(run_id) == "succeeded"

    assert paths_of(sink) == [path, "/after"]
    record = steps_by_id(runtime.runs.get(run_id))["by_amount"]
    assert record["output"]["branch"] == branch
    assert record["input"]["branches"][0]["branch"] == "big"


def test_path_resume_keeps_branch(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(status=503)]
    run_id = start_run(runtime, branching_automation(sink), {"amount": 500})

    assert runtime.execute_run(run_id) == "waiting_retry"
    assert runtime.execute_run(run_id) == "succeeded"

    assert paths_of(sink) == ["/big", "/big", "/after"]
    steps = steps_by_id(runtime.runs.get(run_id))
    assert steps["by_amount"]["output"]["branch"] == "big"
    assert steps["send_big"]["attempts"] == 2


class MemoryRecorder:
    def __init__(self) -> None:
        self.saved: list[StepRecord] = []

    def save_step(self, record: StepRecord) -> None:
        self.saved.append(record)


def test_resumed_run_takes_recorded_branch(runtime: Runtime, sink: Sink) -> None:
    saved = runtime.automations.save(branching_automation(sink))
    document = runtime.automations.versioned_document(saved["id"], saved["version"])
    # The path step already chose "otherwise"; the conditions would now pick "big".
    recorded = StepRecord(step_id="by_amount", position=1, kind="path", status=StepStatus.SUCCEEDED,
                          output={"branch": None, "index": None})
    plan = RunPlan(run_id="run_memory", automation_id=saved["id"], document=document,
                   trigger_output={"amount": 500}, event={}, records={"by_amount": recorded})

    outcome = runtime.executor.execute(plan, MemoryRecorder())

    assert outcome.status == "succeeded"
    assert paths_of(sink) == ["/small", "/after"]


def test_filter_stop_is_filtered(runtime: Runtime, sink: Sink) -> None:
    document = automation(
        {"id": "quebec_only", "conditions": [
            {"value": "{{ trigger.province }}", "operator": "equals", "compare_to": "QC"}]},
        http_step("notify", f"{sink.url}/hook"),
    )
    run_id = start_run(runtime, document, {"province": "ON"})

    assert runtime.execute_run(run_id) == "filtered"

    run = runtime.runs.get(run_id)
    assert run["status"] == "filtered"
    assert run["error"] is None
    steps = steps_by_id(run)
    assert steps["quebec_only"]["status"] == "filtered"
    assert steps["quebec_only"]["input"]["conditions"][0]["value"] == "ON"
    assert "notify" not in steps
    assert sink.requests == []


def test_filter_missing_value_stops(runtime: Runtime, sink: Sink) -> None:
    document = automation(
        {"id": "has_email", "conditions": [{"value": "{{ trigger.email }}", "operator": "exists"}]},
        http_step("notify", f"{sink.url}/hook"),
    )
    run_id = start_run(runtime, document, {"name": "Éloïse"})

    assert runtime.execute_run(run_id) == "filtered"

    condition = steps_by_id(runtime.runs.get(run_id))["has_email"]["input"]["conditions"][0]
    assert condition["absent"] is True


def test_filter_invalid_number_fails(runtime: Runtime, sink: Sink) -> None:
    document = automation(
        {"id": "adults", "conditions": [
            {"value": "{{ trigger.age }}", "operator": "greater_or_equal", "compare_to": 18}]},
        http_step("notify", f"{sink.url}/hook"),
    )
    run_id = start_run(runtime, document, {"age": "douze"})

    assert runtime.execute_run(run_id) == "failed"

    run = runtime.runs.get(run_id)
    assert run["error"]["code"] == "invalid_input"
    assert "'douze'" in english(run["error"])


def test_template_error_fails_step(runtime: Runtime, sink: Sink) -> None:
    step = http_step("notify", f"{sink.url}/hook", body={"email": "{{ trigger.answers.emial }}"})
    run_id = start_run(runtime, automation(step), {"answers": {"email": "eloise@exemple.ca"}})

    assert runtime.execute_run(run_id) == "failed"

    run = runtime.runs.get(run_id)
    assert run["error"]["code"] == "template_error"
    assert run["error"]["step_id"] == "notify"
    assert "trigger.answers has no key 'emial'" in english(run["error"])
    assert steps_by_id(run)["notify"]["status"] == "failed"
    assert sink.requests == []


def test_required_field_empty_after_mapping(runtime: Runtime, sink: Sink) -> None:
    step = {"id": "notify", "app": "http", "action": "request", "input": {"url": "{{ trigger.url }}"}}
    run_id = start_run(runtime, automation(step), {"url": "  "})

    assert runtime.execute_run(run_id) == "failed"

    run = runtime.runs.get(run_id)
    assert run["error"]["code"] == "invalid_input"
    assert "The field url of step notify is empty after mapping" in english(run["error"])


def test_mapped_input_recorded(runtime: Runtime, sink: Sink) -> None:
    step = http_step("notify", f"{sink.url}/hook", body={"groups": "{{ trigger.groups }}"})
    run_id = start_run(runtime, automation(step), {"groups": [3, 7]})

    assert runtime.execute_run(run_id) == "succeeded"

    record = steps_by_id(runtime.runs.get(run_id))["notify"]
    assert record["input"]["body"] == {"groups": [3, 7]}
    assert record["input"]["method"] == "POST"
    assert sink.requests[0].json() == {"groups": [3, 7]}


def test_later_step_reads_earlier_output(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(body={"id": "c-42"})]
    document = automation(
        http_step("create", f"{sink.url}/create"),
        http_step("tag", f"{sink.url}/tag", body={"contact": "{{ steps.create.body.id }}"}),
    )
    run_id = start_run(runtime, document, {"n": 1})

    assert runtime.execute_run(run_id) == "succeeded"

    assert sink.requests[1].json() == {"contact": "c-42"}


def explode(context: Any, values: dict[str, Any]) -> Any:
    raise RuntimeError("connector bug")


CRASHING_APP = App(
    key="crashing",
    name=_l("Crashing test app"),
    description=_l("An app whose action raises."),
    actions=(Operation(key="explode", kind=OperationKind.ACTION, noun=_l("thing"),
                       label=_l("Explode"), description=_l("Raises RuntimeError."),
                       sample={"ok": True}, perform=explode),),
)


def test_connector_exception_recorded(
    runtime: Runtime, sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = {**runtime.apps, "crashing": CRASHING_APP}
    monkeypatch.setattr("arrimage.engine.validation.all_apps", lambda: apps)
    monkeypatch.setattr(runtime, "apps", apps)
    document = automation(
        http_step("first", f"{sink.url}/first"),
        {"id": "boom", "app": "crashing", "action": "explode"},
    )
    run_id = start_run(runtime, document, {"n": 1})

    assert runtime.execute_run(run_id) == "failed"

    run = runtime.runs.get(run_id)
    assert run["status"] == "failed"
    assert run["error"]["step_id"] == "boom"
    assert run["error"]["code"] == "permanent_error"
    assert "RuntimeError: connector bug" in english(run["error"])
    steps = steps_by_id(run)
    assert steps["first"]["status"] == "succeeded"
    assert steps["boom"]["status"] == "failed"
    assert [listed["id"] for listed in runtime.runs.list(status="failed")] == [run_id]


def test_webhook_delivery_runs(runtime: Runtime, sink: Sink) -> None:
    step = http_step("notify", f"{sink.url}/hook", body={"email": "{{ trigger.email | lower }}"})
    saved = runtime.automations.save(automation(step))
    runtime.automations.set_enabled(saved["id"], True)
    secret = runtime.automations.webhook_secret(saved["id"])

    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        answer = httpx.post(f"{base_url}/hooks/{saved['id']}/{secret}",
                            json={"email": "Eloise@Exemple.ca"}, timeout=10)
    assert answer.status_code == 200
    run_id = answer.json()["events"][0]["run_id"]

    assert runtime.execute_run(run_id) == "succeeded"
    assert sink.requests[0].json() == {"email": "eloise@exemple.ca"}


def test_last_attempt_promises_no_retry(runtime: Runtime, sink: Sink) -> None:
    sink.default = Reply(status=503, body={"error": "down"})
    run_id = start_run(runtime, automation(http_step("notify", f"{sink.url}/hook")), {"n": 1})
    max_attempts = runtime.settings.max_attempts

    runtime.execute_run(run_id)
    waiting = steps_by_id(runtime.runs.get(run_id))["notify"]["error"]
    for _ in range(max_attempts - 1):
        runtime.execute_run(run_id)
    run = runtime.runs.get(run_id)
    final = steps_by_id(run)["notify"]["error"]

    assert run["status"] == "failed"
    assert "Arrimage will try again" in english(waiting)
    for error in (run["error"], final):
        assert "try again" not in english(error)
        assert "réessaiera" not in error["message"]["fr_CA"]
        assert english(error).startswith(f"{sink.url}/hook answered 503: a server error.")
        assert f"Attempts made: {max_attempts}." in english(error)
        assert f"Tentatives effectuées\u00a0: {max_attempts}." in error["message"]["fr_CA"]


def test_wrong_secret_key_fails_step(runtime: Runtime, sink: Sink) -> None:
    runtime.connections.create(runtime.apps["http"], "Partner",
                               {"auth_header_name": "X-Token", "auth_header_value": "tok-1"})
    document = automation({**http_step("notify", f"{sink.url}/hook"), "connection": "Partner"})
    run_id = start_run(runtime, document, {"n": 1})
    other_key = runtime.settings.model_copy(update={"secret_key": Fernet.generate_key().decode()})
    wrong_key = Runtime(other_key)

    try:
        status = wrong_key.execute_run(run_id)
    finally:
        wrong_key.close()

    run = runtime.runs.get(run_id)
    assert status == "failed"
    assert run["error"]["code"] == "secret_key_mismatch"
    assert english(run["error"]).startswith("A stored secret cannot be decrypted")
    assert "Unexpected error" not in english(run["error"])
    assert ".." not in english(run["error"])
    assert "ne peut pas être déchiffré" in run["error"]["message"]["fr_CA"]
    assert sink.requests == []


def test_filter_warning_inside_text_recorded(runtime: Runtime, sink: Sink) -> None:
    step = http_step("notify", f"{sink.url}/hook",
                     body={"note": "Né le {{ trigger.naissance | birthdate }} à Québec"})
    saved = runtime.automations.save(automation(step))
    runtime.automations.set_enabled(saved["id"], True)
    secret = runtime.automations.webhook_secret(saved["id"])

    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        answer = httpx.post(f"{base_url}/hooks/{saved['id']}/{secret}",
                            json={"naissance": "31/02/1990"}, timeout=10)
        run_id = answer.json()["events"][0]["run_id"]
        assert runtime.execute_run(run_id) == "succeeded"
        run = httpx.get(f"{base_url}/api/runs/{run_id}", timeout=10).json()

    assert sink.requests[0].json() == {"note": "Né le 31/02/1990 à Québec"}
    warnings = steps_by_id(run)["notify"]["warnings"]
    assert len(warnings) == 1
    assert warnings[0]["field"] == "body"
    assert warnings[0]["code"] == "birthdate.impossible"
    assert warnings[0]["message"]["en"] == (
        'The birthdate filter could not convert "31/02/1990", so the text keeps it as it was. '
        'The reason: "31/02/1990" is not a real date, so the birthdate is left out. '
        "Check the day and the month.")
    assert warnings[0]["message"]["fr_CA"] == (
        "Le filtre birthdate n’a pas pu convertir «\u00a031/02/1990\u00a0», donc le texte le garde "
        "tel quel. La raison\u00a0: La date «\u00a031/02/1990\u00a0» n’existe pas, donc la date de "
        "naissance n’est pas transmise. Vérifiez le jour et le mois.")


def test_filter_warning_kept_on_failed_step(runtime: Runtime, sink: Sink) -> None:
    sink.replies = [Reply(status=400, body={"error": "bad country"})]
    step = http_step("notify", f"{sink.url}/hook", body={"pays": "{{ trigger.pays | country }}"})
    run_id = start_run(runtime, automation(step), {"pays": "Québec"})

    assert runtime.execute_run(run_id) == "failed"

    record = steps_by_id(runtime.runs.get(run_id))["notify"]
    assert sink.requests[0].json() == {"pays": None}
    assert [warning["code"] for warning in record["warnings"]] == ["country.province_not_country"]
    assert record["warnings"][0]["message"]["en"].startswith(
        '"Québec" is a Canadian province or territory, not a country.')
    assert record["warnings"][0]["message"]["fr_CA"].startswith(
        "«\u00a0Québec\u00a0» est une province ou un territoire du Canada, pas un pays.")


def test_converted_filter_leaves_no_warning(runtime: Runtime, sink: Sink) -> None:
    step = http_step("notify", f"{sink.url}/hook",
                     body={"note": "Né le {{ trigger.naissance | birthdate }}"})
    run_id = start_run(runtime, automation(step), {"naissance": "4 décembre 1990"})

    assert runtime.execute_run(run_id) == "succeeded"

    assert sink.requests[0].json() == {"note": "Né le 1990-12-04"}
    assert steps_by_id(runtime.runs.get(run_id))["notify"]["warnings"] == []


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[TOKEN], seed=SEED)).start()
    yield running
    running.stop()


def test_filter_and_connector_warnings_together(runtime: Runtime, sandbox: SandboxServer) -> None:
    httpx.post(f"{sandbox.base_url}/_sandbox/reset", headers={"Authorization": f"Bearer {TOKEN}"},
               timeout=10).raise_for_status()
    connection = runtime.connections.create(CYBERIMPACT, "Bac à sable",
                                            {"token": TOKEN, "base_url": sandbox.base_url})
    step = {"id": "contact", "app": "cyberimpact", "action": "create_contact",
            "connection": connection["id"],
            "input": {"email": "{{ trigger.courriel }}", "country": "{{ trigger.pays }}",
                      "note": "Né le {{ trigger.naissance | birthdate }} à Québec",
                      "relation_type": "web-contacts", "consent_proof": "Formulaire du site"}}
    run_id = start_run(runtime, automation(step),
                       {"courriel": "lea.roy@example.com", "pays": "Québec", "naissance": "31/02/1990"})

    assert runtime.execute_run(run_id) == "succeeded"

    record = steps_by_id(runtime.runs.get(run_id))["contact"]
    assert [(warning["field"], warning["code"]) for warning in record["warnings"]] == [
        ("note", "birthdate.impossible"), ("country", "country.province_not_country")]
    note_warning = record["warnings"][0]["message"]
    assert note_warning["en"].startswith('The birthdate filter could not convert "31/02/1990"')
    assert note_warning["fr_CA"].startswith("Le filtre birthdate n’a pas pu convertir «\u00a031/02/1990\u00a0»")
