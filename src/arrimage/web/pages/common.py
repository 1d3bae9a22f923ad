"""Helpers for every screen of the web app: templates, the language, the signed-in person, forms.

Handlers are plain ``def`` functions, so FastAPI runs them (and their database reads) in its
thread pool. Texts built in a handler are lazy (``_l``) and rendered by the template, inside
:meth:`Page.render`, in the reader's language.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from arrimage import __version__
from arrimage.engine.records import FINISHED_RUN_STATUSES, status_label
from arrimage.i18n import LazyText, _l, negotiate_locale, normalize_locale, pgettext, translate, use_locale
from arrimage.runtime import Runtime
from arrimage.storage.users import SessionInfo, UserInfo
from arrimage.web.auth import (
    CSRF_FIELD,
    FORM_TOKEN_COOKIE,
    LANGUAGE_COOKIE,
    SAFE_METHODS,
    cookie_is_secure,
    current_session,
    origin_allowed,
    tokens_match,
)

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
DEFAULT_TIME_ZONE = "America/Toronto"
MAX_FORM_BYTES = 256 * 1024
# Babel locales for dates and numbers: Canadian English beside Québec French.
BABEL_LOCALES = {"fr_CA": "fr_CA", "en": "en_CA"}
LANGUAGE_NAMES = {"fr_CA": "Français", "en": "English"}


class PageRedirect(Exception):
    """Stop a handler and send the browser to ``url`` (sign-in, first start)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class FormRejected(Exception):
    """A state-changing request without a valid CSRF token or from another site."""


@dataclass
class Page:
    """One request to a screen: who sent it, in which language, and the form token to embed."""

    request: Request
    runtime: Runtime
    locale: str
    session: SessionInfo | None
    csrf_token: str
    # A new double-submit token to set as a cookie with the response (visitors not signed in).
    new_form_token: str | None = None
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def user(self) -> UserInfo | None:
        return self.session.user if self.session else None

    @property
    def time_zone(self) -> str:
        return (self.user.time_zone if self.user else None) or DEFAULT_TIME_ZONE

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """Render ``template`` in the page's language and return the HTML response."""
        with use_locale(self.locale):
            html = ENVIRONMENT.get_template(template).render(page=self, **context)
        response = HTMLResponse(html, status_code=status_code)
        self.finish(response)
        return response

    def redirect(self, url: str) -> RedirectResponse:
        """Return a 303 redirect (after a POST, the browser then loads ``url`` with GET)."""
        response = RedirectResponse(url, status_code=303)
        self.finish(response)
        return response

    def finish(self, response: HTMLResponse | RedirectResponse) -> None:
        """Add the cookies this request set, and forbid caching of signed-in pages."""
        secure = cookie_is_secure(self.runtime)
        if self.new_form_token:
            response.set_cookie(FORM_TOKEN_COOKIE, self.new_form_token, httponly=True,
                                samesite="lax", secure=secure, path="/")
        for name, value in self.cookies.items():
            response.set_cookie(name, value, max_age=365 * 24 * 3600, httponly=True,
                                samesite="lax", secure=secure, path="/")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def page_context(request: Request) -> Page:
    """Build the :class:`Page` of any screen, signed in or not (a FastAPI dependency)."""
    runtime = get_runtime(request)
    session = current_session(request, runtime) if runtime.users.any_exist() else None
    locale = request_locale(request, session.user if session else None)
    if session is not None:
        return Page(request, runtime, locale, session, session.csrf_token)
    form_token = request.cookies.get(FORM_TOKEN_COOKIE)
    new_token = None
    if not form_token:
        form_token = new_token = secrets.token_urlsafe(32)
    return Page(request, runtime, locale, None, form_token, new_form_token=new_token)


def request_locale(request: Request, user: UserInfo | None) -> str:
    """Return the language: the user's choice, then the language cookie, then the browser's."""
    if user is not None and user.locale:
        return normalize_locale(user.locale)
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen:
        return normalize_locale(chosen)
    return negotiate_locale(request.headers.get("accept-language"))


def signed_in(page: Page = Depends(page_context)) -> Page:
    """Return the page of a signed-in person; otherwise send them to first start or sign-in."""
    if page.session is None:
        if not page.runtime.users.any_exist():
            raise PageRedirect("/setup")
        target = page.request.url.path
        if page.request.url.query:
            target += "?" + page.request.url.query
        next_part = f"?next={quote(target, safe='')}" if page.request.method in SAFE_METHODS else ""
        raise PageRedirect("/login" + next_part)
    return page


async def form_fields(request: Request) -> dict[str, str]:
    """Return the fields of a URL-encoded form (the last value wins for a repeated name)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRejected()
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def check_form(page: Page, form: dict[str, str]) -> None:
    """Reject a form whose CSRF token does not match, or that another site posted."""
    if not origin_allowed(page.request) or not tokens_match(page.csrf_token, form.get(CSRF_FIELD)):
        raise FormRejected()


def signed_in_form(page: Page = Depends(signed_in),
                   form: dict[str, str] = Depends(form_fields)) -> tuple[Page, dict[str, str]]:
    """Return the page and the checked form of a signed-in person's POST."""
    check_form(page, form)
    return page, form


def visitor_form(page: Page = Depends(page_context),
                 form: dict[str, str] = Depends(form_fields)) -> tuple[Page, dict[str, str]]:
    """Return the page and the checked form of a POST by anyone (sign-in, first start)."""
    check_form(page, form)
    return page, form


def safe_next(value: str | None, default: str = "/automations") -> str:
    """Return a local path to go to after a form, never another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


# -- template helpers ----------------------------------------------------------------------------

def _translate(message: str, /, **params: Any) -> str:
    return translate(message, **params)


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def format_when(value: Any, page: Page, length: str = "medium") -> str:
    """Return a timestamp in the page's time zone and language, or an empty string."""
    moment = _as_datetime(value)
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(page.time_zone)
    except ZoneInfoNotFoundError:
        zone = ZoneInfo(DEFAULT_TIME_ZONE)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(zone)
    babel_locale = BABEL_LOCALES[page.locale]
    # The medium date with the short time: "4 déc. 2026 17 h 56", "Dec. 4, 2026 5:56 p.m.".
    return f"{format_date(local, length, locale=babel_locale)} {format_time(local, 'short', locale=babel_locale)}"


def format_number(value: Any, page: Page) -> str:
    """Return a number written the page language's way (1 234,5 or 1,234.5)."""
    return format_decimal(value, locale=BABEL_LOCALES[page.locale])


def render_text(value: Any) -> str:
    """Return a text for display: a stored message in the current language, or the value."""
    if isinstance(value, LazyText):
        return value.render()
    if isinstance(value, dict):
        message = value.get("message", value)
        if isinstance(message, dict):
            return str(message.get(_current()) or message.get("en") or next(iter(message.values()), ""))
        return str(message)
    return "" if value is None else str(value)


def _current() -> str:
    from arrimage.i18n import current_locale

    return current_locale()


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def inline_json(value: Any) -> str:
    """Return ``value`` as one line of JSON, for previews and hidden inputs."""
    return json.dumps(value, ensure_ascii=False, default=str)


def html_id(value: str) -> str:
    """Return ``value`` with every character an HTML id or URL fragment must avoid as ``-``."""
    return re.sub(r"[^a-zA-Z0-9_-]", "-", str(value))


def _build_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(_=_translate, pgettext=pgettext, version=__version__,
                               language_names=LANGUAGE_NAMES, csrf_field=CSRF_FIELD)
    environment.filters.update(when=format_when, number=format_number, text=render_text,
                               status=status_label, json=pretty_json, json_inline=inline_json,
                               anchor=html_id)
    return environment


ENVIRONMENT = _build_environment()

# Notices shown after a redirect, chosen by the ``done`` query parameter.
NOTICES: dict[str, LazyText] = {
    "signed_out": _l("You are signed out."),
    "language": _l("Language changed."),
    "saved": _l("Changes saved."),
    "imported": _l("Recipe imported. It stays off until you turn it on."),
    "enabled": _l("The automation is on."),
    "disabled": _l("The automation is off."),
    "connection_added": _l("Connection saved."),
    "connection_renamed": _l("Connection renamed."),
    "connection_changed": _l("Connection changed."),
    "connection_deleted": _l("Connection deleted."),
    "replayed": _l("The run is queued again."),
    "token_revoked": _l("API token revoked."),
    "sample": _l("Sample data changed."),
    "tested": _l("The test run is queued. This page refreshes every few seconds until the run ends."),
}
# Notices about a run that has not ended yet: the page of a run stops showing them once the run
# ends, although ``done`` stays in the address while the page refreshes itself.
PENDING_RUN_NOTICES = frozenset({"replayed", "tested"})


@pass_context
def notice(context: Context) -> LazyText | None:
    """Return the notice named by the ``done`` query parameter, if any."""
    page: Page = context["page"]
    done = page.request.query_params.get("done", "")
    run = context.get("run")
    if done in PENDING_RUN_NOTICES and run is not None and run["status"] in FINISHED_RUN_STATUSES:
        return None
    return NOTICES.get(done)


ENVIRONMENT.globals["notice"] = notice
