"""The web app's screens, one module per screen, all server-rendered from ``web/templates``.

The automation editor, the sample-data panel and the test screens will join them as
``pages/editor.py`` and templates under ``templates/automations/``.
"""

from __future__ import annotations

from fastapi import APIRouter

from arrimage.web.pages import access, automations, connections, recipes, runs, settings

router = APIRouter(include_in_schema=False)
for module in (access, automations, recipes, connections, runs, settings):
    router.include_router(module.router)
