"""Benchmark: Shopify ``customers/create`` webhook → find or create a Cyberimpact contact.

The script runs the recipe ``recipes/shopify-customer-to-cyberimpact.yaml`` end to end on
127.0.0.1. It starts the Cyberimpact sandbox in its own process (``arrimage sandbox``, seeded
with the group the recipe adds to) and a real ``arrimage serve``, plus ``arrimage worker``
processes when asked. It creates the Shopify and Cyberimpact connections and the recipe's
automation with the group id of the sandbox. It then posts ``--deliveries`` signed
deliveries, each with its own customer id, email address and ``X-Shopify-Event-Id``, so every
run creates a new contact with 4 API calls (look-up, create, consent, groups).

    python benchmarks/shopify_find_or_create.py                        # SQLite, embedded workers
    python benchmarks/shopify_find_or_create.py --backend postgres --worker-processes 2 --json

The script reports accepted deliveries per second and completed runs per second, from the
start of sending to the end of the last run as the run records give it. It reports the time
from a delivery's arrival to the end of its "contact" step (p50/p99, from the run records)
and the peak and final RSS of every Arrimage process. It measures apart the CPU milliseconds
per completed run of Arrimage's processes, the sandbox, PostgreSQL's backends of the
benchmark database, the Redis server (all of its clients) and this load generator. The load
average before sending and a calibration loop's CPU time before and after
(:func:`harness.calibration_ms`) are part of the results, because the machine may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import yaml
from harness import (
    CpuMeter,
    PostgresDatabase,
    ProcessGroup,
    calibration_ms,
    delete_redis_keys,
    free_port,
    load_average,
    machine_description,
    peak_rss_mib,
    percentile,
    raw_post,
    redis_server_cpu_seconds,
    remove_or_keep,
    rss_mib,
    self_cpu_seconds,
    send_requests,
    wait_until_ready,
)
from sqlalchemy import Connection, create_engine, text

from arrimage.connectors.signatures import base64_hmac_sha256
from arrimage.emulators.shopify import DEFAULT_SHOP_DOMAIN, customer_payload, encode_body

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "shopify-customer-to-cyberimpact.yaml"
SANDBOX_TOKEN = "benchmark-token"
SIGNING_SECRET = "shpss_benchmark_5d1e"
GROUP_TITLE = "Clients boutique"
# A version whose customer objects still carry email_marketing_consent, which the recipe reads.
API_VERSION = "2024-10"
TERMINAL_STATUSES = ("succeeded", "failed", "filtered")
EASTERN = timezone(timedelta(hours=-5))


def write_seed(folder: Path) -> Path:
    """Write a sandbox seed with no contact and the one group the recipe adds contacts to."""
    group = {"title": GROUP_TITLE, "isPublic": False, "createdOn": "2022-05-02 13:15:00"}
    seed = {"customFields": [], "members": [], "groups": [group]}
    path = folder / "sandbox-seed.json"
    path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    return path


def seeded_group_id(sandbox_url: str) -> int:
    """Return the sandbox's id of the group titled GROUP_TITLE."""
    response = httpx.get(f"{sandbox_url}/groups", params={"limit": 100}, timeout=10,
                         headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"})
    response.raise_for_status()
    for group in response.json()["groups"]:
        if group["title"] == GROUP_TITLE:
            return int(group["id"])
    raise RuntimeError(f"the sandbox has no group titled {GROUP_TITLE!r}")


def recipe_for_group(group_id: int) -> dict[str, Any]:
    """Return the recipe's document with its "contact" step adding to ``group_id``."""
    document: dict[str, Any] = yaml.safe_load(RECIPE.read_text(encoding="utf-8"))
    contact_step = next(step for step in document["steps"] if step["id"] == "contact")
    contact_step["input"]["groups"] = [group_id]
    return document


def configure_arrimage(base_url: str, sandbox_url: str, group_id: int) -> str:
    """Create both connections and the enabled automation; return the webhook's path."""
    connections = [
        {"app": "cyberimpact", "name": "cyberimpact",
         "values": {"token": SANDBOX_TOKEN, "base_url": sandbox_url}},
        {"app": "shopify", "name": "shopify", "values": {"signing_secret": SIGNING_SECRET},
         "check": False},
    ]
    for connection in connections:
        httpx.post(f"{base_url}/api/connections", json=connection, timeout=10).raise_for_status()

    document = recipe_for_group(group_id)
    httpx.post(f"{base_url}/api/automations", json=document, timeout=10).raise_for_status()
    automation = f"{base_url}/api/automations/{document['id']}"
    httpx.post(f"{automation}/enable", timeout=10).raise_for_status()
    hook = httpx.get(automation, timeout=10).json()["webhook_url"]
    return "/" + str(hook).split("/", 3)[3]


def build_deliveries(host: str, port: int, path: str, count: int) -> list[bytes]:
    """Return ``count`` signed ``customers/create`` requests, each for a new customer."""
    created_at = datetime.now(EASTERN).replace(microsecond=0).isoformat()
    deliveries = []
    for index in range(count):
        payload = customer_payload(
            API_VERSION, customer_id=7_000_000_000_000 + index,
            email=f"client-{index:06d}@exemple.ca", first_name="Camille",
            last_name=f"Client {index}", created_at=created_at)
        body = encode_body(payload)
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "customers/create",
            "X-Shopify-Shop-Domain": DEFAULT_SHOP_DOMAIN,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "X-Shopify-Hmac-Sha256": base64_hmac_sha256(SIGNING_SECRET, body),
        }
        deliveries.append(raw_post(host, port, path, headers, body))
    return deliveries


def as_datetime(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_json(value: object) -> Any:
    # SQLite returns a JSON column as text through text(); PostgreSQL returns it decoded.
    return json.loads(value) if isinstance(value, str) else value


def wait_for_runs(
    connection: Connection, count: int, sample: Callable[[], None], timeout_seconds: float
) -> int:
    """Wait until ``count`` runs have ended, and return how many did.

    ``sample`` is called every 0.2 s, so the CPU meter catches processes that end meanwhile.
    """
    deadline = time.monotonic() + timeout_seconds
    ended = 0
    while time.monotonic() < deadline:
        sample()
        ended = connection.execute(text(
            "SELECT count(*) FROM runs WHERE status IN ('succeeded', 'failed', 'filtered')"
        )).scalar_one()
        connection.commit()  # end the read transaction, or PostgreSQL keeps showing one snapshot
        if ended >= count:
            break
        time.sleep(0.2)
    sample()
    return int(ended)


def read_run_records(connection: Connection) -> list[dict[str, Any]]:
    """Return each run's status, event arrival, end, and its "contact" step's end and outcome."""
    rows = connection.execute(text(
        "SELECT r.status, e.received_at, r.finished_at, s.finished_at, s.output "
        "FROM runs r JOIN events e ON e.id = r.event_id "
        "LEFT JOIN run_steps s ON s.run_id = r.id AND s.step_id = 'contact'")).all()
    records = []
    for status, received_at, run_finished_at, contact_finished_at, contact_output in rows:
        output = as_json(contact_output) or {}
        records.append({
            "status": status,
            "received_at": as_datetime(received_at),
            "run_finished_at": as_datetime(run_finished_at) if run_finished_at else None,
            "contact_finished_at": (as_datetime(contact_finished_at)
                                    if contact_finished_at else None),
            "outcome": output.get("outcome") if isinstance(output, dict) else None,
        })
    return records


def sandbox_contact_count(sandbox_url: str) -> int:
    response = httpx.get(f"{sandbox_url}/members", params={"status": "all", "limit": 1}, timeout=30,
                         headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"})
    response.raise_for_status()
    return int(response.json()["totalCount"])


def summarize(
    records: list[dict[str, Any]], sending_started: datetime, sending_seconds: float,
    latencies: list[float], deliveries: int,
) -> dict[str, Any]:
    """Return the rates and latencies of one measurement from the run records."""
    ended = [record for record in records if record["status"] in TERMINAL_STATUSES]
    last_end = max((record["run_finished_at"] for record in ended if record["run_finished_at"]),
                   default=sending_started)
    runs_seconds = (last_end - sending_started).total_seconds()
    to_contact = [(record["contact_finished_at"] - record["received_at"]).total_seconds()
                  for record in records if record["contact_finished_at"] is not None]
    outcomes: dict[str, int] = {}
    for record in records:
        outcomes[str(record["outcome"])] = outcomes.get(str(record["outcome"]), 0) + 1
    return {
        "accepted_per_second": round(deliveries / sending_seconds, 1),
        "answer_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "answer_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "completed_runs": len(ended),
        "succeeded_runs": sum(1 for record in ended if record["status"] == "succeeded"),
        "contact_outcomes": outcomes,
        "completed_runs_per_second": (round(len(ended) / runs_seconds, 1)
                                      if runs_seconds > 0 else None),
        "delivery_to_contact_p50_ms": round(percentile(to_contact, 0.50) * 1000, 1),
        "delivery_to_contact_p99_ms": round(percentile(to_contact, 0.99) * 1000, 1),
    }


def count_requeued_runs(log_path: Path) -> int:
    """Return how many times the scheduler's recovery sweep put a run on the queue again.

    The sweep enqueues a run still queued ``queued_grace_seconds`` after it was due, so when
    the backlog is older than that, runs are queued twice and the extra messages cost work.
    """
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return text.count("resuming a run that was not picked up")


def cpu_per_run(seconds: float | None, runs: int) -> float | None:
    """Return CPU milliseconds per completed run."""
    if seconds is None or not runs:
        return None
    return round(seconds * 1000 / runs, 2)


@dataclass
class Deployment:
    """The processes and addresses of one measurement."""

    sandbox: subprocess.Popen[bytes]
    serve: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]
    sandbox_url: str
    port: int
    database: PostgresDatabase | None
    database_url: str
    redis_url: str
    log_path: Path

    @property
    def arrimage_pids(self) -> list[int]:
        return [self.serve.pid] + [worker.pid for worker in self.workers]


def start_deployment(
    options: argparse.Namespace, workdir: Path, processes: ProcessGroup,
    database: PostgresDatabase | None, queue_name: str,
) -> Deployment:
    """Start the sandbox, ``serve`` and the workers, and wait until both servers respond."""
    port, sandbox_port = free_port(), free_port()
    env = {**os.environ, "ARRIMAGE_DATA_DIR": str(workdir / "data"), "ARRIMAGE_PORT": str(port),
           "ARRIMAGE_WORKERS": str(options.threads), "ARRIMAGE_LOG_LEVEL": "WARNING",
           "ARRIMAGE_QUEUE_NAME": queue_name}
    if database is not None:
        env["ARRIMAGE_DATABASE_URL"] = database.url
        env["ARRIMAGE_QUEUE_URL"] = options.redis_url

    arrimage = [sys.executable, "-m", "arrimage"]
    sandbox = processes.start(arrimage + ["sandbox", "--port", str(sandbox_port), "--token",
                                          SANDBOX_TOKEN, "--seed", str(write_seed(workdir))], env)
    no_consumer = ["--no-consumer"] if options.worker_processes else []
    serve = processes.start(arrimage + ["serve"] + no_consumer, env)
    workers = [processes.start(arrimage + ["worker", "--no-scheduler"], env)
               for _ in range(options.worker_processes)]

    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    # Starting several Python processes at once on a busy machine can take a minute.
    wait_until_ready(f"{sandbox_url}/ping", {"Authorization": f"Bearer {SANDBOX_TOKEN}"}, 180)
    wait_until_ready(f"http://127.0.0.1:{port}/api/health", timeout_seconds=180)
    if database is not None:
        database_url = database.url.replace("postgresql://", "postgresql+psycopg://")
    else:
        database_url = f"sqlite:///{workdir / 'data' / 'arrimage.db'}"
    return Deployment(sandbox=sandbox, serve=serve, workers=workers, sandbox_url=sandbox_url,
                      port=port, database=database, database_url=database_url,
                      redis_url=options.redis_url, log_path=processes.log_path)


def measure(options: argparse.Namespace, deployment: Deployment) -> dict[str, Any]:
    """Send the deliveries, wait for their runs, and return rates, latencies and CPU times."""
    group_id = seeded_group_id(deployment.sandbox_url)
    base_url = f"http://127.0.0.1:{deployment.port}"
    path = configure_arrimage(base_url, deployment.sandbox_url, group_id)
    deliveries = build_deliveries("127.0.0.1", deployment.port, path, options.deliveries)
    time.sleep(1.0)  # let worker processes start polling the queue

    database = deployment.database
    engine = create_engine(deployment.database_url)
    with engine.connect() as connection:
        # The benchmark's own connection is a backend too, and its CPU time is not Arrimage's.
        own_backend = None
        if database is not None:
            own_backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        connection.commit()

        def watched_pids() -> list[int]:
            pids = deployment.arrimage_pids + [deployment.sandbox.pid]
            if database is not None:
                pids += [pid for pid in database.backend_pids() if pid != own_backend]
            return pids

        meter = CpuMeter()
        calibration_before = calibration_ms()
        load_before = load_average()
        meter.start(watched_pids())
        redis_before = redis_server_cpu_seconds(deployment.redis_url) if database else None
        generator_before = self_cpu_seconds()

        sending_started = datetime.now(UTC)
        started = time.perf_counter()
        latencies = asyncio.run(send_requests(
            "127.0.0.1", deployment.port, deliveries.__getitem__, options.deliveries,
            options.concurrency, options.rate))
        sending_seconds = time.perf_counter() - started
        generator_seconds = self_cpu_seconds() - generator_before

        wait_for_runs(connection, options.deliveries, lambda: meter.sample(watched_pids()),
                      options.timeout)
        redis_seconds = None
        if redis_before is not None:
            redis_seconds = redis_server_cpu_seconds(deployment.redis_url) - redis_before
        records = read_run_records(connection)
    engine.dispose()

    results: dict[str, Any] = {"load_average_before": load_before,
                               "calibration_ms_before": calibration_before,
                               "calibration_ms_after": calibration_ms()}
    results.update(summarize(records, sending_started, sending_seconds, latencies,
                             options.deliveries))
    runs = results["completed_runs"]
    arrimage_and_sandbox = deployment.arrimage_pids + [deployment.sandbox.pid]
    worker_pids = [worker.pid for worker in deployment.workers]
    results["cpu_ms_per_run"] = {
        "arrimage": cpu_per_run(meter.spent(deployment.arrimage_pids), runs),
        "arrimage_serve": cpu_per_run(meter.spent([deployment.serve.pid]), runs),
        "arrimage_workers": cpu_per_run(meter.spent(worker_pids) if worker_pids else None, runs),
        "sandbox": cpu_per_run(meter.spent([deployment.sandbox.pid]), runs),
        "postgresql_backends": cpu_per_run(
            meter.spent() - meter.spent(arrimage_and_sandbox) if database else None, runs),
        "redis_server": cpu_per_run(redis_seconds, runs),
        "load_generator_sending": cpu_per_run(generator_seconds, runs),
    }
    results["sandbox_contacts"] = sandbox_contact_count(deployment.sandbox_url)
    results["runs_enqueued_again"] = count_requeued_runs(deployment.log_path)
    results["serve_peak_rss_mib"] = round(peak_rss_mib(deployment.serve.pid), 1)
    results["worker_peak_rss_mib"] = [round(peak_rss_mib(pid), 1) for pid in worker_pids]
    results["sandbox_peak_rss_mib"] = round(peak_rss_mib(deployment.sandbox.pid), 1)
    results["serve_rss_at_end_mib"] = round(rss_mib(deployment.serve.pid), 1)
    results["worker_rss_at_end_mib"] = [round(rss_mib(pid), 1) for pid in worker_pids]
    return results


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--deliveries", type=int, default=3000,
                        help="number of webhook deliveries")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="keep-alive connections of the sender")
    parser.add_argument("--rate", type=float, default=None,
                        help="deliveries per second to pace the sender at "
                             "(default: each connection sends as soon as it gets an answer)")
    parser.add_argument("--threads", type=int, default=4,
                        help="worker threads per Arrimage process")
    parser.add_argument("--worker-processes", type=int, choices=[0, 1, 2, 4], default=0,
                        help="separate 'arrimage worker' processes "
                             "(0: serve runs the runs in its own threads)")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="admin URL; the benchmark creates and drops its own database there")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12",
                        help="Redis database of the queue; only the benchmark queue's keys "
                             "are deleted at the end")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds to wait for the runs to end")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser.parse_args()


def main() -> None:
    options = parse_options()
    workdir = Path(tempfile.mkdtemp(prefix="arrimage-shopify-bench-"))
    queue_name = f"bench{uuid.uuid4().hex[:6]}"  # Huey drops other characters from key names
    database = PostgresDatabase(options.postgres_url) if options.backend == "postgres" else None
    processes = ProcessGroup(workdir / "processes.log")
    succeeded = False
    try:
        deployment = start_deployment(options, workdir, processes, database, queue_name)
        results: dict[str, Any] = {
            "backend": options.backend,
            "worker_processes": options.worker_processes,
            "threads_per_process": options.threads,
            "deliveries": options.deliveries,
            "concurrency": options.concurrency,
            "rate": options.rate,
        }
        results.update(measure(options, deployment))
        results["machine"] = machine_description()
        succeeded = True
    finally:
        processes.stop_all()
        if database is not None:
            database.drop()
            delete_redis_keys(options.redis_url, queue_name)
        remove_or_keep(workdir, succeeded)

    if options.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
