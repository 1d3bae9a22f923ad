"""Run history with filters and pages, one run's steps, replay, and erasure of an email address."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from arrimage.connectors.declaration import App, OperationKind
from arrimage.engine.errors import ArrimageError, NotFoundError
from arrimage.engine.executor import TRIGGER_DETAILS
from arrimage.engine.records import RunStatus
from arrimage.i18n import LazyText, _l
from arrimage.runtime import Runtime
from arrimage.storage.listings import automation_names
from arrimage.web.api.runs import replay
from arrimage.web.auth import email_problem
from arrimage.web.editor.samples import erase_email as erase_email_from_samples
from arrimage.web.pages.common import Page, signed_in, signed_in_form

logger = logging.getLogger(__name__)

router = APIRouter()

PAGE_SIZE = 25

# Titles of the step records that have no app.
STEP_KIND_TITLES = {"filter": _l("Filter step"), "path": _l("Paths step")}


@router.get("/runs")
def list_runs(page: Page = Depends(signed_in)) -> HTMLResponse:
    query = page.request.query_params
    automation = query.get("automation", "")
    status = query.get("status", "")
    since_text = query.get("since", "")
    until_text = query.get("until", "")
    try:
        number = max(1, int(query.get("page", "1")))
    except ValueError:
        number = 1

    errors: dict[str, LazyText] = {}
    statuses = [item.value for item in RunStatus]
    if status and status not in statuses:
        errors["status"] = _l("Unknown status.")
        status = ""
    since = _local_midnight(since_text, page, errors, "since")
    until = _local_midnight(until_text, page, errors, "until")
    if until is not None:
        until += timedelta(days=1)  # the end date is included

    runs = page.runtime.runs.list(automation_id=automation or None, status=status or None, since=since,
                                  until=until, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
    has_next = len(runs) > PAGE_SIZE
    filters = {key: value for key, value in
               (("automation", automation), ("status", status), ("since", since_text), ("until", until_text)) if value}
    return page.render(
        "runs/list.html", section="runs", runs=runs[:PAGE_SIZE], names=automation_names(page.runtime.db),
        statuses=statuses, automation=automation, status=status, since=since_text, until=until_text,
        errors=errors, number=number,
        previous_url=f"/runs?{urlencode({**filters, 'page': number - 1})}" if number > 1 else None,
        next_url=f"/runs?{urlencode({**filters, 'page': number + 1})}" if has_next else None,
    )


@router.get("/runs/erase")
def erase_form(page: Page = Depends(signed_in)) -> HTMLResponse:
    return page.render("runs/erase.html", section="runs", email="", error=None, confirm=False, erased=None)


@router.post("/runs/erase")
def erase(checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse:
    page, form = checked
    email = form.get("email", "").strip()
    problem = email_problem(email)
    if problem is not None:
        return page.render("runs/erase.html", status_code=422, section="runs", email=email, error=problem,
                           confirm=False, erased=None)
    if form.get("confirm") != "yes":
        return page.render("runs/erase.html", section="runs", email=email, error=None, confirm=True, erased=None)
    count = page.runtime.runs.erase_email(email)
    # Sample data loaded from an account or pasted in the editor may hold the address too.
    samples = erase_email_from_samples(page.runtime, list(automation_names(page.runtime.db)), email)
    logger.info("erased %d runs and %d samples for one email address on request", count, samples)
    return page.render("runs/erase.html", section="runs", email="", error=None, confirm=False, erased=count)


@router.get("/runs/{run_id}", response_model=None)
def show_run(run_id: str, page: Page = Depends(signed_in)) -> HTMLResponse:
    try:
        run: dict[str, Any] = page.runtime.runs.get(run_id)
    except NotFoundError as error:
        return page.render("error.html", status_code=404, title=_l("Run not found"), message=error.message,
                           back="/runs")
    names = automation_names(page.runtime.db)
    return page.render("runs/show.html", section="runs", run=run, automation_name=names.get(run["automation_id"]),
                       titles=step_titles(page.runtime, run), error=None)


@router.post("/runs/{run_id}/replay", response_model=None)
def replay_run(run_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, _form = checked
    try:
        replay(page.runtime, run_id)
    except NotFoundError as error:
        return page.render("error.html", status_code=404, title=_l("Run not found"), message=error.message,
                           back="/runs")
    except ArrimageError as error:
        run = page.runtime.runs.get(run_id)
        return page.render("runs/show.html", status_code=409, section="runs", run=run,
                           automation_name=automation_names(page.runtime.db).get(run["automation_id"]),
                           titles=step_titles(page.runtime, run), error=error.message)
    return page.redirect(f"/runs/{run_id}?done=replayed")


def step_titles(runtime: Runtime, run: dict[str, Any]) -> dict[str, LazyText | str]:
    """Return each step record's title by step id: its kind, then its app and operation labels.

    The record of the trigger stores no app, so its app and event come from the automation's
    version that the run used. An app or operation that this version of Arrimage does not have
    is named by its key.
    """
    try:
        trigger = runtime.automations.versioned_document(run["automation_id"], run["automation_version"]).trigger
        trigger_keys: tuple[str | None, str | None] = (trigger.app, trigger.event)
    except NotFoundError:
        trigger_keys = (None, None)

    titles: dict[str, LazyText | str] = {}
    for step in run["steps"]:
        kind = step["kind"]
        if kind == "trigger":
            app_key, event = (step["app"], step["operation"]) if step["app"] else trigger_keys
            titles[step["step_id"]] = _trigger_title(runtime.apps, app_key, event,
                                                     details=step["step_id"] == TRIGGER_DETAILS)
        elif kind in (OperationKind.ACTION, OperationKind.SEARCH):
            titles[step["step_id"]] = _operation_title(runtime.apps, step)
        else:
            titles[step["step_id"]] = STEP_KIND_TITLES.get(kind) or step["step_id"]
    return titles


def _trigger_title(apps: dict[str, App], app_key: str | None, event: str | None, *, details: bool) -> LazyText:
    if app_key is None or event is None:
        return _l("Trigger details") if details else _l("Trigger")
    app, operation = _labels(apps, app_key, OperationKind.TRIGGER, event)
    if details:
        return _l("Trigger details: {app} — {operation}", app=app, operation=operation)
    return _l("Trigger: {app} — {operation}", app=app, operation=operation)


def _operation_title(apps: dict[str, App], step: dict[str, Any]) -> LazyText:
    kind = OperationKind(step["kind"])
    app, operation = _labels(apps, step["app"], kind, step["operation"])
    if kind is OperationKind.SEARCH:
        return _l("Search: {app} — {operation}", app=app, operation=operation)
    return _l("Action: {app} — {operation}", app=app, operation=operation)


def _labels(apps: dict[str, App], app_key: str, kind: OperationKind, key: str) -> tuple[LazyText | str, LazyText | str]:
    """Return the display names of an app and of one of its operations, or their keys if unknown."""
    app = apps.get(app_key)
    operation = app.operation(kind, key) if app else None
    return (app.name if app else app_key), (operation.label if operation else key)


def _local_midnight(text: str, page: Page, errors: dict[str, LazyText], key: str) -> datetime | None:
    """Return the start of a day given as YYYY-MM-DD, in the page's time zone."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[key] = _l("Enter a date as YYYY-MM-DD.")
        return None
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(page.time_zone))
