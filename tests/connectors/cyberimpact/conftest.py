"""Fixtures that serve the Cyberimpact sandbox on 127.0.0.1 and point a client at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from arrimage.connectors.cyberimpact.client import CyberimpactClient
from arrimage.sandbox import SandboxConfig
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN

FaultSetter = Callable[..., None]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """Run one seeded in-memory sandbox for the module."""
    running = SandboxServer(SandboxConfig(tokens=[TOKEN], seed=SEED)).start()
    yield running
    running.stop()


@pytest.fixture
def admin(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """Return a raw client for the sandbox's admin routes, after resetting its data and faults."""
    with httpx.Client(
        base_url=sandbox.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


@pytest.fixture
def client(sandbox: SandboxServer, admin: httpx.Client) -> Iterator[CyberimpactClient]:
    """Return a Cyberimpact client on the freshly reset sandbox."""
    with CyberimpactClient(TOKEN, base_url=sandbox.base_url, timeout_seconds=5) as cyberimpact:
        yield cyberimpact


@pytest.fixture
def set_faults(admin: httpx.Client) -> FaultSetter:
    """Change the sandbox's injected faults until the next reset."""

    def apply(**settings: Any) -> None:
        admin.patch("/_sandbox/faults", json=settings).raise_for_status()

    return apply
