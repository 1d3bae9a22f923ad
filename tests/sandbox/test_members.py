"""Contract tests of the member routes: shapes, keys, paging, filters and errors."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from .helpers import EASTERN_DATETIME, ISO_DATETIME, MEMBER_FIELDS, assert_shape

NEW_MEMBER = {
    "email": "amelie.girard@example.com",
    "firstname": "Amélie",
    "lastname": "Girard",
    "gender": "f",
    "language": "fr_ca",
    "postalCode": "G1K 3X2",
    "country": "ca",
    "birthdate": "1990-02-28",
    "groups": "101,103",
    "customFields": {"1": "Québec", "3": "4"},
}


def test_ping_names_account(client: httpx.Client) -> None:
    response = client.get("/ping")
    assert response.status_code == 200
    assert response.json() == {
        "ping": "success",
        "username": "Sandbox",
        "email": "sandbox@example.com",
        "account": "Boutique Sandbox",
    }


def test_invalid_token_is_401(client: httpx.Client) -> None:
    for headers in ({"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdA=="}, {}):
        response = httpx.get(f"{client.base_url}/members", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert isinstance(response.json()["message"], str)


def test_create_member_shape(client: httpx.Client) -> None:
    response = client.post("/members", json=NEW_MEMBER)
    assert response.status_code == 201
    member = response.json()
    assert_shape(member, MEMBER_FIELDS)
    assert member["email"] == "amelie.girard@example.com"
    assert member["country"] == "CA"
    assert member["birthdate"] == "1990-02-28"
    assert member["customFields"] == {"1": "Québec", "3": 4}
    assert member["consentType"] == "implied"
    assert member["updatedOn"] is None
    assert EASTERN_DATETIME.match(member["joinedOn"])
    assert member["mailingsReceived"] == 0


def test_created_member_joined_now_eastern(client: httpx.Client) -> None:
    member = client.post("/members", json=NEW_MEMBER).json()
    joined = datetime.strptime(member["joinedOn"], "%Y-%m-%d %H:%M:%S.%f").replace(
        tzinfo=ZoneInfo("America/Toronto")
    )
    assert abs((datetime.now(ZoneInfo("UTC")) - joined).total_seconds()) < 60


def test_get_member_by_id_and_email(client: httpx.Client) -> None:
    created = client.post("/members", json=NEW_MEMBER).json()
    by_id = client.get(f"/members/{created['id']}")
    by_email = client.get("/members/Amelie.Girard@example.com")
    assert by_id.status_code == 200
    assert by_email.status_code == 200
    assert by_id.json() == created
    assert by_email.json() == created


def test_plus_address_survives_path(client: httpx.Client) -> None:
    email = "julie.ouellet+boutique@example.com"
    assert client.post("/members", json={"email": email, "groups": 101}).status_code == 201
    raw = client.get(f"/members/{email}")
    encoded = client.get(f"/members/{quote(email, safe='')}")
    assert raw.status_code == 200
    assert raw.json()["email"] == email
    assert encoded.status_code == 200
    assert encoded.json()["email"] == email
    assert client.get("/members/julie.ouellet boutique@example.com").status_code == 404


def test_unknown_member_is_404(client: httpx.Client) -> None:
    for key in ("personne@example.com", "999999"):
        response = client.get(f"/members/{key}")
        assert response.status_code == 404
        assert isinstance(response.json()["message"], str)


def test_duplicate_member_is_409(client: httpx.Client) -> None:
    assert client.post("/members", json=NEW_MEMBER).status_code == 201
    response = client.post("/members", json={**NEW_MEMBER, "email": "AMELIE.GIRARD@example.com"})
    assert response.status_code == 409
    body = response.json()
    assert body["errors"] == [
        {"field": "email", "description": "The email has already been taken."}
    ]


def test_invalid_fields_are_422(client: httpx.Client) -> None:
    cases = {
        "email": {"email": "pas-un-courriel"},
        "gender": {"email": "a@example.com", "gender": "x"},
        "language": {"email": "a@example.com", "language": "fr"},
        "country": {"email": "a@example.com", "country": "ZZ"},
        "birthdate": {"email": "a@example.com", "birthdate": "22/04/1986"},
        "groups": {"email": "a@example.com", "groups": "424242"},
        "customFields.99": {"email": "a@example.com", "customFields": {"99": "x"}},
        "customFields.3": {"email": "a@example.com", "customFields": {"3": "beaucoup"}},
    }
    for field, body in cases.items():
        response = client.post("/members", json=body)
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == field


def test_non_json_body_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/members", content=b"email=a@example.com", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400


def test_list_250_members_across_pages(client: httpx.Client) -> None:
    for index in range(250):
        response = client.post(
            "/members", json={"email": f"client{index:03d}@example.com", "groups": "102"}
        )
        assert response.status_code == 201
    today = datetime.now(ZoneInfo("America/Toronto")).date().isoformat()
    params = {"joinedOnFrom": today, "joinedOnTo": today, "limit": 100}

    seen: list[int] = []
    for page, expected in ((1, 100), (2, 100), (3, 50)):
        body = client.get("/members", params={**params, "page": page}).json()
        assert set(body) == {"members", "totalCount", "page", "limit", "items_per_page", "sort"}
        assert body["totalCount"] == 250
        assert (body["page"], body["limit"], body["items_per_page"], body["sort"]) == (
            page,
            100,
            100,
            "",
        )
        assert len(body["members"]) == expected
        seen += [member["id"] for member in body["members"]]
    assert len(set(seen)) == 250
    assert client.get("/members", params={**params, "page": 4}).json()["members"] == []


def test_list_defaults_and_status(client: httpx.Client) -> None:
    active = client.get("/members").json()
    orphans = client.get("/members", params={"status": "orphans"}).json()
    everyone = client.get("/members", params={"status": "all"}).json()
    assert (active["page"], active["limit"]) == (1, 20)
    assert [m["email"] for m in orphans["members"]] == ["isabelle.fortin@example.com"]
    assert everyone["totalCount"] == active["totalCount"] + 1
    emails = {m["email"] for m in everyone["members"]}
    assert "luc.pelletier@example.com" not in emails  # unsubscribed in the seed
    assert client.get("/members", params={"status": "subscribed"}).status_code == 422


def test_list_sort_and_date_filter(client: httpx.Client) -> None:
    body = client.get("/members", params={"status": "all", "sort": "fullname_asc"}).json()
    names = [f"{m['firstname']} {m['lastname']}" for m in body["members"]]
    assert body["sort"] == "fullname_asc"
    assert names.index("Étienne Lavoie") < names.index("Geneviève Tremblay")
    dated = client.get(
        "/members",
        params={"status": "all", "joinedOnFrom": "2024-01-01", "joinedOnTo": "2024-12-31"},
    )
    assert {m["id"] for m in dated.json()["members"]} == {5004, 5005, 5006}
    newest = client.get(
        "/members", params={"status": "all", "sort": "date_desc", "limit": 1}
    ).json()
    assert newest["members"][0]["id"] == 5010
    assert client.get("/members", params={"sort": "name_asc"}).status_code == 422
    assert client.get("/members", params={"joinedOnFrom": "01/01/2024"}).status_code == 422
    assert client.get("/members", params={"limit": 10001}).status_code == 422


def test_iso8601_dates(client: httpx.Client) -> None:
    member = client.get("/members/5001", params={"dateReturnFormat": "ISO8601"}).json()
    assert member["joinedOn"] == "2022-06-10T14:02:11-0400"
    assert ISO_DATETIME.match(member["updatedOn"])
    atom = client.get("/members/5001", params={"dateReturnFormat": "ATOM"}).json()
    assert atom["joinedOn"] == "2022-06-10T14:02:11-04:00"
    assert client.get("/members/5001").json()["joinedOn"] == "2022-06-10 14:02:11.000"


def test_put_resets_unsent_fields(client: httpx.Client) -> None:
    response = client.put("/members/5001", json={"firstname": "Gen", "language": "en_ca"})
    assert response.status_code == 200
    member = response.json()
    assert (member["firstname"], member["lastname"], member["language"]) == ("Gen", "", "en_ca")
    assert member["customFields"] == {}
    assert member["birthdate"] is None
    assert EASTERN_DATETIME.match(member["updatedOn"])
    assert client.get("/members/5001/groups").json()["totalCount"] == 2


def test_patch_changes_only_sent_fields(client: httpx.Client) -> None:
    response = client.patch(
        "/members/5001", json={"company": "Fromagerie T.", "customFields": {"3": 10}}
    )
    member = response.json()
    assert response.status_code == 200
    assert (member["firstname"], member["company"]) == ("Geneviève", "Fromagerie T.")
    assert member["customFields"] == {"1": "Québec", "2": "2024-10-28", "3": 10, "4": 642.35}
    renamed = client.patch("/members/5001", json={"email": "gen.tremblay@example.com"}).json()
    assert renamed["email"] == "gen.tremblay@example.com"
    assert (
        client.patch("/members/5001", json={"email": "olivier.roy@example.com"}).status_code == 409
    )


def test_delete_member_echoes_key(client: httpx.Client) -> None:
    response = client.delete("/members/sophie.cote@example.com")
    assert response.status_code == 200
    assert response.json() == {"sophie.cote@example.com": "deleted"}
    assert client.get("/members/sophie.cote@example.com").status_code == 404
    assert client.delete("/members/sophie.cote@example.com").status_code == 404


def test_unsubscribe_member(client: httpx.Client) -> None:
    first = client.post("/members/unsubscribed/5002")
    second = client.post("/members/unsubscribed/marc-andre.gagnon@example.com")
    assert first.status_code == 200
    body = first.json()
    assert body["isNewUnsubscription"] is True
    assert "id" not in body
    assert "mailingsReceived" not in body
    assert EASTERN_DATETIME.match(body["unsubscribedOn"])
    assert second.json()["isNewUnsubscription"] is False

    listed = client.get("/members/unsubscribed", params={"sort": "email_asc"}).json()
    assert [m["email"] for m in listed["members"]] == [
        "luc.pelletier@example.com",
        "marc-andre.gagnon@example.com",
    ]
    assert client.get("/members/unsubscribed/marc-andre.gagnon@example.com").status_code == 200
    assert client.get("/members/unsubscribed/olivier.roy@example.com").status_code == 404
    everyone = client.get("/members", params={"status": "all"}).json()["members"]
    assert 5002 not in {m["id"] for m in everyone}


def test_unsubscribed_address_not_readded(client: httpx.Client) -> None:
    response = client.post("/members", json={"email": "luc.pelletier@example.com", "groups": "101"})
    assert response.status_code == 422
    assert client.get("/members/unsubscribed/luc.pelletier@example.com").status_code == 200


def test_bounced_list(client: httpx.Client) -> None:
    body = client.get("/members/bounced").json()
    assert [m["email"] for m in body["members"]] == ["nathalie.bergeron@example.com"]
    assert body["members"][0]["hardBouncedOn"] == "2025-03-04 07:00:12.000"
    assert "id" not in body["members"][0]


def test_custom_fields(client: httpx.Client) -> None:
    body = client.get("/customfields").json()
    assert set(body) == {"customFields"}
    assert {field["type"] for field in body["customFields"]} == {
        "text",
        "date",
        "integer",
        "decimal number",
    }
    assert body["customFields"][0] == {"id": 1, "name": "Ville", "type": "text"}


def test_minted_token_is_accepted(client: httpx.Client) -> None:
    minted = client.post("/tokens")
    assert minted.status_code == 200
    body = minted.json()
    assert set(body) == {"tokenUniqueId", "token", "expiration"}
    assert len(body["expiration"]) == len("2032-01-01 12:34:56")
    assert int(body["expiration"][:4]) - datetime.now().year == 10
    ping = httpx.get(
        f"{client.base_url}/ping", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert ping.status_code == 200
