"""``/api/runs``: the history of every run, each with its steps; replay of failed runs."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from arrimage.engine.errors import InvalidInputError
from arrimage.engine.records import RunStatus
from arrimage.i18n import _l
from arrimage.runtime import Runtime
from arrimage.web.api.deps import get_runtime

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/runs", tags=["runs"])


@router.get("", summary="List runs, newest first")
async def list_runs(
    automation_id: str | None = None,
    status: RunStatus | None = None,
    since: datetime | None = Query(None, description="Created at or after (ISO 8601)."),
    until: datetime | None = Query(None, description="Created before (ISO 8601)."),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    runtime: Runtime = Depends(get_runtime),
) -> list[dict[str, Any]]:
    return await anyio.to_thread.run_sync(lambda: runtime.runs.list(
        automation_id=automation_id, status=status.value if status else None,
        since=since, until=until, limit=limit, offset=offset))


class Erasure(BaseModel):
    email: str = Field(min_length=3, max_length=320, description="The address to erase.")


@router.post("/erasures", summary="Erase every event and run that mentions an email address")
async def erase_email(body: Erasure, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    if "@" not in body.email:
        raise InvalidInputError(_l("{value} is not an email address.", value=repr(body.email)))
    count = await anyio.to_thread.run_sync(runtime.runs.erase_email, body.email)
    logger.info("erased %d runs for one email address on request", count)
    return {"erased_runs": count}


@router.get("/{run_id}", summary="Get a run with each step's input, output and error")
async def get_run(run_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    return await anyio.to_thread.run_sync(runtime.runs.get, run_id)


@router.post("/{run_id}/replay", summary="Replay a failed run from its failed step")
async def replay_run(run_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    return await anyio.to_thread.run_sync(replay, runtime, run_id)


def replay(runtime: Runtime, run_id: str) -> dict[str, Any]:
    """Queue a failed run again with the automation's current version."""
    automation_id = runtime.runs.get(run_id)["automation_id"]
    version = runtime.automations.get(automation_id)["version"]
    run = runtime.runs.replay(run_id, version)
    runtime.enqueue_run(run_id)
    return run
