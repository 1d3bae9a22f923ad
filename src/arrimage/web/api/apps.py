"""``/api/apps``: the catalogue of apps with their triggers, actions and searches."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from arrimage.catalogue import describe_app
from arrimage.runtime import Runtime
from arrimage.web.api.deps import get_runtime
from arrimage.web.errors import request_locale

router = APIRouter(prefix="/apps", tags=["apps"])


@router.get("", summary="List apps with their operations and fields")
async def list_apps(request: Request, runtime: Runtime = Depends(get_runtime)) -> list[dict[str, Any]]:
    locale = request_locale(request)
    return [describe_app(app, locale) for app in runtime.apps.values()]
