"""Convert values from users' sources into the formats Cyberimpact accepts.

Each kind has one function that takes any value and returns a :class:`Normalized` result: the
converted value or None, with warnings and errors whose texts render in French or English.
The functions never raise on input. They raise :class:`InvalidOptionError` for an invalid
option value and TypeError for an unknown option, because both are configuration mistakes.
"""

from __future__ import annotations

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
    return function(value, **options)


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
