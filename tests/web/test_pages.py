"""The web app's screens through FastAPI's test client, on both storage backends.

Covers the first start, sign-in and its rate limit, sessions and their expiry, CSRF, the REST
API before and after the first user, API tokens, the language, and every screen's actions.
"""

from __future__ import annotations

import html
import json
import re
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import event, update

from arrimage.config import Settings
from arrimage.i18n import LazyText
from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from arrimage.sandbox.config import DEFAULT_TOKEN
from arrimage.storage.models import WebSession
from arrimage.web.app import create_app
from arrimage.web.pages import runs as runs_page
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED
from tests.support.sink import Sink
from tests.web.helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    TestClient,
    alerts,
    create_admin,
    form_token,
    post_form,
    sign_in,
)

PAGES = ["/automations", "/automations/new", "/recipes", "/connections", "/connections/new?app=cyberimpact",
         "/runs", "/runs/erase", "/settings"]


@pytest.fixture
def app(runtime: Runtime) -> Any:
    return create_app(runtime)


@pytest.fixture
def client(app: Any) -> Iterator[httpx.Client]:
    with TestClient(app, base_url="http://127.0.0.1") as current:
        yield current


@pytest.fixture
def admin(client: httpx.Client) -> httpx.Client:
    """The test client, signed in as the administrator created at first start."""
    create_admin(client).raise_for_status()
    return client


@pytest.fixture
def other_client(app: Any) -> Iterator[httpx.Client]:
    """A second browser, with no cookie."""
    with TestClient(app, base_url="http://127.0.0.1") as current:
        yield current


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[DEFAULT_TOKEN], seed=SEED)).start()
    yield running
    running.stop()


def webhook_to_sink(automation_id: str, sink_url: str) -> dict[str, Any]:
    return {
        "id": automation_id, "name": f"Forward {automation_id}",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [{"id": "forward", "app": "http", "action": "request",
                   "input": {"url": f"{sink_url}/contacts", "body": {"email": "{{ trigger.email }}"}}}],
    }


def add_sandbox_connection(client: httpx.Client, sandbox: SandboxServer, name: str = "cyberimpact") -> httpx.Response:
    return post_form(client, "/connections/new",
                     {"app": "cyberimpact", "name": name, "token": DEFAULT_TOKEN, "base_url": sandbox.base_url},
                     token_from="/connections/new?app=cyberimpact")


# -- first start and sign-in ---------------------------------------------------------------

def test_home_leads_to_first_start(client: httpx.Client) -> None:
    page = client.get("/")

    assert page.url.path == "/setup"
    assert "Créer le compte administrateur" in page.text


def test_first_start_rejects_short_password(client: httpx.Client, runtime: Runtime) -> None:
    page = post_form(client, "/setup", {"email": ADMIN_EMAIL, "password": "short", "password_confirmation": "short"},
                     token_from="/setup")

    assert page.status_code == 422
    assert "Le mot de passe doit compter au moins 12 caractères." in alerts(page)
    assert not runtime.users.any_exist()


def test_first_start_rejects_different_confirmation(client: httpx.Client, runtime: Runtime) -> None:
    page = post_form(client, "/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                        "password_confirmation": ADMIN_PASSWORD + "x"}, token_from="/setup")

    assert page.status_code == 422
    assert "Les deux mots de passe diffèrent." in alerts(page)
    assert not runtime.users.any_exist()


def test_first_start_signs_admin_in(client: httpx.Client, runtime: Runtime) -> None:
    page = create_admin(client)

    assert page.status_code == 200
    assert page.url.path == "/connections"
    assert runtime.users.count() == 1
    stored = runtime.users.password_hash(ADMIN_EMAIL)
    assert stored is not None
    assert stored[1].startswith("$argon2id$")
    assert ADMIN_PASSWORD not in stored[1]


def test_setup_closed_after_first_user(admin: httpx.Client, other_client: httpx.Client, runtime: Runtime) -> None:
    page = other_client.get("/setup")
    answer = post_form(other_client, "/setup", {"email": "intruder@example.com", "password": "x" * 20,
                                                "password_confirmation": "x" * 20}, token_from="/login")

    assert page.url.path == "/login"
    assert answer.url.path == "/login"
    assert runtime.users.count() == 1


def test_session_cookie_flags(client: httpx.Client) -> None:
    token = form_token(client.get("/setup"))
    answer = client.post("/setup", data={"csrf_token": token, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                         "password_confirmation": ADMIN_PASSWORD}, follow_redirects=False)

    cookie = next(value for value in answer.headers.get_list("set-cookie") if value.startswith("arrimage_session="))
    assert answer.status_code == 303
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # the public URL is http here


@pytest.mark.parametrize("path", PAGES)
def test_page_requires_sign_in(path: str, admin: httpx.Client, other_client: httpx.Client) -> None:
    answer = other_client.get(path, follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_signed_in(path: str, admin: httpx.Client) -> None:
    page = admin.get(path)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in page.headers


def test_sign_in_and_out(admin: httpx.Client, other_client: httpx.Client) -> None:
    signed_in = sign_in(other_client)
    out = post_form(other_client, "/logout", {}, token_from="/automations")
    after = other_client.get("/automations", follow_redirects=False)

    assert signed_in.url.path == "/automations"
    assert out.url.path == "/login"
    assert "Votre session est fermée." in out.text
    assert after.status_code == 303


def test_sign_in_goes_to_next(admin: httpx.Client, other_client: httpx.Client) -> None:
    token = form_token(other_client.get("/login?next=/runs"))
    page = other_client.post("/login", data={"csrf_token": token, "email": ADMIN_EMAIL,
                                             "password": ADMIN_PASSWORD, "next": "/runs"})

    assert page.url.path == "/runs"


def test_sign_in_ignores_foreign_next(admin: httpx.Client, other_client: httpx.Client) -> None:
    token = form_token(other_client.get("/login"))
    answer = other_client.post("/login", data={"csrf_token": token, "email": ADMIN_EMAIL,
                                               "password": ADMIN_PASSWORD, "next": "//evil.example/"},
                               follow_redirects=False)

    assert answer.headers["location"] == "/automations"


def test_wrong_password_rejected(admin: httpx.Client, other_client: httpx.Client) -> None:
    page = sign_in(other_client, password="not the password")

    assert page.status_code == 401
    assert "L’adresse courriel ou le mot de passe est incorrect." in alerts(page)


def test_sign_in_blocked_after_failures(admin: httpx.Client, other_client: httpx.Client) -> None:
    statuses = [sign_in(other_client, password=f"wrong {attempt}").status_code for attempt in range(5)]
    blocked = sign_in(other_client)

    assert statuses == [401, 401, 401, 401, 429]
    assert blocked.status_code == 429
    assert blocked.url.path == "/login"
    assert any("Trop de tentatives" in text for text in alerts(blocked))


def test_session_expires_when_idle(admin: httpx.Client, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        session.execute(update(WebSession).values(last_seen_at=datetime.now(timezone.utc) - timedelta(days=2)))

    answer = admin.get("/automations", follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_session_expires_after_lifetime(admin: httpx.Client, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        session.execute(update(WebSession).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))

    answer = admin.get("/automations", follow_redirects=False)

    assert answer.status_code == 303


# -- CSRF ----------------------------------------------------------------------------------

def test_form_without_token_rejected(admin: httpx.Client, runtime: Runtime) -> None:
    answer = admin.post("/settings", data={"locale": "en", "time_zone": "America/Toronto", "retention_days": "5"})

    assert answer.status_code == 403
    assert "Formulaire expiré" in answer.text
    assert runtime.users.run_retention_days(30) == 30


def test_form_with_wrong_token_rejected(admin: httpx.Client) -> None:
    answer = admin.post("/settings/tokens", data={"csrf_token": "forged", "name": "script"})

    assert answer.status_code == 403


def test_form_from_other_site_rejected(admin: httpx.Client) -> None:
    token = form_token(admin.get("/settings"))
    answer = admin.post("/settings/tokens", data={"csrf_token": token, "name": "script"},
                        headers={"Origin": "http://evil.example"})

    assert answer.status_code == 403


def test_login_form_needs_token(admin: httpx.Client, other_client: httpx.Client) -> None:
    answer = other_client.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})

    assert answer.status_code == 403
    assert "arrimage_session" not in other_client.cookies


# -- REST API access -----------------------------------------------------------------------

def test_api_open_before_first_user(client: httpx.Client) -> None:
    listed = client.get("/api/automations")
    created = client.post("/api/connections", json={"app": "http", "name": "open", "check": False})

    assert listed.status_code == 200
    assert created.status_code == 201


def test_api_closed_after_first_user(admin: httpx.Client, other_client: httpx.Client) -> None:
    listed = other_client.get("/api/automations")
    health = other_client.get("/api/health")
    docs = other_client.get("/api/docs")
    echo = other_client.post("/api/echo", json={"email": "lea@exemple.ca"})

    assert listed.status_code == 401
    assert listed.headers["www-authenticate"] == "Bearer"
    assert listed.json()["error"]["code"] == "unauthorized"
    assert health.status_code == 200
    assert docs.status_code == 200
    # The example automation of `serve --example` posts to the echo route without a token.
    assert echo.status_code == 200
    assert echo.json()["body"] == {"email": "lea@exemple.ca"}


def test_api_with_session_needs_csrf_header(admin: httpx.Client) -> None:
    token = form_token(admin.get("/automations"))
    document = {"name": "From the API", "trigger": {"app": "webhook", "event": "catch_hook"}}

    listed = admin.get("/api/automations")
    refused = admin.post("/api/automations", json=document)
    created = admin.post("/api/automations", json=document, headers={"X-CSRF-Token": token})

    assert listed.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_rejected"
    assert created.status_code == 201


def test_api_token_shown_once_and_works(admin: httpx.Client, other_client: httpx.Client, runtime: Runtime) -> None:
    page = post_form(admin, "/settings/tokens", {"name": "CRM script"}, token_from="/settings")
    token = page.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    reloaded = admin.get("/settings")
    headers = {"Authorization": f"Bearer {token}"}

    listed = other_client.get("/api/automations", headers=headers)
    created = other_client.post("/api/connections", json={"app": "http", "name": "api", "check": False},
                                headers=headers)

    assert token.startswith("arr_")
    assert token not in reloaded.text
    assert "CRM script" in reloaded.text
    assert listed.status_code == 200
    assert created.status_code == 201


def test_revoked_api_token_rejected(admin: httpx.Client, other_client: httpx.Client, runtime: Runtime) -> None:
    user = runtime.users.password_hash(ADMIN_EMAIL)
    assert user is not None
    summary, token = runtime.users.create_api_token(user[0].id, "temporary")
    post_form(admin, f"/settings/tokens/{summary['id']}/revoke", {}, token_from="/settings")

    answer = other_client.get("/api/automations", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 401


def test_invalid_api_token_rejected(admin: httpx.Client, other_client: httpx.Client) -> None:
    answer = other_client.get("/api/runs", headers={"Authorization": "Bearer arr_made_up"})

    assert answer.status_code == 401


def test_hooks_need_no_session(admin: httpx.Client, other_client: httpx.Client, runtime: Runtime,
                               sink: Sink) -> None:
    runtime.automations.save(webhook_to_sink("hooked", sink.url))
    runtime.automations.set_enabled("hooked", True)
    secret = runtime.automations.webhook_secret("hooked")

    answer = other_client.post(f"/hooks/hooked/{secret}", json={"email": "lea@example.com"})

    assert answer.status_code in (200, 202)
    assert answer.json()["events"][0]["run_id"]


# -- HTTP error pages ----------------------------------------------------------------------

HTML_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8"


def test_unknown_page_html_french(admin: httpx.Client) -> None:
    page = admin.get("/no-such-page", headers={"Accept": HTML_ACCEPT, "Accept-Language": "fr-CA"})

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Page introuvable</h1>" in page.text
    assert '<a href="/">Aller à la page d’accueil</a>' in page.text
    assert "Not Found" not in page.text


def test_unknown_page_html_english(other_client: httpx.Client) -> None:
    page = other_client.get("/automations/x/y/z", headers={"Accept": HTML_ACCEPT, "Accept-Language": "en-CA"})

    assert page.status_code == 404
    assert "<h1>Page not found</h1>" in page.text
    assert '<a href="/">Go to the home page</a>' in page.text


def test_post_only_page_html(admin: httpx.Client) -> None:
    page = admin.get("/logout", headers={"Accept": HTML_ACCEPT})

    assert page.status_code == 405
    assert page.headers["allow"] == "POST"
    assert "<h1>Cette page ne peut pas être ouverte</h1>" in page.text


def test_unknown_page_json_for_scripts(client: httpx.Client) -> None:
    answer = client.get("/no-such-page", headers={"Accept": "application/json"})

    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}


def test_unknown_api_path_stays_json(client: httpx.Client) -> None:
    answer = client.get("/api/no-such-path", headers={"Accept": HTML_ACCEPT})

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(("accept_language", "expected"), [
    ("fr-CA", "Les webhooks acceptent seulement les requêtes POST"),
    ("en-CA", "Webhooks take POST requests only"),
])
def test_webhook_get_explains_post(client: httpx.Client, accept_language: str, expected: str) -> None:
    answer = client.get("/hooks/some-automation/some-secret",
                        headers={"Accept": HTML_ACCEPT, "Accept-Language": accept_language})

    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json()["error"]["code"] == "method_not_allowed"
    assert answer.json()["error"]["message"].startswith(expected)


# -- language ------------------------------------------------------------------------------

def test_language_follows_browser(client: httpx.Client) -> None:
    english = client.get("/setup", headers={"Accept-Language": "en-CA,en;q=0.8"})
    spanish = client.get("/setup", headers={"Accept-Language": "es"})

    assert "Create the administrator account" in english.text
    assert 'lang="en-CA"' in english.text
    assert "Créer le compte administrateur" in spanish.text


def test_language_switch_remembered(admin: httpx.Client, other_client: httpx.Client, runtime: Runtime) -> None:
    switched = post_form(admin, "/language", {"locale": "en", "next": "/runs"}, token_from="/runs")
    user = runtime.users.password_hash(ADMIN_EMAIL)
    sign_in(other_client)
    elsewhere = other_client.get("/automations", headers={"Accept-Language": "fr-CA"})

    assert switched.url.path == "/runs"
    assert "<h1>Runs</h1>" in switched.text
    assert user is not None
    assert user[0].locale == "en"
    assert "<h1>Automations</h1>" in elsewhere.text


def test_language_switch_before_sign_in(admin: httpx.Client, other_client: httpx.Client) -> None:
    page = post_form(other_client, "/language", {"locale": "en", "next": "/login"}, token_from="/login")

    assert "<h1>Sign in</h1>" in page.text
    assert other_client.cookies.get("arrimage_lang") == "en"


# -- automations and recipes ---------------------------------------------------------------

def test_empty_list_leads_to_recipes(admin: httpx.Client) -> None:
    page = admin.get("/automations")

    assert "Aucune automatisation pour l’instant" in page.text
    assert 'href="/recipes"' in page.text


def test_recipes_show_missing_connections(admin: httpx.Client) -> None:
    page = admin.get("/recipes")

    assert "Formulaire Web → demande de confirmation d’abonnement" in page.text
    assert "à créer" in page.text
    assert "/connections/new?app=cyberimpact&amp;name=cyberimpact" in page.text


def test_recipe_import_stays_off(admin: httpx.Client, runtime: Runtime) -> None:
    page = post_form(admin, "/recipes/webhook-form-to-cyberimpact-optin/import", {}, token_from="/recipes")
    again = post_form(admin, "/recipes/webhook-form-to-cyberimpact-optin/import", {}, token_from="/recipes")

    assert page.url.path == "/automations/form-to-optin"
    assert "Recette importée" in page.text
    assert runtime.automations.get("form-to-optin")["enabled"] is False
    assert again.status_code == 409


def test_turn_on_refused_without_connection(admin: httpx.Client, runtime: Runtime) -> None:
    post_form(admin, "/recipes/webhook-form-to-cyberimpact-optin/import", {}, token_from="/recipes")
    listed = admin.get("/automations")

    answer = post_form(admin, "/automations/form-to-optin/switch", {"enabled": "on"}, token_from="/automations")

    assert "Connexions manquantes\u00a0: cyberimpact" in listed.text
    assert answer.status_code == 409
    assert runtime.automations.get("form-to-optin")["enabled"] is False


def test_turn_on_and_off(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> None:
    add_sandbox_connection(admin, sandbox)
    post_form(admin, "/recipes/webhook-form-to-cyberimpact-optin/import", {}, token_from="/recipes")

    on = post_form(admin, "/automations/form-to-optin/switch", {"enabled": "on"}, token_from="/automations")
    enabled = runtime.automations.get("form-to-optin")["enabled"]
    off = post_form(admin, "/automations/form-to-optin/switch", {"enabled": "off"}, token_from="/automations")

    assert enabled is True
    assert "L’automatisation est activée." in on.text
    assert "Connexions manquantes" not in on.text
    assert runtime.automations.get("form-to-optin")["enabled"] is False
    assert "L’automatisation est désactivée." in off.text


def test_automation_page_names_trigger(admin: httpx.Client, runtime: Runtime) -> None:
    runtime.connections.create(runtime.apps["shopify"], "boutique", {"signing_secret": "s3cret"})
    runtime.automations.save({"id": "new-customers", "name": "New customers",
                              "trigger": {"app": "shopify", "event": "new_customer", "connection": "boutique"},
                              "steps": []})
    french = admin.get("/automations/new-customers")
    english = post_form(admin, "/language", {"locale": "en", "next": "/automations/new-customers"},
                        token_from="/automations/new-customers")

    assert "<dd>Shopify\u00a0: Nouveau client</dd>" in french.text
    assert "<dd>Shopify: New customer</dd>" in english.text
    assert "(new_customer)" not in english.text


def test_list_shows_last_run(admin: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    runtime.automations.save(webhook_to_sink("forward-a", sink.url))
    runtime.automations.set_enabled("forward-a", True)
    secret = runtime.automations.webhook_secret("forward-a")
    run_id = admin.post(f"/hooks/forward-a/{secret}", json={"email": "a@example.com"}).json()["events"][0]["run_id"]
    runtime.execute_run(run_id)

    page = admin.get("/automations")

    assert "Forward forward-a" in page.text
    assert "Webhook → Requête HTTP" in page.text or "Webhook → HTTP" in page.text
    assert "status-succeeded" in page.text


def test_list_search_by_name(admin: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    runtime.automations.save({**webhook_to_sink("first", sink.url), "name": "Infolettre Québec"})
    runtime.automations.save({**webhook_to_sink("second", sink.url), "name": "Boutique 100%_off"})

    found = admin.get("/automations", params={"q": "québec"})
    wildcard = admin.get("/automations", params={"q": "%_"})

    assert "Infolettre Québec" in found.text
    assert "Boutique 100%_off" not in found.text
    assert "Boutique 100%_off" in wildcard.text
    assert "Infolettre Québec" not in wildcard.text


def test_list_query_count_constant(admin: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    def statements_for_list() -> int:
        count = 0

        def counter(*_args: Any) -> None:
            nonlocal count
            count += 1

        event.listen(runtime.db.engine, "before_cursor_execute", counter)
        try:
            admin.get("/automations").raise_for_status()
        finally:
            event.remove(runtime.db.engine, "before_cursor_execute", counter)
        return count

    runtime.automations.save(webhook_to_sink("only", sink.url))
    with_one = statements_for_list()
    for index in range(5):
        automation_id = f"more-{index}"
        runtime.automations.save(webhook_to_sink(automation_id, sink.url))
        secret = runtime.automations.webhook_secret(automation_id)
        runtime.automations.set_enabled(automation_id, True)
        admin.post(f"/hooks/{automation_id}/{secret}", json={"email": f"{index}@example.com"})
    with_six = statements_for_list()

    assert with_six == with_one


def test_new_automation_lists_the_catalogue(admin: httpx.Client) -> None:
    page = admin.get("/automations/new")

    assert 'value="google_forms.new_response"' in page.text
    assert 'value="action:cyberimpact.send_optin"' in page.text
    assert "Créer et ouvrir l’éditeur" in page.text


# -- connections ---------------------------------------------------------------------------

def test_connection_form_from_declaration(admin: httpx.Client) -> None:
    page = admin.get("/connections/new?app=cyberimpact")

    assert 'type="password"' in page.text
    assert 'for="field-token"' in page.text
    assert 'for="field-base_url"' in page.text
    assert "Utiliser le bac à sable local" in page.text


def test_connection_checked_shows_account(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> None:
    page = add_sandbox_connection(admin, sandbox)

    stored = runtime.connections.list("cyberimpact")
    assert page.url.path == "/connections"
    assert "Boutique Sandbox" in page.text
    assert DEFAULT_TOKEN not in page.text
    assert [connection["name"] for connection in stored] == ["cyberimpact"]
    assert stored[0]["account_name"] == "Boutique Sandbox"


def test_connection_card_shows_field_labels(admin: httpx.Client, sandbox: SandboxServer) -> None:
    add_sandbox_connection(admin, sandbox)
    french = admin.get("/connections")
    english = post_form(admin, "/language", {"locale": "en", "next": "/connections"}, token_from="/connections")

    for page, label in ((french, "Adresse de l’API"), (english, "API address")):
        card = re.search(r"<h3>cyberimpact</h3>(.*?)</dl>", page.text, re.DOTALL)
        assert card is not None
        assert f"<dt>{label}</dt><dd>{sandbox.base_url}</dd>" in card.group(1)
        assert "base_url" not in card.group(1)


def test_connection_with_bad_token_not_saved(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> None:
    page = post_form(admin, "/connections/new",
                     {"app": "cyberimpact", "name": "bad", "token": "wrong-token-123", "base_url": sandbox.base_url},
                     token_from="/connections/new?app=cyberimpact")

    assert page.status_code == 422
    assert "wrong-token-123" not in page.text
    assert runtime.connections.list("cyberimpact") == []
    assert alerts(page)


def test_connection_name_taken(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> None:
    add_sandbox_connection(admin, sandbox)
    first_id = runtime.connections.list("cyberimpact")[0]["id"]

    page = add_sandbox_connection(admin, sandbox)

    assert page.status_code == 422
    name_error = re.search(r'<p class="field-error" id="name-error"[^>]*>(.*?)</p>', page.text, re.DOTALL)
    assert name_error is not None
    assert "porte déjà le nom" in name_error.group(1)
    assert first_id in name_error.group(1)
    assert len(runtime.connections.list("cyberimpact")) == 1


def test_connection_rename_to_taken_name(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> None:
    add_sandbox_connection(admin, sandbox, name="first")
    add_sandbox_connection(admin, sandbox, name="second")
    ids = {entry["name"]: entry["id"] for entry in runtime.connections.list("cyberimpact")}

    refused = post_form(admin, f"/connections/{ids['second']}/rename", {"name": "first"}, token_from="/connections")

    assert refused.status_code == 422
    assert any(ids["first"] in text and "porte déjà le nom" in text for text in alerts(refused))
    assert runtime.connections.get(ids["second"])["name"] == "second"


def test_connection_without_check_says_so(admin: httpx.Client, runtime: Runtime) -> None:
    created = post_form(admin, "/connections/new",
                        {"app": "google_forms", "name": "formulaire", "signing_secret": "s3cret-of-the-script"},
                        token_from="/connections/new?app=google_forms")
    runtime.connections.create(runtime.apps["shopify"], "boutique", {"signing_secret": "s3cret"})

    page = admin.get("/connections")

    assert created.url.path == "/connections"
    for name in ("formulaire", "boutique"):
        card = re.search(rf"<h3>{name}</h3>(.*?)</dl>", page.text, re.DOTALL)
        assert card is not None, name
        assert "aucune vérification pour cette application" in card.group(1)
        assert "pas encore vérifié" not in card.group(1)
        assert "Vérifiée" not in card.group(1)


def test_connection_sandbox_preset(admin: httpx.Client, runtime: Runtime) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8466)) == 0:
            pytest.skip("a sandbox already listens on 127.0.0.1:8466, so the check would pass")
    page = post_form(admin, "/connections/new", {"app": "cyberimpact", "name": "demo", "preset": "sandbox"},
                     token_from="/connections/new?app=cyberimpact")

    # Nothing listens on the sandbox's default port in the tests, so the check fails with the
    # sandbox's address in the form.
    assert page.status_code == 422
    assert 'value="http://127.0.0.1:8466"' in page.text
    assert runtime.connections.list("cyberimpact") == []


def test_connection_preset_uses_configured_sandbox(settings: Settings, sandbox: SandboxServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The test's sandbox listens on a free port, as one started with arrimage sandbox --port does.
    monkeypatch.setenv("ARRIMAGE_SANDBOX_URL", f"{sandbox.base_url}/")
    configured = Settings(**settings.model_dump(exclude={"sandbox_url"}))
    assert configured.sandbox_url == sandbox.base_url
    runtime = Runtime(configured)
    try:
        with TestClient(create_app(runtime), base_url="http://127.0.0.1") as client:
            create_admin(client).raise_for_status()
            form = client.get("/connections/new?app=cyberimpact")
            created = post_form(client, "/connections/new", {"app": "cyberimpact", "name": "bac", "preset": "sandbox"},
                                token_from="/connections/new?app=cyberimpact")

            fill = re.search(r'data-fill="([^"]+)"', form.text)
            assert fill is not None
            assert json.loads(html.unescape(fill.group(1))) == {"base_url": sandbox.base_url, "token": DEFAULT_TOKEN}
            assert created.url.path == "/connections"
            assert runtime.connections.resolve("bac", "cyberimpact").config["base_url"] == sandbox.base_url
    finally:
        runtime.close()


def test_connection_preset_uses_configured_token(settings: Settings) -> None:
    configured = Settings(**{**settings.model_dump(), "sandbox_token": "demo-only-token"})
    runtime = Runtime(configured)
    try:
        with TestClient(create_app(runtime), base_url="http://127.0.0.1") as client:
            create_admin(client).raise_for_status()
            form = client.get("/connections/new?app=cyberimpact")

            fill = re.search(r'data-fill="([^"]+)"', form.text)
            assert fill is not None
            assert json.loads(html.unescape(fill.group(1)))["token"] == "demo-only-token"
    finally:
        runtime.close()


def test_sandbox_url_setting_checked(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).sandbox_url == "http://127.0.0.1:8466"
    assert Settings(data_dir=tmp_path, sandbox_url=" ").sandbox_url == "http://127.0.0.1:8466"
    with pytest.raises(ValidationError) as caught:
        Settings(data_dir=tmp_path, sandbox_url="127.0.0.1:9000")
    assert "'127.0.0.1:9000' is not a valid URL: start it with http:// or https://" in str(caught.value)


def test_connection_rename_and_recheck(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> None:
    add_sandbox_connection(admin, sandbox, name="first name")
    connection_id = runtime.connections.list("cyberimpact")[0]["id"]

    renamed = post_form(admin, f"/connections/{connection_id}/rename", {"name": "second name"},
                        token_from="/connections")
    checked = post_form(admin, f"/connections/{connection_id}/check", {}, token_from="/connections")

    assert "Connexion renommée." in renamed.text
    assert runtime.connections.get(connection_id)["name"] == "second name"
    assert "La connexion fonctionne\u00a0: compte Boutique Sandbox." in checked.text


def test_connection_delete_blocked_while_used(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> None:
    add_sandbox_connection(admin, sandbox)
    connection_id = runtime.connections.list("cyberimpact")[0]["id"]
    post_form(admin, "/recipes/webhook-form-to-cyberimpact-optin/import", {}, token_from="/recipes")

    confirm = admin.get(f"/connections/{connection_id}/delete")
    refused = post_form(admin, f"/connections/{connection_id}/delete", {}, token_from="/connections")

    assert "Formulaire Web → demande de confirmation d’abonnement" in confirm.text
    assert refused.status_code == 409
    assert "/automations/form-to-optin" in refused.text
    assert runtime.connections.get(connection_id)


def test_connection_rename_blocked_while_used(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> None:
    add_sandbox_connection(admin, sandbox)
    connection_id = runtime.connections.list("cyberimpact")[0]["id"]
    post_form(admin, "/recipes/webhook-form-to-cyberimpact-optin/import", {}, token_from="/recipes")

    refused = post_form(admin, f"/connections/{connection_id}/rename", {"name": "other"}, token_from="/connections")

    assert refused.status_code == 409
    assert runtime.connections.get(connection_id)["name"] == "cyberimpact"


def test_connection_delete_unused(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> None:
    add_sandbox_connection(admin, sandbox)
    connection_id = runtime.connections.list("cyberimpact")[0]["id"]

    page = post_form(admin, f"/connections/{connection_id}/delete", {}, token_from=f"/connections/{connection_id}/delete")

    assert "Connexion supprimée." in page.text
    assert runtime.connections.list() == []


# -- runs ----------------------------------------------------------------------------------

def deliver(client: httpx.Client, runtime: Runtime, automation_id: str, payload: dict[str, Any]) -> str:
    secret = runtime.automations.webhook_secret(automation_id)
    run_id: str = client.post(f"/hooks/{automation_id}/{secret}", json=payload).json()["events"][0]["run_id"]
    runtime.execute_run(run_id)
    return run_id


@pytest.fixture
def forwarding(runtime: Runtime, sink: Sink) -> str:
    runtime.automations.save(webhook_to_sink("forward", sink.url))
    runtime.automations.set_enabled("forward", True)
    return "forward"


def test_runs_list_filters(admin: httpx.Client, runtime: Runtime, sink: Sink, forwarding: str) -> None:
    from tests.support.sink import Reply

    succeeded = deliver(admin, runtime, forwarding, {"email": "ok@example.com"})
    sink.replies.append(Reply(status=400, body={"error": "bad"}))
    failed = deliver(admin, runtime, forwarding, {"email": "bad@example.com"})
    today = datetime.now(timezone.utc).date()

    only_failed = admin.get("/runs", params={"status": "failed"})
    by_automation = admin.get("/runs", params={"automation": forwarding})
    tomorrow = admin.get("/runs", params={"since": (today + timedelta(days=2)).isoformat()})
    bad_date = admin.get("/runs", params={"since": "yesterday"})

    assert f"/runs/{failed}" in only_failed.text
    assert f"/runs/{succeeded}" not in only_failed.text
    assert f"/runs/{succeeded}" in by_automation.text
    assert f"/runs/{failed}" in by_automation.text
    assert "Aucune exécution ne correspond" in tomorrow.text
    assert "Entrez une date sous la forme AAAA-MM-JJ." in alerts(bad_date)


def test_runs_list_paginated(admin: httpx.Client, runtime: Runtime, forwarding: str,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runs_page, "PAGE_SIZE", 2)
    run_ids = [deliver(admin, runtime, forwarding, {"email": f"{index}@example.com"}) for index in range(3)]

    first = admin.get("/runs")
    second = admin.get("/runs", params={"page": "2"})

    assert "Exécutions plus anciennes" in first.text
    assert f"/runs/{run_ids[0]}" not in first.text
    assert f"/runs/{run_ids[0]}" in second.text
    assert "Exécutions plus récentes" in second.text


def test_run_page_and_replay(admin: httpx.Client, runtime: Runtime, sink: Sink, forwarding: str) -> None:
    from tests.support.sink import Reply

    sink.replies.append(Reply(status=400, body={"error": "bad"}))
    run_id = deliver(admin, runtime, forwarding, {"email": "lea@example.com"})

    page = admin.get(f"/runs/{run_id}")
    replayed = post_form(admin, f"/runs/{run_id}/replay", {}, token_from=f"/runs/{run_id}")
    runtime.execute_run(run_id)
    after = admin.get(f"/runs/{run_id}")

    assert "lea@example.com" in page.text
    assert "Reprendre à l’étape en échec" in page.text
    assert "L’exécution est de nouveau en file d’attente." in replayed.text
    assert runtime.runs.get(run_id)["status"] == "succeeded"
    assert "Reprendre à l’étape en échec" not in after.text


def step_headings(page: httpx.Response) -> list[tuple[str, str]]:
    """Return the (title, step id) of each step heading of a run page."""
    found = re.findall(r'<h3 id="step-\d+">(.*?) <span class="step-id">(.*?)</span>', page.text)
    return [(html.unescape(title), html.unescape(step_id)) for title, step_id in found]


def test_run_page_names_steps(admin: httpx.Client, runtime: Runtime, sink: Sink) -> None:
    document = webhook_to_sink("named", sink.url)
    document["steps"].insert(0, {"id": "has_email", "conditions": [{"value": "{{ trigger.email }}",
                                                                     "operator": "exists"}]})
    runtime.automations.save(document)
    runtime.automations.set_enabled("named", True)
    run_id = deliver(admin, runtime, "named", {"email": "lea@example.com"})

    french = admin.get(f"/runs/{run_id}")
    post_form(admin, "/language", {"locale": "en", "next": "/runs"}, token_from="/runs")
    english = admin.get(f"/runs/{run_id}")

    assert step_headings(french) == [
        ("Déclencheur\u00a0: Webhook — Recevoir un webhook", "trigger"),
        ("Étape de filtre", "has_email"),
        ("Action\u00a0: Requête HTTP — Envoyer une requête HTTP", "forward"),
    ]
    assert step_headings(english) == [
        ("Trigger: Webhook — Catch a webhook", "trigger"),
        ("Filter step", "has_email"),
        ("Action: HTTP request — Send an HTTP request", "forward"),
    ]


def test_run_step_titles_without_document(runtime: Runtime) -> None:
    run = {"automation_id": "deleted", "automation_version": 1, "steps": [
        {"step_id": "trigger", "kind": "trigger", "app": None, "operation": None},
        {"step_id": "trigger_details", "kind": "trigger", "app": "hubspot", "operation": "new_contact_instant"},
        {"step_id": "find", "kind": "search", "app": "cyberimpact", "operation": "find_contact"},
        {"step_id": "route", "kind": "path", "app": None, "operation": None},
        {"step_id": "legacy", "kind": "action", "app": "retired_app", "operation": "old_action"},
    ]}

    titles = {step_id: title.render("en") if isinstance(title, LazyText) else title
              for step_id, title in runs_page.step_titles(runtime, run).items()}

    assert titles == {
        "trigger": "Trigger",
        "trigger_details": "Trigger details: HubSpot — New contact (instant)",
        "find": "Search: Cyberimpact — Find contact",
        "route": "Paths step",
        "legacy": "Action: retired_app — old_action",
    }


def test_run_page_unknown(admin: httpx.Client) -> None:
    assert admin.get("/runs/run_missing").status_code == 404


def test_erase_asks_confirmation(admin: httpx.Client, runtime: Runtime, forwarding: str) -> None:
    run_id = deliver(admin, runtime, forwarding, {"email": "lea@example.com"})
    kept = deliver(admin, runtime, forwarding, {"email": "other@example.com"})

    asked = post_form(admin, "/runs/erase", {"email": "Lea@Example.com"}, token_from="/runs/erase")
    still_there = runtime.runs.get(run_id)
    erased = post_form(admin, "/runs/erase", {"email": "Lea@Example.com", "confirm": "yes"}, token_from="/runs/erase")

    assert "Lea@Example.com" in " ".join(alerts(asked))
    assert still_there["id"] == run_id
    assert "Une exécution effacée avec son événement." in erased.text
    assert [run["id"] for run in runtime.runs.list()] == [kept]


def test_erase_rejects_non_address(admin: httpx.Client) -> None:
    page = post_form(admin, "/runs/erase", {"email": "lea"}, token_from="/runs/erase")

    assert page.status_code == 422


# -- settings ------------------------------------------------------------------------------

def test_settings_saved(admin: httpx.Client, runtime: Runtime) -> None:
    page = post_form(admin, "/settings", {"locale": "en", "time_zone": "America/Vancouver", "retention_days": "7"},
                     token_from="/settings")

    user = runtime.users.password_hash(ADMIN_EMAIL)
    assert "Changes saved." in page.text
    assert user is not None
    assert user[0].time_zone == "America/Vancouver"
    assert user[0].locale == "en"
    assert runtime.users.run_retention_days(30) == 7


def test_settings_reject_invalid(admin: httpx.Client, runtime: Runtime) -> None:
    page = post_form(admin, "/settings", {"locale": "de", "time_zone": "Mars/Base", "retention_days": "0"},
                     token_from="/settings")

    assert page.status_code == 422
    assert len(alerts(page)) == 4  # the summary and one per field
    assert runtime.users.run_retention_days(30) == 30


def test_retention_feeds_purge(admin: httpx.Client, runtime: Runtime, forwarding: str) -> None:
    run_id = deliver(admin, runtime, forwarding, {"email": "old@example.com"})
    post_form(admin, "/settings", {"locale": "fr_CA", "time_zone": "America/Toronto", "retention_days": "2"},
              token_from="/settings")
    from arrimage.storage.models import Run

    with runtime.db.session() as session:
        session.execute(update(Run).values(created_at=datetime.now(timezone.utc) - timedelta(days=3)))

    purged = runtime.purge_old_runs()

    assert purged == 1
    assert runtime.runs.list() == []
    assert run_id


def test_dates_in_chosen_time_zone(admin: httpx.Client, runtime: Runtime, forwarding: str) -> None:
    run_id = deliver(admin, runtime, forwarding, {"email": "tz@example.com"})
    created = datetime.fromisoformat(runtime.runs.get(run_id)["created_at"])
    post_form(admin, "/settings", {"locale": "en", "time_zone": "Asia/Tokyo", "retention_days": "30"},
              token_from="/settings")

    page = admin.get(f"/runs/{run_id}")

    from zoneinfo import ZoneInfo
    tokyo_hour = created.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%-I:%M")
    assert tokyo_hour in page.text
