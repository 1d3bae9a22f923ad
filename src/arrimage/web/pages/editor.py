"""The automation editor: new automation from the catalogue, the editor, its sample data.

Every change is a form post that the server applies to the stored document and saves as a
draft version (the automation stays off until it is complete and turned on), so the editor
works without JavaScript. ``app.js`` adds the live preview (``POST …/preview``, which returns
JSON), inserting sample values into mapped fields, and switching between fixed and mapped.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from arrimage.catalogue import webhook_url
from arrimage.connectors.declaration import OperationKind, TriggerMode
from arrimage.engine.conditions import UNARY_OPERATORS, Operator
from arrimage.engine.errors import ArrimageError, DocumentError, DocumentIssue, NotFoundError
from arrimage.engine.lookups import load_trigger_samples
from arrimage.engine.polling import describe_poll_error
from arrimage.engine.preview import AutomationPreview, preview_automation
from arrimage.engine.validation import load_document
from arrimage.i18n import _l, use_locale
from arrimage.web.editor.form import apply_change, new_step, node_at, read_form
from arrimage.web.editor.samples import (
    Sample,
    current_sample,
    data_paths,
    forget_sample,
    save_sample,
)
from arrimage.web.editor.views import OPERATOR_LABELS, build_views
from arrimage.web.pages.common import Page, signed_in, signed_in_form
from arrimage.web.pages.recipes import load_recipes, localized_recipe, recipes_dir

logger = logging.getLogger(__name__)

router = APIRouter()

# The badge of each step after the preview (see engine.preview.StepPreview.status).
STATUS_WORDS = {
    "ok": _l("Ready"),
    "warning": _l("Warning"),
    "error": _l("To correct"),
    "filtered": _l("Stops here"),
}
SAMPLE_SOURCES = {
    "app": _l("In use: the sample that comes with the app."),
    "loaded": _l("In use: a recent item loaded from the app."),
    "pasted": _l("In use: data you pasted."),
    "recipe": _l("In use: the example that comes with the recipe."),
}


# -- new automation ------------------------------------------------------------------------

def _catalogue(page: Page, search: str) -> list[dict[str, Any]]:
    """Return the apps whose name, description or operations match ``search``."""
    needle = search.strip().lower()
    entries = []
    for app in page.runtime.apps.values():
        texts = [app.name.render(), app.description.render(), app.key]
        for kind in OperationKind:
            texts += [operation.label.render() for operation in app.operations(kind)]
        if needle and not any(needle in text.lower() for text in texts):
            continue
        entries.append({"app": app, "triggers": app.triggers, "actions": app.actions + app.searches})
    return entries


def _suggested(page: Page, trigger: str, action: str) -> list[dict[str, Any]]:
    """Return the recipes that start from ``trigger`` (``app.event``) and use ``action``'s app."""
    if not trigger:
        return []
    trigger_app, _, trigger_event = trigger.partition(".")
    action_app = action.split(":", 1)[-1].split(".", 1)[0] if action else ""
    found = []
    for recipe in load_recipes(recipes_dir()):
        document = recipe["document"]
        if document.trigger.app != trigger_app or document.trigger.event != trigger_event:
            continue
        apps = {step.app for _location, step in document.iter_steps() if hasattr(step, "app")}
        if action_app and action_app not in apps:
            continue
        found.append(localized_recipe(recipe, page.locale))
    return found


@router.get("/automations/new")
def new_automation(page: Page = Depends(signed_in)) -> HTMLResponse:
    query = page.request.query_params
    return _render_new(page, query.get("q", ""), query.get("trigger", ""), query.get("action", ""),
                       query.get("name", ""))


def _render_new(page: Page, search: str, trigger: str, action: str, name: str,
                errors: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    return page.render("automations/new.html", status_code=status_code, section="automations",
                       catalogue=_catalogue(page, search), all_apps=list(page.runtime.apps.values()),
                       search=search, trigger=trigger, action=action, name=name, errors=errors or {},
                       suggested=_suggested(page, trigger, action))


@router.post("/automations/new", response_model=None)
def create_automation(checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, form = checked
    trigger, action = form.get("trigger", ""), form.get("action", "")
    name = form.get("name", "").strip()
    if form.get("suggest"):
        return _render_new(page, form.get("q", ""), trigger, action, name)
    errors: dict[str, Any] = {}
    trigger_app, _, trigger_event = trigger.partition(".")
    app = page.runtime.apps.get(trigger_app)
    if app is None or app.operation(OperationKind.TRIGGER, trigger_event) is None:
        errors["trigger"] = _l("Choose the event that starts the automation.")
    if not name:
        errors["name"] = _l("Give the automation a name, such as “Form to newsletter”.")
    document: dict[str, Any] = {"name": name, "trigger": {"app": trigger_app, "event": trigger_event}, "steps": []}
    if action:
        with use_locale(page.locale):
            step = new_step(document, action, page.runtime.apps)
        if step is None:
            errors["action"] = _l("Choose an action from the list, or leave it empty.")
        else:
            document["steps"].append(step)
    if errors:
        return _render_new(page, form.get("q", ""), trigger, action, name, errors, status_code=422)
    _pick_single_connections(page, document)
    try:
        summary = page.runtime.automations.save(document, check_connections=False, draft=True)
    except DocumentError as error:
        errors["trigger"] = error.message
        return _render_new(page, form.get("q", ""), trigger, action, name, errors, status_code=422)
    logger.info("automation created in the editor", extra={"automation_id": summary["id"]})
    return page.redirect(f"/automations/{summary['id']}/edit")


def _pick_single_connections(page: Page, document: dict[str, Any]) -> None:
    """Give the trigger and each step the app's connection when the app has exactly one."""
    holders = [document["trigger"], *document.get("steps", [])]
    for holder in holders:
        if holder.get("app") and not holder.get("connection"):
            connections = page.runtime.connections.list(holder["app"])
            if len(connections) == 1:
                holder["connection"] = connections[0]["name"]


# -- the editor ------------------------------------------------------------------------------

def _stored(page: Page, automation_id: str) -> dict[str, Any] | None:
    try:
        return page.runtime.automations.get(automation_id)
    except NotFoundError:
        return None


def _not_found(page: Page) -> HTMLResponse:
    return page.render("error.html", status_code=404, title=_l("Automation not found"),
                       message=_l("No automation has this id."), back="/automations")


def _preview(page: Page, document: dict[str, Any], sample: Sample) -> tuple[AutomationPreview | None, list[DocumentIssue]]:
    """Preview ``document`` on the sample, or return the document's problems."""
    try:
        return preview_automation(document, sample.payload, apps=page.runtime.apps,
                                  renderer=page.runtime.renderer, draft=True), []
    except DocumentError as error:
        return None, error.issues


def render_editor(page: Page, summary: dict[str, Any], document: dict[str, Any], *,
                  problems: dict[str, Any] | None = None, issues: list[DocumentIssue] | None = None,
                  status_code: int = 200, saved: bool = False, sample_error: Any = None,
                  loaded: list[dict[str, Any]] | None = None, pasted: str | None = None) -> HTMLResponse:
    """Render the editor for ``document`` (the stored one, or one the user has not saved yet)."""
    automation_id = summary["id"]
    sample = current_sample(page.runtime, automation_id, document)
    preview, preview_issues = _preview(page, document, sample)
    all_issues = list(issues or []) + ([] if issues else preview_issues)
    with use_locale(page.locale):  # choice labels and account errors are rendered here
        views = build_views(page.runtime, document, preview, all_issues, problems or {})
    panel = [(_l("Trigger"), data_paths(sample.payload, "trigger"))]
    if preview is not None:
        for step in preview.steps:
            if step.sample_output is not None:
                panel.append((_l("Step {step}", step=step.step_id), data_paths(step.sample_output, f"steps.{step.step_id}")))
    trigger = page.runtime.apps.get(document["trigger"]["app"])
    operation = trigger.operation(OperationKind.TRIGGER, document["trigger"]["event"]) if trigger else None
    state = page.runtime.trigger_states.get(automation_id) if operation and operation.mode is TriggerMode.POLLING else None
    add_choices = [(app, app.actions, app.searches) for app in page.runtime.apps.values() if app.actions or app.searches]
    return page.render(
        "automations/edit.html", status_code=status_code, section="automations", automation=summary,
        document=document, views=views, preview=preview, sample=sample,
        sample_text=pasted if pasted is not None else json.dumps(sample.payload, ensure_ascii=False, indent=2),
        panel=panel,
        operators=[operator.value for operator in Operator], unary=UNARY_OPERATORS,
        add_choices=add_choices, saved=saved, issues=all_issues, sample_error=sample_error,
        loaded=loaded or [], trigger_operation=operation, poll_state=state,
        poll_error=describe_poll_error(state.error if state else None, page.locale),
        webhook_url=webhook_url(page.runtime, automation_id) if operation and operation.parse else None,
        complete=not _full_issues(document, page), status_words=STATUS_WORDS,
        sample_sources=SAMPLE_SOURCES, operator_labels=OPERATOR_LABELS)


def _full_issues(document: dict[str, Any], page: Page) -> list[DocumentIssue]:
    """Return what keeps ``document`` from being turned on (a draft's missing values)."""
    try:
        load_document(document, page.runtime.apps)
    except DocumentError as error:
        return error.issues
    return []


@router.get("/automations/{automation_id}/edit", response_model=None)
def edit_automation(automation_id: str, page: Page = Depends(signed_in)) -> HTMLResponse:
    summary = _stored(page, automation_id)
    if summary is None:
        return _not_found(page)
    return render_editor(page, summary, summary["document"])


@router.post("/automations/{automation_id}/edit", response_model=None)
def save_automation(automation_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, form = checked
    summary = _stored(page, automation_id)
    if summary is None:
        return _not_found(page)
    read = read_form(summary["document"], form, page.runtime.apps)
    document = read.document
    change = form.get("change", "")
    with use_locale(page.locale):
        changed = apply_change(document, change, form, page.runtime.apps) if change else True
    if changed and change.startswith("add:"):
        added = node_at(document, change[len("add:"):])[-1]
        _pick_single_connections(page, {"trigger": {}, "steps": [added]})
    if not changed:
        read.problems["document::change"] = _l("This change cannot be made here.")
    if read.problems:
        logger.info("editor form rejected: %s", ", ".join(read.problems), extra={"automation_id": automation_id})
        return render_editor(page, summary, document, problems=read.problems, status_code=422)
    try:
        page.runtime.automations.save({**document, "id": automation_id}, check_connections=False, draft=True)
    except DocumentError as error:
        logger.info("editor change not saved: %d problems", len(error.issues), extra={"automation_id": automation_id})
        return render_editor(page, summary, document, issues=error.issues, status_code=422)
    logger.info("automation saved in the editor", extra={"automation_id": automation_id})
    anchor = form.get("anchor", "")
    target = f"/automations/{automation_id}/edit?done=saved"
    if anchor and anchor.replace("-", "").replace("_", "").isalnum():
        target += f"#{anchor}"
    return page.redirect(target)


@router.post("/automations/{automation_id}/preview", response_model=None)
def live_preview(automation_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> JSONResponse:
    """Return the editor's live preview as JSON: each field's value as it would be sent."""
    page, form = checked
    summary = _stored(page, automation_id)
    if summary is None:
        return JSONResponse({"fields": {}}, status_code=404)
    document = read_form(summary["document"], form, page.runtime.apps).document
    sample = current_sample(page.runtime, automation_id, document)
    preview, issues = _preview(page, document, sample)
    fields: dict[str, Any] = {}
    statuses: dict[str, Any] = {}
    if preview is not None:
        for step in preview.steps:
            statuses[step.location] = {"status": step.status, "label": STATUS_WORDS[step.status].render(page.locale)}
            for entry in step.fields:
                fields[f"{step.location}::{entry.key}"] = entry.to_dict(page.locale)
    return JSONResponse({"fields": fields, "steps": statuses,
                         "problems": [issue.render(page.locale) for issue in issues]},
                        headers={"Cache-Control": "no-store"})


# -- sample data -----------------------------------------------------------------------------

def received_events(page: Page, automation_id: str, limit: int = 3) -> list[dict[str, Any]]:
    """Return the payloads of the last events the automation received, newest first."""
    events = page.runtime.events.list(automation_id, limit, 0)
    return [page.runtime.events.get(event["id"])["payload"] for event in events]


@router.post("/automations/{automation_id}/sample", response_model=None)
def change_sample(automation_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    """Refresh the sample from the app, keep pasted JSON, pick a loaded item or use the bundled one."""
    page, form = checked
    summary = _stored(page, automation_id)
    if summary is None:
        return _not_found(page)
    document = summary["document"]
    source = form.get("source", "")
    back = f"/automations/{automation_id}/edit"

    if source == "app":
        forget_sample(page.runtime, automation_id)
        return page.redirect(f"{back}?done=sample#sample-data")

    if source == "pasted":
        pasted = form.get("sample_json", "")
        try:
            payload = json.loads(pasted)
        except json.JSONDecodeError as exc:
            logger.info("pasted sample data rejected: invalid JSON", extra={"automation_id": automation_id})
            return render_editor(page, summary, document, status_code=422, pasted=pasted, sample_error=_l(
                "The sample data is not valid JSON: line {line}, column {column}. Check the quotes and "
                "commas there; an event looks like {example}.", line=exc.lineno, column=exc.colno,
                example='{"email": "marie@exemple.ca", "prenom": "Marie"}'))
        if not isinstance(payload, dict):
            logger.info("pasted sample data rejected: not an object", extra={"automation_id": automation_id})
            return render_editor(page, summary, document, status_code=422, pasted=pasted, sample_error=_l(
                "Paste one event as a JSON object, not a list or a single value."))
        save_sample(page.runtime, automation_id, Sample(payload, "pasted"))
        return page.redirect(f"{back}?done=sample#sample-data")

    if source == "loaded":
        try:
            payload = json.loads(form.get("item", ""))
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            save_sample(page.runtime, automation_id, Sample(payload, "loaded"))
            return page.redirect(f"{back}?done=sample#sample-data")

    if source == "refresh":
        trigger = document["trigger"]
        try:
            result = load_trigger_samples(page.runtime, trigger["app"], trigger["event"],
                                          trigger.get("connection"), trigger.get("input") or {}, 3)
        except ArrimageError as error:
            logger.info("sample data not loaded: %s", error.code, extra={"automation_id": automation_id})
            return render_editor(page, summary, document, status_code=422, sample_error=error.message)
        items = [item for item in result["items"] if isinstance(item, dict)] if result["source"] == "app" else []
        if not items:
            # A webhook trigger cannot list items from its app: offer what this automation received.
            items = received_events(page, automation_id)
        if not items:
            return render_editor(page, summary, document, sample_error=_l(
                "This trigger cannot list recent items from the app, and this automation has "
                "received no event yet. Turn it on and send one (a form response, for example), "
                "or paste an example below."))
        save_sample(page.runtime, automation_id, Sample(items[0], "loaded"))
        return render_editor(page, summary, document, loaded=items)
    return page.redirect(back)
