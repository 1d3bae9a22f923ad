"""Move the date fields of a bundled body to the time the demo plays it.

The recipes date each contact's consent by the order or the customer, and an implied consent
expires two years after that date. Bodies dated when they were written would make every
demo contact's consent older each year, so each date field takes the current time, written
the way its app writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

# The shops of the bundled events are in Québec, as are the sandbox's dates.
SHOP_ZONE = ZoneInfo("America/Toronto")


def _shopify(moment: datetime) -> str:
    # ISO 8601 in the shop's time zone, with the offset: 2024-12-04T14:03:11-05:00.
    return moment.astimezone(SHOP_ZONE).isoformat(timespec="seconds")


def _woocommerce_local(moment: datetime) -> str:
    # The site's local time without an offset.
    return moment.astimezone(SHOP_ZONE).replace(tzinfo=None).isoformat(timespec="seconds")


def _woocommerce_gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _google(moment: datetime) -> str:
    # RFC 3339 in UTC with milliseconds, as Apps Script's Date.toISOString() writes it.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


DATE_FIELDS: dict[str, dict[str, Callable[[datetime], str]]] = {
    "shopify": {key: _shopify for key in ("created_at", "updated_at", "processed_at",
                                          "consent_updated_at")},
    "woocommerce": {
        **{key: _woocommerce_local for key in ("date_created", "date_modified", "date_paid")},
        **{key: _woocommerce_gmt for key in ("date_created_gmt", "date_modified_gmt",
                                            "date_paid_gmt")},
    },
    "google_forms": {key: _google for key in ("create_time", "last_submitted_time")},
}


def dated_now(payload: Any, source: str, moment: datetime) -> Any:
    """Return ``payload`` with each filled date field of ``source``, at any depth, set to ``moment``.

    Empty and null date fields stay as they are, like a date the app has not set yet.
    """
    writers = DATE_FIELDS[source]
    if isinstance(payload, list):
        return [dated_now(item, source, moment) for item in payload]
    if not isinstance(payload, dict):
        return payload
    dated: dict[str, Any] = {}
    for key, value in payload.items():
        if key in writers and isinstance(value, str) and value:
            dated[key] = writers[key](moment)
        else:
            dated[key] = dated_now(value, source, moment)
    return dated
