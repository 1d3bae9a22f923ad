"""The catch-hook trigger: body formats, rejections and HMAC signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from arrimage.connectors.context import ConnectionData, TriggerContext, WebhookRequest
from arrimage.connectors.webhook.triggers import parse_catch_hook
from arrimage.engine.errors import WebhookRejectedError

SECRET = "s3cret-de-signature"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def context(options: dict[str, Any] | None = None, secret: str | None = SECRET) -> TriggerContext:
    connection = None
    if secret is not None:
        connection = ConnectionData(id="con_1", app="webhook", name="Signed", config={},
                                    secrets={"signing_secret": secret} if secret else {})
    return TriggerContext(automation_id="aut_1", options=options or {}, connection=connection)


def request(body: bytes, content_type: str = JSON, **headers: str) -> WebhookRequest:
    all_headers = {"content-type": content_type} if content_type else {}
    all_headers.update({name.replace("_", "-"): value for name, value in headers.items()})
    return WebhookRequest(body=body, headers=all_headers)


def payloads(body: bytes, content_type: str = JSON) -> list[dict[str, Any]]:
    return [event.payload for event in parse_catch_hook(context(), request(body, content_type))]


def rejection(trigger_context: TriggerContext, webhook_request: WebhookRequest) -> WebhookRejectedError:
    with pytest.raises(WebhookRejectedError) as caught:
        parse_catch_hook(trigger_context, webhook_request)
    return caught.value


def english(error: WebhookRejectedError) -> str:
    return error.message.render("en")


def test_json_object_is_one_event() -> None:
    body = json.dumps({"email": "eloise@exemple.ca", "nom": "D'Amour"}).encode()
    assert payloads(body) == [{"email": "eloise@exemple.ca", "nom": "D'Amour"}]


def test_json_with_charset_parameter() -> None:
    assert payloads(b'{"a": 1}', "application/json; charset=utf-8") == [{"a": 1}]


def test_vendor_json_type_accepted() -> None:
    assert payloads(b'{"a": 1}', "application/vnd.api+json") == [{"a": 1}]


def test_missing_content_type_reads_json() -> None:
    assert payloads(b'{"a": 1}', "") == [{"a": 1}]


def test_array_is_one_event_each() -> None:
    body = json.dumps([{"n": 1}, {"n": 2}, {"n": 3}]).encode()
    assert payloads(body) == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_empty_array_has_no_events() -> None:
    assert payloads(b"[]") == []


def test_array_with_non_object_rejected() -> None:
    error = rejection(context(), request(b'[{"n": 1}, 2]'))
    assert error.status_code == 400
    assert "Item 1 of the JSON array is not an object" in english(error)


@pytest.mark.parametrize(("body", "kind", "french_kind"), [
    (b'"text"', "text (string)", "texte (chaîne)"),
    (b"42", "number", "nombre"),
    (b"4.5", "number", "nombre"),
    (b"true", "true or false (boolean)", "vrai ou faux (booléen)"),
    (b"null", "null", "null (aucune valeur)"),
])
def test_scalar_json_rejected(body: bytes, kind: str, french_kind: str) -> None:
    error = rejection(context(), request(body))
    assert error.status_code == 400
    assert f"The body is a JSON {kind}: send a JSON object" in english(error)
    assert f"de type {french_kind}" in error.message.render("fr_CA")


def test_form_body_is_one_event() -> None:
    body = b"email=eloise%40exemple.ca&pr%C3%A9nom=%C3%89lo%C3%AFse&vide="
    assert payloads(body, FORM) == [{"email": "eloise@exemple.ca", "prénom": "Éloïse", "vide": ""}]


def test_form_repeated_key_keeps_last() -> None:
    assert payloads(b"tag=a&tag=b", FORM) == [{"tag": "b"}]


def test_empty_form_is_empty_event() -> None:
    assert payloads(b"", FORM) == [{}]


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_json_body_rejected(body: bytes) -> None:
    error = rejection(context(), request(body))
    assert error.status_code == 400
    assert "The body is empty" in english(error)


def test_malformed_json_gives_position() -> None:
    error = rejection(context(), request(b'{\n  "email": "a@b.ca",\n  "n": }'))
    message = english(error)
    assert error.status_code == 400
    assert "The body is not valid JSON" in message
    assert "line 3" in message
    assert "column 8" in message


def test_non_utf8_json_rejected() -> None:
    error = rejection(context(), request('{"nom": "Éloïse"}'.encode("latin-1")))
    assert error.status_code == 400
    assert "not UTF-8" in english(error)
    assert "position 9" in english(error)


def test_non_utf8_form_rejected() -> None:
    error = rejection(context(), request("nom=Éloïse".encode("latin-1"), FORM))
    assert error.status_code == 400
    assert "not UTF-8" in english(error)


@pytest.mark.parametrize("content_type", ["application/xml", "multipart/form-data; boundary=x",
                                          "text/html"])
def test_unsupported_content_type(content_type: str) -> None:
    error = rejection(context(), request(b"<a/>", content_type))
    assert error.status_code == 415
    assert "Unsupported content type" in english(error)
    assert content_type.split(";")[0] in english(error)


BODY = b'{"email": "eloise@exemple.ca"}'
DIGEST = hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()
SIGNED = {"signature_header": "X-Signature"}


def test_signature_valid_hex() -> None:
    events = parse_catch_hook(context(SIGNED), request(BODY, x_signature=DIGEST.hex()))
    assert [event.payload for event in events] == [{"email": "eloise@exemple.ca"}]


def test_signature_hex_upper_case() -> None:
    events = parse_catch_hook(context(SIGNED), request(BODY, x_signature=DIGEST.hex().upper()))
    assert len(events) == 1


def test_signature_valid_base64() -> None:
    options = {**SIGNED, "signature_encoding": "base64"}
    signature = base64.b64encode(DIGEST).decode()
    events = parse_catch_hook(context(options), request(BODY, x_signature=signature))
    assert len(events) == 1


def test_signature_with_prefix() -> None:
    options = {"signature_header": "X-Hub-Signature-256", "signature_prefix": "sha256="}
    header = f"sha256={DIGEST.hex()}"
    events = parse_catch_hook(context(options), request(BODY, x_hub_signature_256=header))
    assert len(events) == 1


def test_signature_header_name_any_case() -> None:
    options = {"signature_header": "x-SIGNATURE"}
    events = parse_catch_hook(context(options), request(BODY, x_signature=DIGEST.hex()))
    assert len(events) == 1


def test_signature_wrong_rejected() -> None:
    wrong = hmac.new(b"other-secret", BODY, hashlib.sha256).hexdigest()
    error = rejection(context(SIGNED), request(BODY, x_signature=wrong))
    assert error.status_code == 401
    assert "does not match the body" in english(error)


def test_signature_of_other_body_rejected() -> None:
    error = rejection(context(SIGNED), request(b'{"email": "x@y.ca"}', x_signature=DIGEST.hex()))
    assert error.status_code == 401


def test_signature_non_ascii_rejected() -> None:
    error = rejection(context(SIGNED), request(BODY, x_signature="é" * 64))
    assert error.status_code == 401


def test_signature_missing_header() -> None:
    error = rejection(context(SIGNED), request(BODY))
    assert error.status_code == 401
    assert "The signature header x-signature is missing" in english(error)


def test_signature_without_secret_fails_closed() -> None:
    error = rejection(context(SIGNED, secret=""), request(BODY, x_signature=DIGEST.hex()))
    assert error.status_code == 401
    assert "no signing secret" in english(error)


def test_signature_without_connection_fails_closed() -> None:
    error = rejection(context(SIGNED, secret=None), request(BODY, x_signature=DIGEST.hex()))
    assert error.status_code == 401


def test_signature_checked_before_body() -> None:
    error = rejection(context(SIGNED), request(b"not json", x_signature="00"))
    assert error.status_code == 401


def test_no_signature_configured_accepts() -> None:
    events = parse_catch_hook(context({"signature_header": "  "}), request(BODY))
    assert len(events) == 1
