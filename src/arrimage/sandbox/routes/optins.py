"""Opt-in routes: the API's ``POST /members/optins`` and the outbox pages that confirm them.

The outbox pages need no token, because a contact follows the confirm link from an email.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from arrimage.sandbox.deps import BodyDep, SandboxDep, require_token
from arrimage.sandbox.errors import ApiError
from arrimage.sandbox.outbox import confirm_optin, create_optin, outbox_emails
from arrimage.sandbox.outbox_page import (
    page_locale,
    render_confirmation,
    render_missing,
    render_outbox,
)

api_router = APIRouter(dependencies=[Depends(require_token)])
page_router = APIRouter()


@api_router.post("/members/optins", status_code=201)
def send_optin(body: BodyDep, sandbox: SandboxDep) -> dict[str, str]:
    """Queue a confirmation email; nothing changes in the account until it is confirmed."""
    with sandbox.store.transaction() as conn:
        optin_id = create_optin(conn, sandbox.config, body)
    return {str(optin_id): "created"}


@page_router.get("/", include_in_schema=False)
def home_page(request: Request) -> RedirectResponse:
    """Send a person who opens the sandbox's address to the outbox, its only page."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse("/outbox" + query, status_code=307)


@page_router.get("/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, sandbox: SandboxDep) -> HTMLResponse:
    """Show the confirmation emails, newest first."""
    with sandbox.store.transaction() as conn:
        emails = outbox_emails(conn, sandbox.config)
    return HTMLResponse(render_outbox(emails, page_locale(request), sandbox.config.zone))


@page_router.get("/outbox.json")
def outbox_json(request: Request, sandbox: SandboxDep) -> dict[str, Any]:
    """List the confirmation emails with absolute confirm links, for tests and scripts."""
    with sandbox.store.transaction() as conn:
        emails = outbox_emails(conn, sandbox.config)
    base = str(request.base_url).rstrip("/")
    messages = [
        {
            "id": email.id,
            "to": email.to,
            "language": email.locale,
            "subject": email.subject,
            "text": f"{email.greeting}\n\n{email.body}",
            "groups": email.groups,
            "createdOn": email.created_on,
            "confirmedOn": email.confirmed_on,
            "status": "confirmed" if email.confirmed_on else "pending",
            "confirmUrl": base + email.confirm_path,
            "optinConfirmUrl": email.optin_confirm_url,
        }
        for email in emails
    ]
    return {"messages": messages, "totalCount": len(messages)}


@page_router.api_route(
    "/outbox/confirm/{secret}", methods=["GET", "POST"], response_class=HTMLResponse
)
def confirm(secret: str, request: Request, sandbox: SandboxDep) -> Response:
    """Confirm an opt-in request: create or update the member with express consent."""
    locale = page_locale(request)
    try:
        with sandbox.store.transaction() as conn:
            optin, already = confirm_optin(conn, sandbox.config, secret)
    except ApiError as exc:
        if exc.status != 404:
            raise
        return HTMLResponse(render_missing(locale), status_code=404)

    continue_url = optin["confirm_url"]
    if continue_url and sandbox.config.redirect_after_confirm:
        return RedirectResponse(continue_url, status_code=303)
    return HTMLResponse(render_confirmation(locale, sandbox.config.account, already, continue_url))
