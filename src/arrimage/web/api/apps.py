"""``/api/apps``: the catalogue of apps, with live sample items and choice lists."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from arrimage.catalogue import describe_app
from arrimage.engine.lookups import MAX_SAMPLES, load_choices, load_trigger_samples
from arrimage.runtime import Runtime
from arrimage.web.api.deps import get_runtime
from arrimage.web.errors import request_locale

router = APIRouter(prefix="/apps", tags=["apps"])


class SampleRequest(BaseModel):
    connection: str | None = Field(default=None, description="Connection id or name.")
    input: dict[str, Any] = Field(default_factory=dict, description="The trigger's fields.")
    limit: int = Field(default=3, ge=1, le=MAX_SAMPLES)


@router.get("", summary="List apps with their operations and fields")
async def list_apps(request: Request, runtime: Runtime = Depends(get_runtime)) -> list[dict[str, Any]]:
    locale = request_locale(request)
    return [describe_app(app, locale) for app in runtime.apps.values()]


@router.post("/{app}/triggers/{trigger}/samples",
             summary="Load recent items of a trigger from the account, as sample data")
async def trigger_samples(app: str, trigger: str, body: SampleRequest,
                          runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    return await anyio.to_thread.run_sync(
        lambda: load_trigger_samples(runtime, app, trigger, body.connection, body.input, body.limit))


@router.get("/{app}/choices/{source}", summary="List a field's choices from the account")
async def choices(app: str, source: str, connection: str = Query(description="Connection id or name."),
                  runtime: Runtime = Depends(get_runtime)) -> list[dict[str, Any]]:
    return await anyio.to_thread.run_sync(lambda: load_choices(runtime, app, source, connection))
