"""First start, sign-in, sign-out and the language switch."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from arrimage.i18n import LazyText, _l, normalize_locale
from arrimage.storage.users import normalize_email
from arrimage.web.auth import (
    LANGUAGE_COOKIE,
    MIN_PASSWORD_LENGTH,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    client_address,
    cookie_is_secure,
    email_problem,
    hash_password,
    password_problem,
    sign_in,
)
from arrimage.web.pages.common import Page, page_context, safe_next, visitor_form

logger = logging.getLogger(__name__)

router = APIRouter()


@router.get("/")
def home(page: Page = Depends(page_context)) -> RedirectResponse:
    if not page.runtime.users.any_exist():
        return page.redirect("/setup")
    if page.session is None:
        return page.redirect("/login")
    return page.redirect("/automations")


@router.get("/setup", response_model=None)
def setup_form(page: Page = Depends(page_context)) -> HTMLResponse | RedirectResponse:
    if page.runtime.users.any_exist():
        return page.redirect("/login")
    return page.render("setup.html", email="", errors={}, min_length=MIN_PASSWORD_LENGTH)


@router.post("/setup", response_model=None)
def setup(checked: tuple[Page, dict[str, str]] = Depends(visitor_form)) -> HTMLResponse | RedirectResponse:
    page, form = checked
    if page.runtime.users.any_exist():
        return page.redirect("/login")
    email = form.get("email", "")
    errors: dict[str, LazyText] = {}
    if problem := email_problem(email):
        errors["email"] = problem
    if problem := password_problem(form.get("password", ""), form.get("password_confirmation", "")):
        errors["password"] = problem
    if errors:
        return page.render("setup.html", status_code=422, email=email, errors=errors,
                           min_length=MIN_PASSWORD_LENGTH)

    user = page.runtime.users.create_first(email, hash_password(form["password"]), locale=page.locale)
    if user is None:  # another browser finished the first start meanwhile
        return page.redirect("/login")
    logger.info("first user created", extra={"user_id": user.id})
    return _start_session(page, user.id, "/connections")


@router.get("/login", response_model=None)
def login_form(page: Page = Depends(page_context)) -> HTMLResponse | RedirectResponse:
    if not page.runtime.users.any_exist():
        return page.redirect("/setup")
    if page.session is not None:
        return page.redirect(safe_next(page.request.query_params.get("next")))
    return page.render("login.html", email="", error=None,
                       next=safe_next(page.request.query_params.get("next")))


@router.post("/login", response_model=None)
def login(checked: tuple[Page, dict[str, str]] = Depends(visitor_form)) -> HTMLResponse | RedirectResponse:
    page, form = checked
    email = form.get("email", "")
    target = safe_next(form.get("next"))
    result = sign_in(page.runtime, email, form.get("password", ""), client_address(page.request))
    if result.user is None:
        if result.blocked_until is not None:
            logger.warning("sign-in blocked after repeated failures")
            error: LazyText = _l("Too many failed sign-ins. Wait 15 minutes, then try again.")
            status_code = 429
        else:
            error = _l("The email address or the password is incorrect.")
            status_code = 401
        return page.render("login.html", status_code=status_code, email=normalize_email(email),
                           error=error, next=target)
    chosen = page.request.cookies.get(LANGUAGE_COOKIE)
    if chosen and normalize_locale(chosen) != result.user.locale:
        # A language picked on the sign-in page is this person's latest choice.
        page.runtime.users.update_preferences(result.user.id, locale=normalize_locale(chosen))
    return _start_session(page, result.user.id, target)


@router.post("/logout")
def logout(checked: tuple[Page, dict[str, str]] = Depends(visitor_form)) -> RedirectResponse:
    page, _form = checked
    token = page.request.cookies.get(SESSION_COOKIE)
    if token:
        page.runtime.users.end_session(token)
    response = page.redirect("/login?done=signed_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def change_language(checked: tuple[Page, dict[str, str]] = Depends(visitor_form)) -> RedirectResponse:
    page, form = checked
    locale = normalize_locale(form.get("locale"))
    if page.user is not None:
        page.runtime.users.update_preferences(page.user.id, locale=locale)
    page.cookies[LANGUAGE_COOKIE] = locale
    return page.redirect(safe_next(form.get("next"), "/"))


def _start_session(page: Page, user_id: str, target: str) -> RedirectResponse:
    token, _csrf = page.runtime.users.start_session(user_id, SESSION_LIFETIME)
    response = page.redirect(target)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=cookie_is_secure(page.runtime), path="/")
    return response

