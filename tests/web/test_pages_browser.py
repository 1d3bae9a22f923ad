"""Single web app pages in a real browser: Debian's Chromium driven by Playwright.

Each test starts the app with uvicorn on 127.0.0.1 and checks what the browser displays, which
the test client cannot check: scripts that render the page and stylesheet rules that hide
elements.
"""

from __future__ import annotations

from typing import Any

import pytest

from arrimage.runtime import Runtime
from arrimage.web.auth import hash_password
from tests.web.test_browser import PASSWORD, AppServer, browser  # noqa: F401 (fixture)

EMAIL = "admin@example.com"
AUTOMATION = {
    "id": "forward", "name": "Forward",
    "trigger": {"app": "webhook", "event": "catch_hook"},
    # The webhook's sample comes from Québec, so the filter stops the preview and the step
    # after it has no status to show.
    "steps": [{"id": "ontario_only", "type": "filter", "conditions": [
                  {"value": "{{ trigger.province }}", "operator": "equals", "compare_to": "ON"}]},
              {"id": "forward", "app": "http", "action": "request",
               "input": {"url": "http://127.0.0.1:9/contacts", "body": {"email": "{{ trigger.email }}"}}}],
}


def sign_in(page: Any, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(base_url + "/automations")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_api_docs_render_operations(browser: Any, runtime: Runtime) -> None:  # noqa: F811
    problems: list[str] = []
    with AppServer(runtime) as server:
        context = browser.new_context()
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
        # The assets come from the installed package: nothing may be fetched from a CDN.
        page.on("request", lambda request: request.url.startswith(server.base_url + "/")
                or problems.append(f"request to another host: {request.url}"))

        page.goto(server.base_url + "/api/docs")
        page.locator(".opblock").first.wait_for(timeout=15_000)
        text = page.locator("body").inner_text()
        context.close()

    assert "Unable to render" not in text
    assert "/api/automations" in text
    assert problems == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_editor_hides_empty_status_badge(browser: Any, runtime: Runtime) -> None:  # noqa: F811
    runtime.users.create(EMAIL, hash_password(PASSWORD), locale="en")
    runtime.automations.save(AUTOMATION)
    with AppServer(runtime) as server:
        context = browser.new_context()
        page = context.new_page()
        sign_in(page, server.base_url)

        page.goto(server.base_url + "/automations/forward/edit")
        badge = page.locator('[data-status-for="steps[1]"]')
        badge_hidden = badge.get_attribute("hidden")
        badge_visible = badge.is_visible()
        # Every element with the hidden attribute, whatever its class, must not be displayed.
        displayed = page.evaluate("""() => [...document.querySelectorAll("[hidden]")]
            .filter((element) => getComputedStyle(element).display !== "none")
            .map((element) => element.outerHTML)""")
        context.close()

    assert badge_hidden is not None
    assert not badge_visible
    assert displayed == []
