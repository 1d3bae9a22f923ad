"""Contract tests of opt-ins, the outbox and the confirm link."""

from __future__ import annotations

import httpx

OPTIN = {
    "email": "maude.leblanc@example.com",
    "firstname": "Maude",
    "lastname": "Leblanc",
    "language": "fr_ca",
    "groups": "101,103",
    "optinConfirmUrl": "https://boutique.example.com/merci",
}


def _only_message(client: httpx.Client) -> dict[str, object]:
    body = client.get("/outbox.json").json()
    assert body["totalCount"] == 1
    message: dict[str, object] = body["messages"][0]
    return message


def test_optin_returns_request_id(client: httpx.Client) -> None:
    response = client.post("/members/optins", json=OPTIN)
    assert response.status_code == 201
    body = response.json()
    assert len(body) == 1
    [(request_id, state)] = body.items()
    assert request_id.isdigit()
    assert state == "created"


def test_optin_waits_for_confirmation(client: httpx.Client) -> None:
    client.post("/members/optins", json=OPTIN)
    assert client.get("/members/maude.leblanc@example.com").status_code == 404
    message = _only_message(client)
    assert message["to"] == "maude.leblanc@example.com"
    assert message["status"] == "pending"
    assert message["subject"] == "Confirmez votre abonnement à Boutique Sandbox"
    assert message["groups"] == ["Infolettre", "Événements"]
    assert str(message["confirmUrl"]).startswith(str(client.base_url) + "/outbox/confirm/")


def test_confirm_creates_member(client: httpx.Client) -> None:
    client.post("/members/optins", json=OPTIN)
    confirm_url = str(_only_message(client)["confirmUrl"])
    page = httpx.get(confirm_url)
    assert page.status_code == 200
    assert "Abonnement confirmé" in page.text
    assert "https://boutique.example.com/merci" in page.text

    member = client.get("/members/maude.leblanc@example.com").json()
    assert (member["firstname"], member["consentType"]) == ("Maude", "express")
    consent = client.get("/members/maude.leblanc@example.com/consent").json()
    assert consent["relationType"] == "express-consent"
    assert consent["consentExpiration"] is None
    assert "opt-in" in consent["consentProof"]
    groups = client.get("/members/maude.leblanc@example.com/groups").json()["groups"]
    assert [group["id"] for group in groups] == [101, 103]
    assert _only_message(client)["status"] == "confirmed"


def test_confirm_twice_is_harmless(client: httpx.Client) -> None:
    client.post("/members/optins", json=OPTIN)
    confirm_url = str(_only_message(client)["confirmUrl"])
    assert httpx.post(confirm_url).status_code == 200
    again = httpx.get(confirm_url, headers={"Accept-Language": "en-CA"})
    assert again.status_code == 200
    assert "This subscription was already confirmed." in again.text
    assert client.get("/members", params={"status": "all"}).json()["totalCount"] == 10


def test_confirm_resubscribes_and_upgrades(client: httpx.Client) -> None:
    client.post(
        "/members/optins",
        json={"email": "luc.pelletier@example.com", "groups": "103", "language": "en_ca"},
    )
    message = _only_message(client)
    assert message["subject"] == "Confirm your subscription to Boutique Sandbox"
    httpx.post(str(message["confirmUrl"]))
    member = client.get("/members/luc.pelletier@example.com").json()
    assert (member["firstname"], member["language"]) == ("Luc", "en_ca")
    assert client.get("/members/unsubscribed/luc.pelletier@example.com").status_code == 404
    groups = client.get("/members/luc.pelletier@example.com/groups").json()["groups"]
    assert [group["id"] for group in groups] == [101, 103]


def test_unknown_confirm_link_is_404(client: httpx.Client) -> None:
    response = httpx.get(f"{client.base_url}/outbox/confirm/nope?lang=en")
    assert response.status_code == 404
    assert "Confirmation link not found" in response.text


def test_invalid_optin_is_422(client: httpx.Client) -> None:
    assert client.post("/members/optins", json={"email": "x"}).status_code == 422
    bad_url = client.post(
        "/members/optins", json={"email": "a@example.com", "optinConfirmUrl": "ftp://x"}
    )
    assert bad_url.status_code == 422
    assert client.get("/outbox.json").json()["totalCount"] == 0


def test_outbox_page_french_by_default(client: httpx.Client) -> None:
    client.post("/members/optins", json=OPTIN)
    page = httpx.get(f"{client.base_url}/outbox")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr-CA">' in page.text
    assert "Boîte d’envoi du bac à sable" in page.text
    assert "En attente de confirmation" in page.text
    assert "Je confirme mon abonnement" in page.text
    assert "maude.leblanc@example.com" in page.text


def test_outbox_page_english(client: httpx.Client) -> None:
    client.post("/members/optins", json=OPTIN)
    by_header = httpx.get(
        f"{client.base_url}/outbox", headers={"Accept-Language": "en-US,en;q=0.9,fr;q=0.5"}
    )
    by_query = httpx.get(f"{client.base_url}/outbox?lang=en", headers={"Accept-Language": "fr-CA"})
    for page in (by_header, by_query):
        assert '<html lang="en">' in page.text
        assert "Sandbox outbox" in page.text
        assert "Waiting for confirmation" in page.text
        # The email itself stays in the contact's language.
        assert "Confirmez votre abonnement à Boutique Sandbox" in page.text


def test_home_redirects_to_outbox(client: httpx.Client) -> None:
    home = httpx.get(f"{client.base_url}/")
    with_language = httpx.get(f"{client.base_url}/?lang=en")
    followed = httpx.get(f"{client.base_url}/?lang=en", follow_redirects=True)

    assert home.status_code == 307
    assert home.headers["location"] == "/outbox"
    assert with_language.headers["location"] == "/outbox?lang=en"
    assert followed.status_code == 200
    assert "Sandbox outbox" in followed.text


def test_unknown_address_stays_json(client: httpx.Client) -> None:
    answer = httpx.get(f"{client.base_url}/no-such-page", headers={"Accept": "text/html"})

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")


def test_outbox_page_unknown_language_is_french(client: httpx.Client) -> None:
    page = httpx.get(f"{client.base_url}/outbox", headers={"Accept-Language": "de-DE"})
    assert "Aucun courriel pour l’instant." in page.text


def test_outbox_escapes_html(client: httpx.Client) -> None:
    client.post(
        "/members/optins", json={"email": "a@example.com", "firstname": "<script>alert(1)</script>"}
    )
    page = httpx.get(f"{client.base_url}/outbox")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
