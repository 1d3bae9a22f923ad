"""Contract tests of groups, a member's groups and a group's members."""

from __future__ import annotations

import httpx

from .helpers import EASTERN_DATETIME, GROUP_FIELDS, MEMBER_FIELDS, assert_shape

MEMBER_GROUP_FIELDS = {
    "id": int,
    "title": str,
    "isPublic": bool,
    "createdOn": str,
    "isDynamic": bool,
}


def _titles(body: dict[str, list[dict[str, object]]]) -> list[object]:
    return [group["title"] for group in body["groups"]]


def test_list_groups_shape(client: httpx.Client) -> None:
    body = client.get("/groups").json()
    assert set(body) == {"groups", "totalCount", "page", "limit", "sort"}
    assert body["totalCount"] == 4
    for group in body["groups"]:
        assert_shape(group, GROUP_FIELDS)
    infolettre = body["groups"][0]
    assert (infolettre["id"], infolettre["title"], infolettre["membersCount"]) == (
        101,
        "Infolettre",
        5,
    )
    by_size = client.get("/groups", params={"sort": "nbmember_desc"}).json()
    assert _titles(by_size)[0] == "Infolettre"
    assert client.get("/groups", params={"sort": "title_asc"}).status_code == 422


def test_group_crud(client: httpx.Client) -> None:
    created = client.post("/groups", json={"title": "Vente d'entrepôt", "isPublic": True})
    assert created.status_code == 201
    group = created.json()
    assert_shape(group, GROUP_FIELDS)
    assert (group["membersCount"], group["mailingsCount"], group["isDynamic"]) == (0, 0, False)
    assert EASTERN_DATETIME.match(group["createdOn"])

    group_id = group["id"]
    assert client.get(f"/groups/{group_id}").json() == group
    patched = client.patch(f"/groups/{group_id}", json={"isPublic": False}).json()
    assert (patched["title"], patched["isPublic"]) == ("Vente d'entrepôt", False)
    replaced = client.put(f"/groups/{group_id}", json={"title": "Soldes"}).json()
    assert (replaced["title"], replaced["isPublic"]) == ("Soldes", False)
    assert client.delete(f"/groups/{group_id}").json() == {str(group_id): "deleted"}
    assert client.get(f"/groups/{group_id}").status_code == 404
    assert client.delete(f"/groups/{group_id}").status_code == 404


def test_group_title_required(client: httpx.Client) -> None:
    response = client.post("/groups", json={"isPublic": True})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "title"


def test_dynamic_group_is_read_only(client: httpx.Client) -> None:
    assert client.patch("/groups/104", json={"title": "Autre"}).status_code == 422
    assert client.post("/members/5001/groups", json={"groups": "104"}).status_code == 422


def test_member_groups_add_is_additive(client: httpx.Client) -> None:
    response = client.post("/members/5002/groups", json={"groups": "101,103"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"groups"}
    for group in body["groups"]:
        assert_shape(group, MEMBER_GROUP_FIELDS)
    assert sorted(group["id"] for group in body["groups"]) == [101, 102, 103]
    single = client.post("/members/5007/groups", json={"groups": 103}).json()
    assert [group["id"] for group in single["groups"]] == [103]


def test_member_groups_put_replaces(client: httpx.Client) -> None:
    body = client.put("/members/5001/groups", json={"groups": "103"}).json()
    assert [group["id"] for group in body["groups"]] == [103]
    listed = client.get("/members/5001/groups").json()
    assert set(listed) == {"groups", "totalCount", "page", "limit", "sort"}
    assert listed["totalCount"] == 1


def test_member_group_remove(client: httpx.Client) -> None:
    response = client.delete("/members/5001/groups/102")
    assert response.status_code == 200
    assert response.json() == {"102": "deleted"}
    assert [group["id"] for group in client.get("/members/5001/groups").json()["groups"]] == [101]
    assert client.delete("/members/5001/groups/102").status_code == 404


def test_member_groups_sorted(client: httpx.Client) -> None:
    client.post("/members/5001/groups", json={"groups": "103"})
    body = client.get("/members/5001/groups", params={"sort": "title_desc"}).json()
    assert _titles(body) == ["Infolettre", "Événements", "Clients boutique"]


def test_unknown_group_is_rejected(client: httpx.Client) -> None:
    response = client.post("/members/5001/groups", json={"groups": "101,999"})
    assert response.status_code == 422
    assert len(client.get("/members/5001/groups").json()["groups"]) == 2


def test_group_members_page_3(client: httpx.Client) -> None:
    group_id = client.post("/groups", json={"title": "Marché de Noël", "isPublic": True}).json()[
        "id"
    ]
    for index in range(45):
        client.post(
            "/members", json={"email": f"visiteur{index:02d}@example.com", "groups": str(group_id)}
        )
    page = client.get(
        f"/groups/{group_id}/members", params={"page": 3, "limit": 20, "sort": "email_asc"}
    ).json()
    assert set(page) == {"members", "totalCount", "page", "limit", "sort"}
    assert (page["totalCount"], page["page"], page["limit"], page["sort"]) == (
        45,
        3,
        20,
        "email_asc",
    )
    assert [m["email"] for m in page["members"]] == [
        f"visiteur{index:02d}@example.com" for index in range(40, 45)
    ]
    assert_shape(page["members"][0], MEMBER_FIELDS)
    assert client.get("/groups/999/members").status_code == 404


def test_group_members_exclude_unsubscribed(client: httpx.Client) -> None:
    before = client.get("/groups/101/members").json()["totalCount"]
    client.post("/members/unsubscribed/5001")
    assert client.get("/groups/101/members").json()["totalCount"] == before - 1
    assert client.get("/groups/101").json()["membersCount"] == before - 1


def test_empty_group(client: httpx.Client) -> None:
    assert client.delete("/groups/103/members").json() == {"members": []}
    assert client.get("/groups/103/members").json()["totalCount"] == 0
    assert client.get("/members/5004").status_code == 200


def test_group_change_keeps_updated_on(client: httpx.Client) -> None:
    client.post("/members/5002/groups", json={"groups": "101"})
    assert client.get("/members/5002").json()["updatedOn"] is None
