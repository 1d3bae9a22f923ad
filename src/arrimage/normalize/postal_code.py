"""Postal codes: Canadian and US codes are checked and formatted, others kept as typed."""

from __future__ import annotations

import functools
import re

from arrimage.i18n import _l
from arrimage.normalize.cleaning import clean_line, shown
from arrimage.normalize.country import normalize_country
from arrimage.normalize.guard import normalizer
from arrimage.normalize.result import Message, Normalized, converted, left_out

# Canada Post never uses D, F, I, O, Q or U, and never starts a code with W or Z. The first
# letter names the province and comes from this set.
_FIRST_LETTERS = "ABCEGHJKLMNPRSTVXY"
_OTHER_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"
_CANADIAN_SHAPE = re.compile(r"([a-z])\s*(\d)\s*([a-z])[\s-]*(\d)\s*([a-z])\s*(\d)", re.IGNORECASE)
_CANADIAN = re.compile(rf"[{_FIRST_LETTERS}]\d[{_OTHER_LETTERS}] \d[{_OTHER_LETTERS}]\d")
_ZIP = re.compile(r"(\d{5})(?:[\s-]*(\d{4}))?")


@normalizer("postal_code")
def normalize_postal_code(value: str, *, country: object = None) -> Normalized:
    """Format a Canadian postal code as ``A1A 1A1`` and a US ZIP code as ``12345[-6789]``.

    ``country`` is an optional hint in any form :func:`normalize_country` reads, a province
    or state included. With CA or US, a code that does not fit that country gets a warning
    and no value. Without a hint, a code shaped like one of them is checked as such. Any
    other code, or any code for another country, is kept as typed with its whitespace
    cleaned.
    """
    text = clean_line(value)
    hint = _country_of(country)

    if hint == "CA" or (hint is None and _CANADIAN_SHAPE.fullmatch(text)):
        return _canadian(text)
    if hint == "US" or (hint is None and _ZIP.fullmatch(text)):
        return _zip(text)
    return converted(text)


def _country_of(hint: object) -> str | None:
    """Return the ISO code that a country hint names, or None."""
    if hint is None:
        return None
    if isinstance(hint, str):
        return _country_of_text(hint)
    return normalize_country(hint, province_implies_country=True).value


@functools.lru_cache(maxsize=512)
def _country_of_text(hint: str) -> str | None:
    # A step's country comes from a few spellings, often the code itself, and reading one
    # costs more than the rest of the postal code's check.
    # A province or state given as the hint still determines which country's format applies.
    return normalize_country(hint, province_implies_country=True).value


def _canadian(text: str) -> Normalized:
    shape = _CANADIAN_SHAPE.fullmatch(text)
    if shape is not None:
        letters = "".join(shape.groups()).upper()
        code = f"{letters[:3]} {letters[3:]}"
        if _CANADIAN.fullmatch(code):
            return converted(code)
    return left_out(
        Message(
            "postal_code.invalid_canadian",
            _l(
                '"{value}" is not a valid Canadian postal code, so it is left out. '
                "A postal code looks like H2X 1Y4 and never contains D, F, I, O, Q or U.",
                value=shown(text),
            ),
        )
    )


def _zip(text: str) -> Normalized:
    match = _ZIP.fullmatch(text)
    if match is not None:
        zip_code, extension = match.groups()
        return converted(f"{zip_code}-{extension}" if extension else zip_code)
    return left_out(
        Message(
            "postal_code.invalid_zip",
            _l(
                '"{value}" is not a valid US ZIP code, so it is left out. '
                "A ZIP code has five digits, optionally followed by four more: 90210 or "
                "90210-1234.",
                value=shown(text),
            ),
        )
    )
