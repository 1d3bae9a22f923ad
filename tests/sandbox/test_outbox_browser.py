"""The sandbox's outbox page in a real browser at a phone's width (375 px), in both languages.

Debian's Chromium driven by Playwright, as in ``tests/web/test_browser.py``: the test is skipped
without ``/usr/bin/chromium`` or the ``playwright`` package, unless
``ARRIMAGE_REQUIRE_BACKENDS=1`` makes it fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN
from tests.web.test_browser import browser  # noqa: F401 (fixture)

PHONE = {"width": 375, "height": 740}
# Neither has a space or a hyphen where a browser would wrap by itself.
LONG_ADDRESS = "mariejoseetremblaygagnonserviceclientele2024@boutiquedevetementsexemple.example.com"
LONG_ACCOUNT = "BoutiqueDesVêtementsEtAccessoiresDeLaRiveSudEtDuCentreDuQuébec"


def page_widths(page: Any) -> tuple[int, int]:
    """Return the document's scroll width and the window's inner width, in CSS pixels."""
    scroll_width, window_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return int(scroll_width), int(window_width)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_outbox_fits_phone_width(browser: Any, start_sandbox: Callable[..., SandboxServer],  # noqa: F811
                                 lang: str) -> None:
    sandbox = start_sandbox(seed=SEED, account=LONG_ACCOUNT)
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as api:
        for language in ("fr_ca", "en_ca"):
            api.post("/members/optins", json={"email": LONG_ADDRESS, "firstname": "Marie-Josée",
                                              "language": language, "groups": "101,103"}).raise_for_status()

    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{sandbox.base_url}/outbox?lang={lang}")

        assert page.locator("article").count() == 2
        assert page.get_by_text(LONG_ADDRESS).count() == 2
        scroll_width, window_width = page_widths(page)
        assert scroll_width <= window_width, f"the outbox is {scroll_width} px wide on a {window_width} px screen"

        page.locator("article button").first.click()
        page.wait_for_load_state()
        scroll_width, window_width = page_widths(page)
        assert scroll_width <= window_width, f"the confirmation is {scroll_width} px wide on a {window_width} px screen"
    finally:
        context.close()
