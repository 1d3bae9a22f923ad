"""Erasing the run data of one email address (privacy requests)."""

from __future__ import annotations

from arrimage.engine.intake import accept_webhook
from arrimage.connectors.context import WebhookRequest
from arrimage.runtime import Runtime
from tests.support.sink import Sink


def deliver(runtime: Runtime, body: bytes) -> str:
    secret = runtime.automations.webhook_secret("erase-me")
    result = accept_webhook(runtime, "erase-me", secret,
                            WebhookRequest(body=body, headers={"content-type": "application/json"}))
    run_id = result.events[0].run_id
    assert run_id is not None
    runtime.execute_run(run_id)
    return run_id


def test_erase_email_removes_runs(runtime: Runtime, sink: Sink) -> None:
    runtime.automations.save({
        "id": "erase-me", "name": "Erase me",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [{"id": "forward", "app": "http", "action": "request",
                   "input": {"url": f"{sink.url}/x", "body": {"email": "{{ trigger.email | lower }}"}}}],
    })
    runtime.automations.set_enabled("erase-me", True)
    first = deliver(runtime, b'{"email": "Eloise_D+news@Exemple.ca"}')
    second = deliver(runtime, b'{"email": "autre@exemple.ca", "note": "ami de eloise_d+news@exemple.ca"}')
    kept = deliver(runtime, b'{"email": "eloiseXd+news@exemple.ca"}')

    erased = runtime.runs.erase_email("ELOISE_D+NEWS@exemple.ca")

    assert erased == 2
    remaining = {run["id"] for run in runtime.runs.list(automation_id="erase-me")}
    assert remaining == {kept}
    assert first not in remaining
    assert second not in remaining
    assert len(runtime.events.list("erase-me")) == 1


def test_erase_unknown_email_erases_nothing(runtime: Runtime) -> None:
    assert runtime.runs.erase_email("personne@exemple.ca") == 0
