"""Contract tests of batches processed on the worker thread."""

from __future__ import annotations

import time

import httpx

from .helpers import EASTERN_DATETIME, wait_for_batch

BATCH_FIELDS = {"id", "batchType", "batchJson", "createdOn", "status", "result"}


def test_add_members_batch(client: httpx.Client) -> None:
    body = {
        "batchType": "addMembers",
        "relationType": "active-clients",
        "defaultConsentDate": "2025-03-01",
        "defaultConsentProof": "Import caisse",
        "groups": [102],
        "members": [
            {
                "email": "nouveau.client@example.com",
                "firstname": "Mathis",
                "customFields": {"3": "1"},
            },
            {"email": "genevieve.tremblay@example.com", "firstname": "", "company": "Fromagerie"},
            {
                "email": "marc-andre.gagnon@example.com",
                "note": "__EMPTY__",
                "lastname": "__EMPTY__",
            },
            {"email": "pas-un-courriel"},
            {"email": "luc.pelletier@example.com"},
        ],
    }
    response = client.post("/batches", json=body)
    assert response.status_code == 201
    created = response.json()
    assert set(created) == BATCH_FIELDS
    assert (created["status"], created["result"], created["batchJson"]) == ("NEW", None, body)
    assert EASTERN_DATETIME.match(created["createdOn"])

    batch = wait_for_batch(client, created["id"])
    assert batch["result"]["successes"] == [
        "nouveau.client@example.com",
        "genevieve.tremblay@example.com",
        "marc-andre.gagnon@example.com",
    ]
    assert [error["id"] for error in batch["result"]["errors"]] == [
        "pas-un-courriel",
        "luc.pelletier@example.com",
    ]
    assert all(isinstance(error["description"], str) for error in batch["result"]["errors"])

    new = client.get("/members/nouveau.client@example.com").json()
    assert (new["firstname"], new["customFields"]) == ("Mathis", {"3": 1})
    assert [
        g["id"] for g in client.get("/members/nouveau.client@example.com/groups").json()["groups"]
    ] == [102]
    assert (
        client.get("/members/nouveau.client@example.com/consent").json()["consentDate"]
        == "2025-03-01 00:00:00.000"
    )
    updated = client.get("/members/genevieve.tremblay@example.com").json()
    assert (updated["firstname"], updated["company"]) == ("Geneviève", "Fromagerie")
    assert (
        client.get("/members/genevieve.tremblay@example.com/consent").json()["consentType"]
        == "express"
    )
    cleared = client.get("/members/marc-andre.gagnon@example.com").json()
    assert (cleared["firstname"], cleared["lastname"]) == ("Marc-André", "")


def test_unsubscribe_batch(client: httpx.Client) -> None:
    created = client.post(
        "/batches",
        json={"batchType": "unsubscribe", "ids": [5001, "olivier.roy@example.com", 424242]},
    ).json()
    result = wait_for_batch(client, created["id"])["result"]
    assert result["successes"] == [5001, "olivier.roy@example.com"]
    assert result["errors"] == [
        {"id": 424242, "description": "Members with ids 424242 do not exists"}
    ]
    assert client.get("/members/unsubscribed/olivier.roy@example.com").status_code == 200


def test_delete_batch(client: httpx.Client) -> None:
    created = client.post(
        "/batches",
        json={
            "batchType": "deleteMembers",
            "ids": ["sophie.cote@example.com", "absent@example.com"],
        },
    ).json()
    result = wait_for_batch(client, created["id"])["result"]
    assert result["successes"] == ["sophie.cote@example.com"]
    assert [error["id"] for error in result["errors"]] == ["absent@example.com"]
    assert client.get("/members/sophie.cote@example.com").status_code == 404


def test_error_details_hidden_by_default(client: httpx.Client) -> None:
    created = client.post("/batches", json={"batchType": "deleteMembers", "ids": [1]}).json()
    wait_for_batch(client, created["id"])
    summary = client.get(f"/batches/{created['id']}").json()
    assert summary["result"]["errors"] == [{"id": 1}]


def test_slow_batch_reports_processing(client: httpx.Client) -> None:
    client.patch("/_sandbox/faults", json={"batch_delay_ms": 400})
    created = client.post("/batches", json={"batchType": "unsubscribe", "ids": [5001]}).json()
    time.sleep(0.15)
    assert client.get(f"/batches/{created['id']}").json()["status"] == "PROCESSING"
    assert wait_for_batch(client, created["id"])["result"]["successes"] == [5001]


def test_batch_schema_errors_are_400(client: httpx.Client) -> None:
    bodies = [
        {"batchType": "import", "ids": [1]},
        {"batchType": "unsubscribe", "ids": []},
        {"batchType": "addMembers", "members": [{"email": "a@example.com"}]},
        {
            "batchType": "addMembers",
            "relationType": "active-clients",
            "groups": "101",
            "members": [{"email": "a@example.com"}],
        },
        {
            "batchType": "addMembers",
            "relationType": "active-clients",
            "members": [{"firstname": "Sans courriel"}],
        },
    ]
    for body in bodies:
        response = client.post("/batches", json=body)
        assert response.status_code == 400, body
        assert response.json()["errors"], body


def test_unknown_batch_is_404(client: httpx.Client) -> None:
    assert client.get("/batches/999").status_code == 404
