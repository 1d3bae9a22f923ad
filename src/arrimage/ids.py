"""Identifiers for stored records: short, random, URL-safe and sortable by creation time."""

from __future__ import annotations

import os
import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase


def new_id(prefix: str) -> str:
    """Return ``prefix`` + ``_`` + 10 time characters + 10 random ones (about 50 random bits).

    The time part (milliseconds) makes ids of the same kind sort by creation in listings.
    """
    millis = int(time.time() * 1000)
    time_part = "".join(_ALPHABET[(millis >> shift) & 31] for shift in range(45, -5, -5))
    random_bits = int.from_bytes(os.urandom(7), "big")
    random_part = "".join(_ALPHABET[(random_bits >> shift) & 31] for shift in range(45, -5, -5))
    return f"{prefix}_{time_part}{random_part}"


def new_secret() -> str:
    """Return a secret for a webhook URL (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)
