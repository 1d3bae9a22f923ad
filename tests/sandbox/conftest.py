"""Fixtures that run the sandbox as a real uvicorn server on 127.0.0.1 and call it with httpx."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from arrimage.sandbox import SandboxConfig, create_app

from .helpers import SEED, TOKEN


class SandboxServer:
    """A uvicorn server on a socket bound by the test, running in a daemon thread."""

    def __init__(self, config: SandboxConfig) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        # Accepted sockets inherit TCP_NODELAY on Linux. Without it, each keep-alive request
        # waited about 40 ms for a delayed ACK (measured with httpx 0.29 and uvicorn 0.55).
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        uv_config = uvicorn.Config(create_app(config), log_level="warning", lifespan="on")
        self.server = uvicorn.Server(uv_config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> SandboxServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("sandbox server did not start within 10 s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


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
