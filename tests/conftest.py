"""Fixtures shared by the whole suite.

Tests that touch storage take the ``backend`` fixture (directly or through ``settings`` or
``runtime``), so each runs twice: on SQLite with the SQLite queue, and on PostgreSQL with
Redis. The test code is the same; only the configuration differs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from arrimage.config import Settings
from arrimage.runtime import Runtime
from tests.support import backends
from tests.support.sink import Sink, running_sink


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    try:
        url = backends.create_postgres_database()
    except Exception as error:  # any connection failure means "not available here"
        yield None
        _POSTGRES_ERROR.append(str(error))
        return
    yield url
    backends.drop_postgres_database(url)


_POSTGRES_ERROR: list[str] = []


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, postgres_url: str | None) -> Iterator[backends.Backend]:
    if request.param == "sqlite":
        yield backends.Backend("sqlite", None, None)
        return

    if postgres_url is None:
        backends.unavailable(f"PostgreSQL is not reachable at {backends.POSTGRES_ADMIN_URL}")
    try:
        backends.check_redis()
    except Exception as error:
        backends.unavailable(f"Redis is not reachable at {backends.REDIS_URL}: {error}")
    assert postgres_url is not None
    backends.truncate_postgres(postgres_url)
    yield backends.Backend("postgres", postgres_url, backends.REDIS_URL)


@pytest.fixture
def queue_name() -> Iterator[str]:
    name = f"arrimage-test-{uuid.uuid4().hex[:8]}"
    yield name


@pytest.fixture
def settings(backend: backends.Backend, tmp_path: Path, queue_name: str) -> Iterator[Settings]:
    current = Settings(
        data_dir=tmp_path / "data",
        database_url=backend.database_url,
        queue_url=backend.queue_url,
        queue_name=queue_name,
        retry_base_seconds=0.05,
        retry_max_seconds=0.5,
        scheduler_interval_seconds=0.5,
        queue_poll_seconds=0.02,
    )
    yield current
    if backend.queue_url:
        backends.clear_redis_queue(queue_name)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    current = Runtime(settings)
    yield current
    current.close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    with running_sink() as current:
        yield current
