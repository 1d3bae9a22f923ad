"""Helpers for the web app's tests: a signed-in test client and form tokens read from pages."""

from __future__ import annotations

import re
import warnings

import httpx

with warnings.catch_warnings():
    # Starlette's test client warns that it will move to httpx2; nothing these tests use changes.
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery"
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')
ALERT_PATTERN = re.compile(r'role="alert"[^>]*>(.*?)</(?:p|div)>', re.DOTALL)

__all__ = ["ADMIN_EMAIL", "ADMIN_PASSWORD", "TestClient", "alerts", "create_admin", "form_token", "post_form",
           "sign_in"]


def form_token(page: httpx.Response) -> str:
    """Return the CSRF token embedded in a page's forms."""
    match = CSRF_PATTERN.search(page.text)
    assert match, f"no CSRF token in {page.url}"
    return match.group(1)


def alerts(page: httpx.Response) -> list[str]:
    """Return the texts announced with role=alert, tags removed."""
    return [re.sub(r"<[^>]+>", " ", text).strip() for text in ALERT_PATTERN.findall(page.text)]


def post_form(client: httpx.Client, path: str, data: dict[str, str], *, token_from: str) -> httpx.Response:
    """Load ``token_from``, then post ``data`` to ``path`` with that page's CSRF token."""
    token = form_token(client.get(token_from))
    return client.post(path, data={"csrf_token": token, **data})


def create_admin(client: httpx.Client, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> httpx.Response:
    """Go through the first start; the client is then signed in."""
    return post_form(client, "/setup", {"email": email, "password": password, "password_confirmation": password},
                     token_from="/setup")


def sign_in(client: httpx.Client, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> httpx.Response:
    """Sign in with the login form."""
    return post_form(client, "/login", {"email": email, "password": password}, token_from="/login")
