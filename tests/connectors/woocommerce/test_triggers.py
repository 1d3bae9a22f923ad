"""WooCommerce's triggers on requests built by the emulator: ping, signature, topic, output."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arrimage.connectors.context import ConnectionData, TriggerContext, WebhookRequest
from arrimage.connectors.signatures import base64_hmac_sha256
from arrimage.connectors.woocommerce import APP
from arrimage.connectors.woocommerce.output import consent_answer
from arrimage.connectors.woocommerce.triggers import parse_new_customer, parse_new_order
from arrimage.emulators.woocommerce import customer_payload, encode_body, order_payload
from arrimage.engine.errors import WebhookRejectedError

SECRET = "wc-secret-0a1b2c3d4e5f"
META_OPTIONS = {"consent_meta_key": "_newsletter_optin", "language_meta_key": "wpml_language"}


def context(options: dict[str, Any] | None = None, secret: str = SECRET) -> TriggerContext:
    connection = ConnectionData(id="con_1", app="woocommerce", name="boutique", config={},
                                secrets={"signing_secret": secret})
    return TriggerContext(automation_id="aut_1", options=options or {}, connection=connection)


def request(topic: str, payload: Any, *, secret: str = SECRET, delivery_id: str = "d41d8cd98f00",
            **headers: str) -> WebhookRequest:
    body = encode_body(payload)
    resource, _, event = topic.partition(".")
    all_headers = {
        "content-type": "application/json",
        "x-wc-webhook-topic": topic,
        "x-wc-webhook-resource": resource,
        "x-wc-webhook-event": event,
        "x-wc-webhook-signature": base64_hmac_sha256(secret, body),
        "x-wc-webhook-source": "https://boutique-erable.ca/",
        "x-wc-webhook-id": "3",
        "x-wc-webhook-delivery-id": delivery_id,
    }
    all_headers.update({name.replace("_", "-"): value for name, value in headers.items()})
    return WebhookRequest(body=body, headers=all_headers)


def order_event(payload: dict[str, Any], options: dict[str, Any] | None = None) -> dict[str, Any]:
    events = parse_new_order(context(options), request("order.created", payload))
    assert len(events) == 1
    return events[0].payload


def rejection(parse: Any, webhook_request: WebhookRequest, secret: str = SECRET) -> WebhookRejectedError:
    with pytest.raises(WebhookRejectedError) as caught:
        parse(context(secret=secret), webhook_request)
    return caught.value


def test_php_escaped_body_read() -> None:
    body = encode_body(order_payload())
    assert b"\\u00e9" in body
    assert b"\\/" in body

    event = order_event(order_payload())

    assert event["contact"]["first_name"] == "Jérôme"
    assert event["webhook"]["source"] == "https://boutique-erable.ca/"


def test_order_keeps_fields_and_dates() -> None:
    payload = order_payload()

    event = order_event(payload)

    assert {key: event[key] for key in payload} == payload
    assert event["date_created"] == "2024-12-04T14:05:40"
    assert event["date_created_gmt"] == "2024-12-04T19:05:40"
    assert event["billing"]["postcode"] == "G1R 2B5"


def test_order_contact_from_billing() -> None:
    contact = order_event(order_payload())["contact"]

    assert contact["email"] == "jerome.cote@exemple.ca"
    assert contact["company"] == "Boulangerie Côté"
    assert contact["province_code"] == "QC"
    assert contact["country_code"] == "CA"
    assert contact["postal_code"] == "G1R 2B5"
    assert contact["guest"] is False
    assert contact["customer_id"] == 27


def test_meta_flattened() -> None:
    event = order_event(order_payload(newsletter_optin="1", language="en"))

    assert event["meta"] == {"is_vat_exempt": "no", "_newsletter_optin": "1", "wpml_language": "en"}
    assert event["meta_data"][1] == {"id": 9121, "key": "_newsletter_optin", "value": "1"}


def test_repeated_meta_key_keeps_last() -> None:
    payload = order_payload(newsletter_optin="no")
    payload["meta_data"].append({"id": 9130, "key": "_newsletter_optin", "value": "yes"})

    assert order_event(payload)["meta"]["_newsletter_optin"] == "yes"


def test_consent_and_language_from_meta_keys() -> None:
    contact = order_event(order_payload(newsletter_optin="yes", language="fr"), META_OPTIONS)["contact"]

    assert contact["marketing_consent"] == "yes"
    assert contact["marketing_consent_source"] == "meta_data._newsletter_optin"
    assert contact["locale"] == "fr"


def test_consent_unknown_without_meta_key() -> None:
    contact = order_event(order_payload(newsletter_optin="yes"))["contact"]

    assert contact["marketing_consent"] == "unknown"
    assert contact["marketing_consent_source"] is None
    assert contact["locale"] is None


def test_consent_unknown_when_meta_absent() -> None:
    contact = order_event(order_payload(newsletter_optin=None), META_OPTIONS)["contact"]

    assert contact["marketing_consent"] == "unknown"


@pytest.mark.parametrize(("value", "expected"), [
    ("yes", "yes"), ("1", "yes"), (1, "yes"), (True, "yes"), ("on", "yes"), ("Oui", "yes"),
    ("no", "no"), ("0", "no"), (0, "no"), (False, "no"), ("", "no"), (None, "no"),
    ("unsubscribed", "unsubscribed"), ("2024-12-04", "unknown"), ("peut-être", "unknown"),
])
def test_consent_values(value: Any, expected: str) -> None:
    assert consent_answer(value) == expected


def test_guest_order() -> None:
    contact = order_event(order_payload(guest=True))["contact"]

    assert contact["guest"] is True
    assert contact["customer_id"] is None
    assert contact["email"] == "jerome.cote@exemple.ca"


def test_order_without_billing_address_uses_shipping() -> None:
    payload = order_payload()
    for key in ("address_1", "city", "postcode", "country", "state"):
        payload["billing"][key] = ""
    payload["shipping"]["postcode"] = "J8X 3X7"

    contact = order_event(payload)["contact"]

    assert contact["postal_code"] == "J8X 3X7"
    assert contact["email"] == "jerome.cote@exemple.ca"


def test_customer_output() -> None:
    events = parse_new_customer(context(META_OPTIONS),
                                request("customer.created", customer_payload(newsletter_optin="no")))

    event = events[0].payload
    assert event["contact"]["email"] == "eloise.damour@exemple.ca"
    assert event["contact"]["postal_code"] == "H2X 1K1"
    assert event["contact"]["marketing_consent"] == "no"
    assert event["contact"]["customer_id"] == 27
    assert event["date_created_gmt"] == "2024-12-04T19:03:11"


def test_missing_gmt_date_is_null() -> None:
    payload = order_payload()
    del payload["date_created_gmt"]

    assert order_event(payload)["date_created_gmt"] is None


def test_dedup_key_joins_delivery_and_resource() -> None:
    first = parse_new_order(context(), request("order.created", order_payload(order_id=4750),
                                               delivery_id="same-second"))
    second = parse_new_order(context(), request("order.created", order_payload(order_id=4751),
                                                delivery_id="same-second"))

    assert first[0].dedup_key == "wc:same-second:4750"
    assert second[0].dedup_key == "wc:same-second:4751"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", ""])
def test_ping_gives_no_event(content_type: str) -> None:
    ping = WebhookRequest(body=b"webhook_id=3", headers={
        "content-type": content_type, "user-agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"})

    assert parse_new_order(context(), ping) == []
    assert parse_new_customer(context(), ping) == []


def test_ping_shaped_body_with_topic_checked() -> None:
    forged = WebhookRequest(body=b"webhook_id=3", headers={
        "content-type": "application/x-www-form-urlencoded", "x-wc-webhook-topic": "order.created"})

    assert rejection(parse_new_order, forged).status_code == 401


def test_other_form_body_unsigned_rejected() -> None:
    other = WebhookRequest(body=b"webhook_id=3&email=a@exemple.ca", headers={
        "content-type": "application/x-www-form-urlencoded"})

    assert rejection(parse_new_order, other).status_code == 401


def test_wrong_secret_rejected() -> None:
    error = rejection(parse_new_order, request("order.created", order_payload(), secret="autre"))

    assert error.status_code == 401
    assert "X-WC-Webhook-Signature" in error.message.render("en")


def test_missing_signature_rejected() -> None:
    webhook_request = request("order.created", order_payload())
    del webhook_request.headers["x-wc-webhook-signature"]

    assert rejection(parse_new_order, webhook_request).status_code == 401


@pytest.mark.parametrize(("topic", "resource", "event"), [
    ("customer.created", "customer", "created"),
    ("order.updated", "order", "updated"),
    ("order.created", "customer", "created"),
    ("order.created", "order", "deleted"),
    ("action.woocommerce_new_order", "action", "woocommerce_new_order"),
])
def test_topic_mismatch_rejected(topic: str, resource: str, event: str) -> None:
    webhook_request = request(topic, order_payload(), x_wc_webhook_resource=resource,
                              x_wc_webhook_event=event)

    error = rejection(parse_new_order, webhook_request)

    assert error.status_code == 422
    assert "order.created" in error.message.render("en")


def test_topic_from_resource_and_event() -> None:
    webhook_request = request("order.created", order_payload())
    del webhook_request.headers["x-wc-webhook-topic"]

    assert len(parse_new_order(context(), webhook_request)) == 1


def test_topic_headers_missing_rejected() -> None:
    webhook_request = request("order.created", order_payload())
    for name in ("x-wc-webhook-topic", "x-wc-webhook-resource", "x-wc-webhook-event"):
        del webhook_request.headers[name]

    error = rejection(parse_new_order, webhook_request)

    assert error.status_code == 400
    assert "X-WC-Webhook-Topic" in error.message.render("en")


def test_legacy_api_payload_rejected() -> None:
    error = rejection(parse_new_order, request("order.created", {"order": order_payload()}))

    assert error.status_code == 422
    assert "WP REST API Integration v3" in error.message.render("en")


def test_json_array_rejected() -> None:
    assert rejection(parse_new_order, request("order.created", [order_payload()])).status_code == 400


@pytest.mark.parametrize("operation", APP.triggers, ids=lambda operation: operation.key)
def test_samples_match_emulator_output(operation: Any) -> None:
    sample = dict(operation.sample)
    if operation.key == "new_order":
        event = order_event(order_payload(), META_OPTIONS)
    else:
        event = parse_new_customer(context(META_OPTIONS), request(
            "customer.created", customer_payload(newsletter_optin="yes")))[0].payload

    assert sorted(event) == sorted(sample)
    assert event["contact"] == sample["contact"]
    assert json.dumps(event["meta"]) == json.dumps(sample["meta"])
