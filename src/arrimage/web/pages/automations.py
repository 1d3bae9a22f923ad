"""The automations list with its on/off switches, and the page that will hold the editor."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from arrimage.catalogue import webhook_url
from arrimage.connectors.declaration import App, OperationKind
from arrimage.engine.document import ActionStep, AutomationDocument, SearchStep
from arrimage.engine.errors import DocumentError, NotFoundError
from arrimage.i18n import _l
from arrimage.storage.automations import parsed_version
from arrimage.storage.listings import automation_overview, connection_names
from arrimage.web.pages.common import Page, signed_in, signed_in_form

router = APIRouter()


@dataclass(frozen=True)
class ConnectionNeed:
    """A connection that an automation names: its app, the name used, and whether it exists."""

    app: str
    reference: str
    exists: bool


def connection_needs(document: AutomationDocument, existing: dict[str, set[str]]) -> list[ConnectionNeed]:
    """Return the connections that ``document`` names, each once, in document order."""
    references: list[tuple[str, str]] = []
    if document.trigger.connection:
        references.append((document.trigger.app, document.trigger.connection))
    for _location, step in document.iter_steps():
        if isinstance(step, ActionStep | SearchStep) and step.connection:
            references.append((step.app, step.connection))
    unique = list(dict.fromkeys(references))
    return [ConnectionNeed(app, reference, reference in existing.get(app, set())) for app, reference in unique]


def step_apps(document: AutomationDocument) -> list[str]:
    """Return the apps of the action and search steps, each once, in document order."""
    apps = [step.app for _location, step in document.iter_steps() if isinstance(step, ActionStep | SearchStep)]
    return list(dict.fromkeys(apps))


def app_name(apps: dict[str, App], key: str) -> str:
    """Return an app's display name in the current language, or its key if unknown."""
    app = apps.get(key)
    return app.name.render() if app else key


def trigger_name(apps: dict[str, App], app_key: str, event: str) -> str:
    """Return a trigger event's label in the current language, or its key if unknown."""
    app = apps.get(app_key)
    operation = app.operation(OperationKind.TRIGGER, event) if app else None
    return operation.label.render() if operation else event


@router.get("/automations")
def list_automations(page: Page = Depends(signed_in)) -> HTMLResponse:
    search = page.request.query_params.get("q", "")
    rows = automation_overview(page.runtime.db, search)
    existing = connection_names(page.runtime.db)
    automations = []
    for row in rows:
        document = parsed_version(row["id"], row["version"], row["document"])
        automations.append({
            **row,
            "trigger_app": document.trigger.app,
            "step_apps": step_apps(document),
            "missing": [need for need in connection_needs(document, existing) if not need.exists],
        })
    total = len(automations) if search.strip() else None
    return page.render("automations/list.html", section="automations", automations=automations,
                       search=search, apps=page.runtime.apps, app_name=app_name, total=total,
                       error=None)


@router.post("/automations/{automation_id}/switch", response_model=None)
def switch(automation_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, form = checked
    turn_on = form.get("enabled") == "on"
    back = "/automations" + (f"?q={quote(form['q'])}" if form.get("q") else "")
    if form.get("next", "").startswith(f"/automations/{automation_id}"):
        back = form["next"]
    try:
        document = page.runtime.automations.versioned_document(
            automation_id, page.runtime.automations.get(automation_id)["version"])
    except NotFoundError as error:
        return page.render("error.html", status_code=404, title=_l("Automation not found"),
                           message=error.message, back="/automations")
    if turn_on:
        missing = [need for need in connection_needs(document, connection_names(page.runtime.db)) if not need.exists]
        if missing:
            names = ", ".join(f"{need.reference} ({need.app})" for need in missing)
            return page.render("error.html", status_code=409, title=_l("The automation stays off"),
                               message=_l("Create these connections first: {names}.", names=names),
                               back="/connections")
    try:
        page.runtime.automations.set_enabled(automation_id, turn_on)
    except DocumentError as error:
        return page.render("error.html", status_code=409, title=_l("The automation stays off"),
                           message=error.message, back=f"/automations/{automation_id}/edit")
    path, _, fragment = back.partition("#")
    separator = "&" if "?" in path else "?"
    done = f"{path}{separator}done={'enabled' if turn_on else 'disabled'}"
    return page.redirect(f"{done}#{fragment}" if fragment else done)


@router.get("/automations/{automation_id}", response_model=None)
def show_automation(automation_id: str, page: Page = Depends(signed_in)) -> HTMLResponse:
    try:
        summary: dict[str, Any] = page.runtime.automations.get(automation_id)
    except NotFoundError as error:
        return page.render("error.html", status_code=404, title=_l("Automation not found"),
                           message=error.message, back="/automations")
    document = parsed_version(automation_id, summary["version"], summary["document"])
    needs = connection_needs(document, connection_names(page.runtime.db))
    return page.render("automations/show.html", section="automations", automation=summary,
                       document=document, needs=needs, webhook_url=webhook_url(page.runtime, automation_id),
                       apps=page.runtime.apps, app_name=app_name, trigger_name=trigger_name,
                       step_apps=step_apps(document))
