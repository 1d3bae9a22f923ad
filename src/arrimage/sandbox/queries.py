"""Paginated, sorted and date-filtered list queries shared by the list endpoints.

Cyberimpact pages with ``page`` (from 1) and ``limit`` (default 20, max 10 000), echoes ``sort``
(``""`` when none was given) and accepts only the sort keys of its reference for each list.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from arrimage.sandbox.dates import day_bounds, parse_day
from arrimage.sandbox.errors import invalid

MEMBER_SORTS = {
    "email": "m.email COLLATE FOLD",
    "language": "m.language",
    "fullname": "(m.firstname || ' ' || m.lastname) COLLATE FOLD",
    "date": "m.joined_on",
    "consent_type": "m.consent_type",
    "consent_date": "m.consent_date",
    "updated": "m.updated_on",
}
UNSUBSCRIBED_SORTS = {
    "email": "m.email COLLATE FOLD",
    "date": "m.unsubscribed_on",
    "updated": "m.updated_on",
}
BOUNCED_SORTS = {**UNSUBSCRIBED_SORTS, "date": "m.hard_bounced_on"}
MEMBER_GROUP_SORTS = {"title": "g.title COLLATE FOLD", "created": "g.created_on"}
MAILING_SORTS = {"date_sent": "1", "date_opened": "1"}
GROUP_SORTS = {
    "group": "g.title COLLATE FOLD",
    "nbmember": "members_count",
    "type": "g.is_dynamic",
    "nbnewsletter": "g.mailings_count",
    "date": "g.created_on",
}

GROUP_SELECT = (
    "SELECT g.*, (SELECT COUNT(*) FROM memberships ms JOIN members mm ON mm.id = ms.member_id "
    "WHERE ms.group_id = g.id AND mm.unsubscribed_on IS NULL) AS members_count FROM groups g"
)


@dataclass(frozen=True)
class PageRequest:
    """The ``page``, ``limit`` and ``sort`` query parameters of one list request."""

    page: int = 1
    limit: int = 20
    sort: str = ""

    def envelope(self, key: str, items: list[dict[str, Any]], total: int) -> dict[str, Any]:
        """Wrap ``items`` in Cyberimpact's list body."""
        return {
            key: items,
            "totalCount": total,
            "page": self.page,
            "limit": self.limit,
            "sort": self.sort,
        }


def order_by(sorts: dict[str, str], sort: str, id_column: str) -> str:
    """Return the ORDER BY clause for a ``<key>_asc|desc`` value, with ``id_column`` as tiebreak.

    Assumption: with no ``sort`` the list is in id order, which is also creation order.
    """
    if not sort:
        return f"{id_column} ASC"
    key, _sep, direction = sort.rpartition("_")
    if key not in sorts or direction not in ("asc", "desc"):
        choices = ", ".join(f"{name}_asc, {name}_desc" for name in sorts)
        raise invalid("sort", f"The sort {sort!r} is invalid; use one of {choices}.")
    direction = direction.upper()
    return f"{sorts[key]} {direction}, {id_column} {direction}"


class Filters:
    """WHERE clauses and their parameters, built up one condition at a time."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def add(self, clause: str, *params: Any) -> None:
        """Append one condition and its parameters."""
        self.clauses.append(clause)
        self.params.extend(params)

    def add_day_range(
        self,
        column: str,
        first: str | None,
        last: str | None,
        names: tuple[str, str],
        zone: ZoneInfo,
    ) -> None:
        """Limit ``column`` to whole local days: ``first`` from 00:00, ``last`` through 23:59:59."""
        for value, name, is_start in ((first, names[0], True), (last, names[1], False)):
            if not value:
                continue
            try:
                start, next_start = day_bounds(parse_day(value), zone)
            except ValueError as exc:
                raise invalid(
                    name, f"The {name} {value!r} does not match the format yyyy-mm-dd."
                ) from exc
            if is_start:
                self.add(f"{column} >= ?", start)
            else:
                self.add(f"{column} < ?", next_start)

    def sql(self) -> str:
        """Return `` WHERE …`` or an empty string."""
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""


def fetch_page(
    conn: sqlite3.Connection, select: str, filters: Filters, order: str, page: PageRequest
) -> tuple[list[sqlite3.Row], int]:
    """Run ``select`` with the filters and return one page of rows and the total row count."""
    where = filters.sql()
    total = conn.execute(f"SELECT COUNT(*) FROM ({select}{where})", filters.params).fetchone()[0]
    rows = conn.execute(
        f"{select}{where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*filters.params, page.limit, (page.page - 1) * page.limit],
    ).fetchall()
    return rows, int(total)
