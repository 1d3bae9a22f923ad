"""The Cyberimpact polling triggers, sample data and choice lists over HTTP against the sandbox.

The sandbox here serves at most 100 items a page, so a few hundred contacts span several pages
and the triggers must follow the ``limit`` the server returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from arrimage.connectors.context import ConnectionData, TriggerContext
from arrimage.connectors.cyberimpact import APP
from arrimage.connectors.cyberimpact.choices import list_custom_field_choices, list_group_choices
from arrimage.connectors.cyberimpact.id_sets import pack_ids, unpack_ids
from arrimage.connectors.cyberimpact.triggers import (
    CYBERIMPACT_ZONE,
    poll_contact_added,
    poll_contact_added_to_group,
    poll_group_created,
    sample_contacts_added,
    sample_contacts_added_to_group,
    sample_groups_created,
)
from arrimage.connectors.declaration import OperationKind, PollResult, PollState, TriggerMode
from arrimage.engine.errors import AuthenticationError, InvalidInputError, RateLimitedError, ServerError
from arrimage.sandbox import SandboxConfig
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN

PAGE_SIZE = 100
EVENTS_GROUP = 103  # sandbox starting data: "Événements"
OLD_CONTACT = 5002  # marc-andre.gagnon@example.com, joined 2023-02-17, not in group 103
OLD_CONTACT_EMAIL = "marc-andre.gagnon@example.com"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(
        SandboxConfig(tokens=[TOKEN], seed=SEED, max_page_size=PAGE_SIZE)
    ).start()
    yield running
    running.stop()


@pytest.fixture
def admin(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=10) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as current:
        yield current


def context_for(sandbox: SandboxServer, http: httpx.Client, token: str = TOKEN,
                **options: Any) -> TriggerContext:
    connection = ConnectionData(id="con_test", app="cyberimpact", name="Sandbox",
                                config={"base_url": sandbox.base_url}, secrets={"token": token})
    return TriggerContext(automation_id="aut_test", options=options, connection=connection, http=http)


def poll_twice_from(poll: Any, context: TriggerContext, cursor: dict[str, Any] | None) -> PollResult:
    return poll(context, PollState(cursor=cursor, seen_ids=[]))


def add_contact(admin: httpx.Client, email: str, groups: str | None = None) -> int:
    body: dict[str, Any] = {"email": email}
    if groups:
        body["groups"] = groups
    answer = admin.post("/members", json=body)
    answer.raise_for_status()
    member_id: int = answer.json()["id"]
    return member_id


def payload_ids(result: PollResult) -> list[int]:
    return [event.payload["id"] for event in result.events]


# Declarations


def test_triggers_declared_as_polling() -> None:
    keys = [trigger.key for trigger in APP.triggers]

    assert keys == ["contact_added", "contact_added_to_group", "group_created"]
    for trigger in APP.triggers:
        assert trigger.kind is OperationKind.TRIGGER
        assert trigger.mode is TriggerMode.POLLING
        assert trigger.poll_interval_seconds == 60
        assert trigger.needs_connection
        assert trigger.load_samples is not None


def test_group_fields_load_choices_from_account() -> None:
    group_trigger = APP.operation(OperationKind.TRIGGER, "contact_added_to_group")
    add_to_groups = APP.operation(OperationKind.ACTION, "add_to_groups")
    assert group_trigger is not None and add_to_groups is not None

    assert group_trigger.field("group").choices_from == "groups"  # type: ignore[union-attr]
    assert add_to_groups.field("groups").choices_from == "groups"  # type: ignore[union-attr]
    assert set(APP.choice_sources) == {"groups", "custom_fields"}


# Contact added


def test_contact_added_first_poll_records_today(sandbox: SandboxServer, admin: httpx.Client,
                                                http: httpx.Client) -> None:
    early = add_contact(admin, "premiere@exemple.ca", groups="101")
    context = context_for(sandbox, http)

    seeded = poll_twice_from(poll_contact_added, context, None)

    # The engine fires nothing on its first poll; the cursor must still hold today's contact.
    assert early in payload_ids(seeded)
    assert seeded.cursor is not None
    assert early in unpack_ids(seeded.cursor["ids"])
    assert seeded.cursor["from"] <= dt.datetime.now(CYBERIMPACT_ZONE).date().isoformat()


def test_contact_added_fires_once_per_contact(sandbox: SandboxServer, admin: httpx.Client,
                                              http: httpx.Client) -> None:
    context = context_for(sandbox, http)
    seeded = poll_twice_from(poll_contact_added, context, None)
    orphan = add_contact(admin, "sans.groupe@exemple.ca")

    second = poll_twice_from(poll_contact_added, context, seeded.cursor)
    third = poll_twice_from(poll_contact_added, context, second.cursor)

    assert payload_ids(second) == [orphan]
    assert second.events[0].dedup_key == f"contact:{orphan}"
    assert second.events[0].payload["email"] == "sans.groupe@exemple.ca"
    assert payload_ids(third) == []


def test_contact_added_250_same_day_across_pages(sandbox: SandboxServer, admin: httpx.Client,
                                                 http: httpx.Client) -> None:
    context = context_for(sandbox, http)
    seeded = poll_twice_from(poll_contact_added, context, None)
    created = [add_contact(admin, f"client-{number:03d}@exemple.ca", groups="102")
               for number in range(250)]

    second = poll_twice_from(poll_contact_added, context, seeded.cursor)
    third = poll_twice_from(poll_contact_added, context, second.cursor)

    assert sorted(payload_ids(second)) == sorted(created)
    assert len({event.dedup_key for event in second.events}) == 250
    assert payload_ids(third) == []


def test_contact_added_repeat_after_crash(sandbox: SandboxServer, admin: httpx.Client,
                                          http: httpx.Client) -> None:
    context = context_for(sandbox, http)
    seeded = poll_twice_from(poll_contact_added, context, None)
    add_contact(admin, "repetition@exemple.ca", groups="101")

    # The cursor of a poll whose state was not saved is the one before it: same keys again.
    first = poll_twice_from(poll_contact_added, context, seeded.cursor)
    again = poll_twice_from(poll_contact_added, context, seeded.cursor)

    assert [event.dedup_key for event in first.events] == [event.dedup_key for event in again.events]


def test_contact_added_reads_days_missed(sandbox: SandboxServer, admin: httpx.Client,
                                         http: httpx.Client) -> None:
    # Starting data: member 5010 joined on 2025-04-22, the latest of the seeded contacts.
    context = context_for(sandbox, http)
    cursor = {"from": "2025-04-22", "ids": pack_ids([])}

    result = poll_twice_from(poll_contact_added, context, cursor)

    assert 5010 in payload_ids(result)
    assert result.cursor is not None
    assert result.cursor["from"] > "2025-04-22"
    assert 5010 not in unpack_ids(result.cursor["ids"])


# Contact added to a group


def test_group_first_poll_records_members(sandbox: SandboxServer, admin: httpx.Client,
                                          http: httpx.Client) -> None:
    context = context_for(sandbox, http, group=str(EVENTS_GROUP))

    seeded = poll_twice_from(poll_contact_added_to_group, context, None)

    assert seeded.events == []
    assert seeded.cursor is not None
    assert seeded.cursor["group"] == EVENTS_GROUP
    assert len(unpack_ids(seeded.cursor["members"])) == 4  # starting data: 4 members


def test_group_long_standing_contact_on_page_3(sandbox: SandboxServer, admin: httpx.Client,
                                               http: httpx.Client) -> None:
    for number in range(250):
        add_contact(admin, f"aaa-{number:03d}@exemple.ca", groups=str(EVENTS_GROUP))
    context = context_for(sandbox, http, group=str(EVENTS_GROUP))
    seeded = poll_twice_from(poll_contact_added_to_group, context, None)

    admin.post(f"/members/{OLD_CONTACT}/groups",
               json={"groups": str(EVENTS_GROUP)}).raise_for_status()
    page_3 = admin.get(f"/groups/{EVENTS_GROUP}/members",
                       params={"sort": "email_asc", "limit": PAGE_SIZE, "page": 3}).json()
    second = poll_twice_from(poll_contact_added_to_group, context, seeded.cursor)

    assert OLD_CONTACT in [member["id"] for member in page_3["members"]]
    assert payload_ids(second) == [OLD_CONTACT]
    assert second.events[0].payload["email"] == OLD_CONTACT_EMAIL
    assert second.events[0].payload["group"] == {"id": EVENTS_GROUP, "title": "Événements"}


def test_group_readded_contact_fires_again(sandbox: SandboxServer, admin: httpx.Client,
                                           http: httpx.Client) -> None:
    context = context_for(sandbox, http, group=str(EVENTS_GROUP))
    cursor = poll_twice_from(poll_contact_added_to_group, context, None).cursor
    admin.post(f"/members/{OLD_CONTACT}/groups", json={"groups": str(EVENTS_GROUP)})
    added = poll_twice_from(poll_contact_added_to_group, context, cursor)
    admin.delete(f"/members/{OLD_CONTACT}/groups/{EVENTS_GROUP}").raise_for_status()
    removed = poll_twice_from(poll_contact_added_to_group, context, added.cursor)
    admin.post(f"/members/{OLD_CONTACT}/groups", json={"groups": str(EVENTS_GROUP)})

    readded = poll_twice_from(poll_contact_added_to_group, context, removed.cursor)
    repeat = poll_twice_from(poll_contact_added_to_group, context, removed.cursor)

    assert payload_ids(added) == [OLD_CONTACT]
    assert payload_ids(removed) == []
    assert payload_ids(readded) == [OLD_CONTACT]
    assert readded.events[0].dedup_key != added.events[0].dedup_key
    assert repeat.events[0].dedup_key == readded.events[0].dedup_key


def test_group_chosen_by_title(sandbox: SandboxServer, admin: httpx.Client,
                               http: httpx.Client) -> None:
    context = context_for(sandbox, http, group="  événements ")

    seeded = poll_twice_from(poll_contact_added_to_group, context, None)

    assert seeded.cursor is not None
    assert seeded.cursor["group"] == EVENTS_GROUP


def test_group_changed_records_again(sandbox: SandboxServer, admin: httpx.Client,
                                     http: httpx.Client) -> None:
    first = poll_twice_from(poll_contact_added_to_group,
                            context_for(sandbox, http, group="101"), None)

    other = poll_twice_from(poll_contact_added_to_group,
                            context_for(sandbox, http, group=str(EVENTS_GROUP)), first.cursor)

    assert other.events == []
    assert other.cursor is not None
    assert other.cursor["group"] == EVENTS_GROUP


@pytest.mark.parametrize(("group", "expected"), [
    ("999", "No Cyberimpact group has the id 999"),
    ("Groupe inconnu", "No Cyberimpact group is titled 'Groupe inconnu'"),
    ("", "Choose the group to watch"),
])
def test_group_option_invalid(sandbox: SandboxServer, admin: httpx.Client, http: httpx.Client,
                              group: str, expected: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        poll_twice_from(poll_contact_added_to_group, context_for(sandbox, http, group=group), None)

    assert expected in caught.value.message.render("en")


def test_group_title_shared_by_two(sandbox: SandboxServer, admin: httpx.Client,
                                   http: httpx.Client) -> None:
    admin.post("/groups", json={"title": "Événements", "isPublic": False}).raise_for_status()

    with pytest.raises(InvalidInputError) as caught:
        poll_twice_from(poll_contact_added_to_group,
                        context_for(sandbox, http, group="Événements"), None)

    message = caught.value.message.render("en")
    assert "Several Cyberimpact groups are titled" in message
    assert str(EVENTS_GROUP) in message


# Group created


def test_group_created_fires_new_groups(sandbox: SandboxServer, admin: httpx.Client,
                                        http: httpx.Client) -> None:
    context = context_for(sandbox, http)
    seeded = poll_twice_from(poll_group_created, context, None)
    created = admin.post("/groups", json={"title": "Salon 2027", "isPublic": True}).json()

    second = poll_twice_from(poll_group_created, context, seeded.cursor)
    third = poll_twice_from(poll_group_created, context, second.cursor)

    assert payload_ids(second) == [created["id"]]
    assert second.events[0].payload["title"] == "Salon 2027"
    assert second.events[0].dedup_key == f"group:{created['id']}"
    assert payload_ids(third) == []


# Failures keep the cursor to the engine: the poll raises and the next one catches up.


def test_poll_429_then_success(sandbox: SandboxServer, admin: httpx.Client,
                               http: httpx.Client) -> None:
    context = context_for(sandbox, http)
    seeded = poll_twice_from(poll_group_created, context, None)
    created = admin.post("/groups", json={"title": "Promo", "isPublic": False}).json()
    admin.patch("/_sandbox/faults", json={"throttle_every": 1, "retry_after_seconds": 7})

    with pytest.raises(RateLimitedError) as caught:
        poll_twice_from(poll_group_created, context, seeded.cursor)
    admin.put("/_sandbox/faults", json={})
    recovered = poll_twice_from(poll_group_created, context, seeded.cursor)

    assert caught.value.retry_after == 7
    assert payload_ids(recovered) == [created["id"]]


def test_poll_500_then_success(sandbox: SandboxServer, admin: httpx.Client,
                               http: httpx.Client) -> None:
    context = context_for(sandbox, http)
    seeded = poll_twice_from(poll_contact_added, context, None)
    new_id = add_contact(admin, "apres.panne@exemple.ca", groups="101")
    admin.patch("/_sandbox/faults", json={"fail_next": 1})

    with pytest.raises(ServerError):
        poll_twice_from(poll_contact_added, context, seeded.cursor)
    recovered = poll_twice_from(poll_contact_added, context, seeded.cursor)

    assert payload_ids(recovered) == [new_id]


def test_poll_invalid_token(sandbox: SandboxServer, admin: httpx.Client,
                            http: httpx.Client) -> None:
    with pytest.raises(AuthenticationError):
        poll_twice_from(poll_group_created, context_for(sandbox, http, token="mauvais"), None)


# Sample data and choices


def test_samples_are_recent_items(sandbox: SandboxServer, admin: httpx.Client,
                                  http: httpx.Client) -> None:
    newest = add_contact(admin, "echantillon@exemple.ca", groups=str(EVENTS_GROUP))
    context = context_for(sandbox, http, group=str(EVENTS_GROUP))

    contacts = sample_contacts_added(context, 3)
    members = sample_contacts_added_to_group(context, 2)
    groups = sample_groups_created(context, 1)

    assert len(contacts) == 3
    assert contacts[0]["id"] == newest
    assert len(members) == 2
    assert members[0]["group"] == {"id": EVENTS_GROUP, "title": "Événements"}
    assert len(groups) == 1
    assert {"id", "title", "isPublic", "createdOn"} <= set(groups[0])


def test_group_choices_sorted_ignoring_accents(sandbox: SandboxServer, admin: httpx.Client,
                                       http: httpx.Client) -> None:
    choices = list_group_choices(context_for(sandbox, http))

    labels = [choice["label"] for choice in choices]
    assert labels == ["Clients boutique", "Clients fidèles", "Événements", "Infolettre"]
    assert {"value": "101", "label": "Infolettre"}.items() <= next(
        choice for choice in choices if choice["value"] == "101").items()


def test_custom_field_choices_have_types(sandbox: SandboxServer, admin: httpx.Client,
                                         http: httpx.Client) -> None:
    choices = list_custom_field_choices(context_for(sandbox, http))

    assert {"value": "1", "label": "Ville", "type": "text"} in choices
