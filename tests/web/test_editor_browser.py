"""The editor in a real browser: what a Cyberimpact customer builds in Integrately today.

Debian's Chromium driven by Playwright, in French then in English, against a real
``arrimage serve`` app with its worker threads, the Cyberimpact sandbox and the Google Forms
emulator, all on 127.0.0.1:

1. "Google Forms response → send opt-in request": sign in, connect the sandbox, and pick the
   trigger and the action in the catalogue. Map the email from the sample data panel, fix the
   language and the group, and see the normalized preview. Dry run, turn on, post a form
   response to the webhook, then see the run succeed and the opt-in email in the outbox.
2. "Find contact → paths": a search, then a path whose branch adds a contact that exists to a
   group and whose "otherwise" sends an opt-in request; two webhook events take one branch each.

Screenshots of each screen go to ``test-artifacts/editor/<language>/``. With
``ARRIMAGE_UPDATE_SCREENSHOTS=1``, the editor's picture in each language is also written to
``docs/images/editor-<language>.png``, which the READMEs show. The walk fails on any console error,
page error or 5xx response.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from arrimage.emulators.google_forms import FormsState, GoogleFormsEmulator
from arrimage.runtime import Runtime
from tests.sandbox.conftest import SandboxServer
from arrimage.sandbox.config import DEFAULT_TOKEN as TOKEN
from tests.support.processes import in_process_server
from tests.web.test_browser import ARTIFACTS, PASSWORD, Screens, browser, sandbox  # noqa: F401 (fixtures)

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
QUESTIONS = [
    {"title": "Courriel", "kind": "text", "required": True},
    {"title": "Prénom", "kind": "text"},
    {"title": "Langue", "kind": "radio", "options": ["Français", "English"]},
]

TEXTS = {
    "fr_CA": {
        "accept_language": "fr-CA", "create_account": "Créer le compte", "sandbox": "Utiliser le bac à sable local",
        "save_connection": "Vérifier et enregistrer", "new": "Nouvelle automatisation",
        "create": "Créer et ouvrir l’éditeur", "save": "Enregistrer", "saved": "Modifications enregistrées.",
        "dry_run": "Essai à blanc", "dry_ok": "L’essai à blanc a réussi", "back": "Retour à l’éditeur",
        "turn_on": "Activer", "turned_on": "L’automatisation est activée.", "succeeded": "Réussie",
        "add": "Ajouter", "name_optin": "Réponse au formulaire → demande de confirmation",
        "name_find": "Trouver le contact → chemins", "found": "Chemin A",
        "format_options": "Options de format", "name_formats": "Formulaire américain → contact",
    },
    "en": {
        "accept_language": "en-CA,en;q=0.9", "create_account": "Create the account", "sandbox": "Use the local sandbox",
        "save_connection": "Check and save", "new": "New automation", "create": "Create and open the editor",
        "save": "Save", "saved": "Changes saved.", "dry_run": "Dry run", "dry_ok": "The dry run succeeded",
        "back": "Back to the editor", "turn_on": "Turn on", "turned_on": "The automation is on.",
        "succeeded": "Succeeded", "add": "Add", "name_optin": "Form response → opt-in request",
        "name_find": "Find the contact → paths", "found": "Path A",
        "format_options": "Format options", "name_formats": "US form → contact",
    },
}


@pytest.fixture
def forms() -> Iterator[GoogleFormsEmulator]:
    running = GoogleFormsEmulator(FormsState()).start()
    yield running
    running.stop()


@pytest.fixture
def outbox(sandbox: SandboxServer) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


class Walk:
    """One browser page with its problem log and screenshots, and the steps both tests share."""

    def __init__(self, browser: Any, base: str, locale: str, folder: str) -> None:  # noqa: F811
        self.texts = TEXTS[locale]
        self.base = base
        self.problems: list[str] = []
        self.context = browser.new_context(locale=self.texts["accept_language"].split(",")[0],
                                           extra_http_headers={"Accept-Language": self.texts["accept_language"]},
                                           viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.on("console", lambda message: message.type == "error" and self.problems.append(f"console: {message.text}"))
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("response", lambda response: response.status >= 500 and self.problems.append(
            f"{response.status} on {response.url}"))
        self.screens = Screens(self.page, ARTIFACTS / "editor" / folder)

    def main_text(self) -> str:
        return str(self.page.locator("main").inner_text())

    def start(self, sandbox_url: str) -> None:
        """First start, then connect the Cyberimpact sandbox."""
        page = self.page
        page.goto(self.base + "/")
        page.locator("#email").fill("admin@example.com")
        page.locator("#password").fill(PASSWORD)
        page.locator("#password_confirmation").fill(PASSWORD)
        page.get_by_role("button", name=self.texts["create_account"]).click()
        page.wait_for_url(self.base + "/connections")
        page.goto(self.base + "/connections/new?app=cyberimpact")
        page.get_by_role("button", name=self.texts["sandbox"]).click()
        page.locator("#field-base_url").fill(sandbox_url)
        page.get_by_role("button", name=self.texts["save_connection"]).click()
        page.wait_for_url(re.compile(r"/connections\?done=connection_added"))

    def new_automation(self, trigger: str, action: str, name: str) -> str:
        """Pick the trigger and the first step in the catalogue; return the automation's id."""
        page = self.page
        page.goto(self.base + "/automations")
        page.get_by_role("link", name=self.texts["new"]).first.click()
        page.wait_for_url(re.compile(r"/automations/new"))
        page.locator("#trigger").select_option(trigger)
        page.locator("#action").select_option(action)
        page.locator("#name").fill(name)
        self.screens.save("new-automation")
        page.get_by_role("button", name=self.texts["create"]).click()
        page.wait_for_url(re.compile(r"/automations/[^/]+/edit$"))
        return str(page.url.split("/")[-2])

    def map_value(self, field_id: str, template: str) -> None:
        """Click into a field, then on a value of the data panel, which inserts its template."""
        self.page.locator(f"#{field_id}").click()
        button = self.page.locator(f'button[data-insert="{template}"]').first
        if not button.is_visible():  # the values of a step are folded: open them, as a person would
            self.page.locator("details", has=button).locator("summary").click()
        button.click()

    def wait_preview(self, field: str, expected: str) -> None:
        output = self.page.locator(f'output[data-preview-for="{field}"]')
        output.filter(has_text=expected).wait_for(timeout=10_000)

    def save(self) -> None:
        self.page.locator("#editor .sticky-actions").get_by_role("button", name=self.texts["save"]).click()
        self.page.wait_for_url(re.compile(r"done=saved"))
        assert self.texts["saved"] in self.main_text()

    def dry_run(self) -> None:
        self.page.locator("#test").get_by_role("button", name=self.texts["dry_run"]).click()
        self.page.wait_for_url(re.compile(r"/test$"))
        assert self.texts["dry_ok"] in self.page.locator("#dry-run-outcome").inner_text()

    def turn_on(self) -> None:
        self.page.locator("#turn-on").get_by_role("button", name=self.texts["turn_on"]).click()
        self.page.wait_for_url(re.compile(r"done=enabled"))
        assert self.texts["turned_on"] in self.main_text()

    def close(self) -> None:
        self.context.close()
        assert self.problems == []


def wait_for_runs(runtime: Runtime, automation_id: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Return the automation's runs once ``count`` of them have ended."""
    deadline = time.monotonic() + timeout
    while True:
        runs = runtime.runs.list(automation_id=automation_id)
        ended = [run for run in runs if run["status"] in ("succeeded", "failed", "filtered")]
        if len(ended) >= count:
            return ended
        assert time.monotonic() < deadline, f"runs did not end: {runs}"
        time.sleep(0.2)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("locale", ["fr_CA", "en"])
def test_google_forms_to_optin(browser: Any, runtime: Runtime, sandbox: SandboxServer,  # noqa: F811
                               outbox: httpx.Client, forms: GoogleFormsEmulator, locale: str) -> None:
    runtime.start_consumer()  # here: Huey sets signal handlers, which only the main thread may do
    with in_process_server(runtime, consumer=False, scheduler=False) as base:
        walk = Walk(browser, base, locale, f"{locale}/google-forms-optin")
        texts = walk.texts
        page = walk.page
        walk.start(sandbox.base_url)
        automation_id = walk.new_automation("google_forms.new_response", "action:cyberimpact.send_optin",
                                            texts["name_optin"])

        # The editor: mapped email and first name, fixed language and group.
        assert page.locator("#s-steps-0-").count() == 1
        walk.map_value("f-steps-0--email", "{{ trigger.respondent_email }}")
        walk.map_value("f-steps-0--first_name", "{{ trigger.answers['Prénom'] }}")
        page.locator("#f-steps-0--language-mode").select_option("fixed")
        page.locator("#f-steps-0--language-fixed").select_option("fr_ca")
        page.locator('input[name="steps[0]::pick::groups::101"]').check()
        walk.wait_preview("steps[0]::email", '"eloise.damour@exemple.ca"')
        walk.wait_preview("steps[0]::language", '"fr_ca"')
        walk.wait_preview("steps[0]::groups", "[101]")
        walk.screens.save("editor")
        if os.environ.get("ARRIMAGE_UPDATE_SCREENSHOTS") == "1":
            # The README's picture: the step's first fields with their previews, beside the data.
            page.locator("#s-steps-0-").scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, document.getElementById('s-steps-0-').getBoundingClientRect().top - 8)")
            DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_IMAGES / f"editor-{locale}.png"), full_page=False)
        walk.save()
        step = runtime.automations.get(automation_id)["document"]["steps"][0]
        assert step["input"]["email"] == "{{ trigger.respondent_email }}"
        assert step["input"]["language"] == "fr_ca"
        assert step["input"]["groups"] == [101]
        assert step["connection"] == "Bac à sable" or step["connection"]
        walk.screens.save("editor-saved")

        # A dry run sends nothing to the real sandbox.
        walk.dry_run()
        assert "eloise.damour@exemple.ca" in page.locator("#dry-run-emails").inner_text()
        walk.screens.save("dry-run")
        assert outbox.get("/outbox.json").json()["messages"] == []
        page.get_by_role("link", name=texts["back"]).click()

        # Turn on: the webhook URL is shown with a copy button.
        walk.turn_on()
        webhook = page.locator("#webhook-url").inner_text()
        assert webhook.startswith(f"{runtime.settings.base_url}/hooks/{automation_id}/")
        walk.screens.save("turned-on")

        # A form response posted to the webhook runs the automation.
        form_id = forms.state.add_form("Infolettre", QUESTIONS)
        response = forms.state.submit(form_id, {"Courriel": " Zoe.Belanger@Exemple.ca ", "Prénom": "Zoé",
                                                "Langue": "Français"}, respondent_email="Zoe.Belanger@Exemple.ca")
        delivered = forms.state.deliver_response(form_id, response["responseId"], f"{base}/hooks/{automation_id}",
                                                 webhook_secret=runtime.automations.webhook_secret(automation_id))
        assert delivered.status_code == 200, delivered.text
        [run] = wait_for_runs(runtime, automation_id, 1)
        assert run["status"] == "succeeded"

        page.goto(f"{base}/runs?automation={automation_id}")
        assert texts["succeeded"].lower() in page.locator("tbody").inner_text().lower()
        walk.screens.save("runs")
        page.goto(f"{base}/runs/{run['id']}")
        walk.screens.save("run")
        [message] = outbox.get("/outbox.json").json()["messages"]
        assert message["to"].lower() == "zoe.belanger@exemple.ca"
        assert message["groups"] == ["Infolettre"]
        # At phone width, the editor is not wider than the screen.
        page.set_viewport_size({"width": 375, "height": 740})
        page.goto(f"{base}/automations/{automation_id}/edit")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the editor is {overflow} px wider than a phone screen"
        walk.screens.save("editor-phone")

        # The sandbox's page is not Arrimage's: it is looked at in its own tab, not checked.
        sandbox_page = walk.context.new_page()
        sandbox_page.goto(f"{sandbox.base_url}/outbox")
        assert "zoe.belanger@exemple.ca" in sandbox_page.locator("body").inner_text().lower()
        sandbox_page.screenshot(path=str(walk.screens.folder / "99-sandbox-outbox.png"), full_page=True)
        walk.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("locale", ["fr_CA", "en"])
def test_find_then_paths(browser: Any, runtime: Runtime, sandbox: SandboxServer,  # noqa: F811
                         outbox: httpx.Client, locale: str) -> None:
    runtime.start_consumer()  # here: Huey sets signal handlers, which only the main thread may do
    with in_process_server(runtime, consumer=False, scheduler=False) as base:
        walk = Walk(browser, base, locale, f"{locale}/find-paths")
        texts = walk.texts
        page = walk.page
        walk.start(sandbox.base_url)
        automation_id = walk.new_automation("webhook.catch_hook", "search:cyberimpact.find_contact",
                                            texts["name_find"])

        # Sample data: paste the event a form would send.
        page.locator("#sample-json").fill('{"email": "Nouvelle.Personne@Exemple.ca", "prenom": "Anaïs"}')
        page.locator("#sample-data form:has(#sample-json) button").click()
        page.wait_for_url(re.compile(r"done=sample"))
        walk.map_value("f-steps-0--email", "{{ trigger.email }}")
        walk.wait_preview("steps[0]::email", "nouvelle.personne@exemple.ca")

        # Add a path: branch A when the contact is found, otherwise an opt-in request.
        page.locator("#steps-add").select_option("path")
        page.locator(".add-step").last.get_by_role("button", name=texts["add"]).click()
        page.wait_for_url(re.compile(r"done=saved"))
        branch = "steps[1]::branch[0]"
        page.locator(f'[name="{branch}::cond[0]::value"]').fill("{{ steps.find_contact.found }}")
        page.locator(f'[name="{branch}::cond[0]::operator"]').select_option("is_true")
        page.locator("#steps-1--branches-0--steps-add").select_option("action:cyberimpact.add_to_groups")
        page.locator("#steps-1--branches-0--steps-add").locator("xpath=..").get_by_role("button", name=texts["add"]).click()
        page.wait_for_url(re.compile(r"done=saved"))
        page.locator("#steps-1--otherwise-add").select_option("action:cyberimpact.send_optin")
        page.locator("#steps-1--otherwise-add").locator("xpath=..").get_by_role("button", name=texts["add"]).click()
        page.wait_for_url(re.compile(r"done=saved"))

        walk.map_value("f-steps-1--branches-0--steps-0--email", "{{ steps.find_contact.contact.email }}")
        page.locator('input[name="steps[1].branches[0].steps[0]::pick::groups::103"]').check()
        walk.map_value("f-steps-1--otherwise-0--email", "{{ trigger.email }}")
        walk.map_value("f-steps-1--otherwise-0--first_name", "{{ trigger.prenom }}")
        page.locator('input[name="steps[1].otherwise[0]::pick::groups::101"]').check()
        walk.screens.save("editor-paths")
        walk.save()
        document = runtime.automations.get(automation_id)["document"]
        path = document["steps"][1]
        assert path["branches"][0]["name"] == texts["found"]
        assert path["branches"][0]["steps"][0]["input"]["groups"] == [103]
        assert path["otherwise"][0]["input"]["groups"] == [101]

        # The dry run's account has no contacts: "otherwise" sends the opt-in there.
        walk.dry_run()
        assert "nouvelle.personne@exemple.ca" in page.locator("#dry-run-emails").inner_text().lower()
        walk.screens.save("dry-run")
        page.get_by_role("link", name=texts["back"]).click()
        walk.turn_on()
        walk.screens.save("turned-on")

        # An existing contact takes branch A; a new address takes "otherwise".
        secret = runtime.automations.webhook_secret(automation_id)
        known = outbox.get("/members", params={"limit": 1}).json()["members"][0]["email"]
        for email in (known, "nouvelle.personne@exemple.ca"):
            answer = httpx.post(f"{base}/hooks/{automation_id}/{secret}", json={"email": email, "prenom": "Anaïs"},
                                timeout=10)
            assert answer.status_code == 200, answer.text
        runs = wait_for_runs(runtime, automation_id, 2)
        assert {run["status"] for run in runs} == {"succeeded"}
        groups = outbox.get("/members", params={"email": known}).json()
        assert groups
        [message] = outbox.get("/outbox.json").json()["messages"]
        assert message["to"] == "nouvelle.personne@exemple.ca"
        page.goto(f"{base}/runs?automation={automation_id}")
        walk.screens.save("runs")
        walk.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("locale", ["fr_CA", "en"])
def test_format_options_change_preview(browser: Any, runtime: Runtime, sandbox: SandboxServer,  # noqa: F811
                                       locale: str) -> None:
    with in_process_server(runtime, consumer=False, scheduler=False) as base:
        walk = Walk(browser, base, locale, f"{locale}/format-options")
        page = walk.page
        walk.start(sandbox.base_url)
        automation_id = walk.new_automation("webhook.catch_hook", "action:cyberimpact.create_contact",
                                            walk.texts["name_formats"])
        page.locator("#sample-json").fill('{"email": "kim.nguyen@example.com", "birthday": "04/12/1990", '
                                          '"state": "California"}')
        page.locator("#sample-data form:has(#sample-json) button").click()
        page.wait_for_url(re.compile(r"done=sample"))
        walk.map_value("f-steps-0--birthdate", "{{ trigger.birthday }}")
        walk.map_value("f-steps-0--country", "{{ trigger.state }}")
        walk.wait_preview("steps[0]::birthdate", '"1990-12-04"')

        # The section is folded until opened, and works without leaving the page.
        options = page.locator("#formats-steps-0-")
        assert not options.locator("#formats-steps-0--date-order").is_visible()
        options.get_by_text(walk.texts["format_options"]).click()
        page.locator("#formats-steps-0--date-order").select_option("mdy")
        options.locator('input[name="steps[0]::formats::province_implies_country"]').check()
        walk.wait_preview("steps[0]::birthdate", '"1990-04-12"')
        walk.wait_preview("steps[0]::country", '"US"')
        walk.screens.save("format-options")
        options.screenshot(path=str(walk.screens.folder / "format-options-section.png"))
        walk.save()

        step = runtime.automations.get(automation_id)["document"]["steps"][0]
        assert step["formats"] == {"date_order": "mdy", "province_implies_country": True}
        walk.wait_preview("steps[0]::birthdate", '"1990-04-12"')
        page.set_viewport_size({"width": 375, "height": 740})
        page.locator("#formats-steps-0-").get_by_text(walk.texts["format_options"]).click()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the format options are {overflow} px wider than a phone screen"
        walk.screens.save("format-options-phone")
        walk.close()
