"""Connections: accounts of each app, added with the app's declared fields and checked at once.

Secrets (password fields) are written once and never shown back: forms re-displayed after an
error leave them empty, and the edit form keeps a saved secret whose field is left empty.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from arrimage.connectors.context import ConnectionData
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

# The size of the connections.name column, in characters.
MAX_NAME_LENGTH = 200


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
    return _render_form(page, app, name, _default_values(app), {})


@router.post("/connections/new", response_model=None)
def create_connection(checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, form = checked
    app = page.runtime.apps.get(form.get("app", ""))
    if app is None or not app.connection_fields:
        return page.redirect("/connections")
    name = form.get("name", "").strip() or app.key
    values: dict[str, Any] = _entered_values(app, form)
    if form.get("preset") == "sandbox" and app.key in SANDBOX_APPS:
        values.update(sandbox_values(page))

    errors = _value_errors(app, values)
    length_error = _name_length_error(name)
    if length_error is not None:
        logger.info("connection not created: name of %d characters, over %d", len(name),
                    MAX_NAME_LENGTH)
        errors["name"] = length_error
    else:
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


@router.get("/connections/{connection_id}/edit", response_model=None)
def edit_connection(connection_id: str, page: Page = Depends(signed_in)) -> HTMLResponse | RedirectResponse:
    loaded = _editable(page, connection_id)
    if not isinstance(loaded, tuple):
        return loaded
    current, app, stored = loaded
    values = {**_default_values(app), **stored.config}
    return _render_form(page, app, current["name"], values, {}, connection=current,
                        saved_secrets=_filled_keys(stored.secrets))


@router.post("/connections/{connection_id}/edit", response_model=None)
def save_connection(connection_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)
                    ) -> HTMLResponse | RedirectResponse:
    """Check the changed values with the app, then save them. An empty secret field keeps its saved secret."""
    page, form = checked
    loaded = _editable(page, connection_id)
    if not isinstance(loaded, tuple):
        return loaded
    current, app, stored = loaded

    name = form.get("name", "").strip()
    entered = _entered_values(app, form)
    removed = _removed_keys(app, form, entered)
    saved_secrets = _filled_keys(stored.secrets)
    kept_values = {key: value for key, value in {**stored.config, **stored.secrets}.items() if key not in removed}
    values = {**kept_values, **entered}

    def show_again(errors: dict[str, LazyText], check_error: LazyText | None = None) -> HTMLResponse:
        # What the person typed comes back, except secrets, which _render_form leaves out.
        return _render_form(page, app, name, entered, errors, status_code=422, check_error=check_error,
                            connection=current, saved_secrets=saved_secrets, removed=removed)

    errors = _value_errors(app, values)
    errors.update(_removal_conflicts(app, form, entered))
    name_error = _edited_name_error(page, app, current, name)
    if name_error is not None:
        errors["name"] = name_error
    if errors:
        return show_again(errors)

    try:
        account = check_connection(page.runtime, app.key, values)
    except ArrimageError as error:
        # Only the error code is logged, because the app's message could quote the values sent.
        logger.info("connection change rejected: the check with app %s failed (%s)", app.key, error.code,
                    extra={"connection_id": connection_id})
        return show_again({}, check_error=error.message)
    try:
        page.runtime.connections.update(connection_id, app, name=name, values=entered, removed=removed)
    except NotFoundError as error:  # deleted while the app checked the credentials
        logger.info("connection change dropped: the connection was deleted during the check",
                    extra={"connection_id": connection_id})
        return _not_found(page, error)
    except ConflictError as error:  # the name was taken while the app checked the credentials
        logger.info("connection change rejected: the name was taken during the check",
                    extra={"connection_id": connection_id})
        return show_again({"name": error.message})
    if account is not None:
        record_connection_check(page.runtime.db, connection_id, account)
    # Field keys only: the values may be secrets.
    logger.info("connection changed: app %s, name %s, replaced %s, removed %s", app.key,
                "changed" if name != current["name"] else "kept", ", ".join(sorted(entered)) or "-",
                ", ".join(sorted(removed)) or "-", extra={"connection_id": connection_id})
    return page.redirect(f"/connections?done=connection_changed#connection-{connection_id}")


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
    length_error = _name_length_error(name)
    if length_error is not None:
        logger.info("connection not renamed: name of %d characters, over %d", len(name),
                    MAX_NAME_LENGTH, extra={"connection_id": connection_id})
        return _render_list(page, error=length_error, status_code=422, focus=connection_id)
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


def _editable(page: Page, connection_id: str
              ) -> tuple[dict[str, Any], App, ConnectionData] | HTMLResponse | RedirectResponse:
    """Return the connection's summary, its app and its decrypted values, or the response to send instead."""
    try:
        current = page.runtime.connections.get(connection_id)
        stored = page.runtime.connections.resolve(connection_id, current["app"])
    except NotFoundError as error:
        return _not_found(page, error)
    app = page.runtime.apps.get(current["app"])
    if app is None or not app.connection_fields:
        return page.redirect("/connections")
    return current, app, stored


def _default_values(app: App) -> dict[str, Any]:
    """Return the declared defaults of the app's connection fields, secrets left out."""
    return {field.key: field.default for field in app.connection_fields
            if field.type is not FieldType.PASSWORD and field.default is not None}


def _entered_values(app: App, form: dict[str, str]) -> dict[str, str]:
    """Return the connection fields that the form fills, stripped, empty ones left out."""
    values: dict[str, str] = {}
    for field in app.connection_fields:
        entered = form.get(field.key, "").strip()
        if entered:
            values[field.key] = entered
    return values


def _value_errors(app: App, values: dict[str, Any]) -> dict[str, LazyText]:
    """Return an error per field: a required field without a value, or an address that is not http(s)."""
    errors: dict[str, LazyText] = {}
    for field in app.connection_fields:
        value = values.get(field.key)
        if field.required and not value:
            errors[field.key] = _l("Fill in this field.")
        elif field.type is FieldType.URL and value and not _is_web_address(str(value)):
            errors[field.key] = _l(
                "The address {value} is not valid: write it in full, starting with http:// or "
                "https://, such as {example}.", value=repr(value),
                example=field.default or "https://api.example.com")
    return errors


def _is_web_address(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _removed_keys(app: App, form: dict[str, str], entered: dict[str, str]) -> set[str]:
    """Return the keys whose saved value the edit form removes.

    A non-secret field that the form sends empty is removed, so that the app's default applies
    again. A secret is removed only when its "Remove the saved value" box is ticked and the
    field is optional, because an empty secret field means "keep the saved secret".
    """
    removed = set()
    for field in app.connection_fields:
        if field.key in entered:
            continue
        if field.type is FieldType.PASSWORD:
            if not field.required and form.get(f"remove-{field.key}"):
                removed.add(field.key)
        elif field.key in form:
            removed.add(field.key)
    return removed


def _removal_conflicts(app: App, form: dict[str, str], entered: dict[str, str]) -> dict[str, LazyText]:
    """Return an error per secret field that has both a new value and its "Remove" box ticked."""
    return {
        field.key: _l("Type a new value or tick “Remove the saved value”, not both.")
        for field in app.connection_fields
        if field.type is FieldType.PASSWORD and field.key in entered and form.get(f"remove-{field.key}")
    }


def _name_length_error(name: str) -> LazyText | None:
    """Return why ``name`` is too long, or None.

    The forms' maxlength stops a browser. A request sent without one gets this error instead
    of a database failure.
    """
    if len(name) > MAX_NAME_LENGTH:
        return _l("This name has {count} characters: shorten it to {max} at most.", count=len(name),
                  max=MAX_NAME_LENGTH)
    return None


def _edited_name_error(page: Page, app: App, current: dict[str, Any], name: str) -> LazyText | None:
    """Return why the edit form cannot give the connection ``name``, or None when it can.

    The rules are those of the rename form: a name of at most MAX_NAME_LENGTH characters, free
    among the app's connections, and no automation that finds the connection by its current name.
    """
    if not name:
        return _l("A connection needs a name.")
    length_error = _name_length_error(name)
    if length_error is not None:
        return length_error
    if name == current["name"]:
        return None
    try:
        page.runtime.connections.check_name_free(app, name, current["id"])
    except ConflictError as error:
        return error.message
    users = _automations_using(page, current, by_name_only=True)
    if users:
        return _l("The connection {name} is used by: {automations}. Change these automations first.",
                  name=current["name"], automations=", ".join(users))
    return None


def _filled_keys(secrets: dict[str, Any]) -> set[str]:
    """Return the keys of the saved secrets that have a value, so that pages can show which ones are set."""
    return {key for key, value in secrets.items() if value}


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
        summary["config_rows"] = _config_rows(page.runtime.apps.get(summary["app"]), summary["config"])
        by_app.setdefault(summary["app"], []).append(summary)
    return page.render("connections/list.html", status_code=status_code, section="connections",
                       apps=connectable_apps(page), by_app=by_app, error=error, success=success,
                       focus=focus, known_apps=page.runtime.apps)


def _config_rows(app: App | None, config: dict[str, Any]) -> list[tuple[LazyText | str, Any]]:
    """Pair each stored setting with its field's label, in the order the app declares them.

    A key that the app no longer declares keeps its raw name, so no stored value is hidden.
    """
    declared = app.connection_fields if app is not None else ()
    rows: list[tuple[LazyText | str, Any]] = [(field.label, config[field.key]) for field in declared
                                              if field.key in config]
    known = {field.key for field in declared}
    rows.extend((key, value) for key, value in config.items() if key not in known)
    return rows


def _render_form(page: Page, app: App, name: str, values: dict[str, Any], errors: dict[str, LazyText],
                 *, status_code: int = 200, check_error: LazyText | None = None,
                 connection: dict[str, Any] | None = None, saved_secrets: set[str] | None = None,
                 removed: set[str] | None = None) -> HTMLResponse:
    """Render the form that adds a connection, or that edits ``connection`` when it is given.

    ``saved_secrets`` lists the secret fields that have a saved value (their values never reach
    this function), and ``removed`` the ones whose "Remove the saved value" box stays ticked.
    """
    # Secrets never go back to the browser, even the ones just typed.
    shown = {key: value for key, value in values.items()
             if (field := next((f for f in app.connection_fields if f.key == key), None))
             and field.type is not FieldType.PASSWORD}
    # The edit form offers no sandbox preset: its data-fill would send the sandbox token, which
    # may be this connection's saved secret.
    sandbox = sandbox_values(page) if app.key in SANDBOX_APPS and connection is None else None
    return page.render("connections/form.html", status_code=status_code, section="connections", app=app,
                       name=name, values=shown, errors=errors, check_error=check_error, sandbox=sandbox,
                       connection=connection, saved_secrets=saved_secrets or set(), removed=removed or set(),
                       FieldType=FieldType)
