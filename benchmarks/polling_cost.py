"""Cost of one Cyberimpact poll as the account grows: requests and time when 10 contacts are new.

The script starts the Cyberimpact sandbox on 127.0.0.1 with one group holding every contact, all
of whom joined in 2024. It seeds the "contact added" and "contact added to a group" triggers and
adds 10 contacts to the account and the group. Then it times one poll of each trigger and counts
the HTTP requests the poll makes. Run it for several sizes to see what grows:

    .venv/bin/python benchmarks/polling_cost.py --sizes 1000 100000 [--json]

The poll runs in the main thread and the sandbox in other threads of the same process, so
Arrimage's CPU time is the main thread's (``time.thread_time``) and the sandbox's is the rest of
the process's CPU time over the same interval.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from harness import calibration_ms, load_average, self_cpu_seconds

from arrimage.connectors.context import ConnectionData, TriggerContext
from arrimage.connectors.cyberimpact.triggers import poll_contact_added, poll_contact_added_to_group
from arrimage.connectors.declaration import PollState
from arrimage.emulators.serving import BackgroundServer
from arrimage.sandbox import SandboxConfig, create_app

TOKEN = "benchmark-token"
GROUP_ID = 1
NEW_CONTACTS = 10


def write_seed(folder: Path, size: int) -> Path:
    """Write a seed file with ``size`` contacts who joined in 2024, all in group 1."""
    members = [
        {"email": f"client-{number:06d}@exemple.ca", "groups": [GROUP_ID],
         "joinedOn": f"2024-{1 + number % 12:02d}-{1 + number % 28:02d} 10:00:00"}
        for number in range(size)
    ]
    seed = {"customFields": [], "groups": [{"id": GROUP_ID, "title": "Infolettre",
                                            "isPublic": True, "createdOn": "2023-01-01 09:00:00"}],
            "members": members}
    path = folder / f"seed-{size}.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    return path


def measure(size: int) -> dict[str, Any]:
    """Return the requests and seconds of one poll of each trigger for an account of ``size``."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        config = SandboxConfig(tokens=[TOKEN], seed=write_seed(Path(folder), size))
        with BackgroundServer(create_app(config), name="Cyberimpact sandbox") as server:
            load_seconds = time.perf_counter() - started
            requests: list[str] = []
            with httpx.Client(event_hooks={"request": [lambda request: requests.append(str(request.url))]},
                              timeout=120) as http:
                connection = ConnectionData(id="con_bench", app="cyberimpact", name="bench",
                                            config={"base_url": server.base_url}, secrets={"token": TOKEN})
                contacts = TriggerContext("aut_contacts", {}, connection, http)
                members = TriggerContext("aut_group", {"group": str(GROUP_ID)}, connection, http)
                contact_cursor = poll_contact_added(contacts, PollState(None, [])).cursor
                group_cursor = poll_contact_added_to_group(members, PollState(None, [])).cursor

                for number in range(NEW_CONTACTS):
                    http.post(f"{server.base_url}/members", headers={"Authorization": f"Bearer {TOKEN}"},
                              json={"email": f"nouveau-{number}@exemple.ca",
                                    "groups": str(GROUP_ID)}).raise_for_status()

                results: dict[str, Any] = {"account_size": size,
                                           "sandbox_load_s": round(load_seconds, 1),
                                           "calibration_ms": calibration_ms()}
                for name, poll, context, cursor in (
                    ("contact_added", poll_contact_added, contacts, contact_cursor),
                    ("contact_added_to_group", poll_contact_added_to_group, members, group_cursor),
                ):
                    requests.clear()
                    load_before = load_average()
                    process_cpu = self_cpu_seconds()
                    thread_cpu = time.thread_time()
                    begin = time.perf_counter()
                    result = poll(context, PollState(cursor, []))
                    seconds = time.perf_counter() - begin
                    arrimage_cpu = time.thread_time() - thread_cpu
                    sandbox_cpu = self_cpu_seconds() - process_cpu - arrimage_cpu
                    results[name] = {
                        "new_events": len(result.events),
                        "requests": len(requests),
                        "seconds": round(seconds, 3),
                        "arrimage_cpu_s": round(arrimage_cpu, 3),
                        "sandbox_cpu_s": round(sandbox_cpu, 3),
                        "cursor_bytes": len(json.dumps(result.cursor)),
                        "load_average_before": load_before,
                    }
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000],
                        help="Account sizes (contacts) to measure.")
    parser.add_argument("--json", action="store_true", help="Print JSON lines.")
    options = parser.parse_args()

    for size in options.sizes:
        row = measure(size)
        if options.json:
            print(json.dumps(row))
            continue
        print(f"{size} contacts (sandbox loaded in {row['sandbox_load_s']} s):")
        for name in ("contact_added", "contact_added_to_group"):
            figures = row[name]
            print(f"  {name}: {figures['new_events']} new, {figures['requests']} requests, "
                  f"{figures['seconds']} s (CPU: Arrimage {figures['arrimage_cpu_s']} s, sandbox "
                  f"{figures['sandbox_cpu_s']} s), cursor {figures['cursor_bytes']} bytes, "
                  f"load average before {figures['load_average_before'][0]}")


if __name__ == "__main__":
    main()
