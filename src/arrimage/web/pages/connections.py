"""Connections: accounts of each app, added with the app's declared fields and checked at once.

Secrets (password fields) are written once and never shown back: forms re-displayed after an
error leave them empty.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from arrimage.connectors.declaration import App, FieldType
from arrimage.engine.errors import ArrimageError, ConflictError, NotFoundError
from arrimage.engine.lookups import check_connection, check_stored_connection
from arrimage.i18n import LazyText, _l
from arrimage.storage.automations import parsed_version
from arrimage.storage.listings import automation_names, automation_overview, record_connection_check
from arrimage.web.pages.automations import connection_needs
from arrimage.web.pages.common import Page, signed_in, signed_in_form

logger = logging.getLogger(__name__)

router = APIRouter()

# Apps whose connection form offers "Use the local sandbox".
SANDBOX_APPS = {"cyberimpact"}


def sandbox_values(page: Page) -> dict[str, str]:
    """Return the fields that "Use the local sandbox" fills: the configured address and its token."""
    settings = page.runtime.settings
    return {"base_url": settings.sandbox_url, "token": settings.sandbox_token}


def connectable_apps(page: Page) -> list[App]:
    """Return the apps that have connection fields, in catalogue order."""
    return [app for app in page.runtime.apps.values() if app.connection_fields]


@router.get("/connections")
def list_connections(page: Page = Depends(signed_in)) -> HTMLResponse:
    return _render_list(page)


@router.get("/connections/new", response_model=None)
def new_connection(page: Page = Depends(signed_in)) -> HTMLResponse | RedirectResponse:
    app = page.runtime.apps.get(page.request.query_params.get("app", ""))
    if app is None or not app.connection_fields:
        return page.redirect("/connections")
    name = page.request.query_params.get("name") or app.key
    values = {field.key: field.default for field in app.connection_fields
              if field.type is not FieldType.PASSWORD and field.default is not None}
    return _render_form(page, app, name, values, {})


@router.post("/connections/new", response_model=None)
def create_connection(checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, form = checked
    app = page.runtime.apps.get(form.get("app", ""))
    if app is None or not app.connection_fields:
        return page.redirect("/connections")
    name = form.get("name", "").strip() or app.key
    values: dict[str, Any] = {}
    for field in app.connection_fields:
        entered = form.get(field.key, "").strip()
        if entered:
            values[field.key] = entered
    if form.get("preset") == "sandbox" and app.key in SANDBOX_APPS:
        values.update(sandbox_values(page))

    errors: dict[str, LazyText] = {}
    for field in app.connection_fields:
        if field.required and not values.get(field.key):
            errors[field.key] = _l("Fill in this field.")
    try:
        page.runtime.connections.check_name_free(app, name)
    except ConflictError as error:
        errors["name"] = error.message
    if errors:
        return _render_form(page, app, name, values, errors, status_code=422)

    try:
        account = check_connection(page.runtime, app.key, values)
    except ArrimageError as error:
        return _render_form(page, app, name, values, {}, status_code=422, check_error=error.message)
    try:
        created = page.runtime.connections.create(app, name, values)
    except ConflictError as error:  # the name was taken while the app checked the credentials
        return _render_form(page, app, name, values, {"name": error.message}, status_code=422)
    if account is not None:
        record_connection_check(page.runtime.db, created["id"], account)
    logger.info("connection created", extra={"connection_id": created["id"]})
    return page.redirect(f"/connections?done=connection_added#connection-{created['id']}")


@router.post("/connections/{connection_id}/rename", response_model=None)
def rename(connection_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, form = checked
    name = form.get("name", "").strip()
    try:
        current = page.runtime.connections.get(connection_id)
    except NotFoundError as error:
        return _not_found(page, error)
    if not name:
        return _render_list(page, error=_l("A connection needs a name."), status_code=422)
    app = page.runtime.apps[current["app"]]
    try:
        page.runtime.connections.check_name_free(app, name, connection_id)
    except ConflictError as error:
        return _render_list(page, error=error.message, status_code=422, focus=connection_id)
    # Steps that name the connection would no longer find it; steps that give its id still do.
    users = _automations_using(page, current, by_name_only=True)
    if users and name != current["name"]:
        return _render_list(page, status_code=409, error=_l(
            "The connection {name} is used by: {automations}. Change these automations first.",
            name=current["name"], automations=", ".join(users)))
    try:
        page.runtime.connections.update(connection_id, app, name=name)
    except ConflictError as error:  # another request took the name in between
        return _render_list(page, error=error.message, status_code=422, focus=connection_id)
    return page.redirect(f"/connections?done=connection_renamed#connection-{connection_id}")


@router.post("/connections/{connection_id}/check", response_model=None)
def recheck(connection_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse:
    page, _form = checked
    try:
        result = check_stored_connection(page.runtime, connection_id)
    except NotFoundError as error:
        return _not_found(page, error)
    except ArrimageError as error:
        return _render_list(page, status_code=422, error=_l(
            "The check failed: {problem}", problem=error.message), focus=connection_id)
    record_connection_check(page.runtime.db, connection_id, result["account"])
    message = (_l("The connection works: account {account}.", account=result["account"])
               if result["account"] else _l("The connection is saved; this app has no check."))
    return _render_list(page, success=message, focus=connection_id)


@router.get("/connections/{connection_id}/delete", response_model=None)
def confirm_delete(connection_id: str, page: Page = Depends(signed_in)) -> HTMLResponse:
    try:
        current = page.runtime.connections.get(connection_id)
    except NotFoundError as error:
        return _not_found(page, error)
    return page.render("connections/delete.html", section="connections", connection=current,
                       users=_automations_using(page, current), names=automation_names(page.runtime.db),
                       app_label=_app_label(page, current["app"]))


@router.post("/connections/{connection_id}/delete", response_model=None)
def delete(connection_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, _form = checked
    try:
        current = page.runtime.connections.get(connection_id)
        page.runtime.connections.delete(connection_id)
    except NotFoundError as error:
        return _not_found(page, error)
    except ConflictError as error:
        return page.render("connections/delete.html", status_code=409, section="connections",
                           connection=current, users=error.details.get("automations", []),
                           names=automation_names(page.runtime.db), app_label=_app_label(page, current["app"]))
    logger.info("connection deleted", extra={"connection_id": connection_id})
    return page.redirect("/connections?done=connection_deleted")


def _automations_using(page: Page, summary: dict[str, Any], *, by_name_only: bool = False) -> list[str]:
    """Return the ids of the automations that name this connection, by id or by name."""
    references = {summary["name"]} if by_name_only else {summary["id"], summary["name"]}
    names = {summary["app"]: references}
    users = []
    for row in automation_overview(page.runtime.db):
        document = parsed_version(row["id"], row["version"], row["document"])
        if any(need.exists for need in connection_needs(document, names)):
            users.append(row["id"])
    return users


def _app_label(page: Page, key: str) -> Any:
    app = page.runtime.apps.get(key)
    return app.name if app else key


def _check_state(page: Page, summary: dict[str, Any]) -> str:
    """Return the state of a connection's check that the screen shows: checked, no_check or not_checked.

    A check that returned no account name verified nothing that can be shown (a Google Forms
    connection with only a signing secret), so it reads as an app without a check.
    """
    app = page.runtime.apps.get(summary["app"])
    if summary["account_name"] and summary["checked_at"]:
        return "checked"
    if app is None or app.check_connection is None or summary["checked_at"]:
        return "no_check"
    return "not_checked"


def _not_found(page: Page, error: ArrimageError) -> HTMLResponse:
    return page.render("error.html", status_code=404, title=_l("Connection not found"),
                       message=error.message, back="/connections")


def _render_list(page: Page, *, error: LazyText | None = None, success: LazyText | None = None,
                 focus: str | None = None, status_code: int = 200) -> HTMLResponse:
    connections = page.runtime.connections.list()
    by_app: dict[str, list[dict[str, Any]]] = {}
    for summary in connections:
        summary["check"] = _check_state(page, summary)
        by_app.setdefault(summary["app"], []).append(summary)
    return page.render("connections/list.html", status_code=status_code, section="connections",
                       apps=connectable_apps(page), by_app=by_app, error=error, success=success,
                       focus=focus, known_apps=page.runtime.apps)


def _render_form(page: Page, app: App, name: str, values: dict[str, Any], errors: dict[str, LazyText],
                 *, status_code: int = 200, check_error: LazyText | None = None) -> HTMLResponse:
    # Secrets never go back to the browser, even the ones just typed.
    shown = {key: value for key, value in values.items()
             if (field := next((f for f in app.connection_fields if f.key == key), None))
             and field.type is not FieldType.PASSWORD}
    return page.render("connections/form.html", status_code=status_code, section="connections", app=app,
                       name=name, values=shown, errors=errors, check_error=check_error,
                       sandbox=sandbox_values(page) if app.key in SANDBOX_APPS else None, FieldType=FieldType)
