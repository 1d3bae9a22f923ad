"""The web app in a real browser: Debian's Chromium driven by Playwright, in French then English.

The walk: first start, sign-out and sign-in, connect the Cyberimpact sandbox and see its account
name, the empty automations list, import a recipe, turn it on, see it in the list. Each screen is
saved as a PNG under ``test-artifacts/browser/<language>/`` (or ``$ARRIMAGE_TEST_ARTIFACTS``).
The test fails on any console error, page error or 5xx response.

Playwright's own browser downloads are not used: the test needs ``/usr/bin/chromium``
(``apt-get install chromium``). Without it, or without the ``playwright`` package, the test is
skipped, unless ``ARRIMAGE_REQUIRE_BACKENDS=1`` makes it fail.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from arrimage.sandbox.config import DEFAULT_TOKEN
from arrimage.web.app import create_app
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("ARRIMAGE_TEST_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")
PASSWORD = "un mot de passe assez long"
RECIPE = "webhook-form-to-cyberimpact-optin"

# The visible texts the walk clicks, per language.
TEXTS = {
    "fr_CA": {
        "accept_language": "fr-CA", "setup_title": "Bienvenue dans Arrimage", "create_account": "Créer le compte",
        "sign_out": "Fermer la session", "sign_in": "Ouvrir une session", "sandbox": "Utiliser le bac à sable local",
        "save_connection": "Vérifier et enregistrer", "empty": "Aucune automatisation pour l’instant",
        "see_recipes": "Voir les recettes", "imported": "Recette importée", "turn_on": "Activer",
        "turned_on": "L’automatisation est activée.", "on": "Activée", "automations": "Automatisations",
        "connections": "Connexions", "recipe_name": "Formulaire Web",
    },
    "en": {
        "accept_language": "en-CA,en;q=0.9", "setup_title": "Welcome to Arrimage", "create_account": "Create the account",
        "sign_out": "Sign out", "sign_in": "Sign in", "sandbox": "Use the local sandbox",
        "save_connection": "Check and save", "empty": "No automation yet", "see_recipes": "See the recipes",
        "imported": "Recipe imported", "turn_on": "Turn on", "turned_on": "The automation is on.", "on": "On",
        "automations": "Automations", "connections": "Connections", "recipe_name": "Web form",
    },
}


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install it with apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: scripts/setup test installs it"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _browser_missing()
    if reason:
        if os.environ.get("ARRIMAGE_REQUIRE_BACKENDS") == "1":
            pytest.fail(f"browser tests required (ARRIMAGE_REQUIRE_BACKENDS=1) but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: Chromium's sandbox refuses to start as root, as in CI containers.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


class AppServer:
    """Arrimage's ASGI app on a free port of 127.0.0.1, served by uvicorn in a daemon thread."""

    def __init__(self, runtime: Runtime) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(runtime), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> AppServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web app did not start within 10 s")
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[DEFAULT_TOKEN], seed=SEED)).start()
    yield running
    running.stop()


class Screens:
    """Numbered screenshots of one walk."""

    def __init__(self, page: Any, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.page = page
        self.folder = folder
        self.count = 0

    def save(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("locale", ["fr_CA", "en"])
def test_first_walk(browser: Any, runtime: Runtime, sandbox: SandboxServer, locale: str) -> None:
    texts = TEXTS[locale]
    problems: list[str] = []
    with AppServer(runtime) as server:
        context = browser.new_context(locale=texts["accept_language"].split(",")[0],
                                      extra_http_headers={"Accept-Language": texts["accept_language"]},
                                      viewport={"width": 1100, "height": 800})
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("response", lambda response: response.status >= 500 and problems.append(
            f"{response.status} on {response.url}"))
        screens = Screens(page, ARTIFACTS / "browser" / locale)
        base = server.base_url

        # First start: the home page leads to the administrator account form.
        page.goto(base + "/")
        assert page.url == base + "/setup"
        assert page.locator("h1").inner_text() == texts["setup_title"]
        screens.save("first-start")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.get_by_label(re.compile("^(Adresse courriel|Email address)$")).fill("admin@example.com")
        page.locator("#password").fill(PASSWORD)
        page.locator("#password_confirmation").fill(PASSWORD)
        page.get_by_role("button", name=texts["create_account"]).click()
        page.wait_for_url(base + "/connections")

        # Sign out, then sign in again.
        page.get_by_role("button", name=texts["sign_out"]).click()
        page.wait_for_url(re.compile(r"/login"))
        screens.save("sign-in")
        page.locator("#email").fill("admin@example.com")
        page.locator("#password").fill(PASSWORD)
        page.locator("main").get_by_role("button", name=texts["sign_in"]).click()
        page.wait_for_url(base + "/automations")

        # Connect the Cyberimpact sandbox and see the account's name.
        page.get_by_role("link", name=texts["connections"], exact=True).click()
        page.locator('a[href="/connections/new?app=cyberimpact"]').click()
        page.get_by_role("button", name=texts["sandbox"]).click()
        assert page.locator("#field-base_url").input_value() == "http://127.0.0.1:8466"
        assert page.locator("#field-token").input_value() == DEFAULT_TOKEN
        # The test's sandbox listens on a free port rather than the default 8466.
        page.locator("#field-base_url").fill(sandbox.base_url)
        screens.save("connection-form")
        page.get_by_role("button", name=texts["save_connection"]).click()
        page.wait_for_url(re.compile(r"/connections\?done=connection_added"))
        assert "Boutique Sandbox" in page.locator("main").inner_text()
        assert DEFAULT_TOKEN not in page.content()
        screens.save("connections")

        # The empty automations list leads to the recipes; import one and turn it on.
        page.get_by_role("link", name=texts["automations"], exact=True).click()
        assert texts["empty"] in page.locator("main").inner_text()
        screens.save("automations-empty")
        page.get_by_role("link", name=texts["see_recipes"]).click()
        screens.save("recipes")
        page.locator(f'form[action="/recipes/{RECIPE}/import"] button').click()
        page.wait_for_url(re.compile(r"/automations/form-to-optin"))
        assert texts["imported"] in page.locator("main").inner_text()
        screens.save("automation")
        page.locator("main").get_by_role("button", name=texts["turn_on"]).click()
        page.wait_for_url(re.compile(r"/automations\?done=enabled"))
        assert texts["turned_on"] in page.locator("main").inner_text()
        # The recipe's name is imported in the reader's language.
        row = page.locator("tbody tr", has_text=texts["recipe_name"])
        assert texts["on"] in row.inner_text()
        screens.save("automations")
        assert runtime.automations.get("form-to-optin")["enabled"] is True

        # The other screens load without errors.
        for path, name in (("/runs", "runs"), ("/runs/erase", "erase"), ("/settings", "settings"),
                           ("/automations/new", "new-automation")):
            page.goto(base + path)
            screens.save(name)

        # At phone width, nothing is wider than the screen.
        page.set_viewport_size({"width": 375, "height": 740})
        for path, name in (("/connections", "connections"), ("/recipes", "recipes"), ("/settings", "settings"),
                           ("/automations", "automations")):
            page.goto(base + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} is {overflow} px wider than a phone screen"
            screens.save(f"{name}-phone")
        context.close()

    assert problems == []
