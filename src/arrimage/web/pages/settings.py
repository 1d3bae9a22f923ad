"""Settings: language, time zone, run retention and API tokens."""

from __future__ import annotations

import functools
import logging
import zoneinfo

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from arrimage.engine.errors import NotFoundError
from arrimage.i18n import SUPPORTED_LOCALES, LazyText, _l, normalize_locale
from arrimage.storage.users import RETENTION_KEY
from arrimage.web.auth import LANGUAGE_COOKIE
from arrimage.web.pages.common import DEFAULT_TIME_ZONE, Page, signed_in, signed_in_form

logger = logging.getLogger(__name__)

router = APIRouter()

MAX_RETENTION_DAYS = 3650


@functools.cache
def time_zones() -> list[str]:
    """Return the IANA time zones of regions (``America/Toronto``), sorted."""
    return sorted(zone for zone in zoneinfo.available_timezones()
                  if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "posix/", "right/")))


@router.get("/settings")
def show_settings(page: Page = Depends(signed_in)) -> HTMLResponse:
    return _render(page)


@router.post("/settings", response_model=None)
def save_settings(checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, form = checked
    assert page.user is not None
    errors: dict[str, LazyText] = {}
    locale = form.get("locale", "")
    if locale not in SUPPORTED_LOCALES:
        errors["locale"] = _l("Choose a language from the list.")
    time_zone = form.get("time_zone", "")
    if time_zone not in time_zones():
        errors["time_zone"] = _l("Choose a time zone from the list.")
    try:
        retention = int(form.get("retention_days", ""))
        if not 1 <= retention <= MAX_RETENTION_DAYS:
            raise ValueError(retention)
    except ValueError:
        errors["retention_days"] = _l("Enter a number of days from 1 to {maximum}.", maximum=MAX_RETENTION_DAYS)
    if errors:
        return _render(page, errors=errors, status_code=422, entered=form)

    page.runtime.users.update_preferences(page.user.id, locale=normalize_locale(locale), time_zone=time_zone)
    page.runtime.users.save_setting(RETENTION_KEY, retention)
    page.cookies[LANGUAGE_COOKIE] = normalize_locale(locale)
    return page.redirect("/settings?done=saved")


@router.post("/settings/tokens")
def create_token(checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse:
    page, form = checked
    assert page.user is not None
    name = form.get("name", "").strip()[:200]
    if not name:
        return _render(page, errors={"token_name": _l("Give the token a name, such as the script that uses it.")},
                       status_code=422)
    summary, token = page.runtime.users.create_api_token(page.user.id, name)
    logger.info("API token created", extra={"token_id": summary["id"]})
    return _render(page, new_token=token, new_token_name=name)


@router.post("/settings/tokens/{token_id}/revoke", response_model=None)
def revoke_token(token_id: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, _form = checked
    assert page.user is not None
    try:
        page.runtime.users.revoke_api_token(page.user.id, token_id)
    except NotFoundError as error:
        return _render(page, errors={"token_name": error.message}, status_code=404)
    logger.info("API token revoked", extra={"token_id": token_id})
    return page.redirect("/settings?done=token_revoked#tokens")


def _render(page: Page, *, errors: dict[str, LazyText] | None = None, status_code: int = 200,
            entered: dict[str, str] | None = None, new_token: str | None = None,
            new_token_name: str | None = None) -> HTMLResponse:
    assert page.user is not None
    entered = entered or {}
    retention = page.runtime.users.run_retention_days(page.runtime.settings.run_retention_days)
    return page.render(
        "settings.html", status_code=status_code, section="settings", errors=errors or {},
        locale=entered.get("locale", page.locale), locales=SUPPORTED_LOCALES,
        time_zone=entered.get("time_zone", page.user.time_zone or DEFAULT_TIME_ZONE), time_zones=time_zones(),
        retention_days=entered.get("retention_days", retention),
        tokens=page.runtime.users.list_api_tokens(page.user.id), new_token=new_token,
        new_token_name=new_token_name,
    )
