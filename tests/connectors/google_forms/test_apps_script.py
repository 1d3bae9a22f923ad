"""The generated Apps Script: its text, and its payload when run under Node with a fake FormApp."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from arrimage.connectors.google_forms import APP
from arrimage.connectors.google_forms.apps_script import (
    apps_script_for_automation,
    public_url_problem,
    render_apps_script,
)
from arrimage.emulators.google_forms import GoogleFormsEmulator, encode_script_body
from arrimage.engine.errors import InvalidInputError
from arrimage.runtime import Runtime
from tests.cli.test_cli import run_cli
from tests.support.processes import in_process_server

from .conftest import ANSWERS, SIGNING_SECRET

HARNESS = Path(__file__).with_name("fake_apps_script.js")
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
WEBHOOK_URL = "https://arrimage.exemple.ca/hooks/inscriptions"
WEBHOOK_SECRET = "url-secret-81c2"


def render(**overrides: str) -> str:
    values = {"webhook_url": WEBHOOK_URL, "webhook_secret": WEBHOOK_SECRET,
              "signing_secret": SIGNING_SECRET, "automation_label": "Inscriptions (inscriptions)"}
    return render_apps_script(**{**values, **overrides})


def run_script(script: str, view: dict[str, Any], tmp_path: Path) -> list[dict[str, Any]]:
    """Run ``script``'s form-submit handler under Node; return what UrlFetchApp.fetch received."""
    script_path = tmp_path / "Code.gs.js"
    view_path = tmp_path / "view.json"
    script_path.write_text(script, encoding="utf-8")
    view_path.write_text(json.dumps(view), encoding="utf-8")
    assert NODE is not None
    done = subprocess.run([NODE, str(HARNESS), str(script_path), str(view_path)],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    fetched: list[dict[str, Any]] = json.loads(done.stdout)
    return fetched


def test_script_contains_url_and_secrets() -> None:
    script = render()

    assert f'var ARRIMAGE_WEBHOOK_URL = "{WEBHOOK_URL}";' in script
    assert f'var ARRIMAGE_WEBHOOK_SECRET = "{WEBHOOK_SECRET}";' in script
    assert f'var ARRIMAGE_SIGNING_SECRET = "{SIGNING_SECRET}";' in script
    assert "__ARRIMAGE_" not in script
    assert "function arrimageOnFormSubmit(e)" in script
    assert "@OnlyCurrentDoc" in script


def test_script_braces_balanced() -> None:
    script = render()
    # Comments first (none of this script's strings contains "/*" or " // "), then strings.
    code = re.sub(r"/\*.*?\*/", "", script, flags=re.DOTALL)
    code = re.sub(r"(?m)(^|\s)//\s.*$", "", code)
    code = re.sub(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"", "''", code)

    assert code.count("{") == code.count("}")
    assert code.count("(") == code.count(")")


@needs_node
def test_script_is_valid_javascript(tmp_path: Path) -> None:
    path = tmp_path / "script.js"
    path.write_text(render(automation_label="Nom */ alert(1) /* piégé"), encoding="utf-8")
    assert NODE is not None

    checked = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True,
                             timeout=30, check=False)

    assert checked.returncode == 0, checked.stderr


@needs_node
def test_hostile_values_stay_strings(tmp_path: Path) -> None:
    hostile = 'a"; throw new Error("injected"); var x = "\u2028'
    path = tmp_path / "script.js"
    path.write_text(render(webhook_secret=hostile) + "\nconsole.log(ARRIMAGE_WEBHOOK_SECRET);\n",
                    encoding="utf-8")
    assert NODE is not None

    done = subprocess.run([NODE, str(path)], capture_output=True, text=True, timeout=30, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip("\n") == hostile


@needs_node
def test_node_payload_matches_emulator(emulator: GoogleFormsEmulator, form_id: str,
                                       tmp_path: Path) -> None:
    response = emulator.state.submit(form_id, ANSWERS)
    view = emulator.state.apps_script_view(form_id, response["responseId"])

    fetched = run_script(render(), view, tmp_path)

    assert len(fetched) == 1
    request = fetched[0]
    assert request["url"] == WEBHOOK_URL
    options = request["options"]
    assert options["method"] == "post"
    assert options["contentType"] == "application/json"
    assert options["muteHttpExceptions"] is True
    body = options["payload"].encode("ascii")
    expected = emulator.state.apps_script_payload(form_id, response["responseId"])
    assert json.loads(body) == expected
    assert body == encode_script_body(expected)
    headers = options["headers"]
    assert headers["X-Arrimage-Secret"] == WEBHOOK_SECRET
    digest = hmac.new(SIGNING_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Arrimage-Signature"] == "sha256=" + digest


@needs_node
def test_node_payload_answer_shapes(emulator: GoogleFormsEmulator, form_id: str,
                                    tmp_path: Path) -> None:
    response = emulator.state.submit(form_id, ANSWERS, respondent_email="eloise@exemple.ca")
    view = emulator.state.apps_script_view(form_id, response["responseId"])

    payload = json.loads(run_script(render(), view, tmp_path)[0]["options"]["payload"])

    answers = payload["answers"]
    assert payload["response_id"] == response["responseId"]
    assert payload["respondent_email"] == "eloise@exemple.ca"
    assert answers["Sujets qui vous intéressent"] == ["Infolettre", "Promotions"]
    assert answers["Date de naissance"] == ""
    assert answers["Pièce jointe"] == []
    assert answers["Disponibilités"] == {"Lundi": ["Matin", "Soir"], "Mardi": []}
    assert answers["Satisfaction"] == {"Accueil": "Bien", "Prix": ""}
    assert answers["Commentaire"] == ANSWERS["Commentaire"]
    assert answers["Commentaire (2)"] == ""
    assert "Section 2" not in answers
    assert len(payload["answers_by_id"]) == len(answers)


@needs_node
def test_node_unsigned_without_secret(emulator: GoogleFormsEmulator, form_id: str,
                                      tmp_path: Path) -> None:
    response = emulator.state.submit(form_id, ANSWERS)
    view = emulator.state.apps_script_view(form_id, response["responseId"])

    headers = run_script(render(signing_secret=""), view, tmp_path)[0]["options"]["headers"]

    assert headers == {"X-Arrimage-Secret": WEBHOOK_SECRET}


# Responses that Arrimage does not accept are kept in the script's properties and sent again.

PENDING = "arrimagePendingResponseIds"


def run_scenario(view: dict[str, Any], tmp_path: Path, *, call: str = "submit",
                 statuses: list[int] | None = None,
                 properties: dict[str, str] | None = None,
                 known_ids: list[str] | None = None) -> dict[str, Any]:
    """Run the script under Node, the fetches getting ``statuses`` in turn.

    Returns the requests fetched, the script properties afterwards and the error thrown, if any.
    """
    script_path = tmp_path / "Code.gs.js"
    view_path = tmp_path / "view.json"
    scenario_path = tmp_path / "scenario.json"
    script_path.write_text(render(), encoding="utf-8")
    view_path.write_text(json.dumps(view), encoding="utf-8")
    scenario_path.write_text(json.dumps({"call": call, "statuses": statuses or [],
                                         "properties": properties or {},
                                         "known_ids": known_ids or []}), encoding="utf-8")
    assert NODE is not None
    done = subprocess.run([NODE, str(HARNESS), str(script_path), str(view_path), str(scenario_path)],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture
def response_view(emulator: GoogleFormsEmulator, form_id: str) -> dict[str, Any]:
    response = emulator.state.submit(form_id, ANSWERS)
    return emulator.state.apps_script_view(form_id, response["responseId"])


@needs_node
def test_refused_response_kept(response_view: dict[str, Any], tmp_path: Path) -> None:
    result = run_scenario(response_view, tmp_path, statuses=[503, 0, 502])

    response_id = response_view["response"]["id"]
    assert len(result["fetched"]) == 3
    assert json.loads(result["properties"][PENDING]) == [response_id]
    assert f"Arrimage did not accept response {response_id} (HTTP 502" in result["error"]
    assert "It is kept and sent again before the next response." in result["error"]


@needs_node
def test_rejected_response_not_retried(response_view: dict[str, Any], tmp_path: Path) -> None:
    result = run_scenario(response_view, tmp_path, statuses=[401])

    assert len(result["fetched"]) == 1
    assert json.loads(result["properties"][PENDING]) == [response_view["response"]["id"]]
    assert "(HTTP 401" in result["error"]


@needs_node
def test_kept_response_sent_by_resend(response_view: dict[str, Any], tmp_path: Path) -> None:
    response_id = response_view["response"]["id"]
    properties = {PENDING: json.dumps(["deleted-response", response_id])}

    result = run_scenario(response_view, tmp_path, call="resend", properties=properties)

    assert result["error"] is None
    assert len(result["fetched"]) == 1
    assert json.loads(result["fetched"][0]["options"]["payload"])["response_id"] == response_id
    assert PENDING not in result["properties"]


@needs_node
def test_resend_stops_while_refused(response_view: dict[str, Any], tmp_path: Path) -> None:
    response_id = response_view["response"]["id"]
    properties = {PENDING: json.dumps([response_id])}

    result = run_scenario(response_view, tmp_path, call="resend", statuses=[503], properties=properties)

    assert result["error"] is None
    assert len(result["fetched"]) == 1
    assert json.loads(result["properties"][PENDING]) == [response_id]


@needs_node
def test_next_submit_sends_kept_first(response_view: dict[str, Any], tmp_path: Path) -> None:
    response_id = response_view["response"]["id"]
    properties = {PENDING: json.dumps([response_id])}

    result = run_scenario(response_view, tmp_path, properties=properties)

    # The kept response is sent again, then the submitted one (here the same response).
    assert result["error"] is None
    assert len(result["fetched"]) == 2
    assert PENDING not in result["properties"]


@needs_node
def test_deleted_kept_response_dropped(response_view: dict[str, Any], tmp_path: Path) -> None:
    deleted = [f"deleted-{index}" for index in range(3)]

    result = run_scenario(response_view, tmp_path, statuses=[503, 503, 503],
                          properties={PENDING: json.dumps(deleted)})

    # The deleted responses cannot be sent, so they are dropped without a request.
    assert len(result["fetched"]) == 3
    assert json.loads(result["properties"][PENDING]) == [response_view["response"]["id"]]


@needs_node
def test_kept_ids_bounded(response_view: dict[str, Any], tmp_path: Path) -> None:
    older = [f"older-{index}" for index in range(100)]

    # The resend stops at the first older response, then the new one is refused and kept.
    result = run_scenario(response_view, tmp_path, statuses=[503, 503, 503, 503],
                          properties={PENDING: json.dumps(older)}, known_ids=older)

    pending_ids = json.loads(result["properties"][PENDING])
    assert len(pending_ids) == 100
    assert pending_ids[0] == "older-1"
    assert pending_ids[-1] == response_view["response"]["id"]


# The script of a stored automation, and what Arrimage does with its request.


@pytest.fixture
def connection_name(runtime: Runtime) -> str:
    runtime.connections.create(APP, "formulaire", {"signing_secret": SIGNING_SECRET})
    return "formulaire"


def save_automation(runtime: Runtime, automation_id: str, connection: str | None) -> None:
    trigger: dict[str, Any] = {"app": "google_forms", "event": "new_response"}
    if connection:
        trigger["connection"] = connection
    runtime.automations.save({"id": automation_id, "name": "Inscriptions */ piège",
                              "trigger": trigger, "steps": []})
    runtime.automations.set_enabled(automation_id, True)


@pytest.fixture
def served(runtime: Runtime) -> Iterator[str]:
    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        yield base_url


@needs_node
def test_script_request_accepted(runtime: Runtime, connection_name: str, served: str,
                                 emulator: GoogleFormsEmulator, form_id: str,
                                 tmp_path: Path) -> None:
    save_automation(runtime, "inscriptions", connection_name)
    settings = runtime.settings.model_copy(update={"public_url": served})
    runtime.settings = settings
    script = apps_script_for_automation(runtime, "inscriptions")
    response = emulator.state.submit(form_id, ANSWERS)
    view = emulator.state.apps_script_view(form_id, response["responseId"])
    request = run_script(script, view, tmp_path)[0]

    answer = httpx.post(request["url"], content=request["options"]["payload"].encode("ascii"),
                        headers={**request["options"]["headers"], "Content-Type": "application/json"},
                        timeout=10)

    assert answer.status_code == 200, answer.text
    events = runtime.events.list("inscriptions", limit=10)
    assert len(events) == 1
    stored = runtime.events.get(events[0]["id"])["payload"]
    assert stored == emulator.state.apps_script_payload(form_id, response["responseId"])


def test_script_for_other_trigger_rejected(runtime: Runtime) -> None:
    runtime.automations.save({"id": "autre", "name": "Autre",
                              "trigger": {"app": "webhook", "event": "catch_hook"}, "steps": []})

    with pytest.raises(InvalidInputError) as caught:
        apps_script_for_automation(runtime, "autre")

    assert "google_forms.new_response" in caught.value.message.render("en")


def test_script_without_signing_secret_rejected(runtime: Runtime) -> None:
    runtime.connections.create(APP, "api-seulement", {"access_token": "jeton"})
    save_automation(runtime, "sans-secret", "api-seulement")

    with pytest.raises(InvalidInputError) as caught:
        apps_script_for_automation(runtime, "sans-secret")

    assert "signing secret" in caught.value.message.render("en")


def test_script_without_connection_unsigned(runtime: Runtime) -> None:
    save_automation(runtime, "sans-connexion", None)

    script = apps_script_for_automation(runtime, "sans-connexion")

    assert 'var ARRIMAGE_SIGNING_SECRET = "";' in script
    assert f"{runtime.settings.base_url}/hooks/sans-connexion" in script
    assert "piège" in script
    assert "*/ piège" not in script


def test_api_route_returns_script(runtime: Runtime, connection_name: str, served: str) -> None:
    save_automation(runtime, "inscriptions", connection_name)

    answer = httpx.get(f"{served}/api/automations/inscriptions/apps-script", timeout=10)
    missing = httpx.get(f"{served}/api/automations/inconnue/apps-script", timeout=10)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["cache-control"] == "no-store"
    assert SIGNING_SECRET in answer.text
    assert runtime.automations.webhook_secret("inscriptions") in answer.text
    assert missing.status_code == 404


def test_cli_prints_script(tmp_path: Path) -> None:
    env = {"ARRIMAGE_DATA_DIR": str(tmp_path / "data")}
    automation = tmp_path / "form.yaml"
    automation.write_text("id: inscriptions\nname: Inscriptions\n"
                          "trigger: {app: google_forms, event: new_response}\nsteps: []\n",
                          encoding="utf-8")
    imported = run_cli(["automations", "import", str(automation)], env)
    assert imported.returncode == 0, imported.stderr

    printed = run_cli(["apps", "script", "google_forms", "inscriptions"], env)
    other_app = run_cli(["apps", "script", "webhook", "inscriptions"], env)

    assert printed.returncode == 0, printed.stderr
    assert "function arrimageOnFormSubmit(e)" in printed.stdout
    assert "ARRIMAGE_PUBLIC_URL" in printed.stderr
    assert "/hooks/inscriptions" in printed.stdout
    assert other_app.returncode == 2
    assert "google_forms" in other_app.stderr


@pytest.mark.parametrize(("url", "reachable"), [
    ("https://arrimage.exemple.ca", True),
    ("https://24.48.10.20:8443", True),
    ("http://arrimage.exemple.ca", False),
    ("http://127.0.0.1:8465", False),
    ("https://192.168.1.20", False),
    ("https://localhost", False),
    ("https://serveur.local", False),
])
def test_public_url_problem(url: str, reachable: bool) -> None:
    assert (public_url_problem(url) is None) is reachable
