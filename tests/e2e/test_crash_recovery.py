"""A worker killed with SIGKILL mid-run: the run resumes and never repeats a finished step."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from arrimage.runtime import Runtime
from tests.support.backends import Backend
from tests.support.processes import ArrimageProcess, in_process_server
from tests.support.sink import Sink, running_sink


def test_killed_worker_resumes_without_repeating(
    backend: Backend, runtime: Runtime, tmp_path: Path, queue_name: str, sink: Sink
) -> None:
    with running_sink() as slow:
        slow.hold = True  # the second HTTP step hangs until the worker is killed
        runtime.automations.save({
            "id": "two-calls", "name": "Two calls",
            "trigger": {"app": "webhook", "event": "catch_hook"},
            "steps": [
                {"id": "first", "app": "http", "action": "request",
                 "input": {"url": f"{sink.url}/first", "body": {"n": "{{ trigger.n }}"}}},
                {"id": "second", "app": "http", "action": "request",
                 "input": {"url": f"{slow.url}/second", "timeout_seconds": 60}},
            ],
        })
        runtime.automations.set_enabled("two-calls", True)
        secret = runtime.automations.webhook_secret("two-calls")
        env = {
            "ARRIMAGE_DATA_DIR": str(runtime.settings.data_dir),
            "ARRIMAGE_RUN_LEASE_SECONDS": "2",
            "ARRIMAGE_SCHEDULER_INTERVAL_SECONDS": "0.5",
            "ARRIMAGE_QUEUED_GRACE_SECONDS": "1",
            **backend.env(queue_name),
        }

        # The web process only accepts webhooks; the worker process runs them.
        with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
            worker = ArrimageProcess(["worker", "--workers", "2"], env, tmp_path / "worker1.log").start()
            answer = httpx.post(f"{base_url}/hooks/two-calls/{secret}", json={"n": 1}, timeout=10)
            assert answer.status_code == 200
            run_id = answer.json()["events"][0]["run_id"]

            sink.wait_for(1)
            slow.wait_for(1)  # the worker is now inside the second step
            assert runtime.runs.get(run_id)["status"] == "running"
            worker.kill()

            slow.hold = False
            slow.release.set()
            restarted = ArrimageProcess(["worker", "--workers", "2"], env, tmp_path / "worker2.log").start()
            try:
                deadline = time.monotonic() + 30
                while runtime.runs.get(run_id)["status"] != "succeeded":
                    assert time.monotonic() < deadline, restarted.log()
                    time.sleep(0.1)
            finally:
                restarted.stop()

    run = runtime.runs.get(run_id)
    assert [step["step_id"] for step in run["steps"]] == ["trigger", "first", "second"]
    assert all(step["status"] == "succeeded" for step in run["steps"])
    assert run["steps"][1]["attempts"] == 1
    assert len(sink.requests) == 1, "the first step's request was sent again"
    assert len(runtime.events.list("two-calls")) == 1
