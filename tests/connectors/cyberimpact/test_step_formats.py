"""A step's formats: settings applied by the Cyberimpact actions, over HTTP to the sandbox."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest

from arrimage.connectors.context import FormatSettings, StepContext
from arrimage.connectors.cyberimpact.actions import perform_create_contact, perform_send_optin
from arrimage.connectors.cyberimpact.searches import perform_find_contact
from arrimage.engine.errors import AppRejectedError, InvalidInputError
from tests.connectors.cyberimpact.test_actions import (
    CONSENT,
    connection_to,
    sandbox_member,
    step_context,
)
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import TOKEN


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as current:
        yield current


def context_with(sandbox: SandboxServer, http: httpx.Client, settings: FormatSettings) -> StepContext:
    context = step_context(http, connection_to(sandbox.base_url, TOKEN))
    return dataclasses.replace(context, formats=settings)


def test_off_field_sent_as_mapped(sandbox: SandboxServer, admin: httpx.Client,
                                  http: httpx.Client) -> None:
    context = context_with(sandbox, http, FormatSettings(off=frozenset({"postal_code", "first_name"})))

    perform_create_contact(context, {
        "email": "brut@example.com", "first_name": "  Marie   Ève ", "postal_code": " h2x1y4 ",
        "gender": "Femme", **CONSENT})

    member = sandbox_member(admin, "brut@example.com")
    assert member["postalCode"] == "h2x1y4"
    assert member["firstname"] == "Marie   Ève"
    assert member["gender"] == "f"
    assert context.warnings == []


def test_off_birthdate_reaches_cyberimpact_raw(sandbox: SandboxServer, admin: httpx.Client,
                                               http: httpx.Client) -> None:
    context = context_with(sandbox, http, FormatSettings(off=frozenset({"birthdate"})))

    with pytest.raises(AppRejectedError) as caught:
        perform_send_optin(context, {"email": "brut@example.com", "birthdate": "04/12/1990"})

    assert "04/12/1990" in caught.value.message.render("en")


def test_date_order_option_applied(sandbox: SandboxServer, admin: httpx.Client,
                                   http: httpx.Client) -> None:
    context = context_with(sandbox, http, FormatSettings(date_order="mdy"))

    perform_create_contact(context, {"email": "mdy@example.com", "birthdate": "04/12/1990", **CONSENT})

    assert sandbox_member(admin, "mdy@example.com")["birthdate"] == "1990-04-12"


def test_language_and_province_options(sandbox: SandboxServer, admin: httpx.Client,
                                       http: httpx.Client) -> None:
    settings = FormatSettings(default_language="en_ca", province_implies_country=True)
    context = context_with(sandbox, http, settings)

    perform_create_contact(context, {
        "email": "options@example.com", "language": "Espagnol", "country": "Québec",
        "postal_code": "h2x1y4", **CONSENT})

    member = sandbox_member(admin, "options@example.com")
    assert member["language"] == "en_ca"
    assert member["country"] == "CA"
    assert member["postalCode"] == "H2X 1Y4"
    assert [warning["code"] for warning in context.warnings] == [
        "language.default_used", "country.province_implies_country"]


def test_defaults_leave_options_off(sandbox: SandboxServer, admin: httpx.Client,
                                    http: httpx.Client) -> None:
    context = context_with(sandbox, http, FormatSettings())

    perform_create_contact(context, {
        "email": "defauts@example.com", "language": "Espagnol", "country": "Québec", **CONSENT})

    member = sandbox_member(admin, "defauts@example.com")
    assert member["language"] == ""
    assert member["country"] == ""
    assert [warning["field"] for warning in context.warnings] == ["language", "country"]


def test_email_off_still_needs_value(sandbox: SandboxServer, admin: httpx.Client,
                                     http: httpx.Client) -> None:
    context = context_with(sandbox, http, FormatSettings(off=frozenset({"email"})))

    with pytest.raises(InvalidInputError):
        perform_find_contact(context, {"email": "   "})
    assert perform_find_contact(context, {"email": " inconnu@example.com "}) == {"found": False}
