"""Contract tests of injected faults and of the configurable error shapes."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from arrimage.sandbox import FaultSettings

from .conftest import SandboxServer
from .helpers import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_throttle_after_then_success(client: httpx.Client) -> None:
    client.put("/_sandbox/faults", json={"throttle_after": 2, "throttle_window_seconds": 1})
    assert client.get("/ping").status_code == 200
    assert client.get("/ping").status_code == 200
    throttled = client.get("/ping")
    assert throttled.status_code == 429
    retry_after = int(throttled.headers["retry-after"])
    assert 0 <= retry_after <= 1
    assert isinstance(throttled.json()["message"], str)
    time.sleep(retry_after + 0.05)
    assert client.get("/ping").status_code == 200


def test_throttle_every_nth(client: httpx.Client) -> None:
    client.put("/_sandbox/faults", json={"throttle_every": 3, "retry_after_seconds": 7})
    statuses = [client.get("/ping").status_code for _ in range(6)]
    assert statuses == [200, 200, 429, 200, 200, 429]
    assert client.get("/_sandbox/faults").json()["faultsSent"] == 2


def test_throttle_limited_to_routes(client: httpx.Client) -> None:
    client.put("/_sandbox/faults", json={"throttle_every": 1, "throttle_routes": ["POST /members"]})
    assert client.get("/ping").status_code == 200
    response = client.post("/members", json={"email": "a@example.com"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"


def test_server_error_then_success(client: httpx.Client) -> None:
    client.patch("/_sandbox/faults", json={"fail_next": 2, "fail_status": 503})
    assert [client.get("/ping").status_code for _ in range(3)] == [503, 503, 200]
    client.patch("/_sandbox/faults", json={"fail_next": 1})
    failed = client.post("/members", json={"email": "a@example.com"})
    assert failed.status_code == 503
    assert client.post("/members", json={"email": "a@example.com"}).status_code == 201


def test_faults_spare_outbox_and_admin(client: httpx.Client) -> None:
    client.put("/_sandbox/faults", json={"throttle_every": 1})
    assert httpx.get(f"{client.base_url}/outbox").status_code == 200
    assert client.get("/_sandbox/state").status_code == 200
    client.post("/_sandbox/reset")
    assert client.get("/ping").status_code == 200


def test_latency(client: httpx.Client) -> None:
    client.patch("/_sandbox/faults", json={"latency_ms": 200})
    started = time.monotonic()
    client.get("/ping")
    assert time.monotonic() - started >= 0.2


def test_invalid_fault_settings(client: httpx.Client) -> None:
    response = client.put("/_sandbox/faults", json={"fail_status": 404})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "fail_status"


def test_faults_from_config(start_sandbox: Callable[..., SandboxServer]) -> None:
    server = start_sandbox(faults=FaultSettings(fail_next=1))
    assert httpx.get(f"{server.base_url}/ping", headers=AUTH).status_code == 500
    assert httpx.get(f"{server.base_url}/ping", headers=AUTH).status_code == 200


def test_error_shapes(start_sandbox: Callable[..., SandboxServer]) -> None:
    expected = {
        "message": lambda r: r.json() == {"message": "Member nobody@example.com not found"},
        "errors_object": lambda r: r.json()["errors"] == {},
        "text": lambda r: (
            r.headers["content-type"].startswith("text/plain") and "not found" in r.text
        ),
    }
    for shape, check in expected.items():
        server = start_sandbox(error_shape=shape)
        response = httpx.get(f"{server.base_url}/members/nobody@example.com", headers=AUTH)
        assert response.status_code == 404
        assert check(response), shape


def test_errors_object_groups_fields(start_sandbox: Callable[..., SandboxServer]) -> None:
    server = start_sandbox(error_shape="errors_object", duplicate_status=400)
    url = f"{server.base_url}/members"
    httpx.post(url, headers=AUTH, json={"email": "a@example.com"})
    response = httpx.post(url, headers=AUTH, json={"email": "a@example.com"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["The email has already been taken."]}
