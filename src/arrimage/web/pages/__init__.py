"""The web app's screens, one module per screen, all server-rendered from ``web/templates``.

The editor's own logic (form reading, cards, sample data) lives in ``web/editor/``.
"""

from __future__ import annotations

from fastapi import APIRouter

from arrimage.web.pages import access, automations, connections, editor, recipes, runs, settings, testing

router = APIRouter(include_in_schema=False)
for module in (access, editor, testing, automations, recipes, connections, runs, settings):
    router.include_router(module.router)
