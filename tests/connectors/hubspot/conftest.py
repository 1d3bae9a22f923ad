"""Fixtures that serve the HubSpot emulator on 127.0.0.1 and build contexts pointing at it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from arrimage.connectors.context import ConnectionData, StepContext, TriggerContext
from arrimage.emulators.hubspot import (
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TOKEN,
    EmulatorServer,
    HubSpotEmulator,
)
from arrimage.logs import ContextAdapter


@pytest.fixture(scope="module")
def emulator_server() -> Iterator[EmulatorServer]:
    """Run one HubSpot emulator for the module."""
    server = EmulatorServer(HubSpotEmulator()).start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> HubSpotEmulator:
    """Return the module's emulator with no contacts and no faults."""
    emulator_server.emulator.reset()
    return emulator_server.emulator


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as current:
        yield current


def hubspot_connection(base_url: str, token: str = DEFAULT_TOKEN,
                       client_secret: str | None = DEFAULT_CLIENT_SECRET) -> ConnectionData:
    secrets = {"token": token}
    if client_secret is not None:
        secrets["client_secret"] = client_secret
    return ConnectionData(id="con_hubspot", app="hubspot", name="CRM",
                          config={"base_url": base_url}, secrets=secrets)


@pytest.fixture
def connection(emulator_server: EmulatorServer, emulator: HubSpotEmulator) -> ConnectionData:
    return hubspot_connection(emulator_server.base_url)


def step_context(http: httpx.Client, connection: ConnectionData | None) -> StepContext:
    return StepContext(
        automation_id="aut_test", run_id="run_test", step_id="crm", attempt=1,
        connection=connection, http=http, timeout_seconds=5,
        logger=ContextAdapter(logging.getLogger("tests.hubspot"), {}),
    )


@pytest.fixture
def context(http: httpx.Client, connection: ConnectionData) -> StepContext:
    return step_context(http, connection)


@pytest.fixture
def trigger_context(http: httpx.Client, connection: ConnectionData) -> TriggerContext:
    return TriggerContext(automation_id="aut_test", options={}, connection=connection, http=http)
