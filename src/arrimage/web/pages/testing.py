"""Testing an automation on its sample data: a dry run by default, a real test after confirmation.

A dry run (:mod:`arrimage.engine.dry_run`) sends the sample through every step against a
private copy of the Cyberimpact account and shows what happened there, so nothing reaches a
real person. A real test stores the sample as an event of the automation, even while it is off, and
queues its run like any other: it appears in the runs history. It first requires a
confirmation that names the addresses it will write to.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from arrimage.connectors.declaration import OperationKind
from arrimage.engine.dry_run import dry_run, recipient_steps
from arrimage.engine.errors import DocumentError, NotFoundError
from arrimage.engine.validation import load_document
from arrimage.i18n import _l, translate
from arrimage.ids import new_id
from arrimage.storage.events import NewEvent
from arrimage.web.editor.samples import current_sample
from arrimage.web.pages.common import Page, signed_in, signed_in_form

logger = logging.getLogger(__name__)

router = APIRouter()


def _summary(page: Page, automation_id: str) -> dict[str, Any] | None:
    try:
        return page.runtime.automations.get(automation_id)
    except NotFoundError:
        return None


def _not_found(page: Page) -> HTMLResponse:
    return page.render("error.html", status_code=404, title=_l("Automation not found"),
                       message=_l("No automation has this id."), back="/automations")


def _incomplete(page: Page, automation_id: str, error: DocumentError) -> HTMLResponse:
    logger.info("test rejected: %d problems in the document", len(error.issues), extra={"automation_id": automation_id})
    return page.render("error.html", status_code=422, title=_l("The automation cannot be tested yet"),
                       message=error.message, back=f"/automations/{automation_id}/edit")


@router.post("/automations/{automation_id}/test", response_model=None)
def run_dry(automation_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse:
    page, _form = checked
    summary = _summary(page, automation_id)
    if summary is None:
        return _not_found(page)
    document = summary["document"]
    sample = current_sample(page.runtime, automation_id, document)
    try:
        result = dry_run(page.runtime, document, sample.payload, locale=page.locale)
    except DocumentError as error:
        return _incomplete(page, automation_id, error)
    logger.info("dry run finished", extra={"automation_id": automation_id, "status": str(result.status)})
    shown = result.to_dict(page.locale)
    for step in shown["steps"]:
        step["title"] = step_title(page, step.get("app"), step.get("type"), step.get("operation"))
    return page.render("automations/test.html", section="automations", automation=summary,
                       result=shown, sample=sample)


def step_title(page: Page, app_key: str | None, kind: str | None, operation_key: str | None) -> str | None:
    """Return "Cyberimpact: Send opt-in request" for a step, in the reader's language, or None."""
    app = page.runtime.apps.get(app_key or "")
    if app is None or kind not in ("action", "search"):
        return None
    operation = app.operation(OperationKind(kind), operation_key or "")
    if operation is None:
        return None
    return translate("{app}: {operation}", page.locale, app=app.name.render(page.locale),
                     operation=operation.label.render(page.locale))


@router.get("/automations/{automation_id}/test/real", response_model=None)
def confirm_real(automation_id: str, page: Page = Depends(signed_in)) -> HTMLResponse:
    summary = _summary(page, automation_id)
    if summary is None:
        return _not_found(page)
    return _render_confirmation(page, summary)


def _render_confirmation(page: Page, summary: dict[str, Any], error: Any = None) -> HTMLResponse:
    document = summary["document"]
    sample = current_sample(page.runtime, summary["id"], document)
    try:
        found = recipient_steps(document, sample.payload, page.runtime.apps)
    except DocumentError as problem:
        return _incomplete(page, summary["id"], problem)
    return page.render("automations/test_real.html", status_code=422 if error else 200,
                       section="automations", automation=summary, recipients=found, error=error)


@router.post("/automations/{automation_id}/test/real", response_model=None)
def run_real(automation_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, form = checked
    summary = _summary(page, automation_id)
    if summary is None:
        return _not_found(page)
    if form.get("confirm") != "yes":
        return _render_confirmation(page, summary, error=_l(
            "Check the box to confirm that these people may receive what the automation sends."))
    document = summary["document"]
    try:
        load_document(document, page.runtime.apps)  # a draft may still miss required values
    except DocumentError as error:
        return _incomplete(page, automation_id, error)
    sample = current_sample(page.runtime, automation_id, document)
    stored = page.runtime.events.store(
        automation_id, summary["version"], [NewEvent(payload=sample.payload, dedup_key=new_id("test"))], {})
    run_id = stored[0].run_id
    if run_id is None:
        return page.redirect(f"/runs?automation={automation_id}")
    page.runtime.enqueue_run(run_id)
    logger.info("real test queued", extra={"automation_id": automation_id, "run_id": run_id})
    return page.redirect(f"/runs/{run_id}?done=tested")
