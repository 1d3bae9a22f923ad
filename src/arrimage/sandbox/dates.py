"""Date input and output in Cyberimpact's formats.

Stored instants are UTC strings of one fixed width, so SQLite compares and sorts them as text.
Cyberimpact returns ``Y-m-d H:i:s.u`` in Eastern time with millisecond digits by default, and an
offset-aware form when the request has ``dateReturnFormat=ISO8601`` or ``ATOM``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DB_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"
DATE_RETURN_FORMATS = ("ISO8601", "ATOM")


def utc_now() -> datetime:
    """Return the current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def to_db(moment: datetime) -> str:
    """Encode an aware datetime as the stored UTC text."""
    return moment.astimezone(UTC).strftime(DB_FORMAT)


def from_db(text: str) -> datetime:
    """Decode the stored UTC text."""
    return datetime.fromisoformat(text)


def parse_day(value: str) -> date:
    """Parse a ``yyyy-mm-dd`` input date; raise ValueError on any other form."""
    if len(value) != 10:
        raise ValueError(f"invalid date {value!r}; expected yyyy-mm-dd")
    return date.fromisoformat(value)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[str, str]:
    """Return the stored-text start of ``day`` and of the next day, both local to ``zone``."""
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return to_db(start), to_db(end)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Return the first instant of ``day`` in ``zone``."""
    return datetime.combine(day, time(), tzinfo=zone)


def today(zone: ZoneInfo) -> date:
    """Return the current date in ``zone``."""
    return utc_now().astimezone(zone).date()


def add_months(day: date, months: int) -> date:
    """Add calendar months, clamping the day (31 January + 1 month = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class DateFormatter:
    """Render instants for one response: ``style`` is "", "ISO8601" or "ATOM"."""

    zone: ZoneInfo
    style: str = ""

    def instant(self, moment: datetime | str | None, *, fraction: bool = True) -> str | None:
        """Format a datetime (or stored text); None stays None, as in Cyberimpact's ``null``."""
        if moment is None:
            return None
        if isinstance(moment, str):
            moment = from_db(moment)
        local = moment.astimezone(self.zone)
        if self.style == "ISO8601":
            # Assumption: PHP's DATE_ISO8601 pattern (Y-m-d\TH:i:sO), whose offset has no colon.
            return local.strftime("%Y-%m-%dT%H:%M:%S%z")
        if self.style == "ATOM":
            return local.isoformat(timespec="seconds")
        text = local.strftime("%Y-%m-%d %H:%M:%S")
        return f"{text}.{local.microsecond // 1000:03d}" if fraction else text

    def day(self, value: str | None) -> str | None:
        """Format a stored ``yyyy-mm-dd`` day as its local midnight (consent dates)."""
        if value is None:
            return None
        return self.instant(local_midnight(parse_day(value), self.zone))


def formatter_for(requested: str | None, zone: ZoneInfo) -> DateFormatter:
    """Build the formatter for a request's ``dateReturnFormat`` (unknown values are ignored)."""
    style = (requested or "").upper()
    return DateFormatter(zone, style if style in DATE_RETURN_FORMATS else "")
