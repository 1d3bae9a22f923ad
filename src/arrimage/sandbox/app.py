"""Build the sandbox's ASGI application and run it with uvicorn."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from arrimage.sandbox.batches import BatchWorker
from arrimage.sandbox.config import DEFAULT_HOST, DEFAULT_PORT, SandboxConfig
from arrimage.sandbox.deps import Sandbox
from arrimage.sandbox.errors import install_error_handlers, render_error
from arrimage.sandbox.faults import FaultInjector
from arrimage.sandbox.routes import account, admin, batches, groups, member_groups, members, optins
from arrimage.sandbox.seed import seed_store
from arrimage.sandbox.store import Store

logger = logging.getLogger(__name__)

# Paths that faults never touch: the admin routes must stay usable to switch faults off, and
# the outbox (which "/" redirects to) is a page for people, not part of the emulated API.
FAULT_EXEMPT_PREFIXES = ("/_sandbox", "/outbox")


def build_sandbox(config: SandboxConfig) -> Sandbox:
    """Open the storage, seed it when empty and prepare the faults and the batch worker."""
    store = Store(config.database_path)
    if store.is_empty():
        seed_store(store, config)
    faults = FaultInjector(config.faults)
    worker = BatchWorker(store, config, lambda: faults.settings.batch_delay_ms)
    return Sandbox(config=config, store=store, faults=faults, batches=worker)


def create_app(config: SandboxConfig | None = None) -> FastAPI:
    """Return the Cyberimpact emulator as a FastAPI application.

    The batch worker runs between the application's startup and shutdown (its lifespan), so
    batches stay ``NEW`` under an ASGI server or test client that skips the lifespan.
    """
    config = config or SandboxConfig()
    sandbox = build_sandbox(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sandbox.batches.start()
        logger.info("Cyberimpact sandbox started (storage: %s)", sandbox.store.database)
        try:
            yield
        finally:
            sandbox.batches.stop()
            sandbox.store.close()
            logger.info("Cyberimpact sandbox stopped")

    app = FastAPI(
        title="Cyberimpact sandbox",
        docs_url="/_sandbox/docs",
        redoc_url=None,
        openapi_url="/_sandbox/openapi.json",
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    install_error_handlers(app, config)
    app.add_middleware(FaultMiddleware, sandbox=sandbox)
    for router in (
        account.router,
        optins.api_router,
        members.router,
        member_groups.router,
        groups.router,
        batches.router,
        admin.router,
        optins.page_router,
    ):
        app.include_router(router)
    return app


class FaultMiddleware:
    """ASGI middleware that applies the sandbox's fault settings (latency, errors) before routing.

    It is plain ASGI because Starlette's ``BaseHTTPMiddleware`` adds a task group and memory
    streams to every request, a cost the sandbox's CPU time per API call showed.
    """

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == "/" or path.startswith(FAULT_EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        latency_ms = self.sandbox.faults.settings.latency_ms
        if latency_ms:
            await asyncio.sleep(latency_ms / 1000)
        fault = self.sandbox.faults.check(scope["method"], path)
        if fault is None:
            await self.app(scope, receive, send)
            return
        logger.warning("Sandbox injected %d on %s %s", fault.status, scope["method"], path)
        response = render_error(
            self.sandbox.config.error_shape, fault.status, fault.message, headers=fault.headers
        )
        await response(scope, receive, send)


def run_sandbox(
    config: SandboxConfig | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> None:
    """Serve the sandbox with uvicorn until interrupted."""
    if not _is_loopback(host):
        logger.warning(
            "The sandbox listens on %s, beyond this computer: anyone who reaches it with a "
            "sandbox token can read and reset its data.",
            host,
        )
    # uvicorn's access log writes each path at INFO, and member paths contain email addresses.
    uvicorn.run(create_app(config), host=host, port=port, log_level="info", access_log=False)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
