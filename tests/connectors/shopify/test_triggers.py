"""Shopify's triggers on requests built by the emulator: signature, topic, payload versions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arrimage.connectors.context import ConnectionData, TriggerContext, WebhookRequest
from arrimage.connectors.shopify import APP
from arrimage.connectors.shopify.triggers import normalize_topic, parse_new_customer, parse_new_order
from arrimage.connectors.signatures import base64_hmac_sha256
from arrimage.emulators.shopify import customer_payload, encode_body, order_payload
from arrimage.engine.errors import WebhookRejectedError

SECRET = "shpss_0b1c2d3e4f5a6b7c8d9e"


def context(secret: str | None = SECRET) -> TriggerContext:
    connection = ConnectionData(id="con_1", app="shopify", name="boutique", config={},
                                secrets={"signing_secret": secret} if secret is not None else {})
    return TriggerContext(automation_id="aut_1", options={}, connection=connection)


def request(topic: str, payload: dict[str, Any], *, secret: str = SECRET,
            signature: str | None = None, **headers: str) -> WebhookRequest:
    body = encode_body(payload)
    all_headers = {
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": signature if signature is not None else base64_hmac_sha256(secret, body),
        "x-shopify-api-version": "2024-10",
        "x-shopify-shop-domain": "boutique-erable.myshopify.com",
    }
    all_headers.update({name.replace("_", "-"): value for name, value in headers.items()})
    return WebhookRequest(body=body, headers=all_headers)


def customer_event(payload: dict[str, Any]) -> dict[str, Any]:
    events = parse_new_customer(context(), request("customers/create", payload))
    assert len(events) == 1
    return events[0].payload


def order_event(payload: dict[str, Any]) -> dict[str, Any]:
    events = parse_new_order(context(), request("orders/create", payload))
    assert len(events) == 1
    return events[0].payload


def rejection(parse: Any, trigger_context: TriggerContext, webhook_request: WebhookRequest) -> WebhookRejectedError:
    with pytest.raises(WebhookRejectedError) as caught:
        parse(trigger_context, webhook_request)
    return caught.value


def test_customer_keeps_shopify_fields() -> None:
    payload = customer_payload("2024-10")

    event = customer_event(payload)

    assert {key: event[key] for key in payload} == payload
    assert event["webhook"]["topic"] == "customers/create"
    assert event["webhook"]["shop_domain"] == "boutique-erable.myshopify.com"


def test_customer_contact_from_default_address() -> None:
    contact = customer_event(customer_payload("2024-10"))["contact"]

    assert contact["email"] == "eloise.damour@exemple.ca"
    assert contact["first_name"] == "Éloïse"
    assert contact["company"] == "Fromagerie du Quartier"
    assert contact["country_code"] == "CA"
    assert contact["province_code"] == "QC"
    assert contact["postal_code"] == "H2X 1K1"
    assert contact["guest"] is False


def test_customer_address_from_addresses_list() -> None:
    payload = customer_payload("2024-10")
    del payload["default_address"]
    payload["addresses"][0]["zip"] = "J8X 3X7"

    contact = customer_event(payload)["contact"]

    assert contact["postal_code"] == "J8X 3X7"


def test_customer_without_address() -> None:
    payload = customer_payload("2025-01")
    payload["addresses"] = []
    payload["default_address"] = None

    contact = customer_event(payload)["contact"]

    assert contact["country_code"] is None
    assert contact["postal_code"] is None
    assert contact["company"] is None


@pytest.mark.parametrize(("version", "accepts", "consent", "source"), [
    ("2021-10", True, "yes", "accepts_marketing"),
    ("2021-10", False, "no", "accepts_marketing"),
    ("2024-10", True, "yes", "email_marketing_consent"),
    ("2024-10", False, "no", "email_marketing_consent"),
    ("2025-01", True, "unknown", None),
])
def test_customer_consent_by_api_version(version: str, accepts: bool, consent: str,
                                         source: str | None) -> None:
    contact = customer_event(customer_payload(version, accepts_marketing=accepts))["contact"]

    assert contact["marketing_consent"] == consent
    assert contact["marketing_consent_source"] == source


@pytest.mark.parametrize("state", ["unsubscribed", "redacted"])
def test_customer_withdrawn_consent(state: str) -> None:
    payload = customer_payload("2024-10")
    payload["email_marketing_consent"]["state"] = state

    assert customer_event(payload)["contact"]["marketing_consent"] == "unsubscribed"


def test_order_box_ticked_after_unsubscribe() -> None:
    payload = order_payload("2024-10", buyer_accepts_marketing=True)
    payload["customer"]["email_marketing_consent"]["state"] = "unsubscribed"

    assert order_event(payload)["contact"]["marketing_consent"] == "yes"


def test_customer_pending_consent_is_no() -> None:
    payload = customer_payload("2024-10")
    payload["email_marketing_consent"]["state"] = "pending"

    assert customer_event(payload)["contact"]["marketing_consent"] == "no"


def test_customer_locale_kept_absent() -> None:
    event = customer_event(customer_payload("2025-01"))

    assert event["customer_locale"] is None
    assert event["contact"]["locale"] is None


def test_order_contact_from_billing_address() -> None:
    event = order_event(order_payload("2024-10"))

    contact = event["contact"]
    assert contact["email"] == "jerome.cote@exemple.ca"
    assert contact["first_name"] == "Jérôme"
    assert contact["company"] == "Boulangerie Côté"
    assert contact["postal_code"] == "G1R 2B5"
    assert contact["country_code"] == "CA"
    assert contact["locale"] == "fr-CA"
    assert event["customer_locale"] == "fr-CA"
    assert contact["guest"] is False
    assert contact["customer_id"] == event["customer"]["id"]


def test_guest_order_without_customer() -> None:
    payload = order_payload("2025-01", guest=True)
    assert "customer" not in payload

    contact = order_event(payload)["contact"]

    assert contact["guest"] is True
    assert contact["customer_id"] is None
    assert contact["email"] == "jerome.cote@exemple.ca"
    assert contact["postal_code"] == "G1R 2B5"


def test_guest_order_with_null_customer() -> None:
    payload = order_payload("2025-01", guest=True)
    payload["customer"] = None
    payload["email"] = ""

    contact = order_event(payload)["contact"]

    assert contact["guest"] is True
    assert contact["email"] == "jerome.cote@exemple.ca"  # from contact_email


@pytest.mark.parametrize(("version", "buyer", "customer", "consent", "source"), [
    ("2024-10", True, False, "yes", "buyer_accepts_marketing"),
    ("2024-10", False, True, "yes", "customer.email_marketing_consent"),
    ("2024-10", False, False, "no", "customer.email_marketing_consent"),
    ("2021-10", False, True, "yes", "customer.accepts_marketing"),
    ("2025-01", False, True, "no", "buyer_accepts_marketing"),
    ("2025-01", True, False, "yes", "buyer_accepts_marketing"),
])
def test_order_consent_sources(version: str, buyer: bool, customer: bool, consent: str,
                               source: str) -> None:
    payload = order_payload(version, buyer_accepts_marketing=buyer,
                            customer_accepts_marketing=customer)

    contact = order_event(payload)["contact"]

    assert contact["marketing_consent"] == consent
    assert contact["marketing_consent_source"] == source


def test_order_without_consent_field_unknown() -> None:
    payload = order_payload("2025-01", guest=True)
    del payload["buyer_accepts_marketing"]

    assert order_event(payload)["contact"]["marketing_consent"] == "unknown"


def test_test_notification_flagged() -> None:
    events = parse_new_order(context(), request("orders/create", order_payload(),
                                                x_shopify_test="true"))

    assert events[0].payload["webhook"]["test"] is True


def test_test_order_flagged() -> None:
    assert order_event(order_payload(test=True))["webhook"]["test"] is True
    assert order_event(order_payload())["webhook"]["test"] is False


def test_wrong_secret_rejected() -> None:
    error = rejection(parse_new_customer, context(),
                      request("customers/create", customer_payload(), secret="autre-secret"))

    assert error.status_code == 401
    assert "does not match" in error.message.render("en")


def test_missing_signature_rejected() -> None:
    webhook_request = request("customers/create", customer_payload())
    del webhook_request.headers["x-shopify-hmac-sha256"]

    error = rejection(parse_new_customer, context(), webhook_request)

    assert error.status_code == 401
    assert "X-Shopify-Hmac-Sha256" in error.message.render("en")


def test_changed_body_rejected() -> None:
    signed = request("customers/create", customer_payload())
    changed = WebhookRequest(body=signed.body.replace(b"eloise", b"mallory"), headers=signed.headers)

    assert rejection(parse_new_customer, context(), changed).status_code == 401


def test_non_ascii_signature_rejected() -> None:
    webhook_request = request("customers/create", customer_payload(), signature="é" * 44)

    assert rejection(parse_new_customer, context(), webhook_request).status_code == 401


def test_empty_secret_rejected() -> None:
    error = rejection(parse_new_customer, context(secret=""),
                      request("customers/create", customer_payload(), secret=""))

    assert error.status_code == 401
    assert "no Shopify signing secret" in error.message.render("en")


def test_secret_with_spaces_accepted() -> None:
    events = parse_new_customer(context(secret=f"  {SECRET}\n"),
                                request("customers/create", customer_payload()))

    assert len(events) == 1


def test_signature_checked_before_body() -> None:
    body = b"not json"
    webhook_request = WebhookRequest(body=body, headers={
        "content-type": "application/json", "x-shopify-topic": "customers/create",
        "x-shopify-hmac-sha256": base64_hmac_sha256("autre", body)})

    assert rejection(parse_new_customer, context(), webhook_request).status_code == 401


def test_topic_mismatch_rejected() -> None:
    error = rejection(parse_new_order, context(), request("customers/create", customer_payload()))

    assert error.status_code == 422
    message = error.message.render("en")
    assert "orders/create" in message
    assert "customers/create" in message


def test_topic_missing_rejected() -> None:
    webhook_request = request("customers/create", customer_payload())
    del webhook_request.headers["x-shopify-topic"]

    error = rejection(parse_new_customer, context(), webhook_request)

    assert error.status_code == 400
    assert "X-Shopify-Topic" in error.message.render("en")


def test_graphql_topic_form_accepted() -> None:
    events = parse_new_customer(context(), request("CUSTOMERS_CREATE", customer_payload()))

    assert len(events) == 1
    assert normalize_topic("ORDERS_CREATE") == "orders/create"


def test_json_array_rejected() -> None:
    body = json.dumps([customer_payload()]).encode()
    webhook_request = WebhookRequest(body=body, headers={
        "content-type": "application/json", "x-shopify-topic": "customers/create",
        "x-shopify-hmac-sha256": base64_hmac_sha256(SECRET, body)})

    assert rejection(parse_new_customer, context(), webhook_request).status_code == 400


def test_messages_translated() -> None:
    error = rejection(parse_new_order, context(), request("customers/create", customer_payload()))

    assert "Cette automatisation démarre" in error.message.render("fr_CA")


@pytest.mark.parametrize("operation", APP.triggers, ids=lambda operation: operation.key)
def test_samples_match_emulator_output(operation: Any) -> None:
    sample = dict(operation.sample)
    if operation.key == "new_customer":
        event = customer_event(customer_payload("2024-10"))
    else:
        event = order_event(order_payload("2024-10", buyer_accepts_marketing=True))

    assert sorted(event) == sorted(sample)
    assert sorted(event["contact"]) == sorted(sample["contact"])
    assert sorted(event["webhook"]) == sorted(sample["webhook"])
