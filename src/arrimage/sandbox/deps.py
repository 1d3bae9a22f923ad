"""Shared state and FastAPI dependencies of the sandbox routes: auth, body, paging, dates."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import Depends, Query, Request

from arrimage.sandbox.batches import BatchWorker
from arrimage.sandbox.config import SandboxConfig
from arrimage.sandbox.dates import DateFormatter, formatter_for
from arrimage.sandbox.errors import ApiError
from arrimage.sandbox.faults import FaultInjector
from arrimage.sandbox.queries import PageRequest
from arrimage.sandbox.store import Store

MAX_LIMIT = 10_000  # Cyberimpact's documented maximum page size


@dataclass
class Sandbox:
    """Everything one running sandbox shares between requests and its batch worker."""

    config: SandboxConfig
    store: Store
    faults: FaultInjector
    batches: BatchWorker


# The dependencies below that do no I/O are coroutines. FastAPI runs a plain function
# dependency in a worker thread, and that hop costs more than the function.


async def get_sandbox(request: Request) -> Sandbox:
    """Return the sandbox that ``create_app`` attached to the application."""
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


SandboxDep = Annotated[Sandbox, Depends(get_sandbox)]


async def require_token(request: Request, sandbox: SandboxDep) -> None:
    """Accept ``Authorization: Bearer <token>`` with a configured or minted token, else 401."""
    scheme, _sep, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        if _configured_token(sandbox, token):
            return
        # Minted tokens are in storage, whose lock a batch may hold, so a thread looks them up.
        if await anyio.to_thread.run_sync(_minted_token, sandbox, token):
            return
    raise ApiError(
        401,
        "Unauthorized: the API token is missing or invalid.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _configured_token(sandbox: Sandbox, token: str) -> bool:
    # compare_digest keeps the check's duration independent of where the strings differ.
    return any(
        hmac.compare_digest(token.encode(), known.encode()) for known in sandbox.config.tokens
    )


def _minted_token(sandbox: Sandbox, token: str) -> bool:
    with sandbox.store.transaction() as conn:
        return conn.execute("SELECT 1 FROM tokens WHERE token = ?", (token,)).fetchone() is not None


async def date_formatter(sandbox: SandboxDep, dateReturnFormat: str | None = None) -> DateFormatter:
    """Build the formatter for the request's ``dateReturnFormat`` (``ISO8601`` or ``ATOM``)."""
    return formatter_for(dateReturnFormat, sandbox.config.zone)


async def page_request(
    sandbox: SandboxDep,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    sort: str = "",
) -> PageRequest:
    """Collect the paging query parameters, serving at most ``max_page_size`` items a page."""
    return PageRequest(page=page, limit=min(limit, sandbox.config.max_page_size), sort=sort)


async def json_body(request: Request) -> Any:
    """Return the decoded JSON body (None when empty), or raise the schema error."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(
            "schema",
            "The request body is not valid JSON. Send UTF-8 JSON with the header "
            "Content-Type: application/json.",
        ) from exc


DatesDep = Annotated[DateFormatter, Depends(date_formatter)]
PageDep = Annotated[PageRequest, Depends(page_request)]
BodyDep = Annotated[Any, Depends(json_body)]
