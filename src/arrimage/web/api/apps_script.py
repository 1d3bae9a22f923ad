"""``/api/automations/{id}/apps-script``: the Apps Script to paste into a Google form."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from arrimage.connectors.google_forms.apps_script import apps_script_for_automation
from arrimage.runtime import Runtime
from arrimage.web.api.deps import get_runtime

router = APIRouter(prefix="/automations", tags=["automations"])


@router.get(
    "/{automation_id}/apps-script",
    summary="Get the Google Forms Apps Script of an automation",
    description="The script contains the webhook secret: show it only to the form's owner.",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, 404: {}, 422: {}},
)
async def get_apps_script(automation_id: str, runtime: Runtime = Depends(get_runtime)) -> PlainTextResponse:
    script = await anyio.to_thread.run_sync(apps_script_for_automation, runtime, automation_id)
    # The script contains secrets: keep it out of shared caches.
    return PlainTextResponse(script, headers={"Cache-Control": "no-store"})
