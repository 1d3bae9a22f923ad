"""Contract tests of a member's consent."""

from __future__ import annotations

import httpx

CONSENT_FIELDS = {"consentType", "relationType", "consentDate", "consentExpiration", "consentProof"}


def test_consent_shape(client: httpx.Client) -> None:
    body = client.get("/members/5002/consent").json()
    assert set(body) == CONSENT_FIELDS
    assert body == {
        "consentType": "implied",
        "relationType": "active-clients",
        "consentDate": "2024-12-02 00:00:00.000",
        "consentExpiration": "2026-12-02 00:00:00.000",
        "consentProof": "Achat en boutique, facture 10482",
    }


def test_put_consent_sets_expiration(client: httpx.Client) -> None:
    body = {
        "relationType": "information-request",
        "consentDate": "2025-01-31",
        "consentProof": "Appel",
    }
    response = client.put("/members/5002/consent", json=body)
    assert response.status_code == 200
    consent = response.json()
    assert consent["consentType"] == "implied"
    assert consent["consentExpiration"] == "2025-07-31 00:00:00.000"
    assert client.get("/members/5002").json()["updatedOn"] is not None


def test_put_express_consent(client: httpx.Client) -> None:
    body = {"relationType": "express-consent", "consentDate": None, "consentProof": "Case cochée"}
    consent = client.put("/members/5002/consent", json=body).json()
    assert (consent["consentType"], consent["consentDate"], consent["consentExpiration"]) == (
        "express",
        None,
        None,
    )


def test_express_consent_cannot_be_downgraded(client: httpx.Client) -> None:
    body = {
        "relationType": "active-clients",
        "consentDate": "2025-01-01",
        "consentProof": "Facture",
    }
    response = client.put("/members/5001/consent", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["message"], str)
    assert client.get("/members/5001/consent").json()["consentType"] == "express"


def test_invalid_relation_type(client: httpx.Client) -> None:
    response = client.put("/members/5002/consent", json={"relationType": "client"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "relationType"
