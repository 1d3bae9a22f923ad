"""The private sandbox: its own token, its seed, in-process reads, and a port freed on stop."""

from __future__ import annotations

import httpx
import pytest

from arrimage.sandbox.private import PrivateSandbox
from arrimage.sandbox.seed import SeedCustomField, SeedFile, SeedGroup

from .helpers import TOKEN

SEED = SeedFile(
    customFields=[SeedCustomField(id=7, name="Ville", type="text")],
    groups=[SeedGroup(id=301, title="Infolettre", createdOn="2024-01-08 08:45:00")],
)


def test_private_sandbox_reads_in_process() -> None:
    with PrivateSandbox(SEED, account="Boutique Réelle") as private:
        headers = {"Authorization": f"Bearer {private.token}"}
        with httpx.Client(base_url=private.base_url, headers=headers, timeout=5) as http:
            assert http.get("/groups").json()["groups"][0]["title"] == "Infolettre"
            other_token = {"Authorization": f"Bearer {TOKEN}"}
            assert http.get("/ping", headers=other_token).status_code == 401
            http.post("/members", json={"email": "lea@exemple.ca", "firstname": "Léa",
                                        "groups": "301", "customFields": {"7": "Laval"}}
                      ).raise_for_status()
            http.post("/members/optins", json={"email": "eloi@exemple.ca", "language": "en_ca",
                                               "groups": "301"}).raise_for_status()

        contacts = private.contacts()
        assert [contact["email"] for contact in contacts] == ["lea@exemple.ca"]
        assert contacts[0]["first_name"] == "Léa"
        assert contacts[0]["groups"] == [{"id": 301, "title": "Infolettre"}]
        assert contacts[0]["custom_fields"] == {"7": "Laval"}
        assert contacts[0]["unsubscribed"] is False
        emails = private.emails()
        assert [email.to for email in emails] == ["eloi@exemple.ca"]
        assert emails[0].groups == ["Infolettre"]
        assert "Boutique Réelle" in emails[0].subject
        base_url = private.base_url

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/ping", timeout=2)


def test_private_sandbox_stopped_unstarted() -> None:
    private = PrivateSandbox()

    private.stop()

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{private.base_url}/ping", timeout=2)
