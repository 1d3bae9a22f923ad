"""The "send an HTTP request" action against a local sink."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from arrimage.connectors.context import ConnectionData, StepContext
from arrimage.connectors.http.actions import build_request, perform_request
from arrimage.engine.errors import (
    AppRejectedError,
    AuthenticationError,
    ConnectError,
    InvalidInputError,
    RateLimitedError,
    ServerError,
    StepError,
    StepTimeoutError,
)
from arrimage.logs import ContextAdapter
from tests.support.processes import free_port
from tests.support.sink import Reply, Sink


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as current:
        yield current


def step_context(client: httpx.Client, connection: ConnectionData | None = None) -> StepContext:
    return StepContext(
        automation_id="aut_test", run_id="run_test", step_id="notify", attempt=1,
        connection=connection, http=client, timeout_seconds=5.0,
        logger=ContextAdapter(logging.getLogger("tests.http"), {}),
    )


def connection(**values: str) -> ConnectionData:
    secrets = {key: value for key, value in values.items() if key == "auth_header_value"}
    config = {key: value for key, value in values.items() if key != "auth_header_value"}
    return ConnectionData(id="con_test", app="http", name="API", config=config, secrets=secrets)


def send(client: httpx.Client, sink: Sink, connection_data: ConnectionData | None = None,
         **values: Any) -> dict[str, Any]:
    values.setdefault("url", f"{sink.url}/hook")
    return perform_request(step_context(client, connection_data), values)


def step_error(client: httpx.Client, sink: Sink, **values: Any) -> StepError:
    with pytest.raises(StepError) as caught:
        send(client, sink, **values)
    return caught.value


def english(error: StepError) -> str:
    return error.message.render("en")


def test_json_body_sent(client: httpx.Client, sink: Sink) -> None:
    output = send(client, sink, body={"email": "eloise@exemple.ca", "groups": [3, 7]})
    received = sink.requests[0]
    assert received.method == "POST"
    assert received.headers["content-type"] == "application/json"
    assert received.json() == {"email": "eloise@exemple.ca", "groups": [3, 7]}
    assert output["status_code"] == 200
    assert output["body"] == {"ok": True}
    assert output["headers"]["content-type"] == "application/json"


def test_json_body_keeps_accents(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, body={"prénom": "Éloïse"})
    assert "Éloïse".encode() in sink.requests[0].body


def test_json_scalar_body(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, body=[1, 2])
    assert sink.requests[0].json() == [1, 2]


def test_form_body_sent(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, body_format="form", body={"email": "a@b.ca", "n": 3, "vide": None})
    received = sink.requests[0]
    assert received.headers["content-type"] == "application/x-www-form-urlencoded"
    form = parse_qs(received.body.decode(), keep_blank_values=True)
    assert form == {"email": ["a@b.ca"], "n": ["3"], "vide": [""]}


def test_form_body_must_be_mapping(client: httpx.Client, sink: Sink) -> None:
    error = step_error(client, sink, body_format="form", body="a=1")
    assert isinstance(error, InvalidInputError)
    assert "The field body must be a set of names and values" in english(error)
    assert sink.requests == []


def test_raw_body_sent(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, body_format="raw", body="ligne 1\nligne 2",
         headers={"Content-Type": "text/plain; charset=utf-8"})
    received = sink.requests[0]
    assert received.body == b"ligne 1\nligne 2"
    assert received.headers["content-type"] == "text/plain; charset=utf-8"


def test_no_body_format(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, body_format="none", body={"ignored": True})
    assert sink.requests[0].body == b""


def test_get_sends_no_body(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, method="GET", body={"ignored": True})
    received = sink.requests[0]
    assert received.method == "GET"
    assert received.body == b""


def test_method_case_insensitive(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, method="put", body={"a": 1})
    assert sink.requests[0].method == "PUT"


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "FETCH"])
def test_unsupported_method_rejected(client: httpx.Client, sink: Sink, method: str) -> None:
    error = step_error(client, sink, method=method)
    assert isinstance(error, InvalidInputError)
    assert f"Method {method} is not supported" in english(error)
    assert "GET, POST, PUT, PATCH, DELETE" in english(error)
    assert sink.requests == []


def test_query_params_added(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, method="GET", query={"q": "Éloïse D'Amour", "page": 2})
    query = parse_qs(urlsplit(sink.requests[0].path).query)
    assert query == {"q": ["Éloïse D'Amour"], "page": ["2"]}


def test_url_query_kept(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, url=f"{sink.url}/hook?token=abc&lang=fr", method="GET")
    query = parse_qs(urlsplit(sink.requests[0].path).query)
    assert query == {"token": ["abc"], "lang": ["fr"]}


def test_url_query_merged_with_params(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, url=f"{sink.url}/hook?token=abc&lang=fr", method="GET", query={"lang": "en", "n": 1})
    query = parse_qs(urlsplit(sink.requests[0].path).query)
    assert query == {"token": ["abc"], "lang": ["en"], "n": ["1"]}


def test_custom_headers_sent(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, headers={"X-Source": "arrimage", "X-Count": 3})
    received = sink.requests[0]
    assert received.headers["x-source"] == "arrimage"
    assert received.headers["x-count"] == "3"


def test_headers_must_be_mapping(client: httpx.Client, sink: Sink) -> None:
    error = step_error(client, sink, headers=["X-A: 1"])
    assert isinstance(error, InvalidInputError)
    assert "The field headers must be a set of names and values" in english(error)


def test_idempotency_key_added(client: httpx.Client, sink: Sink) -> None:
    send(client, sink)
    assert sink.requests[0].headers["idempotency-key"] == "arrimage-run_test-notify"


def test_own_idempotency_key_kept(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, headers={"idempotency-key": "mine"})
    assert sink.requests[0].headers["idempotency-key"] == "mine"


def test_auth_header_from_connection(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, connection(auth_header_value="Bearer jeton-secret"))
    assert sink.requests[0].headers["authorization"] == "Bearer jeton-secret"


def test_auth_header_custom_name(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, connection(auth_header_name="X-Api-Key", auth_header_value="k-123"))
    received = sink.requests[0]
    assert received.headers["x-api-key"] == "k-123"
    assert "authorization" not in received.headers


def test_connection_auth_replaces_step_header(client: httpx.Client) -> None:
    # The sink keeps one value per header name, so the built request is checked instead.
    context = step_context(client, connection(auth_header_value="Bearer from-connection"))
    values = {"url": "http://127.0.0.1:9/hook", "headers": {"authorization": "Bearer typed-in-step"}}
    request = build_request(context, values, timeout=5.0)
    assert request.headers.get_list("authorization") == ["Bearer from-connection"]


def test_connection_without_secret_adds_nothing(client: httpx.Client, sink: Sink) -> None:
    send(client, sink, connection(auth_header_name="X-Api-Key"))
    assert "x-api-key" not in sink.requests[0].headers


@pytest.mark.parametrize("url", ["not a url", "ftp://exemple.ca/file", "http://", "", "//exemple.ca/x",
                                 "http://[::1"])
def test_invalid_url_rejected(client: httpx.Client, sink: Sink, url: str) -> None:
    error = step_error(client, sink, url=url)
    assert isinstance(error, InvalidInputError)
    assert f"The URL {url} is invalid" in english(error)


@pytest.mark.parametrize("timeout", ["abc", -1, 0, "nan"])
def test_invalid_timeout_rejected(client: httpx.Client, sink: Sink, timeout: Any) -> None:
    error = step_error(client, sink, timeout_seconds=timeout)
    assert isinstance(error, InvalidInputError)
    assert "timeout_seconds" in english(error)
    assert sink.requests == []


def test_timeout_as_text_accepted(client: httpx.Client, sink: Sink) -> None:
    output = send(client, sink, timeout_seconds="2.5")
    assert output["status_code"] == 200


def test_rate_limit_is_transient(client: httpx.Client, sink: Sink) -> None:
    sink.replies = [Reply(status=429, body={"error": "slow"}, headers={"Retry-After": "7"})]
    error = step_error(client, sink)
    assert isinstance(error, RateLimitedError)
    assert error.transient is True
    assert error.retry_after == 7.0
    assert error.status_code == 429


def test_rate_limit_without_retry_after(client: httpx.Client, sink: Sink) -> None:
    sink.replies = [Reply(status=429)]
    error = step_error(client, sink)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_is_transient(client: httpx.Client, sink: Sink, status: int) -> None:
    sink.replies = [Reply(status=status, body={"error": "down"})]
    error = step_error(client, sink)
    assert isinstance(error, ServerError)
    assert error.transient is True
    assert error.status_code == status
    assert f"answered {status}" in english(error)


def test_server_error_keeps_retry_after(client: httpx.Client, sink: Sink) -> None:
    sink.replies = [Reply(status=503, headers={"Retry-After": "30"})]
    error = step_error(client, sink)
    assert error.retry_after == 30.0


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_is_permanent(client: httpx.Client, sink: Sink, status: int) -> None:
    sink.replies = [Reply(status=status, body={"error": "jeton invalide"})]
    error = step_error(client, sink)
    assert isinstance(error, AuthenticationError)
    assert error.transient is False
    assert error.code == "authentication_failed"
    assert error.status_code == status
    assert "check the connection" in english(error)


def test_not_found_is_app_rejected(client: httpx.Client, sink: Sink) -> None:
    sink.replies = [Reply(status=404, body={"error": "no such list"})]
    error = step_error(client, sink)
    assert isinstance(error, AppRejectedError)
    assert error.transient is False
    assert error.status_code == 404
    assert "no such list" in english(error)
    assert "no such list" in error.details["response"]


def test_rejection_excerpt_is_bounded(client: httpx.Client, sink: Sink) -> None:
    sink.replies = [Reply(status=422, body={"error": "x" * 2000})]
    error = step_error(client, sink)
    assert len(error.details["response"]) == 500


def test_error_message_hides_query(client: httpx.Client, sink: Sink) -> None:
    sink.replies = [Reply(status=404)]
    error = step_error(client, sink, url=f"{sink.url}/hook?token=tres-secret")
    assert f"{sink.url}/hook" in english(error)
    assert "tres-secret" not in english(error)


def test_redirect_returned_as_is(client: httpx.Client, sink: Sink) -> None:
    sink.replies = [Reply(status=302, headers={"Location": "/elsewhere"})]
    output = send(client, sink)
    assert output["status_code"] == 302
    assert len(sink.requests) == 1


def test_timeout_is_transient(client: httpx.Client, sink: Sink) -> None:
    sink.replies = [Reply(delay_seconds=1.0)]
    error = step_error(client, sink, timeout_seconds=0.2)
    assert isinstance(error, StepTimeoutError)
    assert error.transient is True
    assert "timed out after 0.2 s" in english(error)


def test_connection_refused_is_transient(client: httpx.Client, sink: Sink) -> None:
    error = step_error(client, sink, url=f"http://127.0.0.1:{free_port()}/hook")
    assert isinstance(error, ConnectError)
    assert error.transient is True
