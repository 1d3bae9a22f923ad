"""Benchmark: webhook → HTTP request to a local sink, through a real ``arrimage serve``.

Measures accepted webhooks per second and request-to-answer latency (p50/p99) as seen by the
sender, completed runs per second and event-to-finished latency (p50/p99) from the run
records, and the peak RSS of every Arrimage process. Everything runs on 127.0.0.1.

    python benchmarks/webhook_throughput.py                       # SQLite, embedded workers
    python benchmarks/webhook_throughput.py --backend postgres --worker-processes 2

The sender keeps ``--concurrency`` keep-alive connections busy with raw HTTP/1.1 so that the
load generator costs little CPU beside the server on a small machine. Each request carries a
unique ``X-Event-Id``, so no delivery is a duplicate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from harness import free_port, machine_description, peak_rss_mib, percentile, raw_post, send_requests

SINK_CODE = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each keep-alive response waits ~40 ms for an ACK
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "11")
        self.end_headers()
        self.wfile.write(b'{"ok":true}')
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
server.daemon_threads = True
server.serve_forever()
"""


def event_request(host: str, port: int, path: str) -> Callable[[int], bytes]:
    """Return a builder of the raw request for event ``index``, each with a unique X-Event-Id."""

    def build(index: int) -> bytes:
        body = json.dumps({"email": f"client{index}@exemple.ca", "province": "QC", "n": index}).encode()
        headers = {"Content-Type": "application/json", "X-Event-Id": uuid.uuid4().hex}
        return raw_post(host, port, path, headers, body)

    return build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4, help="worker threads per process")
    parser.add_argument("--worker-processes", type=int, default=0,
                        help="separate 'arrimage worker' processes (0: the serve process runs the runs)")
    parser.add_argument("--separate-phases", action="store_true",
                        help="accept every webhook with no run executing, then start the worker "
                             "processes (at least one) and time the runs alone")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="arrimage-bench-"))
    port, sink_port = free_port(), free_port()
    env = {**os.environ, "ARRIMAGE_DATA_DIR": str(workdir / "data"), "ARRIMAGE_PORT": str(port),
           "ARRIMAGE_WORKERS": str(args.threads), "ARRIMAGE_LOG_LEVEL": "WARNING",
           "ARRIMAGE_QUEUE_NAME": f"bench-{uuid.uuid4().hex[:6]}"}
    database_name = None
    if args.backend == "postgres":
        import psycopg

        database_name = f"arrimage_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database_name}"')
        env["ARRIMAGE_DATABASE_URL"] = args.postgres_url.rsplit("/", 1)[0] + "/" + database_name
        env["ARRIMAGE_QUEUE_URL"] = args.redis_url

    processes: list[subprocess.Popen[bytes]] = []
    log = (workdir / "processes.log").open("ab")

    def start(*command: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(list(command), env=env, stdout=log, stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    try:
        start(sys.executable, "-c", SINK_CODE, str(sink_port))
        if args.separate_phases:
            args.worker_processes = max(1, args.worker_processes)
        serve_args = ["serve"] + (["--no-consumer"] if args.worker_processes else [])
        serve = start(sys.executable, "-m", "arrimage", *serve_args)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        def start_workers() -> list[subprocess.Popen[bytes]]:
            return [start(sys.executable, "-m", "arrimage", "worker", "--no-scheduler")
                    for _ in range(args.worker_processes)]

        workers = [] if args.separate_phases else start_workers()

        document = {
            "id": "bench", "name": "Benchmark",
            "trigger": {"app": "webhook", "event": "catch_hook"},
            "steps": [{"id": "forward", "app": "http", "action": "request",
                       "input": {"url": f"http://127.0.0.1:{sink_port}/contacts",
                                 "body": {"email": "{{ trigger.email }}", "n": "{{ trigger.n }}"}}}],
        }
        httpx.post(f"{base}/api/automations", json=document, timeout=10).raise_for_status()
        httpx.post(f"{base}/api/automations/bench/enable", timeout=10).raise_for_status()
        hook = httpx.get(f"{base}/api/automations/bench", timeout=10).json()["webhook_url"]
        path = "/" + hook.split("/", 3)[3]
        time.sleep(1.0)  # let worker processes start polling

        started = time.perf_counter()
        latencies = asyncio.run(send_requests("127.0.0.1", port, event_request("127.0.0.1", port, path),
                                              args.requests, args.concurrency))
        accepted_seconds = time.perf_counter() - started
        if args.separate_phases:
            workers = start_workers()
            started = time.perf_counter()  # runs are timed from the workers' start

        from sqlalchemy import create_engine, text

        url = env.get("ARRIMAGE_DATABASE_URL", "").replace("postgresql://", "postgresql+psycopg://") \
            or f"sqlite:///{workdir / 'data' / 'arrimage.db'}"
        engine = create_engine(url)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                done = connection.execute(text(
                    "SELECT count(*) FROM runs WHERE status IN ('succeeded', 'failed')")).scalar_one()
            if done >= args.requests:
                break
            time.sleep(0.2)
        completed_seconds = time.perf_counter() - started

        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT r.status, e.received_at, r.finished_at FROM runs r JOIN events e ON e.id = r.event_id")).all()
        engine.dispose()
        from datetime import datetime

        def as_datetime(value: object) -> datetime:
            return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))

        end_to_end = [(as_datetime(finished) - as_datetime(received)).total_seconds()
                      for status, received, finished in rows if finished is not None]
        results = {
            "backend": args.backend,
            "worker_processes": args.worker_processes,
            "separate_phases": args.separate_phases,
            "threads_per_process": args.threads,
            "requests": args.requests,
            "concurrency": args.concurrency,
            "accepted_per_second": round(args.requests / accepted_seconds, 1),
            "answer_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
            "answer_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
            "completed_runs": len(end_to_end),
            "failed_runs": sum(1 for row in rows if row[0] == "failed"),
            "completed_runs_per_second": round(len(end_to_end) / completed_seconds, 1),
            "run_p50_ms": round(percentile(end_to_end, 0.50) * 1000, 1),
            "run_p99_ms": round(percentile(end_to_end, 0.99) * 1000, 1),
            "serve_peak_rss_mb": round(peak_rss_mib(serve.pid), 1),
            "worker_peak_rss_mb": [round(peak_rss_mib(worker.pid), 1) for worker in workers],
            "machine": machine_description(),
        }
        if args.json:
            print(json.dumps(results, indent=2))
        else:
            for key, value in results.items():
                print(f"{key:28} {value}")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if database_name:
            import psycopg

            with psycopg.connect(args.postgres_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
