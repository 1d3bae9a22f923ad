"""Convert values from users' sources into the formats Cyberimpact accepts.

Each kind has one function that takes any value and returns a :class:`Normalized` result: the
converted value or None, with warnings and errors whose texts render in French or English.
The functions never raise on input. They raise :class:`InvalidOptionError` for an invalid
option value and TypeError for an unknown option, because both are configuration mistakes.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from arrimage.normalize.birthdate import normalize_birthdate
from arrimage.normalize.cleaning import is_empty
from arrimage.normalize.country import normalize_country
from arrimage.normalize.email import normalize_email
from arrimage.normalize.gender import normalize_gender
from arrimage.normalize.guard import InvalidOptionError
from arrimage.normalize.language import normalize_language
from arrimage.normalize.postal_code import normalize_postal_code
from arrimage.normalize.result import Message, Normalized
from arrimage.normalize.text import normalize_text

NORMALIZERS: dict[str, Callable[..., Normalized]] = {
    "email": normalize_email,
    "country": normalize_country,
    "gender": normalize_gender,
    "language": normalize_language,
    "birthdate": normalize_birthdate,
    "postal_code": normalize_postal_code,
    "text": normalize_text,
}


def normalize(kind: str, value: object, **options: Any) -> Normalized:
    """Normalize ``value`` as ``kind`` with the options of that kind's function.

    Raise ValueError for an unknown kind, and TypeError for an option the kind does not take.
    """
    try:
        function = NORMALIZERS[kind]
    except (KeyError, TypeError):
        known = ", ".join(sorted(NORMALIZERS))
        raise ValueError(f"unknown normalizer kind {kind!r}; known kinds: {known}") from None
    if kind not in _CACHED_KINDS or not isinstance(value, str) or len(value) > _MAX_CACHED_LENGTH:
        return function(value, **options)
    try:
        return _normalize_cached(kind, value, tuple(sorted(options.items())), dt.date.today())
    except TypeError as exc:
        if "unhashable" not in str(exc):
            raise
        return function(value, **options)


# Kinds whose values repeat from one row or event to the next: a CSV export contains a few
# countries, languages and genders, and many contacts share a birthdate or a postal code.
# The normalizers are pure functions of the value, the options and the date (a birthdate
# cannot be in the future), and their results are immutable, so a result can be reused.
# Email addresses and free text rarely repeat, so caching them would only churn the cache.
_CACHED_KINDS = frozenset({"country", "gender", "language", "birthdate", "postal_code"})
_MAX_CACHED_LENGTH = 200


@functools.lru_cache(maxsize=8192)
def _normalize_cached(
    kind: str, value: str, options: tuple[tuple[str, Any], ...], today: dt.date
) -> Normalized:
    # ``today`` is part of the key only, so that a cached birthdate is checked again after
    # midnight; the function reads the date itself.
    return NORMALIZERS[kind](value, **dict(options))


__all__ = [
    "NORMALIZERS",
    "InvalidOptionError",
    "Message",
    "Normalized",
    "is_empty",
    "normalize",
    "normalize_birthdate",
    "normalize_country",
    "normalize_email",
    "normalize_gender",
    "normalize_language",
    "normalize_postal_code",
    "normalize_text",
]
