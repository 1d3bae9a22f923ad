"""Fixtures that run the sandbox as a real uvicorn server on 127.0.0.1 and call it with httpx."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from arrimage.emulators.serving import BackgroundServer
from arrimage.sandbox import SandboxConfig, create_app

from .helpers import SEED, TOKEN


class SandboxServer(BackgroundServer):
    """The sandbox served by uvicorn on a free port of 127.0.0.1, in a daemon thread."""

    def __init__(self, config: SandboxConfig) -> None:
        super().__init__(create_app(config), name="sandbox server")


@pytest.fixture(scope="session")
def server() -> Iterator[SandboxServer]:
    """Run one seeded in-memory sandbox for the whole session."""
    running = SandboxServer(SandboxConfig(tokens=[TOKEN], seed=SEED)).start()
    yield running
    running.stop()


@pytest.fixture
def client(server: SandboxServer) -> Iterator[httpx.Client]:
    """Return an authenticated client on a freshly reset sandbox."""
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """Start extra sandboxes with their own settings; all stop at the end of the test."""
    started: list[SandboxServer] = []

    def start(**settings: Any) -> SandboxServer:
        settings.setdefault("tokens", [TOKEN])
        running = SandboxServer(SandboxConfig(**settings)).start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
