"""Helpers shared by the benchmark scripts: processes, /proc readings, a raw HTTP sender, backends.

Every figure read from ``/proc`` is Linux-only. CPU times are user + system seconds from
``/proc/<pid>/stat``, including children the process has waited for.
"""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import httpx

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mib(pid: int) -> float:
    """Return the process's peak resident set size (VmHWM) in MiB, or NaN if it is gone."""
    return _status_mib(pid, "VmHWM")


def rss_mib(pid: int) -> float:
    """Return the process's current resident set size (VmRSS) in MiB, or NaN if it is gone."""
    return _status_mib(pid, "VmRSS")


def _status_mib(pid: int, field: str) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float | None:
    """Return the user + system CPU seconds of a process and its waited-for children, or None.

    None means the process has ended (or was never visible), so its last reading is the final one.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces, so fields are counted after its ")".
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime + cutime + cstime) / CLOCK_TICKS_PER_SECOND


class CpuMeter:
    """CPU seconds that a changing set of processes spent since the meter started.

    A process first seen after :meth:`start` counts from zero, which is right for a process
    started during the measurement (such as a database backend). A process that ends keeps
    its last reading, so sample often enough to catch it.
    """

    def __init__(self) -> None:
        self.baseline: dict[int, float] = {}
        self.latest: dict[int, float] = {}

    def start(self, pids: Iterable[int]) -> None:
        for pid in pids:
            value = cpu_seconds(pid)
            if value is not None:
                self.baseline[pid] = value
                self.latest[pid] = value

    def sample(self, pids: Iterable[int]) -> None:
        for pid in pids:
            value = cpu_seconds(pid)
            if value is not None:
                self.baseline.setdefault(pid, 0.0)
                self.latest[pid] = value

    def spent(self, pids: Iterable[int] | None = None) -> float:
        """Return the CPU seconds spent by ``pids`` (default: every process seen)."""
        chosen = self.latest if pids is None else [pid for pid in pids if pid in self.latest]
        return sum(self.latest[pid] - self.baseline[pid] for pid in chosen)


def self_cpu_seconds() -> float:
    """Return the user + system CPU seconds of this process, all threads, in nanosecond steps."""
    return time.process_time()


def load_average() -> list[float]:
    """Return the 1, 5 and 15 minute load averages from /proc/loadavg."""
    return [float(value) for value in Path("/proc/loadavg").read_text().split()[:3]]


def calibration_ms(iterations: int = 2_000_000) -> float:
    """Return the CPU milliseconds of a fixed pure-Python loop.

    On a shared virtual machine the host's speed changes over time, and CPU times of
    measurements taken at different moments compare only through this figure.
    """
    started = time.process_time()
    total = 0
    for number in range(iterations):
        total += number % 7
    return round((time.process_time() - started) * 1000, 1)


def machine_description() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class ProcessGroup:
    """Subprocesses started by one benchmark, all stopped by :meth:`stop_all` in reverse order.

    Their standard output and error go to ``log_path``.
    """

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.log: IO[bytes] = log_path.open("ab")
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def stop_all(self, timeout_seconds: float = 20.0) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=timeout_seconds)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()


def remove_or_keep(workdir: Path, succeeded: bool) -> None:
    """Delete a benchmark's working folder, or keep it and print where when the benchmark failed.

    The folder contains the processes' log and the databases, which explain a failure.
    """
    if succeeded:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"The processes' log and data are kept in {workdir}", file=sys.stderr)


def wait_until_ready(
    url: str, headers: dict[str, str] | None = None, timeout_seconds: float = 30.0
) -> None:
    """Wait until ``GET url`` responds with 200; raise RuntimeError after ``timeout_seconds``."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, headers=headers, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not respond with 200 within {timeout_seconds} s")


async def send_requests(
    host: str,
    port: int,
    build_request: Callable[[int], bytes],
    count: int,
    concurrency: int,
    rate: float | None = None,
) -> list[float]:
    """Send ``count`` raw HTTP/1.1 requests over ``concurrency`` keep-alive connections.

    ``build_request(index)`` returns the request bytes. With ``rate`` (requests per second),
    request ``index`` is not sent before ``index / rate`` seconds after the start. Returns
    each request-to-answer latency in seconds, and raises RuntimeError on a status other
    than 200.
    """
    latencies: list[float] = []
    counter = iter(range(count))
    started = time.perf_counter()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        for index in counter:
            request = build_request(index)
            if rate is not None:
                delay = started + index / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent_at = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent_at)
            if not status_line.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected response {status_line!r}: {body[:300]!r}")
        writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies


def raw_post(host: str, port: int, path: str, headers: dict[str, str], body: bytes) -> bytes:
    """Return the bytes of an HTTP/1.1 POST request with a Content-Length header."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class PostgresDatabase:
    """A database created for one benchmark on a PostgreSQL server, dropped by :meth:`drop`."""

    def __init__(self, admin_url: str) -> None:
        import psycopg

        self.admin_url = admin_url
        self.name = f"arrimage_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')
        self.url = admin_url.rsplit("/", 1)[0] + "/" + self.name

    def backend_pids(self) -> list[int]:
        """Return the server process ids of the connections to this database now.

        The query runs on the admin database, so its own backend is not listed.
        """
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.name,)).fetchall()
        return [int(row[0]) for row in rows]

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def redis_server_cpu_seconds(url: str) -> float:
    """Return the Redis server's user + system CPU seconds (every client's, not only ours)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        info: dict[str, Any] = client.info("cpu")
    finally:
        client.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def delete_redis_keys(url: str, queue_name: str) -> int:
    """Delete the keys of one Huey queue and return how many there were.

    Huey keeps only letters, digits and ``_`` of the queue name in its key names, so
    ``queue_name`` should contain nothing else.
    """
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"*{queue_name}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
    return len(keys)
