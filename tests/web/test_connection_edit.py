"""The connection edit page: values changed in the browser, checked with the app, secrets kept.

Runs on both storage backends, against a Cyberimpact sandbox on 127.0.0.1 that accepts two
tokens, so that a token can be rotated from one that works to another that works.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from arrimage.web.app import create_app
from tests.sandbox.conftest import SandboxServer
from tests.web.helpers import TestClient, alerts, create_admin, post_form

OLD_TOKEN = "token-before-rotation"
NEW_TOKEN = "token-after-rotation"
WRONG_TOKEN = "wrong-token-123"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[OLD_TOKEN, NEW_TOKEN])).start()
    yield running
    running.stop()


@pytest.fixture
def admin(runtime: Runtime) -> Iterator[httpx.Client]:
    """A test client signed in as the administrator created at first start."""
    with TestClient(create_app(runtime), base_url="http://127.0.0.1") as client:
        create_admin(client).raise_for_status()
        yield client


@pytest.fixture
def connection_id(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> str:
    """Add a Cyberimpact connection named "cyberimpact" through the form, with OLD_TOKEN."""
    add_connection(admin, sandbox, "cyberimpact").raise_for_status()
    return str(runtime.connections.list("cyberimpact")[0]["id"])


def add_connection(client: httpx.Client, sandbox: SandboxServer, name: str) -> httpx.Response:
    return post_form(client, "/connections/new",
                     {"app": "cyberimpact", "name": name, "token": OLD_TOKEN, "base_url": sandbox.base_url},
                     token_from="/connections/new?app=cyberimpact")


def post_edit(client: httpx.Client, connection_id: str, data: dict[str, str]) -> httpx.Response:
    return post_form(client, f"/connections/{connection_id}/edit", data,
                     token_from=f"/connections/{connection_id}/edit")


def field_error(page: httpx.Response, key: str) -> str:
    """Return the text of the error shown under the field ``key``, or "" when there is none."""
    match = re.search(rf'<p class="field-error" id="{key}-error"[^>]*>(.*?)</p>', page.text, re.DOTALL)
    return match.group(1) if match else ""


def input_tag(page: httpx.Response, name: str) -> str:
    match = re.search(rf'<input[^>]* name="{name}"[^>]*>', page.text)
    assert match is not None, f"no input named {name} in {page.url}"
    return match.group(0)


# -- the page -------------------------------------------------------------------------------

def test_list_links_to_edit(admin: httpx.Client, connection_id: str) -> None:
    page = admin.get("/connections")

    assert f'href="/connections/{connection_id}/edit">Modifier' in page.text


def test_edit_page_shows_no_secret(admin: httpx.Client, connection_id: str, sandbox: SandboxServer) -> None:
    page = admin.get(f"/connections/{connection_id}/edit")

    assert page.status_code == 200
    assert OLD_TOKEN not in page.text
    token_input = input_tag(page, "token")
    assert 'type="password"' in token_input
    assert "value=" not in token_input
    assert "required" not in token_input
    assert f'value="{sandbox.base_url}"' in input_tag(page, "base_url")
    assert 'value="cyberimpact"' in input_tag(page, "name")
    assert "Laissez vide pour garder la valeur enregistrée." in page.text


def test_edit_page_in_french(admin: httpx.Client, connection_id: str) -> None:
    page = admin.get(f"/connections/{connection_id}/edit")

    assert "<h1>Modifier la connexion cyberimpact</h1>" in page.text
    assert "Vérifier et enregistrer" in page.text
    assert "Utiliser le bac à sable local" not in page.text


def test_edit_page_in_english(admin: httpx.Client, connection_id: str) -> None:
    post_form(admin, "/language", {"locale": "en", "next": "/connections"}, token_from="/connections")

    page = admin.get(f"/connections/{connection_id}/edit")
    rejected = post_edit(admin, connection_id, {"name": "cyberimpact", "token": "", "base_url": "127.0.0.1:9"})

    assert "<h1>Edit the connection cyberimpact</h1>" in page.text
    assert "Leave empty to keep the saved value." in page.text
    assert rejected.status_code == 422
    assert "The address &#39;127.0.0.1:9&#39; is not valid" in field_error(rejected, "base_url")


def test_edit_unknown_connection_not_found(admin: httpx.Client) -> None:
    page = admin.get("/connections/con_missing/edit")

    assert page.status_code == 404
    assert "con_missing" in page.text


# -- saving -----------------------------------------------------------------------------------

def test_edit_new_token_checked_and_saved(admin: httpx.Client, runtime: Runtime, connection_id: str,
                                          sandbox: SandboxServer) -> None:
    page = post_edit(admin, connection_id, {"name": "cyberimpact", "token": NEW_TOKEN, "base_url": sandbox.base_url})

    resolved = runtime.connections.resolve("cyberimpact", "cyberimpact")
    assert page.url.path == "/connections"
    assert "Connexion modifiée." in page.text
    assert NEW_TOKEN not in page.text
    assert resolved.secrets["token"] == NEW_TOKEN
    assert resolved.config["base_url"] == sandbox.base_url
    assert runtime.connections.get(connection_id)["account_name"] == "Boutique Sandbox"


def test_edit_wrong_token_not_saved(admin: httpx.Client, runtime: Runtime, connection_id: str,
                                    sandbox: SandboxServer) -> None:
    page = post_edit(admin, connection_id, {"name": "renamed", "token": WRONG_TOKEN, "base_url": sandbox.base_url})

    assert page.status_code == 422
    assert any("La vérification auprès de l’application a échoué" in text for text in alerts(page))
    assert WRONG_TOKEN not in page.text
    assert 'value="renamed"' in input_tag(page, "name")
    assert runtime.connections.resolve(connection_id, "cyberimpact").secrets["token"] == OLD_TOKEN
    assert runtime.connections.get(connection_id)["name"] == "cyberimpact"


def test_edit_empty_secret_keeps_saved(admin: httpx.Client, runtime: Runtime, connection_id: str,
                                       sandbox: SandboxServer) -> None:
    page = post_edit(admin, connection_id, {"name": "main account", "token": "", "base_url": sandbox.base_url})

    resolved = runtime.connections.resolve(connection_id, "cyberimpact")
    assert page.url.path == "/connections"
    assert resolved.name == "main account"
    assert resolved.secrets["token"] == OLD_TOKEN
    assert runtime.connections.get(connection_id)["account_name"] == "Boutique Sandbox"


def test_edit_taken_name_rejected(admin: httpx.Client, runtime: Runtime, connection_id: str,
                                  sandbox: SandboxServer) -> None:
    add_connection(admin, sandbox, "second").raise_for_status()
    second_id = next(entry["id"] for entry in runtime.connections.list("cyberimpact") if entry["name"] == "second")

    page = post_edit(admin, second_id, {"name": "cyberimpact", "token": NEW_TOKEN, "base_url": sandbox.base_url})

    name_error = field_error(page, "name")
    assert page.status_code == 422
    assert "porte déjà le nom" in name_error
    assert connection_id in name_error
    assert runtime.connections.get(second_id)["name"] == "second"
    assert runtime.connections.resolve(second_id, "cyberimpact").secrets["token"] == OLD_TOKEN


def test_edit_rename_blocked_while_used(admin: httpx.Client, runtime: Runtime, connection_id: str,
                                        sandbox: SandboxServer) -> None:
    post_form(admin, "/recipes/webhook-form-to-cyberimpact-optin/import", {}, token_from="/recipes")

    page = post_edit(admin, connection_id, {"name": "other", "token": "", "base_url": sandbox.base_url})

    assert page.status_code == 422
    assert "form-to-optin" in field_error(page, "name")
    assert runtime.connections.get(connection_id)["name"] == "cyberimpact"


def test_edit_required_fields_checked(admin: httpx.Client, runtime: Runtime, connection_id: str) -> None:
    page = post_edit(admin, connection_id, {"name": "", "token": "", "base_url": "ftp://127.0.0.1"})

    assert page.status_code == 422
    assert "Une connexion doit avoir un nom." in field_error(page, "name")
    assert "L’adresse &#39;ftp://127.0.0.1&#39; n’est pas valide" in field_error(page, "base_url")
    assert field_error(page, "token") == ""
    assert runtime.connections.get(connection_id)["name"] == "cyberimpact"


def test_edit_long_name_rejected(admin: httpx.Client, runtime: Runtime, connection_id: str,
                                 sandbox: SandboxServer) -> None:
    page = post_edit(admin, connection_id, {"name": "n" * 201, "token": "", "base_url": sandbox.base_url})

    assert page.status_code == 422
    assert "Ce nom compte 201\u00a0caractères" in field_error(page, "name")
    assert runtime.connections.get(connection_id)["name"] == "cyberimpact"


def test_new_long_name_rejected(admin: httpx.Client, runtime: Runtime, sandbox: SandboxServer) -> None:
    page = add_connection(admin, sandbox, "n" * 201)

    assert page.status_code == 422
    assert "Ce nom compte 201\u00a0caractères" in field_error(page, "name")
    assert runtime.connections.list("cyberimpact") == []


def test_rename_long_name_rejected(admin: httpx.Client, runtime: Runtime, connection_id: str) -> None:
    page = post_form(admin, f"/connections/{connection_id}/rename", {"name": "n" * 201},
                     token_from="/connections")

    assert page.status_code == 422
    assert any("Ce nom compte 201\u00a0caractères" in text for text in alerts(page))
    assert runtime.connections.get(connection_id)["name"] == "cyberimpact"


def test_edit_without_csrf_rejected(admin: httpx.Client, runtime: Runtime, connection_id: str,
                                    sandbox: SandboxServer) -> None:
    answer = admin.post(f"/connections/{connection_id}/edit",
                        data={"name": "forged", "token": NEW_TOKEN, "base_url": sandbox.base_url})

    assert answer.status_code == 403
    assert runtime.connections.get(connection_id)["name"] == "cyberimpact"
    assert runtime.connections.resolve(connection_id, "cyberimpact").secrets["token"] == OLD_TOKEN


def test_edit_logs_ids_without_secret(admin: httpx.Client, connection_id: str, sandbox: SandboxServer,
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="arrimage.web.pages.connections")

    post_edit(admin, connection_id, {"name": "cyberimpact", "token": NEW_TOKEN, "base_url": sandbox.base_url})

    changed = [record for record in caplog.records if record.getMessage().startswith("connection changed")]
    assert len(changed) == 1
    assert getattr(changed[0], "connection_id", None) == connection_id
    assert "app cyberimpact" in changed[0].getMessage()
    assert NEW_TOKEN not in caplog.text
    assert OLD_TOKEN not in caplog.text


# -- apps without a check: clearing and removing values ---------------------------------------

def http_connection(runtime: Runtime) -> dict[str, Any]:
    return runtime.connections.create(runtime.apps["http"], "partner",
                                      {"auth_header_name": "X-Api-Key", "auth_header_value": "header-secret"})


def test_edit_removes_optional_secret(admin: httpx.Client, runtime: Runtime) -> None:
    created = http_connection(runtime)
    form = admin.get(f"/connections/{created['id']}/edit")

    page = post_edit(admin, created["id"], {"name": "partner", "auth_header_name": "",
                                            "auth_header_value": "", "remove-auth_header_value": "yes"})

    resolved = runtime.connections.resolve(created["id"], "http")
    assert "header-secret" not in form.text
    assert 'name="remove-auth_header_value"' in form.text
    assert page.url.path == "/connections"
    assert resolved.config == {}
    assert resolved.secrets == {}


def test_edit_new_secret_and_remove_conflict(admin: httpx.Client, runtime: Runtime) -> None:
    created = http_connection(runtime)

    page = post_edit(admin, created["id"], {"name": "partner", "auth_header_name": "X-Api-Key",
                                            "auth_header_value": "other-secret", "remove-auth_header_value": "yes"})

    assert page.status_code == 422
    assert "pas les deux" in field_error(page, "auth_header_value")
    assert "other-secret" not in page.text
    assert runtime.connections.resolve(created["id"], "http").secrets == {"auth_header_value": "header-secret"}


def test_edit_without_check_saves(admin: httpx.Client, runtime: Runtime) -> None:
    created = http_connection(runtime)

    page = post_edit(admin, created["id"], {"name": "partner", "auth_header_name": "Authorization",
                                            "auth_header_value": "Bearer rotated"})

    resolved = runtime.connections.resolve(created["id"], "http")
    assert page.url.path == "/connections"
    assert resolved.config == {"auth_header_name": "Authorization"}
    assert resolved.secrets == {"auth_header_value": "Bearer rotated"}


# -- the add form shares the address check ----------------------------------------------------

def test_new_connection_invalid_address_rejected(admin: httpx.Client, runtime: Runtime) -> None:
    page = post_form(admin, "/connections/new",
                     {"app": "cyberimpact", "name": "typo", "token": OLD_TOKEN, "base_url": "api.cyberimpact.com"},
                     token_from="/connections/new?app=cyberimpact")

    assert page.status_code == 422
    assert "par exemple https://api.cyberimpact.com" in field_error(page, "base_url")
    assert runtime.connections.list("cyberimpact") == []
