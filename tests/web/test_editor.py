"""The automation editor through FastAPI's test client, on both storage backends.

New automation from the catalogue, fields read back from the form (mapped, fixed, picked,
JSON), structural changes, drafts and turning on, the live preview, sample data, the dry run
and the real test with its confirmation. The browser walk is in ``test_editor_browser.py``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from arrimage.sandbox.config import DEFAULT_TOKEN
from arrimage.web.app import create_app
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED
from tests.web.helpers import TestClient, alerts, create_admin, form_token, post_form

SAMPLE = {"email": " Marie.Tremblay@Exemple.CA ", "prenom": "Marie", "genre": "Femme", "pays": "Canada"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[DEFAULT_TOKEN], seed=SEED)).start()
    yield running
    running.stop()


@pytest.fixture
def sandbox_api(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
                      timeout=10) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


@pytest.fixture
def admin(runtime: Runtime, sandbox: SandboxServer, sandbox_api: httpx.Client) -> Iterator[httpx.Client]:
    """A signed-in client (French, the default) with one Cyberimpact connection to the sandbox."""
    with TestClient(create_app(runtime), base_url="http://127.0.0.1") as client:
        create_admin(client).raise_for_status()
        post_form(client, "/connections/new", {"app": "cyberimpact", "name": "cyberimpact", "token": DEFAULT_TOKEN,
                                                "base_url": sandbox.base_url},
                  token_from="/connections/new?app=cyberimpact").raise_for_status()
        yield client


def create(client: httpx.Client, trigger: str = "webhook.catch_hook", action: str = "action:cyberimpact.send_optin",
           name: str = "Formulaire vers l’infolettre") -> tuple[str, httpx.Response]:
    page = post_form(client, "/automations/new", {"trigger": trigger, "action": action, "name": name},
                     token_from="/automations/new")
    match = re.search(r"/automations/([^/]+)/edit", str(page.url))
    assert match, page.text[:2000]
    return match.group(1), page


def edit(client: httpx.Client, automation_id: str, data: dict[str, str]) -> httpx.Response:
    return post_form(client, f"/automations/{automation_id}/edit", {"change": "", **data},
                     token_from=f"/automations/{automation_id}/edit")


def document(runtime: Runtime, automation_id: str) -> dict[str, Any]:
    stored: dict[str, Any] = runtime.automations.get(automation_id)["document"]
    return stored


def paste_sample(client: httpx.Client, automation_id: str, sample: dict[str, Any] | str) -> httpx.Response:
    text = sample if isinstance(sample, str) else json.dumps(sample)
    return post_form(client, f"/automations/{automation_id}/sample", {"source": "pasted", "sample_json": text},
                     token_from=f"/automations/{automation_id}/edit")


OPTIN_FIELDS = {
    "steps[0]::in::email": "{{ trigger.email }}",
    "steps[0]::in::first_name": "{{ trigger.prenom }}",
    "steps[0]::mode::gender": "mapped", "steps[0]::in::gender": "{{ trigger.genre }}",
    "steps[0]::mode::language": "fixed", "steps[0]::fix::language": "fr_ca",
    "steps[0]::mode::groups": "fixed", "steps[0]::shown::groups": "1", "steps[0]::pick::groups::101": "on",
    "steps[0]::in::country": "{{ trigger.pays }}",
}


# -- new automation --------------------------------------------------------------------------

def test_new_automation_requires_trigger_and_name(admin: httpx.Client, runtime: Runtime) -> None:
    page = post_form(admin, "/automations/new", {"trigger": "", "action": "", "name": " "},
                     token_from="/automations/new")

    assert page.status_code == 422
    assert "Choisissez l’événement qui déclenche l’automatisation." in page.text
    assert runtime.automations.list() == []


def test_new_automation_creates_draft(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, page = create(admin)

    saved = runtime.automations.get(automation_id)
    assert saved["enabled"] is False
    assert saved["document"]["steps"] == [{"id": "send_optin", "type": "action", "app": "cyberimpact",
                                           "action": "send_optin", "connection": "cyberimpact", "input": {}}]
    assert "Adresse courriel" in page.text
    # The account's groups are loaded live as choices.
    assert 'name="steps[0]::pick::groups::101"' in page.text
    assert "Infolettre" in page.text


def test_new_automation_suggests_recipes(admin: httpx.Client) -> None:
    page = admin.get("/automations/new", params={"trigger": "google_forms.new_response",
                                                  "action": "action:cyberimpact.send_optin"})

    assert "Réponse Google Forms → demande de confirmation d’abonnement" in page.text
    assert 'action="/recipes/google-forms-to-cyberimpact-optin/import"' in page.text


def test_catalogue_search(admin: httpx.Client) -> None:
    found = admin.get("/automations/new", params={"q": "shopify"})
    nothing = admin.get("/automations/new", params={"q": "zzz"})

    assert "<h3>Shopify</h3>" in found.text
    assert "<h3>HubSpot</h3>" not in found.text
    assert "Aucune application ne correspond à" in nothing.text


# -- fields, drafts, turning on ---------------------------------------------------------------

def test_fields_read_back_by_mode(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)

    saved = edit(admin, automation_id, OPTIN_FIELDS)

    assert "done=saved" in str(saved.url)
    values = document(runtime, automation_id)["steps"][0]["input"]
    assert values == {"email": "{{ trigger.email }}", "first_name": "{{ trigger.prenom }}",
                      "gender": "{{ trigger.genre }}", "language": "fr_ca", "groups": [101],
                      "country": "{{ trigger.pays }}"}
    page = admin.get(f"/automations/{automation_id}/edit")
    assert re.search(r'<option value="fr_ca" selected>', page.text)
    assert re.search(r'name="steps\[0\]::pick::groups::101" value="on" checked', page.text)


def test_unchecking_every_group_clears_the_field(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)
    edit(admin, automation_id, OPTIN_FIELDS)

    edit(admin, automation_id, {"steps[0]::mode::groups": "fixed", "steps[0]::shown::groups": "1"})

    assert "groups" not in document(runtime, automation_id)["steps"][0]["input"]


def test_invalid_json_field_keeps_the_typing(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin, action="action:http.request")

    page = edit(admin, automation_id, {"steps[0]::in::url": "http://127.0.0.1:9/x",
                                        "steps[0]::in::headers": "{pas du json"})

    assert page.status_code == 422
    assert "Ce n’est pas du JSON valide" in page.text
    assert "{pas du json" in page.text
    assert document(runtime, automation_id)["steps"][0]["input"] == {}


def test_bad_template_points_at_the_field(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)

    page = edit(admin, automation_id, {"steps[0]::in::email": "{{ trigger.email "})

    assert page.status_code == 422
    assert "{{ trigger.email" in page.text
    assert "send_optin" in page.text


def problem_texts(page: httpx.Response) -> tuple[list[str], list[str]]:
    """Return the items of the editor's problem summary and of the URL field's problem list."""
    summary = re.search(r'<div class="error-summary" role="alert" id="problems">.*?<ul>(.*?)</ul>', page.text, re.DOTALL)
    field = re.search(r'name="steps\[0\]::in::url".*?<ul class="field-error" role="alert">(.*?)</ul>', page.text,
                      re.DOTALL)
    assert summary is not None and field is not None, page.text[:3000]
    return ([html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", summary.group(1))],
            [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", field.group(1))])


def test_bad_template_explained_in_both_languages(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin, action="action:http.request")

    french = edit(admin, automation_id, {"steps[0]::in::url": "{{ trigger.email }}}"})
    post_form(admin, "/language", {"locale": "en", "next": "/automations"}, token_from="/automations")
    english = edit(admin, automation_id, {"steps[0]::in::url": "{{ trigger.email }}}"})

    assert french.status_code == 422
    assert english.status_code == 422
    french_message = ("Le modèle «\u00a0{{ trigger.email }}}\u00a0» n’est pas valide\u00a0: il y a un «\u00a0}\u00a0» "
                      "de trop après «\u00a0}}\u00a0». Retirez le «\u00a0}\u00a0» de trop.")
    english_message = ("The template “{{ trigger.email }}}” is invalid: there is an extra “}” after “}}”. "
                       "Remove the extra “}”.")
    assert problem_texts(french) == (
        ["Étape «\u00a0Requête HTTP\u00a0: Envoyer une requête HTTP\u00a0» (request), champ «\u00a0URL\u00a0»\u00a0: "
         + french_message], [french_message])
    assert problem_texts(english) == (
        ["Step “HTTP request: Send an HTTP request” (request), field “URL”: " + english_message], [english_message])
    assert document(runtime, automation_id)["steps"][0]["input"] == {}


def test_draft_cannot_be_turned_on(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, page = create(admin)

    refused = post_form(admin, f"/automations/{automation_id}/switch", {"enabled": "on"},
                        token_from=f"/automations/{automation_id}/edit")

    assert "disabled" in page.text.split('id="turn-on"')[1].split("</form>")[0]
    assert refused.status_code == 409
    assert "email" in refused.text
    assert runtime.automations.get(automation_id)["enabled"] is False


def test_complete_automation_turns_on(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)
    edit(admin, automation_id, OPTIN_FIELDS)

    on = post_form(admin, f"/automations/{automation_id}/switch",
                   {"enabled": "on", "next": f"/automations/{automation_id}/edit#turn-on"},
                   token_from=f"/automations/{automation_id}/edit")
    emptied = edit(admin, automation_id, {"steps[0]::in::email": ""})

    assert "done=enabled" in str(on.url)
    assert f"/hooks/{automation_id}/" in on.text
    assert emptied.status_code == 422
    assert document(runtime, automation_id)["steps"][0]["input"]["email"] == "{{ trigger.email }}"


# -- structural changes -----------------------------------------------------------------------

def change(client: httpx.Client, automation_id: str, value: str, **extra: str) -> httpx.Response:
    return edit(client, automation_id, {"change": value, **extra})


def test_search_then_paths(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin, action="search:cyberimpact.find_contact")

    change(admin, automation_id, "add:steps", **{"add::steps": "path"})
    change(admin, automation_id, "add:steps[1].branches[0].steps",
           **{"add::steps[1].branches[0].steps": "action:cyberimpact.add_to_groups"})
    change(admin, automation_id, "add:steps[1].otherwise", **{"add::steps[1].otherwise": "action:cyberimpact.send_optin"})
    change(admin, automation_id, "add_branch:steps[1]")
    change(admin, automation_id, "add_condition:steps[1]::branch[0]", **{
        "steps[1]::branch[0]::name": "Trouvé", "steps[1]::branch[0]::cond[0]::value": "{{ steps.find_contact.found }}",
        "steps[1]::branch[0]::cond[0]::operator": "is_true"})
    change(admin, automation_id, "remove_condition:steps[1]::branch[0]:1")
    change(admin, automation_id, "remove_branch:steps[1]:1")

    path = document(runtime, automation_id)["steps"][1]
    assert path["type"] == "path"
    assert [branch["name"] for branch in path["branches"]] == ["Trouvé"]
    assert path["branches"][0]["conditions"] == [{"value": "{{ steps.find_contact.found }}", "operator": "is_true",
                                                  "case_sensitive": False}]
    assert path["branches"][0]["steps"][0]["action"] == "add_to_groups"
    assert path["branches"][0]["steps"][0]["connection"] == "cyberimpact"
    assert path["otherwise"][0]["action"] == "send_optin"


def test_new_branches_named_per_language(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin, action="search:cyberimpact.find_contact")

    change(admin, automation_id, "add:steps", **{"add::steps": "path"})
    change(admin, automation_id, "add_branch:steps[1]")

    assert [branch["name"] for branch in document(runtime, automation_id)["steps"][1]["branches"]] == [
        "Chemin A", "Chemin B"]


def test_filter_move_and_remove(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)

    change(admin, automation_id, "add:steps", **{"add::steps": "filter"})
    change(admin, automation_id, "up:steps[1]", **{"steps[1]::cond[0]::value": "{{ trigger.email }}",
                                                   "steps[1]::cond[0]::operator": "is_not_empty"})
    moved = [step["id"] for step in document(runtime, automation_id)["steps"]]
    change(admin, automation_id, "remove:steps[0]")

    assert moved == ["filter", "send_optin"]
    steps = document(runtime, automation_id)["steps"]
    assert [step["id"] for step in steps] == ["send_optin"]


def test_unknown_change_is_refused(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)

    page = change(admin, automation_id, "remove:steps[7]")

    assert page.status_code == 422
    assert "Ce changement ne peut pas être fait ici." in page.text


def test_editor_unknown_automation(admin: httpx.Client) -> None:
    assert admin.get("/automations/nope/edit").status_code == 404


# -- preview and sample data ------------------------------------------------------------------

def test_live_preview_shows_normalized_values(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, page = create(admin)
    paste_sample(admin, automation_id, SAMPLE)

    answer = admin.post(f"/automations/{automation_id}/preview",
                        data={"csrf_token": form_token(page), **OPTIN_FIELDS,
                              "steps[0]::in::last_name": "{{ trigger.nom }}"})

    fields = answer.json()["fields"]
    assert fields["steps[0]::email"]["sent"] == "Marie.Tremblay@exemple.ca"
    assert fields["steps[0]::gender"]["sent"] == "f"
    assert fields["steps[0]::country"]["sent"] == "CA"
    assert fields["steps[0]::groups"]["sent"] == [101]
    assert "nom" in fields["steps[0]::last_name"]["errors"][0]["message"]
    # Nothing is saved by a preview.
    assert document(runtime, automation_id)["steps"][0]["input"] == {}


def test_editor_page_shows_preview_and_data_panel(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)
    paste_sample(admin, automation_id, SAMPLE)
    edit(admin, automation_id, OPTIN_FIELDS)

    page = admin.get(f"/automations/{automation_id}/edit")

    assert 'data-insert="{{ trigger.prenom }}"' in page.text
    assert "&#34;Marie.Tremblay@exemple.ca&#34;" in page.text or "&quot;Marie.Tremblay@exemple.ca&quot;" in page.text
    assert "En usage\u00a0: les données que vous avez collées." in page.text


def test_sample_data_errors_are_explained(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)

    broken = paste_sample(admin, automation_id, "{pas json")
    listed = paste_sample(admin, automation_id, "[1, 2]")
    refreshed = post_form(admin, f"/automations/{automation_id}/sample", {"source": "refresh"},
                          token_from=f"/automations/{automation_id}/edit")

    assert broken.status_code == 422
    assert "ne sont pas du JSON valide" in broken.text
    assert listed.status_code == 422
    assert "pas une liste" in listed.text
    assert "n’a encore reçu aucun événement" in refreshed.text


def test_sample_back_to_the_app_sample(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)
    paste_sample(admin, automation_id, SAMPLE)

    post_form(admin, f"/automations/{automation_id}/sample", {"source": "app"},
              token_from=f"/automations/{automation_id}/edit")

    page = admin.get(f"/automations/{automation_id}/edit")
    assert "En usage\u00a0: l’exemple fourni avec l’application." in page.text


# -- tests: dry run and real test ---------------------------------------------------------------

def test_dry_run_sends_nothing(admin: httpx.Client, runtime: Runtime, sandbox_api: httpx.Client) -> None:
    automation_id, _page = create(admin)
    paste_sample(admin, automation_id, SAMPLE)
    edit(admin, automation_id, OPTIN_FIELDS)

    page = post_form(admin, f"/automations/{automation_id}/test", {}, token_from=f"/automations/{automation_id}/edit")

    assert "L’essai à blanc a réussi" in page.text
    assert "Marie.Tremblay@exemple.ca" in page.text.split('id="dry-run-emails"')[1]
    assert sandbox_api.get("/outbox.json").json()["messages"] == []


def test_shared_words_translated_per_use(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)
    paste_sample(admin, automation_id, SAMPLE)
    edit(admin, automation_id, OPTIN_FIELDS)
    dry_run_page = post_form(admin, f"/automations/{automation_id}/test", {},
                             token_from=f"/automations/{automation_id}/edit")
    change(admin, automation_id, "add:steps", **{"add::steps": "filter"})
    editor = admin.get(f"/automations/{automation_id}/edit")
    runs = admin.get("/runs")

    # A step's data: "Envoyé / Reçu", not the feminine "Reçue" of a run.
    assert "<summary>Envoyé</summary>" in dry_run_page.text
    assert "<summary>Reçu</summary>" in dry_run_page.text
    # The filter card is headed by a noun, while the runs page's button is a verb.
    assert re.search(r"<h3>\s*Filtre\s*<span", editor.text)
    assert '<button type="submit">Filtrer</button>' in runs.text


def test_dry_run_of_draft_names_missing_fields(admin: httpx.Client) -> None:
    automation_id, _page = create(admin)

    page = post_form(admin, f"/automations/{automation_id}/test", {}, token_from=f"/automations/{automation_id}/edit")

    assert page.status_code == 422
    assert "email" in page.text


def test_real_test_asks_confirmation_then_runs(admin: httpx.Client, runtime: Runtime,
                                               sandbox_api: httpx.Client) -> None:
    automation_id, _page = create(admin)
    paste_sample(admin, automation_id, SAMPLE)
    edit(admin, automation_id, OPTIN_FIELDS)

    confirmation = admin.get(f"/automations/{automation_id}/test/real")
    refused = post_form(admin, f"/automations/{automation_id}/test/real", {},
                        token_from=f"/automations/{automation_id}/test/real")
    runs_before = runtime.runs.list(automation_id=automation_id)
    accepted = post_form(admin, f"/automations/{automation_id}/test/real", {"confirm": "yes"},
                         token_from=f"/automations/{automation_id}/test/real")

    assert "<strong>Marie.Tremblay@exemple.ca</strong>" in confirmation.text
    assert "un courriel sera envoyé à cette personne" in confirmation.text
    assert refused.status_code == 422
    assert runs_before == []
    [run] = runtime.runs.list(automation_id=automation_id)
    assert f"/runs/{run['id']}" in str(accepted.url)
    # The test client has no worker: run it here, as a worker would.
    assert runtime.execute_run(run["id"]) == "succeeded"
    [message] = sandbox_api.get("/outbox.json").json()["messages"]
    assert message["to"] == "Marie.Tremblay@exemple.ca"
    assert runtime.automations.get(automation_id)["enabled"] is False


# -- recipes gallery --------------------------------------------------------------------------

def test_recipes_speak_the_reader_language(admin: httpx.Client, runtime: Runtime) -> None:
    french = admin.get("/recipes")
    post_form(admin, "/language", {"locale": "en", "next": "/recipes"}, token_from="/recipes")
    english = admin.get("/recipes")
    post_form(admin, "/recipes/google-forms-to-cyberimpact-optin/import", {}, token_from="/recipes")

    assert "Fichier CSV → importation en lot avec source de consentement" in french.text
    assert "arrimage import contacts.csv --bulk" in french.text
    assert "Clients de la boutique, registre des ventes 2026" in french.text
    assert "Store customers, 2026 sales register" in english.text
    assert "Google Forms response → opt-in request" in english.text
    assert runtime.automations.get("google-forms-optin")["name"] == "Google Forms response → opt-in request"


def test_erasing_an_email_drops_samples(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)
    paste_sample(admin, automation_id, SAMPLE)

    post_form(admin, "/runs/erase", {"email": "marie.tremblay@exemple.ca", "confirm": "yes"}, token_from="/runs/erase")

    page = admin.get(f"/automations/{automation_id}/edit")
    assert "Marie.Tremblay" not in page.text


def test_refresh_offers_received_events(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)
    edit(admin, automation_id, OPTIN_FIELDS)
    post_form(admin, f"/automations/{automation_id}/switch", {"enabled": "on"},
              token_from=f"/automations/{automation_id}/edit")
    secret = runtime.automations.webhook_secret(automation_id)
    admin.post(f"/hooks/{automation_id}/{secret}", json={"email": "recu@exemple.ca", "prenom": "Reçu"})

    refreshed = post_form(admin, f"/automations/{automation_id}/sample", {"source": "refresh"},
                          token_from=f"/automations/{automation_id}/edit")

    assert "En usage\u00a0: un élément récent chargé de l’application." in refreshed.text
    assert 'data-insert="{{ trigger.prenom }}"' in refreshed.text
    assert "Reçu" in refreshed.text


def test_recipe_brings_its_sample(admin: httpx.Client, runtime: Runtime, sandbox_api: httpx.Client) -> None:
    post_form(admin, "/recipes/google-forms-to-cyberimpact-optin/import", {}, token_from="/recipes")

    editor = admin.get("/automations/google-forms-optin/edit")
    dry = post_form(admin, "/automations/google-forms-optin/test", {},
                    token_from="/automations/google-forms-optin/edit")

    assert "En usage\u00a0: l’exemple fourni avec la recette." in editor.text
    assert "L’essai à blanc a réussi" in dry.text
    assert "Eloise.Damour@exemple.ca" in dry.text.split('id="dry-run-emails"')[1]
    assert "Cyberimpact\u00a0: Envoyer une demande de confirmation d’abonnement" in dry.text
    assert 'href="/api/automations/google-forms-optin/apps-script"' in editor.text


def test_english_editor_shows_english_choices(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)
    post_form(admin, "/language", {"locale": "en", "next": "/automations"}, token_from="/automations")

    page = admin.get(f"/automations/{automation_id}/edit")

    assert '<option value="fr_ca">French</option>' in page.text
    assert '<option value="fr_ca">Français</option>' not in page.text


def test_connection_form_enter_saves(admin: httpx.Client) -> None:
    page = admin.get("/connections/new?app=cyberimpact")

    form = page.text.split('<form method="post" action="/connections/new">')[1]
    first_button = re.search(r"<button[^>]*>", form)
    assert first_button is not None
    assert 'name="preset"' not in first_button.group(0)


def test_real_test_run_page_refreshes(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)
    paste_sample(admin, automation_id, SAMPLE)
    edit(admin, automation_id, OPTIN_FIELDS)

    queued = post_form(admin, f"/automations/{automation_id}/test/real", {"confirm": "yes"},
                       token_from=f"/automations/{automation_id}/test/real")

    assert '<meta http-equiv="refresh" content="3">' in queued.text


def test_real_test_banner_gone_when_ended(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)
    paste_sample(admin, automation_id, SAMPLE)
    edit(admin, automation_id, OPTIN_FIELDS)
    banner = "L’exécution de test est en file d’attente."

    queued = post_form(admin, f"/automations/{automation_id}/test/real", {"confirm": "yes"},
                       token_from=f"/automations/{automation_id}/test/real")
    # The test client has no worker: run it here, as a worker would.
    [run] = runtime.runs.list(automation_id=automation_id)
    status = runtime.execute_run(run["id"])
    ended = admin.get(str(queued.url))

    assert "done=tested" in str(queued.url)
    assert banner in queued.text
    assert status == "succeeded"
    assert banner not in ended.text
    assert '<meta http-equiv="refresh"' not in ended.text


# -- format options --------------------------------------------------------------------------

@pytest.mark.parametrize("locale", ["fr_CA", "en"])
def test_format_options_date_order_saved_and_previewed(admin: httpx.Client, runtime: Runtime, locale: str) -> None:
    automation_id, _page = create(admin)
    paste_sample(admin, automation_id, {**SAMPLE, "naissance": "04/12/1990"})
    post_form(admin, "/language", {"locale": locale, "next": "/automations"}, token_from="/automations")
    fields = {**OPTIN_FIELDS, "steps[0]::in::birthdate": "{{ trigger.naissance }}"}

    before = admin.post(f"/automations/{automation_id}/preview",
                        data={"csrf_token": form_token(admin.get(f"/automations/{automation_id}/edit")), **fields})
    saved = edit(admin, automation_id, {**fields, "steps[0]::formats::shown": "1",
                                        "steps[0]::formats::date_order": "mdy",
                                        "steps[0]::formats::default_language": ""})
    page = admin.get(f"/automations/{automation_id}/edit")
    after = admin.post(f"/automations/{automation_id}/preview",
                       data={"csrf_token": form_token(page), **fields, "steps[0]::formats::shown": "1",
                             "steps[0]::formats::date_order": "mdy"})

    assert "done=saved" in str(saved.url)
    assert document(runtime, automation_id)["steps"][0]["formats"] == {"date_order": "mdy"}
    assert before.json()["fields"]["steps[0]::birthdate"]["sent"] == "1990-12-04"
    assert after.json()["fields"]["steps[0]::birthdate"]["sent"] == "1990-04-12"
    section = page.text.split('<details class="format-options"')[1].split("</details>")[0]
    if locale == "en":
        assert "<summary>Format options" in section
        assert "(changed)" in section
        assert '<option value="mdy" selected>Month first: 04/12/1990 is April 12, 1990</option>' in section
        assert "Send as mapped, without conversion" in section
    else:
        assert "<summary>Options de format" in section
        assert "(modifiées)" in section
        assert '<option value="mdy" selected>Mois d’abord\u00a0: 04/12/1990 est le 12 avril 1990</option>' in section
        assert "Transmettre tel qu’associé, sans conversion" in section
    assert "&#34;1990-04-12&#34;" in page.text or "&quot;1990-04-12&quot;" in page.text


def test_format_options_problem_shown_open(admin: httpx.Client, runtime: Runtime) -> None:
    automation_id, _page = create(admin)

    rejected = edit(admin, automation_id, {"steps[0]::formats::shown": "1", "steps[0]::formats::date_order": "dym"})

    assert rejected.status_code == 422
    section = rejected.text.split('<details class="format-options"')[1].split("</details>")[0]
    assert section.startswith(' id="formats-steps-0-" open>')
    assert "&#39;dym&#39; ne fait pas partie des choix possibles\u00a0: dmy, mdy, ymd." in section
    assert "formats" not in document(runtime, automation_id)["steps"][0]
