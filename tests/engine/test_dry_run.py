"""Dry runs against real servers: a "real" Cyberimpact sandbox behind a stored connection.

Each dry run copies the real sandbox's groups and custom fields into a private sandbox of its
own. The tests check what the dry run reports and that the real sandbox, and any other app,
received no write. The runtime runs on SQLite only: a dry run stores nothing in the database
besides reading connections.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from arrimage.connectors.cyberimpact import APP as CYBERIMPACT
from arrimage.connectors.registry import all_apps
from arrimage.engine.document import AutomationDocument
from arrimage.engine.dry_run import DryRunResult, DryRunStep, dry_run, recipient_steps, recipients
from arrimage.engine.errors import DocumentError
from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN
from tests.support.sink import Sink

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

NEWSLETTER_GROUP = 101  # "Infolettre" in the real sandbox's starting data
EVENTS_GROUP = 103  # "Événements"
EXISTING_MEMBER = "genevieve.tremblay@example.com"  # member 5001 of the starting data
GOOGLE_FORMS_RESPONSE = copy.deepcopy(dict(all_apps()["google_forms"].triggers[0].sample))


@pytest.fixture(scope="module")
def real_sandbox() -> Iterator[SandboxServer]:
    """Run the sandbox that plays the user's real Cyberimpact account."""
    running = SandboxServer(SandboxConfig(tokens=[TOKEN], seed=SEED)).start()
    yield running
    running.stop()


@pytest.fixture
def admin(real_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """Return a client for the real sandbox's admin routes, after resetting its data."""
    with httpx.Client(base_url=real_sandbox.base_url,
                      headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


@pytest.fixture
def connection(runtime: Runtime, real_sandbox: SandboxServer) -> str:
    """Store a Cyberimpact connection to the real sandbox and return its id."""
    stored = runtime.connections.create(
        CYBERIMPACT, "Compte principal", {"token": TOKEN, "base_url": real_sandbox.base_url})
    return str(stored["id"])


def automation(*steps: dict[str, Any], trigger: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": f"dry-{uuid.uuid4().hex[:12]}", "name": "Essai à blanc",
            "trigger": trigger or {"app": "webhook", "event": "catch_hook"}, "steps": list(steps)}


def optin_step(connection: str, **input_values: Any) -> dict[str, Any]:
    return {"id": "optin", "app": "cyberimpact", "action": "send_optin", "connection": connection,
            "input": {"email": "{{ trigger.email }}", **input_values}}


def real_state(admin: httpx.Client) -> dict[str, list[dict[str, Any]]]:
    response = admin.get("/_sandbox/state")
    response.raise_for_status()
    tables: dict[str, list[dict[str, Any]]] = response.json()["tables"]
    return tables


def steps_by_id(result: DryRunResult) -> dict[str, DryRunStep]:
    return {step.step_id: step for step in result.steps}


def warning_codes(step: DryRunStep) -> list[str]:
    return [warning["code"] for warning in step.warnings]


def forms_to_optin(connection: str) -> dict[str, Any]:
    """Google Forms → filter on the newsletter question → opt-in request to the Infolettre group."""
    return automation(
        {"id": "accepts", "type": "filter", "conditions": [{
            "value": "{{ trigger.answers[\"J'accepte de recevoir l'infolettre\"] | default([]) }}",
            "operator": "contains", "compare_to": "Oui"}]},
        {"id": "optin", "app": "cyberimpact", "action": "send_optin", "connection": connection,
         "input": {"email": "{{ trigger.respondent_email }}",
                   "first_name": "{{ trigger.answers['Prénom'] }}",
                   "language": "{{ trigger.answers['Langue de correspondance'] }}",
                   "groups": [NEWSLETTER_GROUP]}},
        {"id": "notify", "app": "http", "action": "request",
         "input": {"url": "http://127.0.0.1:9/unused",
                   "body": {"email": "{{ trigger.respondent_email }}"}}},
        trigger={"app": "google_forms", "event": "new_response"},
    )


def test_optin_reaches_private_outbox_only(runtime: Runtime, admin: httpx.Client,
                                           connection: str) -> None:
    before = real_state(admin)

    result = dry_run(runtime, forms_to_optin(connection), GOOGLE_FORMS_RESPONSE)

    assert result.status == "succeeded"
    assert result.error is None
    assert result.warnings == []
    steps = steps_by_id(result)
    assert [step.step_id for step in result.steps] == ["accepts", "optin", "notify"]
    assert steps["optin"].status == "succeeded"
    assert steps["optin"].dry is False
    assert steps["optin"].output["outcome"] == "optin_sent"
    assert steps["optin"].input["groups"] == [NEWSLETTER_GROUP]
    assert steps["notify"].dry is True

    assert len(result.emails) == 1
    email = result.emails[0]
    assert email["to"] == "eloise.damour@exemple.ca"
    assert email["groups"] == ["Infolettre"]
    assert email["locale"] == "fr_CA"
    assert email["connection"] == "Compte principal"
    # Cyberimpact adds the contact only when the person confirms, which does not happen in this test.
    assert result.contacts == []

    data = json.loads(json.dumps(result.to_dict("en")))
    assert data["status"] == "succeeded"
    assert [step["dry"] for step in data["steps"]] == [False, False, True]
    assert data["emails"] == result.emails

    after = real_state(admin)
    assert after["optins"] == []
    assert len(after["members"]) == len(before["members"])
    assert after["memberships"] == before["memberships"]


def test_optin_email_names_real_account(runtime: Runtime, connection: str) -> None:
    # The connection was stored without a check, so only the real account's ping gives the name.
    assert runtime.connections.get(connection)["account_name"] is None

    result = dry_run(runtime, automation(optin_step(connection)), {"email": "eloise.damour@exemple.ca"})

    [email] = result.emails
    assert email["subject"] == "Confirmez votre abonnement à Boutique Sandbox"
    assert email["connection"] == "Compte principal"


def test_copy_keeps_group_and_field_ids(runtime: Runtime, admin: httpx.Client,
                                                        connection: str) -> None:
    document = automation({
        "id": "contact", "app": "cyberimpact", "action": "create_contact",
        "connection": connection,
        "input": {"email": "{{ trigger.email }}", "groups": [NEWSLETTER_GROUP, EVENTS_GROUP],
                  "custom_fields": {"Ville": "Trois-Rivières", "3": "4"},
                  "relation_type": "web-contacts", "consent_proof": "Formulaire du site"}})
    before = real_state(admin)

    result = dry_run(runtime, document, {"email": "nouveau@exemple.ca"})

    assert result.status == "succeeded"
    assert len(result.contacts) == 1
    contact = result.contacts[0]
    assert contact["email"] == "nouveau@exemple.ca"
    assert contact["groups"] == [{"id": NEWSLETTER_GROUP, "title": "Infolettre"},
                                 {"id": EVENTS_GROUP, "title": "Événements"}]
    assert contact["custom_fields"] == {"1": "Trois-Rivières", "3": 4}
    assert contact["consent"]["relation_type"] == "web-contacts"
    assert contact["consent"]["proof"] == "Formulaire du site"
    assert real_state(admin) == before


def find_then_branch(connection: str) -> dict[str, Any]:
    """Find the contact; if found add it to the Événements group, otherwise create it."""
    return automation(
        {"id": "existing", "type": "search", "app": "cyberimpact", "action": "find_contact",
         "connection": connection, "input": {"email": "{{ trigger.email }}"}},
        {"id": "route", "type": "path", "branches": [{
            "name": "found",
            "conditions": [{"value": "{{ steps.existing.found }}", "operator": "is_true"}],
            "steps": [{"id": "add_events", "app": "cyberimpact", "action": "add_to_groups",
                       "connection": connection,
                       "input": {"email": "{{ trigger.email }}", "groups": [EVENTS_GROUP]}}],
        }], "otherwise": [{
            "id": "create", "app": "cyberimpact", "action": "create_contact",
            "connection": connection,
            "input": {"email": "{{ trigger.email }}", "first_name": "{{ trigger.first_name }}",
                      "groups": [NEWSLETTER_GROUP], "relation_type": "web-contacts",
                      "consent_proof": "Formulaire du site"}}]},
    )


def test_search_finds_nothing_in_copy(runtime: Runtime, admin: httpx.Client,
                                      connection: str) -> None:
    before = real_state(admin)

    result = dry_run(runtime, find_then_branch(connection),
                     {"email": EXISTING_MEMBER, "first_name": "Geneviève"})

    assert result.status == "succeeded"
    steps = steps_by_id(result)
    # The real account has this contact, but the copy contains no contacts.
    assert steps["existing"].output == {"found": False}
    assert warning_codes(steps["existing"]) == ["dry_run.no_contacts"]
    assert steps["existing"].dry is False
    assert steps["route"].output == {"branch": None, "index": None}
    assert "add_events" not in steps
    assert steps["create"].status == "succeeded"
    assert steps["create"].output["outcome"] == "created"
    assert "dry_run.no_contacts" in warning_codes(steps["create"])

    assert [contact["email"] for contact in result.contacts] == [EXISTING_MEMBER]
    assert result.contacts[0]["first_name"] == "Geneviève"
    assert result.contacts[0]["groups"] == [{"id": NEWSLETTER_GROUP, "title": "Infolettre"}]
    assert real_state(admin) == before


def test_search_finds_contact_added_earlier(runtime: Runtime, admin: httpx.Client,
                                            connection: str) -> None:
    document = find_then_branch(connection)
    document["steps"].insert(0, {
        "id": "first", "app": "cyberimpact", "action": "create_contact", "connection": connection,
        "input": {"email": "{{ trigger.email }}", "relation_type": "web-contacts",
                  "consent_proof": "Formulaire du site"}})

    result = dry_run(runtime, document, {"email": "lea@exemple.ca", "first_name": "Léa"})

    assert result.status == "succeeded"
    steps = steps_by_id(result)
    assert steps["existing"].output["found"] is True
    assert steps["route"].output == {"branch": "found", "index": 0}
    assert steps["add_events"].status == "succeeded"
    assert [contact["groups"] for contact in result.contacts] == [
        [{"id": EVENTS_GROUP, "title": "Événements"}]]


def test_add_to_groups_names_missing_contacts(runtime: Runtime, admin: httpx.Client,
                                              connection: str) -> None:
    document = automation({
        "id": "add", "app": "cyberimpact", "action": "add_to_groups", "connection": connection,
        "input": {"email": "{{ trigger.email }}", "groups": [EVENTS_GROUP]}})

    result = dry_run(runtime, document, {"email": EXISTING_MEMBER})

    assert result.status == "failed"
    step = steps_by_id(result)["add"]
    assert step.status == "failed"
    assert step.error is not None
    assert step.error["status_code"] == 404
    assert "copy of the Cyberimpact account contains no contacts" in str(step.error_message("en"))
    assert "ne contient aucun contact" in str(step.error_message("fr_CA"))


def test_other_apps_are_not_called(runtime: Runtime, sink: Sink, connection: str) -> None:
    document = automation(
        {"id": "lookup", "type": "search", "app": "hubspot", "action": "find_contact",
         "input": {"email": "{{ trigger.email }}"}},
        {"id": "notify", "app": "http", "action": "request",
         "input": {"url": f"{sink.url}/hook", "body": {"email": "{{ trigger.email }}"}}},
        {"id": "echo", "app": "http", "action": "request",
         "input": {"url": f"{sink.url}/echo", "body": {"status": "{{ steps.notify.status_code }}",
                                                       "id": "{{ steps.notify.body.id }}"}}},
    )

    result = dry_run(runtime, document, {"email": "eloise.damour@exemple.ca"})

    assert result.status == "succeeded"
    time.sleep(0.1)  # time for a request sent by mistake to reach the sink
    assert sink.requests == []
    steps = steps_by_id(result)
    http_sample = dict(all_apps()["http"].actions[0].sample)
    hubspot_sample = dict(all_apps()["hubspot"].searches[0].sample)
    assert steps["notify"].output == http_sample
    assert steps["lookup"].output == hubspot_sample
    assert all(step.dry for step in result.steps)
    assert warning_codes(steps["notify"]) == ["dry_run.not_sent"]
    assert warning_codes(steps["lookup"]) == ["dry_run.not_searched"]
    # Later steps read the sample output.
    assert steps["echo"].input["body"] == {"status": http_sample["status_code"],
                                           "id": http_sample["body"]["id"]}

    rendered = result.to_dict("fr_CA")["steps"][1]["warnings"][0]["message"]
    assert "essai à blanc" in rendered
    assert "HTTP" in result.to_dict("en")["steps"][1]["warnings"][0]["message"]


def test_filter_that_stops_gives_filtered(runtime: Runtime, admin: httpx.Client,
                                          connection: str) -> None:
    response = copy.deepcopy(GOOGLE_FORMS_RESPONSE)
    response["answers"]["J'accepte de recevoir l'infolettre"] = []

    result = dry_run(runtime, forms_to_optin(connection), response)

    assert result.status == "filtered"
    assert result.error is None
    assert [(step.step_id, step.status) for step in result.steps] == [("accepts", "filtered")]
    assert result.emails == []
    assert real_state(admin)["optins"] == []


def test_template_error_fails_with_message(runtime: Runtime, admin: httpx.Client,
                                           connection: str) -> None:
    document = automation(optin_step(connection, first_name="{{ trigger.profile.first_name }}"))

    result = dry_run(runtime, document, {"email": "eloise.damour@exemple.ca"}, locale="en")

    assert result.status == "failed"
    step = steps_by_id(result)["optin"]
    assert step.status == "failed"
    assert step.error is not None
    assert step.error["code"] == "template_error"
    assert "profile" in str(step.error_message("en"))
    data = result.to_dict()
    assert data["status"] == "failed"
    assert data["error"]["step_id"] == "optin"
    assert data["error"]["message"] == step.error_message("en")
    assert data["steps"][0]["error"]["message"] == step.error_message("en")
    assert result.to_dict("fr_CA")["error"]["message"] == step.error_message("fr_CA")
    assert result.emails == []


def test_unreadable_connection_warns_and_runs(runtime: Runtime, admin: httpx.Client,
                                              real_sandbox: SandboxServer) -> None:
    stored = runtime.connections.create(
        CYBERIMPACT, "Jeton périmé", {"token": "wrong-token", "base_url": real_sandbox.base_url})

    result = dry_run(runtime, automation(optin_step(str(stored["id"]))),
                     {"email": "eloise.damour@exemple.ca"})

    assert result.status == "succeeded"
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.code == "dry_run.account_not_copied"
    assert warning.connection == "Jeton périmé"
    english = warning.message.render("en")
    assert "Jeton périmé" in english
    assert "401" in english
    assert "Jeton périmé" in warning.message.render("fr_CA")
    assert [email["to"] for email in result.emails] == ["eloise.damour@exemple.ca"]
    # The account's name cannot be read either, so the emails fall back to the connection's name.
    assert result.emails[0]["subject"] == "Confirmez votre abonnement à Jeton périmé"
    assert result.to_dict("en")["warnings"][0]["message"] == english


def test_copy_without_group_fails_step(runtime: Runtime, real_sandbox: SandboxServer) -> None:
    stored = runtime.connections.create(
        CYBERIMPACT, "Hors ligne", {"token": TOKEN, "base_url": "http://127.0.0.1:9"})

    result = dry_run(runtime, automation(optin_step(str(stored["id"]), groups=[NEWSLETTER_GROUP])),
                     {"email": "eloise.damour@exemple.ca"})

    # The account could not be copied, so its group is missing from the empty copy.
    assert [warning.connection for warning in result.warnings] == ["Hors ligne"]
    assert result.status == "failed"
    assert steps_by_id(result)["optin"].error is not None


def test_unknown_connection_fails_step(runtime: Runtime, admin: httpx.Client) -> None:
    before = real_state(admin)

    result = dry_run(runtime, automation(optin_step("nowhere")), {"email": "lea@exemple.ca"})

    assert result.status == "failed"
    step = steps_by_id(result)["optin"]
    assert step.error is not None
    assert step.error["code"] == "not_found"
    assert result.warnings == []
    assert real_state(admin) == before


def test_two_references_share_one_copy(runtime: Runtime, admin: httpx.Client,
                                       connection: str) -> None:
    document = automation(
        {"id": "create", "app": "cyberimpact", "action": "create_contact",
         "connection": connection,
         "input": {"email": "{{ trigger.email }}", "relation_type": "web-contacts",
                   "consent_proof": "Formulaire du site"}},
        {"id": "add", "app": "cyberimpact", "action": "add_to_groups",
         "connection": "Compte principal",
         "input": {"email": "{{ trigger.email }}", "groups": [EVENTS_GROUP]}},
    )

    result = dry_run(runtime, document, {"email": "lea@exemple.ca"})

    assert result.status == "succeeded"
    assert [contact["groups"] for contact in result.contacts] == [
        [{"id": EVENTS_GROUP, "title": "Événements"}]]


def test_invalid_document_raises(runtime: Runtime) -> None:
    document = automation({"id": "optin", "app": "cyberimpact", "action": "send_optin",
                           "input": {"emial": "{{ trigger.email }}"}})

    with pytest.raises(DocumentError) as raised:
        dry_run(runtime, document, {"email": "lea@exemple.ca"})

    assert "emial" in str(raised.value.message.render("en"))


def test_parsed_document_accepted(runtime: Runtime, connection: str) -> None:
    document = AutomationDocument.model_validate(automation(optin_step(connection)))

    result = dry_run(runtime, document, {"email": "lea@exemple.ca"})

    assert result.status == "succeeded"
    assert [email["to"] for email in result.emails] == ["lea@exemple.ca"]


def test_trigger_details_not_read(runtime: Runtime, sink: Sink, connection: str) -> None:
    # HubSpot's instant trigger reads the contact from HubSpot at the start of a real run.
    hubspot = runtime.connections.create(
        all_apps()["hubspot"], "HubSpot", {"token": "pat-test", "base_url": sink.url})
    document = automation(optin_step(connection), trigger={
        "app": "hubspot", "event": "new_contact_instant", "connection": hubspot["id"]})

    result = dry_run(runtime, document, {"email": "lea@exemple.ca", "contact_id": "1"})

    assert result.status == "succeeded"
    assert [step.step_id for step in result.steps] == ["optin"]
    assert sink.requests == []
    assert [email["to"] for email in result.emails] == ["lea@exemple.ca"]


def test_three_steps_finish_quickly(runtime: Runtime, admin: httpx.Client,
                                                  connection: str) -> None:
    document = forms_to_optin(connection)
    dry_run(runtime, document, GOOGLE_FORMS_RESPONSE)  # imports and first connections

    started = time.monotonic()
    result = dry_run(runtime, document, GOOGLE_FORMS_RESPONSE)
    elapsed = time.monotonic() - started

    assert result.status == "succeeded"
    assert len(result.steps) == 3
    assert elapsed < 1.0, f"the dry run took {elapsed:.2f} s"


def test_recipients_lists_mapped_emails(connection: str) -> None:
    document = automation(
        {"id": "existing", "type": "search", "app": "cyberimpact", "action": "find_contact",
         "connection": connection, "input": {"email": "{{ trigger.searched }}"}},
        {"id": "crm", "app": "hubspot", "action": "create_or_update_contact",
         "input": {"email": "{{ trigger.work_email }}"}},
        optin_step(connection),
        {"id": "again", "app": "cyberimpact", "action": "add_to_groups",
         "connection": connection,
         "input": {"email": "{{ trigger.email | upper }}", "groups": [EVENTS_GROUP]}},
    )
    trigger = {"searched": "cherche@exemple.ca", "work_email": " Lea@Travail.example ",
               "email": "lea@exemple.ca"}

    assert recipients(document, trigger, all_apps()) == ["Lea@travail.example", "lea@exemple.ca"]
    steps = recipient_steps(document, trigger, all_apps())
    assert [(step.step_id, step.sends_email) for step in steps] == [
        ("crm", False), ("optin", True), ("again", False)]
    assert [step.email for step in steps if step.sends_email] == ["lea@exemple.ca"]


def test_recipients_skip_filtered_steps(connection: str) -> None:
    document = forms_to_optin(connection)
    response = copy.deepcopy(GOOGLE_FORMS_RESPONSE)
    response["answers"]["J'accepte de recevoir l'infolettre"] = []

    assert recipients(document, GOOGLE_FORMS_RESPONSE) == ["eloise.damour@exemple.ca"]
    assert recipients(document, response) == []
