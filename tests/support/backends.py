"""The storage and queue backends every storage-touching test runs against.

``sqlite`` needs nothing. ``postgres`` uses the PostgreSQL and Redis servers on 127.0.0.1 (or
``ARRIMAGE_TEST_POSTGRES_URL`` and ``ARRIMAGE_TEST_REDIS_URL``); when they cannot be reached,
those tests are skipped, unless ``ARRIMAGE_REQUIRE_BACKENDS=1`` (set by ``.ci/run``) makes
them fail instead.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest

POSTGRES_ADMIN_URL = os.environ.get("ARRIMAGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("ARRIMAGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE = os.environ.get("ARRIMAGE_REQUIRE_BACKENDS") == "1"


@dataclass
class Backend:
    name: str
    database_url: str | None
    queue_url: str | None

    def env(self, queue_name: str) -> dict[str, str]:
        """Return the ARRIMAGE_* variables that select this backend for a subprocess."""
        values = {"ARRIMAGE_QUEUE_NAME": queue_name}
        if self.database_url:
            values["ARRIMAGE_DATABASE_URL"] = self.database_url
        if self.queue_url:
            values["ARRIMAGE_QUEUE_URL"] = self.queue_url
        return values


def unavailable(reason: str) -> None:
    """Skip the test, or fail it when the backends are required."""
    if REQUIRE:
        pytest.fail(f"{reason} (ARRIMAGE_REQUIRE_BACKENDS=1)")
    pytest.skip(reason)


def create_postgres_database() -> str:
    """Create a fresh database for this test session and return its URL."""
    import psycopg

    name = f"arrimage_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def check_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def clear_redis_queue(queue_name: str) -> None:
    """Delete the keys Huey created for ``queue_name``."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"huey.*{queue_name}*")) + list(client.scan_iter(match=f"*{queue_name}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


TABLES = ("run_steps", "runs", "events", "trigger_states", "automation_versions", "automations",
          "connections", "leases", "web_sessions", "api_tokens", "login_attempts", "users",
          "stored_settings")


def truncate_postgres(url: str) -> None:
    """Empty every Arrimage table between tests (the schema stays)."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=3) as connection:
        exists = connection.execute("SELECT to_regclass('public.runs')").fetchone()
        if exists and exists[0]:
            connection.execute("TRUNCATE " + ", ".join(TABLES) + " CASCADE")
