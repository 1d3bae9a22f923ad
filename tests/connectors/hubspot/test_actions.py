"""The HubSpot action, search, connection check and error mapping, over HTTP against the emulator."""

from __future__ import annotations

import httpx
import pytest

from arrimage.connectors.context import ConnectionData, StepContext
from arrimage.connectors.hubspot import APP, check_connection
from arrimage.connectors.hubspot.actions import (
    perform_create_or_update_contact,
    perform_find_contact,
)
from arrimage.connectors.hubspot.client import (
    HubSpotClient,
    InvalidTokenError,
    parse_error_body,
)
from arrimage.emulators.hubspot import DEFAULT_TOKEN, EmulatorServer, HubSpotEmulator
from arrimage.engine.errors import (
    AuthenticationError,
    InvalidInputError,
    RateLimitedError,
    ServerError,
)
from arrimage.runtime import Runtime

from .conftest import hubspot_connection, step_context

ELOISE = {"email": "Eloise.Damour@Exemple.ca", "firstname": "Éloïse", "lastname": "D'Amour",
          "company": "Boulangerie Côté", "phone": "+1 418 555 0142",
          "lifecyclestage": "subscriber", "properties": {"hs_language": "fr", "city": "Québec"}}


def test_create_when_absent(context: StepContext, emulator: HubSpotEmulator) -> None:
    output = perform_create_or_update_contact(context, dict(ELOISE))

    assert output["outcome"] == "created"
    assert output["created"] is True
    stored = emulator.find_by_email("eloise.damour@exemple.ca")
    assert stored is not None
    assert output["contact"]["id"] == stored["id"]
    assert stored["properties"]["firstname"] == "Éloïse"
    assert stored["properties"]["hs_language"] == "fr"
    assert stored["properties"]["city"] == "Québec"
    assert stored["properties"]["lifecyclestage"] == "subscriber"
    assert output["contact"]["email"] == "eloise.damour@exemple.ca"


def test_update_when_present(context: StepContext, emulator: HubSpotEmulator) -> None:
    existing = emulator.add_contact({"email": "eloise.damour@exemple.ca", "firstname": "Elo",
                                     "company": "Ancienne", "jobtitle": "Boulangère"})

    output = perform_create_or_update_contact(
        context, {"email": "eloise.damour@exemple.ca", "firstname": "Éloïse", "company": "",
                  "properties": {"city": "Lévis", "zip": None}})

    assert output["outcome"] == "updated"
    assert output["created"] is False
    assert output["contact"]["id"] == existing["id"]
    stored = emulator.contact(existing["id"])
    assert stored is not None
    assert stored["properties"]["firstname"] == "Éloïse"
    assert stored["properties"]["company"] == "Ancienne"  # an empty value erases nothing
    assert stored["properties"]["jobtitle"] == "Boulangère"
    assert stored["properties"]["city"] == "Lévis"
    assert output["contact"]["firstname"] == "Éloïse"
    assert emulator.request_log.count("POST /crm/v3/objects/contacts") == 0


def test_conflict_on_create_updates(context: StepContext, emulator: HubSpotEmulator) -> None:
    emulator.set_faults(create_race=True)

    output = perform_create_or_update_contact(context, dict(ELOISE))

    assert output["outcome"] == "updated"
    stored = emulator.find_by_email("eloise.damour@exemple.ca")
    assert stored is not None
    assert output["contact"]["id"] == stored["id"]
    assert stored["properties"]["lastname"] == "D'Amour"
    assert emulator.request_log.count("POST /crm/v3/objects/contacts") == 1
    assert emulator.request_log[-1].startswith("PATCH /crm/v3/objects/contacts/")


def test_invalid_token_fails(http: httpx.Client, emulator_server: EmulatorServer,
                             emulator: HubSpotEmulator) -> None:
    context = step_context(http, hubspot_connection(emulator_server.base_url, token="pat-na1-wrong"))

    with pytest.raises(AuthenticationError) as caught:
        perform_create_or_update_contact(context, dict(ELOISE))

    assert caught.value.status_code == 401
    assert "pat-na1-wrong" not in str(caught.value)
    assert emulator.find_by_email("eloise.damour@exemple.ca") is None


def test_missing_connection_fails(http: httpx.Client) -> None:
    with pytest.raises(AuthenticationError):
        perform_find_contact(step_context(http, None), {"email": "a@exemple.ca"})


def test_validation_error_names_property(context: StepContext, emulator: HubSpotEmulator) -> None:
    with pytest.raises(InvalidInputError) as caught:
        perform_create_or_update_contact(context, {**ELOISE, "lifecyclestage": "abonné"})

    assert caught.value.status_code == 400
    assert caught.value.details["errors"][0]["property"] == "lifecyclestage"
    assert "lifecyclestage" in caught.value.message.render("en")
    assert "abonné" in caught.value.message.render("en")
    assert emulator.find_by_email("eloise.damour@exemple.ca") is None


def test_unknown_property_rejected(context: StepContext) -> None:
    with pytest.raises(InvalidInputError) as caught:
        perform_create_or_update_contact(
            context, {"email": "a@exemple.ca", "properties": {"couleur_preferee": "bleu"}})

    assert "couleur_preferee" in caught.value.message.render("en")


def test_invalid_email_rejected_before_call(context: StepContext, emulator: HubSpotEmulator) -> None:
    with pytest.raises(InvalidInputError):
        perform_create_or_update_contact(context, {"email": "pas-une-adresse"})

    assert emulator.request_log == []


def test_rate_limit_raises_retry_after(context: StepContext, emulator: HubSpotEmulator) -> None:
    emulator.set_faults(throttle_after=0, retry_after_seconds=7)

    with pytest.raises(RateLimitedError) as caught:
        perform_find_contact(context, {"email": "a@exemple.ca"})

    assert caught.value.retry_after == 7
    assert caught.value.transient is True


def test_rate_limit_headers_give_wait(context: StepContext, emulator: HubSpotEmulator) -> None:
    emulator.set_faults(throttle_after=0, retry_after_seconds=None)

    with pytest.raises(RateLimitedError) as caught:
        perform_find_contact(context, {"email": "a@exemple.ca"})

    assert caught.value.retry_after == 10.0


def test_server_error_is_transient(context: StepContext, emulator: HubSpotEmulator) -> None:
    emulator.set_faults(fail_next=1)

    with pytest.raises(ServerError):
        perform_find_contact(context, {"email": "a@exemple.ca"})
    found = perform_find_contact(context, {"email": "a@exemple.ca"})

    assert found == {"found": False}


def test_find_by_email_found(context: StepContext, emulator: HubSpotEmulator) -> None:
    existing = emulator.add_contact({"email": "marc@exemple.ca", "firstname": "Marc",
                                     "city": "Rimouski"})

    output = perform_find_contact(context, {"email": " MARC@exemple.ca ", "properties": "city"})

    assert output["found"] is True
    assert output["contact"]["id"] == existing["id"]
    assert output["contact"]["firstname"] == "Marc"
    assert output["contact"]["city"] == "Rimouski"
    assert output["contact"]["properties"]["email"] == "marc@exemple.ca"


def test_find_by_id_found(context: StepContext, emulator: HubSpotEmulator) -> None:
    existing = emulator.add_contact({"email": "marc@exemple.ca"})

    output = perform_find_contact(context, {"contact_id": existing["id"]})

    assert output["found"] is True
    assert output["contact"]["email"] == "marc@exemple.ca"


@pytest.mark.parametrize("values", [{"email": "personne@exemple.ca"}, {"contact_id": "999999"}])
def test_find_not_found(context: StepContext, emulator: HubSpotEmulator,
                        values: dict[str, str]) -> None:
    assert perform_find_contact(context, values) == {"found": False}


def test_find_needs_email_or_id(context: StepContext) -> None:
    with pytest.raises(InvalidInputError):
        perform_find_contact(context, {"email": "", "contact_id": ""})


def test_outputs_match_samples(context: StepContext, emulator: HubSpotEmulator) -> None:
    created = perform_create_or_update_contact(context, dict(ELOISE))
    updated = perform_create_or_update_contact(context, dict(ELOISE))
    found = perform_find_contact(context, {"email": ELOISE["email"]})
    action = APP.actions[0]
    search = APP.searches[0]

    assert set(created) == set(action.sample)
    assert set(updated) == set(action.sample)
    assert set(updated["contact"]) >= set(action.sample["contact"])
    assert set(found) == set(search.sample)
    assert set(found["contact"]) >= set(search.sample["contact"])


def test_check_connection_names_portal(emulator_server: EmulatorServer,
                                       emulator: HubSpotEmulator) -> None:
    account = check_connection({"token": DEFAULT_TOKEN, "base_url": emulator_server.base_url})

    assert account == "HubSpot portal 12345678"
    assert emulator.request_log == ["GET /account-info/v3/details", "GET /crm/v3/objects/contacts"]


def test_check_connection_rejects_token(emulator_server: EmulatorServer,
                                        emulator: HubSpotEmulator) -> None:
    with pytest.raises(InvalidTokenError):
        check_connection({"token": "faux", "base_url": emulator_server.base_url})
    with pytest.raises(AuthenticationError):
        check_connection({"token": "  ", "base_url": emulator_server.base_url})


def test_client_repr_hides_token(emulator_server: EmulatorServer) -> None:
    with HubSpotClient("pat-secret-value", base_url=emulator_server.base_url) as client:
        assert "pat-secret-value" not in repr(client)


def test_error_body_errors_list_shape() -> None:
    body = parse_error_body(
        b'{"status":"error","message":"Property values were not valid","category":'
        b'"VALIDATION_ERROR","errors":[{"message":"Property \\"x\\" does not exist",'
        b'"code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["x"]}}]}')

    assert body.category == "VALIDATION_ERROR"
    assert body.property == "x"
    assert body.errors[0].code == "PROPERTY_DOESNT_EXIST"


def test_error_body_plain_text() -> None:
    body = parse_error_body(b"<html>Bad gateway</html>")

    assert body.message == "<html>Bad gateway</html>"
    assert body.errors == ()


def test_connection_secrets_encrypted(runtime: Runtime) -> None:
    saved = runtime.connections.create(APP, "CRM", {"token": "pat-1", "client_secret": "s-1",
                                                    "base_url": "http://127.0.0.1:9"})
    resolved = runtime.connections.resolve(saved["id"], "hubspot")

    assert "token" not in saved["config"]
    assert "client_secret" not in saved["config"]
    assert isinstance(resolved, ConnectionData)
    assert resolved.value("client_secret") == "s-1"
