"""The REST API under ``/api``: automations, connections, runs, events and the app catalogue."""

from __future__ import annotations

from fastapi import APIRouter

from arrimage.web.api import apps, automations, connections, events, runs
from arrimage.web.api import apps_script

router = APIRouter(prefix="/api")
router.include_router(automations.router)
router.include_router(connections.router)
router.include_router(runs.router)
router.include_router(events.router)
router.include_router(apps.router)
router.include_router(apps_script.router)
