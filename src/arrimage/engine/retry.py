"""When to try a failed step again: exponential back-off with full jitter, and ``Retry-After``."""

from __future__ import annotations

import math
import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime


# A longer Retry-After is read as this: one day is far beyond any documented rate-limit window,
# and an unbounded value would overflow the next-attempt timestamp.
MAX_RETRY_AFTER_SECONDS = 86_400.0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Return the wait in seconds that a ``Retry-After`` header requests, or None if absent or invalid.

    The header contains either a number of seconds or an HTTP date (RFC 9110, section 10.2.3).
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
        if not math.isfinite(seconds):
            return None
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return max(0.0, seconds)


def retry_delay(
    attempt: int,
    *,
    base_seconds: float,
    max_seconds: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Return the seconds to wait before try ``attempt + 1`` after try ``attempt`` failed.

    Without ``retry_after``, the delay is drawn uniformly between ``base / 2`` and
    ``base * 2**(attempt - 1)``, both capped at ``max_seconds``, so runs that failed together do
    not retry together. An app's ``Retry-After`` is honoured as a minimum, plus up to 10 %
    jitter, even above ``max_seconds``, up to :data:`MAX_RETRY_AFTER_SECONDS`.
    """
    rng = rng or random.Random()
    if retry_after is not None:
        wait = min(retry_after, MAX_RETRY_AFTER_SECONDS)
        return wait + rng.uniform(0, wait * 0.1 + 0.05)
    ceiling = min(max_seconds, base_seconds * (2 ** max(0, attempt - 1)))
    floor = min(base_seconds / 2, ceiling)
    return rng.uniform(floor, ceiling)
