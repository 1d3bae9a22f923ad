"""The Cyberimpact polling triggers: contact added, contact added to a group, group created.

The API has no webhooks, so each poll reads a list and compares it with what the previous poll
kept in its cursor:

- contact added: ``GET /members?status=all`` from the day of the previous poll, compared by id
  with the contacts already seen since that day. The date filters take whole days while
  ``joinedOn`` has sub-second precision, so the current day is read again on every poll.
  ``status=all`` includes the contacts that are in no group.
- contact added to a group: every member of the group, compared as a set of ids. The API
  filters and sorts by the day a contact joined the *account*, so a long-standing contact added
  to the group today can appear on any page.
- group created: every group, compared as a set of ids.

Each event's de-duplication key is stable for a given cursor, so a poll repeated after a crash
(the cursor was not saved) produces the same keys, and the events table starts no second run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from arrimage.connectors.context import TriggerContext
from arrimage.connectors.cyberimpact.client import CyberimpactClient
from arrimage.connectors.cyberimpact.connection import client_for_connection
from arrimage.connectors.cyberimpact.id_sets import pack_ids, unpack_ids
from arrimage.connectors.declaration import IncomingEvent, PollResult, PollState
from arrimage.engine.errors import InvalidInputError
from arrimage.i18n import _l

logger = logging.getLogger(__name__)

# Cyberimpact's days (date filters, and returned dates without an offset) are Eastern time.
CYBERIMPACT_ZONE = ZoneInfo("America/Toronto")
# Items per page when a poll reads a whole list: Cyberimpact's documented maximum, because a
# group's whole member list is read on every poll.
POLL_PAGE_SIZE = 10_000
# Maximum number of ids a cursor keeps. Beyond it, polls fail with a reason instead of
# dropping ids.
MAX_TRACKED_IDS = 200_000
# The next poll reads from the day of (now - READ_AGAIN), so a contact that joined just before
# midnight, or whose joinedOn came from a clock a little ahead of ours, is still read.
READ_AGAIN = dt.timedelta(hours=1)

PageFetcher = Callable[[int, int], dict[str, Any]]


# Contact added

def poll_contact_added(context: TriggerContext, state: PollState) -> PollResult:
    """Return the contacts that joined the account since the previous poll."""
    client = _client(context)
    now = dt.datetime.now(CYBERIMPACT_ZONE)
    cursor = state.cursor or {}
    read_from = _day(cursor.get("from")) or _window_start(now)
    seen = unpack_ids(cursor.get("ids"))

    # date_asc puts contacts that join during the read on the last pages, so no page shifts.
    listing = _read_all(
        lambda page, limit: client.list_members(
            page=page, limit=limit, status="all", sort="date_asc", joinedOnFrom=read_from),
        "members",
    )
    events = [
        IncomingEvent(payload=contact, dedup_key=f"contact:{contact['id']}")
        for contact in listing.items
        if _id(contact) is not None and _id(contact) not in seen
    ]

    next_from = _window_start(now)
    kept = {
        _id(contact) for contact in listing.items
        if _id(contact) is not None and _joined_day(contact, default=next_from) >= next_from
    }
    return PollResult(events=events, cursor={"from": next_from.isoformat(), "ids": pack_ids(kept)})


def sample_contacts_added(context: TriggerContext, limit: int) -> list[dict[str, Any]]:
    """Return the contacts that joined most recently, newest first."""
    client = _client(context)
    body = client.list_members(limit=limit, status="all", sort="date_desc")
    return list(body.get("members") or [])[:limit]


# Contact added to a group

def poll_contact_added_to_group(context: TriggerContext, state: PollState) -> PollResult:
    """Return the contacts that are in the chosen group now and were not at the previous poll.

    A contact removed from the group and added again fires again. The first poll for a group
    (including after the automation's group changes) only records the members.
    """
    client = _client(context)
    group = _chosen_group(client, context.options.get("group"))
    cursor = state.cursor or {}
    listing = _read_all(
        lambda page, limit: client.list_group_members(
            group["id"], page=page, limit=limit, sort="email_asc"),
        "members",
    )
    members = {_id(contact): contact for contact in listing.items if _id(contact) is not None}

    if cursor.get("group") != group["id"]:
        logger.info("group %s: recorded %d members; none of them fires", group["id"], len(members))
        return PollResult(events=[], cursor=_group_cursor(group["id"], set(members), 0))

    previous = unpack_ids(cursor.get("members"))
    poll_round = int(cursor.get("round") or 0)
    summary = _group_summary(group)
    events = [
        IncomingEvent(
            payload={**contact, "group": summary},
            # The round distinguishes a later re-addition from a repeat of this poll.
            dedup_key=f"group:{group['id']}:contact:{member_id}:round:{poll_round}",
        )
        for member_id, contact in members.items()
        if member_id not in previous
    ]

    # A list that changed while it was read may lack some members. Keeping the previous ids
    # then stops a member missing from this read from firing again at the next poll.
    current = set(members) if listing.complete else set(members) | previous
    return PollResult(events=events, cursor=_group_cursor(group["id"], current, poll_round + 1))


def sample_contacts_added_to_group(context: TriggerContext, limit: int) -> list[dict[str, Any]]:
    """Return recent members of the chosen group, with the group's id and title."""
    client = _client(context)
    group = _chosen_group(client, context.options.get("group"))
    body = client.list_group_members(group["id"], limit=limit, sort="date_desc")
    summary = _group_summary(group)
    return [{**contact, "group": summary} for contact in list(body.get("members") or [])[:limit]]


# Group created

def poll_group_created(context: TriggerContext, state: PollState) -> PollResult:
    """Return the groups that exist now and did not at the previous poll."""
    client = _client(context)
    listing = _read_all(
        lambda page, limit: client.list_groups(page=page, limit=limit, sort="date_asc"), "groups"
    )
    groups = {_id(group): group for group in listing.items if _id(group) is not None}
    cursor = state.cursor or {}
    previous = unpack_ids(cursor.get("groups"))
    events = [
        IncomingEvent(payload=group, dedup_key=f"group:{group_id}")
        for group_id, group in groups.items()
        if group_id not in previous
    ]
    current = set(groups) if listing.complete else set(groups) | previous
    return PollResult(events=events, cursor={"groups": pack_ids(current)})


def sample_groups_created(context: TriggerContext, limit: int) -> list[dict[str, Any]]:
    """Return the groups created most recently, newest first."""
    client = _client(context)
    body = client.list_groups(limit=limit, sort="date_desc")
    return list(body.get("groups") or [])[:limit]


# Group choices for the trigger's option

def _chosen_group(client: CyberimpactClient, value: Any) -> dict[str, Any]:
    """Return the group named by a trigger's ``group`` option: an id, or an exact title."""
    text = str(value).strip() if value is not None and not isinstance(value, bool) else ""
    if not text:
        raise InvalidInputError(_l(
            "Choose the group to watch: set the trigger's field group to a group id or title."))

    if text.isdigit():
        group = client.get_group(int(text))
        if group is None:
            raise InvalidInputError(_l(
                "No Cyberimpact group has the id {value}. Choose a group from the list.",
                value=text))
        return group

    wanted = " ".join(text.split()).casefold()
    matches = [group for group in client.iter_groups()
               if " ".join(str(group.get("title") or "").split()).casefold() == wanted]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InvalidInputError(_l(
            "No Cyberimpact group is titled {value}. Choose a group from the list, or use "
            "its id.", value=repr(text)))
    raise InvalidInputError(_l(
        "Several Cyberimpact groups are titled {value}. Use the id of the one to watch: "
        "{ids}.", value=repr(text), ids=", ".join(str(group.get("id")) for group in matches)))


def _group_summary(group: dict[str, Any]) -> dict[str, Any]:
    return {"id": group["id"], "title": group.get("title", "")}


def _group_cursor(group_id: int, member_ids: set[int], poll_round: int) -> dict[str, Any]:
    return {"group": group_id, "members": pack_ids(member_ids), "round": poll_round}


# Reading whole lists

class Listing:
    """The items of every page of a list, and whether the list stayed the same while read."""

    def __init__(self, items: list[dict[str, Any]], complete: bool) -> None:
        self.items = items
        self.complete = complete


def _read_all(fetch: PageFetcher, collection: str) -> Listing:
    """Read every page; ``complete`` is False when ``totalCount`` changed between pages.

    Pages are offsets, so an item added or removed while the pages are read shifts the later
    pages: an item can then be read twice (harmless, ids are compared) or missed.
    """
    items: list[dict[str, Any]] = []
    totals: set[int] = set()
    page, limit = 1, POLL_PAGE_SIZE
    while True:
        body = fetch(page, limit)
        batch = list(body.get(collection) or [])
        items.extend(batch)
        # A server may serve fewer items per page than requested; its ``limit`` gives the count.
        limit = _positive_int(body.get("limit"), limit)
        if "totalCount" in body:
            total = _positive_int(body.get("totalCount"), 0)
            totals.add(total)
            more = page * limit < total
        else:  # Without a total, a full page means that another page may follow.
            more = len(batch) >= limit
        if not batch or not more:
            break
        page += 1

    distinct = {_id(item) for item in items}
    complete = len(totals) <= 1 and len(distinct) >= max(totals, default=0)
    if len(distinct) > MAX_TRACKED_IDS:
        raise InvalidInputError(_l(
            "The list has {count} items, more than the {limit} this trigger can compare "
            "between polls. Watch a smaller group.", count=len(distinct), limit=MAX_TRACKED_IDS))
    return Listing(items, complete=complete)


# Values

def _client(context: TriggerContext) -> CyberimpactClient:
    return client_for_connection(context.connection, context.http)


def _id(item: dict[str, Any]) -> int | None:
    value = item.get("id")
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def _window_start(now: dt.datetime) -> dt.date:
    return (now - READ_AGAIN).astimezone(CYBERIMPACT_ZONE).date()


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _joined_day(contact: dict[str, Any], default: dt.date) -> dt.date:
    """Return the Eastern day of ``joinedOn``; ``default`` when it is missing or unreadable.

    ISO 8601 values carry their offset. Values without one are Cyberimpact's default format,
    which is already Eastern time.
    """
    raw = contact.get("joinedOn")
    try:
        joined = dt.datetime.fromisoformat(str(raw).strip())
    except ValueError:
        return default
    if joined.tzinfo is None:
        return joined.date()
    return joined.astimezone(CYBERIMPACT_ZONE).date()
