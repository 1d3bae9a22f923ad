"""``/api/events``: what triggers received, with their payloads."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Depends, Query

from arrimage.runtime import Runtime
from arrimage.web.api.deps import get_runtime

router = APIRouter(prefix="/events", tags=["events"])


@router.get("", summary="List events, newest first (without payloads)")
async def list_events(
    automation_id: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    runtime: Runtime = Depends(get_runtime),
) -> list[dict[str, Any]]:
    return await anyio.to_thread.run_sync(lambda: runtime.events.list(automation_id, limit, offset))


@router.get("/{event_id}", summary="Get an event with its payload")
async def get_event(event_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    return await anyio.to_thread.run_sync(runtime.events.get, event_id)
