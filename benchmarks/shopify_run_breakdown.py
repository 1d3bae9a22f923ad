"""Benchmark: Arrimage's CPU time in one Shopify → find-or-create run, part by part.

The script runs the same recipe, sandbox and deliveries as ``shopify_find_or_create.py``,
but inside this process and one run at a time, so nothing competes for the interpreter:

1. stores ``--deliveries`` signed deliveries through the webhook intake (no HTTP server), and
2. executes their runs one after the other in the main thread, on SQLite.

Each measured part is a function wrapped to add up the main thread's CPU time
(``time.thread_time``) spent inside it. A part called from inside another is counted in the
outer one only. The sandbox runs in its own process, and its CPU time per run is read from
``/proc``. ``--profile FILE`` also writes cProfile statistics of the runs (cProfile slows
pure-Python code more than C code, so use it for the call tree, not for the shares).

    python benchmarks/shopify_run_breakdown.py --deliveries 400
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from harness import (
    ProcessGroup,
    calibration_ms,
    cpu_seconds,
    free_port,
    load_average,
    machine_description,
    remove_or_keep,
    wait_until_ready,
)
from shopify_find_or_create import (
    SANDBOX_TOKEN,
    SIGNING_SECRET,
    build_deliveries,
    recipe_for_group,
    seeded_group_id,
    write_seed,
)

from arrimage.config import Settings
from arrimage.connectors.context import WebhookRequest
from arrimage.engine import executor
from arrimage.engine.intake import accept_webhook
from arrimage.runtime import Runtime
from arrimage.storage.automations import AutomationRepository
from arrimage.storage.connections import ConnectionRepository
from arrimage.storage.events import EventRepository
from arrimage.storage.runs import RunRepository

# Runs executed before measuring, so that first-call costs (imports, caches) are left out.
WARM_UP_RUNS = 20


class PartTimer:
    """Main-thread CPU seconds spent inside each wrapped function, outermost call only."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self._depth = 0

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:
                return function(*args, **kwargs)
            self._depth += 1
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.thread_time() - started
                self._depth -= 1

        return timed


def instrument(timer: PartTimer) -> None:
    """Wrap the parts of the intake and of a run: storage, HTTP calls, the step's input."""
    import arrimage.connectors.cyberimpact.actions as actions

    wrapped: list[tuple[Any, str, str]] = [
        (AutomationRepository, "active", "storage_automation_active"),
        (AutomationRepository, "secret_matches", "storage_webhook_secret"),
        (ConnectionRepository, "resolve", "storage_connection_resolve"),
        (EventRepository, "store", "storage_event_store"),
        (Runtime, "enqueue_run", "queue_enqueue"),
        (RunRepository, "claim", "storage_claim"),
        (RunRepository, "save_step", "storage_save_step"),
        (RunRepository, "finish", "storage_finish"),
        (httpx.Client, "request", "http_client"),
        (actions, "contact_body", "connector_contact_body"),
        (actions, "consent_of", "connector_consent"),
        (executor._Walk, "_mapped_input", "engine_mapped_input"),
        (executor._Walk, "_test", "engine_filter_conditions"),
    ]
    for owner, attribute, part in wrapped:
        setattr(owner, attribute, timer.wrap(part, getattr(owner, attribute)))


def per_item(parts: Counter[str], total_seconds: float, count: int) -> dict[str, float]:
    """Return milliseconds per item of each part, plus ``other`` for the time outside them."""
    shares = {name: round(seconds * 1000 / count, 2) for name, seconds in parts.most_common()}
    shares["other"] = round((total_seconds - sum(parts.values())) * 1000 / count, 2)
    return shares


def store_deliveries(runtime: Runtime, automation_id: str, requests: list[bytes]) -> list[str]:
    """Pass each raw request through the webhook intake and return the queued run ids."""
    secret = runtime.automations.webhook_secret(automation_id)
    run_ids = []
    for request in requests:
        head, body = request.split(b"\r\n\r\n", 1)
        headers = {}
        for line in head.decode().split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        result = accept_webhook(runtime, automation_id, secret,
                                WebhookRequest(body=body, headers=headers))
        run_ids.append(result.events[0].run_id)
    return run_ids


def measure(options: argparse.Namespace, workdir: Path, processes: ProcessGroup) -> dict[str, Any]:
    port = free_port()
    sandbox = processes.start(
        [sys.executable, "-m", "arrimage", "sandbox", "--port", str(port), "--token",
         SANDBOX_TOKEN, "--seed", str(write_seed(workdir))], dict(os.environ))
    sandbox_url = f"http://127.0.0.1:{port}"
    wait_until_ready(f"{sandbox_url}/ping", {"Authorization": f"Bearer {SANDBOX_TOKEN}"}, 180)

    runtime = Runtime(Settings(data_dir=workdir / "data", log_level="WARNING"))
    try:
        runtime.connections.create(runtime.apps["cyberimpact"], "cyberimpact",
                                   {"token": SANDBOX_TOKEN, "base_url": sandbox_url})
        runtime.connections.create(runtime.apps["shopify"], "shopify",
                                   {"signing_secret": SIGNING_SECRET})
        saved = runtime.automations.save(recipe_for_group(seeded_group_id(sandbox_url)))
        runtime.automations.set_enabled(saved["id"], True)
        requests = build_deliveries("127.0.0.1", 0, "/hooks", options.deliveries + WARM_UP_RUNS)

        timer = PartTimer()
        instrument(timer)
        warm_up_ids = store_deliveries(runtime, saved["id"], requests[:WARM_UP_RUNS])
        timer.seconds.clear()
        intake_started = time.thread_time()
        measured = store_deliveries(runtime, saved["id"], requests[WARM_UP_RUNS:])
        intake_seconds = time.thread_time() - intake_started
        intake_parts = Counter(timer.seconds)

        for run_id in warm_up_ids:
            runtime.execute_run(run_id)
        timer.seconds.clear()

        profile = cProfile.Profile() if options.profile else None
        load_before = load_average()
        calibration = calibration_ms()
        sandbox_before = cpu_seconds(sandbox.pid) or 0.0
        runs_started = time.thread_time()
        if profile is not None:
            profile.enable()
        statuses = Counter(runtime.execute_run(run_id) for run_id in measured)
        if profile is not None:
            profile.disable()
            profile.dump_stats(options.profile)
        runs_seconds = time.thread_time() - runs_started
        sandbox_seconds = (cpu_seconds(sandbox.pid) or 0.0) - sandbox_before
    finally:
        runtime.close()

    count = len(measured)
    return {
        "runs": count,
        "statuses": dict(statuses),
        "load_average_before": load_before,
        "calibration_ms": calibration,
        "intake_cpu_ms_per_delivery": round(intake_seconds * 1000 / count, 2),
        "intake_cpu_ms_by_part": per_item(intake_parts, intake_seconds, count),
        "run_cpu_ms": round(runs_seconds * 1000 / count, 2),
        "run_cpu_ms_by_part": per_item(timer.seconds, runs_seconds, count),
        "sandbox_cpu_ms_per_run": round(sandbox_seconds * 1000 / count, 2),
        "machine": machine_description(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=400,
                        help="runs to measure, after 20 warm-up runs")
    parser.add_argument("--profile", default=None, help="write cProfile statistics to this file")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="arrimage-breakdown-"))
    processes = ProcessGroup(workdir / "processes.log")
    succeeded = False
    try:
        results = measure(options, workdir, processes)
        succeeded = True
    finally:
        processes.stop_all()
        remove_or_keep(workdir, succeeded)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
