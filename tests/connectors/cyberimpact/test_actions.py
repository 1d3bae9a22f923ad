"""The Cyberimpact actions and search over real HTTP against the sandbox on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from arrimage.connectors.context import ConnectionData, StepContext
from arrimage.connectors.cyberimpact import APP, check_connection
from arrimage.connectors.cyberimpact.actions import (
    perform_add_to_groups,
    perform_create_contact,
    perform_create_group,
    perform_find_or_create_contact,
    perform_send_optin,
)
from arrimage.connectors.cyberimpact.client import CyberimpactClient
from arrimage.connectors.cyberimpact.searches import perform_find_contact
from arrimage.connectors.cyberimpact.step_input import consent_date
from arrimage.connectors.declaration import OperationKind
from arrimage.engine.errors import AuthenticationError, InvalidInputError
from arrimage.logs import ContextAdapter
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import TOKEN

SUBSCRIBED = "genevieve.tremblay@example.com"  # sandbox starting data: member 5001, groups 101 and 102, express
PLUS_ADDRESS = "chloe.bouchard+infolettre@example.com"  # sandbox starting data: member 5003
UNSUBSCRIBED = "luc.pelletier@example.com"  # sandbox starting data: member 5008
NEWSLETTER_GROUP = 101
SHOP_GROUP = 102
EVENTS_GROUP = 103
CONSENT = {"relation_type": "active-clients", "consent_date": "2025-03-31",
           "consent_proof": "Achat en boutique, facture 1234"}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as current:
        yield current


@pytest.fixture
def context(sandbox: SandboxServer, admin: httpx.Client, http: httpx.Client) -> StepContext:
    """Return a step context whose connection points at the freshly reset sandbox."""
    return step_context(http, connection_to(sandbox.base_url, TOKEN))


def connection_to(base_url: str, token: str) -> ConnectionData:
    return ConnectionData(id="con_test", app="cyberimpact", name="Sandbox",
                          config={"base_url": base_url}, secrets={"token": token})


def step_context(http: httpx.Client, connection: ConnectionData | None) -> StepContext:
    return StepContext(
        automation_id="aut_test", run_id="run_test", step_id="contact", attempt=1,
        connection=connection, http=http, timeout_seconds=5.0,
        logger=ContextAdapter(logging.getLogger("tests.cyberimpact"), {}),
    )


def sandbox_member(admin: httpx.Client, email: str) -> dict[str, Any]:
    response = admin.get(f"/members/{email.replace('+', '%2B')}", params={"dateReturnFormat": "ISO8601"})
    response.raise_for_status()
    member: dict[str, Any] = response.json()
    return member


def sandbox_group_ids(admin: httpx.Client, email: str) -> set[int]:
    response = admin.get(f"/members/{email.replace('+', '%2B')}/groups", params={"limit": 100})
    response.raise_for_status()
    return {group["id"] for group in response.json()["groups"]}


def sandbox_consent(admin: httpx.Client, email: str) -> dict[str, Any]:
    response = admin.get(f"/members/{email.replace('+', '%2B')}/consent")
    response.raise_for_status()
    consent: dict[str, Any] = response.json()
    return consent


def warning_fields(context: StepContext) -> list[str]:
    return [warning["field"] for warning in context.warnings]


# Declaration

def test_app_declares_every_operation() -> None:
    assert APP.key == "cyberimpact"
    assert [operation.key for operation in APP.actions] == [
        "create_contact", "send_optin", "find_or_create_contact", "add_to_groups", "create_group"]
    assert APP.operation(OperationKind.SEARCH, "find_contact") is not None


def test_relation_type_lists_twelve_values() -> None:
    operation = APP.operation(OperationKind.ACTION, "create_contact")
    assert operation is not None
    relation_type = operation.field("relation_type")
    assert relation_type is not None
    assert relation_type.required
    assert len(relation_type.choices) == 12
    assert {choice.value for choice in relation_type.choices} >= {"express-consent", "partners"}


def test_check_connection_returns_account(sandbox: SandboxServer) -> None:
    name = check_connection({"token": TOKEN, "base_url": sandbox.base_url})
    assert name


# create_contact

def test_create_contact_success(context: StepContext, admin: httpx.Client) -> None:
    output = perform_create_contact(context, {
        "email": "nouveau@example.com", "first_name": "Amélie", "groups": [NEWSLETTER_GROUP],
        **CONSENT})

    assert output["outcome"] == "created"
    assert output["contact"]["email"] == "nouveau@example.com"
    assert {group["id"] for group in output["groups"]} == {NEWSLETTER_GROUP}
    assert sandbox_member(admin, "nouveau@example.com")["firstname"] == "Amélie"
    assert sandbox_group_ids(admin, "nouveau@example.com") == {NEWSLETTER_GROUP}
    assert context.warnings == []


def test_create_contact_records_consent(context: StepContext, admin: httpx.Client) -> None:
    output = perform_create_contact(context, {
        "email": "consent@example.com", "relation_type": "express-consent",
        "consent_date": "2025-02-14T15:30:00+00:00", "consent_proof": "Formulaire du site"})

    consent = sandbox_consent(admin, "consent@example.com")
    assert consent["relationType"] == "express-consent"
    assert consent["consentType"] == "express"
    assert consent["consentDate"].startswith("2025-02-14")
    assert consent["consentProof"] == "Formulaire du site"
    assert output["consent"]["relationType"] == "express-consent"


def test_create_contact_french_values_converted(context: StepContext, admin: httpx.Client) -> None:
    perform_create_contact(context, {
        "email": "francine@example.com", "gender": "Femme", "language": "Français",
        "birthdate": "4 décembre 1990", "country": "Canada", "postal_code": "h2x1y4", **CONSENT})

    member = sandbox_member(admin, "francine@example.com")
    assert member["gender"] == "f"
    assert member["language"] == "fr_ca"
    assert member["birthdate"] == "1990-12-04"
    assert member["country"] == "CA"
    assert member["postalCode"] == "H2X 1Y4"
    assert context.warnings == []


def test_create_contact_value_left_out_warns(context: StepContext, admin: httpx.Client) -> None:
    output = perform_create_contact(context, {
        "email": "warned@example.com", "first_name": "Paul", "gender": "xyz",
        "birthdate": "31 février 1990", **CONSENT})

    assert output["outcome"] == "created"
    member = sandbox_member(admin, "warned@example.com")
    assert member["gender"] == ""
    assert member["birthdate"] is None
    assert member["firstname"] == "Paul"
    assert warning_fields(context) == ["gender", "birthdate"]
    warning = context.warnings[0]
    assert warning["code"] == "gender.unknown"
    assert "xyz" in warning["message"]["en"]
    assert "xyz" in warning["message"]["fr_CA"]


def test_create_contact_custom_fields(context: StepContext, admin: httpx.Client) -> None:
    perform_create_contact(context, {
        "email": "custom@example.com", **CONSENT,
        "custom_fields": {"Ville": "Montréal", "3": "12", "Total des achats": "642,35",
                          "Nombre de commandes": "beaucoup", "Inconnu": "x"}})

    member = sandbox_member(admin, "custom@example.com")
    assert member["customFields"]["1"] == "Montréal"
    assert member["customFields"]["3"] == 12
    assert member["customFields"]["4"] == pytest.approx(642.35)
    assert warning_fields(context) == ["custom_fields.Nombre de commandes", "custom_fields.Inconnu"]


def test_create_contact_duplicate_unchanged(context: StepContext, admin: httpx.Client) -> None:
    before = sandbox_member(admin, SUBSCRIBED)
    output = perform_create_contact(context, {
        "email": SUBSCRIBED, "first_name": "Autre", "groups": [EVENTS_GROUP], **CONSENT})

    assert output["outcome"] == "already_exists"
    assert output["contact"]["id"] == 5001
    after = sandbox_member(admin, SUBSCRIBED)
    assert after == before
    assert sandbox_group_ids(admin, SUBSCRIBED) == {NEWSLETTER_GROUP, SHOP_GROUP}
    assert sandbox_consent(admin, SUBSCRIBED)["relationType"] == "express-consent"


def test_create_contact_unsubscribed_not_readded(context: StepContext, admin: httpx.Client) -> None:
    output = perform_create_contact(context, {"email": UNSUBSCRIBED, **CONSENT})

    assert output["outcome"] == "unsubscribed"
    unsubscribed = admin.get(f"/members/unsubscribed/{UNSUBSCRIBED}")
    assert unsubscribed.status_code == 200


def test_create_contact_plus_address(context: StepContext, admin: httpx.Client) -> None:
    output = perform_create_contact(context, {"email": "anne+promo@example.com", **CONSENT})

    assert output["outcome"] == "created"
    assert sandbox_member(admin, "anne+promo@example.com")["email"] == "anne+promo@example.com"


def test_create_contact_invalid_email_fails(context: StepContext) -> None:
    with pytest.raises(InvalidInputError) as caught:
        perform_create_contact(context, {"email": "pas-une-adresse@", **CONSENT})
    assert "pas-une-adresse@" in caught.value.message.render("en")


def test_create_contact_invalid_relation_fails(context: StepContext) -> None:
    with pytest.raises(InvalidInputError) as caught:
        perform_create_contact(context, {**CONSENT, "email": "x@example.com",
                                         "relation_type": "friends"})
    assert "friends" in caught.value.message.render("en")


def test_consent_date_defaults_to_today() -> None:
    assert consent_date("") == dt.datetime.now(ZoneInfo("America/Toronto")).date()
    assert consent_date(None) == dt.datetime.now(ZoneInfo("America/Toronto")).date()


def test_consent_date_reads_event_time() -> None:
    # 02:00 UTC on 1 March is still 28 February in Toronto.
    assert consent_date("2025-03-01T02:00:00+00:00") == dt.date(2025, 2, 28)
    assert consent_date("2025-03-01") == dt.date(2025, 3, 1)
    with pytest.raises(InvalidInputError):
        consent_date("hier")


def test_create_contact_without_connection_fails(http: httpx.Client) -> None:
    with pytest.raises(AuthenticationError):
        perform_create_contact(step_context(http, None), {"email": "a@example.com", **CONSENT})


def test_invalid_token_raises_authentication(sandbox: SandboxServer, http: httpx.Client) -> None:
    context = step_context(http, connection_to(sandbox.base_url, "wrong-token"))
    with pytest.raises(AuthenticationError):
        perform_find_contact(context, {"email": SUBSCRIBED})


# send_optin

def test_send_optin_lands_in_outbox(context: StepContext, admin: httpx.Client) -> None:
    output = perform_send_optin(context, {
        "email": "optin+test@example.com", "language": "English", "groups": "101",
        "confirmation_url": "https://example.com/merci"})

    assert output["outcome"] == "optin_sent"
    assert output["optin_request_id"]
    outbox = admin.get("/outbox.json").json()
    assert [message["to"] for message in outbox["messages"]] == ["optin+test@example.com"]


def test_send_optin_bad_url_left_out(context: StepContext) -> None:
    output = perform_send_optin(context, {"email": "optin2@example.com",
                                          "confirmation_url": "merci.html"})
    assert output["outcome"] == "optin_sent"
    assert warning_fields(context) == ["confirmation_url"]


# find_contact

def test_find_contact_found(context: StepContext) -> None:
    output = perform_find_contact(context, {"email": SUBSCRIBED})

    assert output["found"] is True
    assert output["contact"]["id"] == 5001
    assert {group["id"] for group in output["groups"]} == {NEWSLETTER_GROUP, SHOP_GROUP}
    assert output["consent"]["consentType"] == "express"
    assert output["unsubscribed"] is False


def test_find_contact_plus_address(context: StepContext) -> None:
    output = perform_find_contact(context, {"email": PLUS_ADDRESS})
    assert output["found"] is True
    assert output["contact"]["id"] == 5003


def test_find_contact_not_found(context: StepContext) -> None:
    assert perform_find_contact(context, {"email": "personne@example.com"}) == {"found": False}


# add_to_groups

def test_add_to_groups_is_additive(context: StepContext, admin: httpx.Client) -> None:
    output = perform_add_to_groups(context, {"email": SUBSCRIBED, "groups": [EVENTS_GROUP]})

    expected = {NEWSLETTER_GROUP, SHOP_GROUP, EVENTS_GROUP}
    assert {group["id"] for group in output["groups"]} == expected
    assert sandbox_group_ids(admin, SUBSCRIBED) == expected


def test_add_to_groups_needs_a_group(context: StepContext) -> None:
    with pytest.raises(InvalidInputError):
        perform_add_to_groups(context, {"email": SUBSCRIBED, "groups": []})


def test_add_to_groups_rejects_bad_id(context: StepContext) -> None:
    with pytest.raises(InvalidInputError) as caught:
        perform_add_to_groups(context, {"email": SUBSCRIBED, "groups": "101,abc"})
    assert "abc" in caught.value.message.render("en")


# create_group

def test_create_group_success(context: StepContext, admin: httpx.Client) -> None:
    output = perform_create_group(context, {"title": "Nouveautés", "public": True})

    assert output["outcome"] == "created"
    assert output["group"]["title"] == "Nouveautés"
    assert output["group"]["isPublic"] is True
    stored = admin.get(f"/groups/{output['group']['id']}").json()
    assert stored["title"] == "Nouveautés"


def test_create_group_duplicate_returns_existing(context: StepContext, admin: httpx.Client) -> None:
    before = admin.get("/groups", params={"limit": 100}).json()["totalCount"]
    output = perform_create_group(context, {"title": "  infolettre "})

    assert output["outcome"] == "already_exists"
    assert output["group"]["id"] == NEWSLETTER_GROUP
    assert admin.get("/groups", params={"limit": 100}).json()["totalCount"] == before


def test_create_group_duplicate_allowed(context: StepContext) -> None:
    output = perform_create_group(context, {"title": "Infolettre", "allow_duplicate": True})
    assert output["outcome"] == "created"
    assert output["group"]["id"] != NEWSLETTER_GROUP


# find_or_create_contact

def test_find_or_create_creates(context: StepContext, admin: httpx.Client) -> None:
    output = perform_find_or_create_contact(context, {
        "email": "creer@example.com", "groups": [EVENTS_GROUP], **CONSENT})

    assert output["outcome"] == "created"
    assert sandbox_group_ids(admin, "creer@example.com") == {EVENTS_GROUP}
    assert sandbox_consent(admin, "creer@example.com")["consentProof"] == CONSENT["consent_proof"]


def test_find_or_create_adds_groups_only(context: StepContext, admin: httpx.Client) -> None:
    before = sandbox_member(admin, SUBSCRIBED)
    output = perform_find_or_create_contact(context, {
        "email": SUBSCRIBED, "first_name": "Autre", "groups": [EVENTS_GROUP], **CONSENT})

    assert output["outcome"] == "added_to_groups"
    assert sandbox_group_ids(admin, SUBSCRIBED) == {NEWSLETTER_GROUP, SHOP_GROUP, EVENTS_GROUP}
    after = sandbox_member(admin, SUBSCRIBED)
    assert after["firstname"] == before["firstname"]
    assert sandbox_consent(admin, SUBSCRIBED)["relationType"] == "express-consent"


def test_find_or_create_unsubscribed(context: StepContext, admin: httpx.Client) -> None:
    output = perform_find_or_create_contact(context, {
        "email": UNSUBSCRIBED, "groups": [EVENTS_GROUP], **CONSENT})

    assert output["outcome"] == "unsubscribed"
    assert EVENTS_GROUP not in sandbox_group_ids(admin, UNSUBSCRIBED)


def test_find_or_create_plus_address(context: StepContext, admin: httpx.Client) -> None:
    output = perform_find_or_create_contact(context, {
        "email": PLUS_ADDRESS, "groups": [EVENTS_GROUP], **CONSENT})

    assert output["outcome"] == "added_to_groups"
    assert EVENTS_GROUP in sandbox_group_ids(admin, PLUS_ADDRESS)


def test_client_sees_created_contact(context: StepContext, sandbox: SandboxServer) -> None:
    perform_create_contact(context, {"email": "visible@example.com", **CONSENT})
    with CyberimpactClient(TOKEN, base_url=sandbox.base_url) as client:
        assert client.get_unsubscribed_member("visible@example.com") is None
        assert client.get_unsubscribed_member(UNSUBSCRIBED) is not None
