"""``arrimage serve`` as a real process: a webhook → filter → HTTP request automation."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from arrimage.config import Settings
from tests.support.backends import Backend
from tests.support.processes import ArrimageProcess, free_port
from tests.support.sink import Sink


def automation(sink_url: str) -> dict[str, Any]:
    return {
        "id": "form-to-sink",
        "name": "Form to sink",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [
            {"id": "quebec_only", "type": "filter",
             "conditions": [{"value": "{{ trigger.province }}", "operator": "equals", "compare_to": "QC"}]},
            {"id": "forward", "type": "action", "app": "http", "action": "request",
             "input": {"url": f"{sink_url}/contacts", "body": {"email": "{{ trigger.email | lower }}"}}},
        ],
    }


def wait_for_run(base_url: str, run_id: str, statuses: tuple[str, ...], timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = httpx.get(f"{base_url}/api/runs/{run_id}", timeout=5).json()
        if run["status"] in statuses:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} is {run.get('status')}, expected one of {statuses}")


@pytest.fixture
def serve(backend: Backend, tmp_path: Path, queue_name: str):
    port = free_port()
    env = {"ARRIMAGE_DATA_DIR": str(tmp_path / "data"), "ARRIMAGE_PORT": str(port),
           "ARRIMAGE_SCHEDULER_INTERVAL_SECONDS": "0.5", **backend.env(queue_name)}
    process = ArrimageProcess(["serve"], env, tmp_path / "serve.log").start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        process.wait_healthy(base_url)
        yield base_url
    finally:
        process.stop()


def test_webhook_runs_filter_and_http_step(serve: str, sink: Sink) -> None:
    created = httpx.post(f"{serve}/api/automations", json=automation(sink.url), timeout=10)
    assert created.status_code == 201, created.text
    httpx.post(f"{serve}/api/automations/form-to-sink/enable", timeout=10).raise_for_status()
    hook = httpx.get(f"{serve}/api/automations/form-to-sink", timeout=10).json()["webhook_url"]

    answer = httpx.post(hook, json={"email": "Eloise@Exemple.ca", "province": "QC"}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["status"] == "accepted"
    run_id = answer.json()["events"][0]["run_id"]

    run = wait_for_run(serve, run_id, ("succeeded", "failed"))
    assert run["status"] == "succeeded", run
    steps = {step["step_id"]: step for step in run["steps"]}
    assert [step["step_id"] for step in run["steps"]] == ["trigger", "quebec_only", "forward"]
    assert steps["trigger"]["output"] == {"email": "Eloise@Exemple.ca", "province": "QC"}
    assert steps["quebec_only"]["status"] == "succeeded"
    assert steps["quebec_only"]["output"] == {"passed": True}
    assert steps["forward"]["input"]["body"] == {"email": "eloise@exemple.ca"}
    assert steps["forward"]["output"]["status_code"] == 200
    assert steps["forward"]["attempts"] == 1
    assert steps["forward"]["duration_ms"] is not None

    assert len(sink.requests) == 1
    assert sink.requests[0].json() == {"email": "eloise@exemple.ca"}
    assert sink.requests[0].headers["idempotency-key"] == f"arrimage-{run_id}-forward"


def test_filter_stops_run_outside_quebec(serve: str, sink: Sink) -> None:
    httpx.post(f"{serve}/api/automations", json=automation(sink.url), timeout=10).raise_for_status()
    httpx.post(f"{serve}/api/automations/form-to-sink/enable", timeout=10).raise_for_status()
    hook = httpx.get(f"{serve}/api/automations/form-to-sink", timeout=10).json()["webhook_url"]

    answer = httpx.post(hook, json={"email": "a@exemple.ca", "province": "ON"}, timeout=10)
    run = wait_for_run(serve, answer.json()["events"][0]["run_id"], ("filtered", "succeeded", "failed"))

    assert run["status"] == "filtered"
    assert [step["step_id"] for step in run["steps"]] == ["trigger", "quebec_only"]
    assert run["steps"][1]["status"] == "filtered"
    assert run["steps"][1]["input"]["conditions"][0]["value"] == "ON"
    assert sink.requests == []


def test_settings_default_port_is_documented() -> None:
    assert Settings().port == 8465
