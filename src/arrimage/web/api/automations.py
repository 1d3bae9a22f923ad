"""``/api/automations``: create, read, version, export and switch automations on or off."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Body, Depends

from arrimage.catalogue import webhook_url
from arrimage.runtime import Runtime
from arrimage.web.api.deps import get_runtime

router = APIRouter(prefix="/automations", tags=["automations"])


@router.get("", summary="List automations")
async def list_automations(runtime: Runtime = Depends(get_runtime)) -> list[dict[str, Any]]:
    return await anyio.to_thread.run_sync(runtime.automations.list)


@router.post("", status_code=201, summary="Create an automation, or a new version of one")
async def create_automation(
    document: dict[str, Any] = Body(..., description="An automation document (the YAML schema, as JSON)."),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    summary = await anyio.to_thread.run_sync(runtime.automations.save, document)
    return _with_url(runtime, summary)


@router.get("/{automation_id}", summary="Get an automation with its current document")
async def get_automation(automation_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    summary = await anyio.to_thread.run_sync(runtime.automations.get, automation_id)
    return _with_url(runtime, summary)


@router.put("/{automation_id}", summary="Save a new version of an automation")
async def update_automation(
    automation_id: str, document: dict[str, Any] = Body(...), runtime: Runtime = Depends(get_runtime)
) -> dict[str, Any]:
    await anyio.to_thread.run_sync(runtime.automations.get, automation_id)  # 404 before saving
    summary = await anyio.to_thread.run_sync(runtime.automations.save, {**document, "id": automation_id})
    return _with_url(runtime, summary)


@router.get("/{automation_id}/export", summary="Export the current document")
async def export_automation(automation_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    return await anyio.to_thread.run_sync(runtime.automations.document, automation_id)


@router.post("/{automation_id}/enable", summary="Turn an automation on")
async def enable_automation(automation_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    summary = await anyio.to_thread.run_sync(runtime.automations.set_enabled, automation_id, True)
    return _with_url(runtime, summary)


@router.post("/{automation_id}/disable", summary="Turn an automation off")
async def disable_automation(automation_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    summary = await anyio.to_thread.run_sync(runtime.automations.set_enabled, automation_id, False)
    return _with_url(runtime, summary)


@router.delete("/{automation_id}", status_code=204, summary="Delete an automation and its runs")
async def delete_automation(automation_id: str, runtime: Runtime = Depends(get_runtime)) -> None:
    await anyio.to_thread.run_sync(runtime.automations.delete, automation_id)


def _with_url(runtime: Runtime, summary: dict[str, Any]) -> dict[str, Any]:
    summary["webhook_url"] = webhook_url(runtime, summary["id"])
    return summary
