"""Month and weekday names in French and English, from Babel's CLDR data."""

from __future__ import annotations

import functools

from babel import Locale

from arrimage.normalize.cleaning import fold

_LOCALES = ("fr", "fr_CA", "en", "en_CA")

# Abbreviations people write that CLDR does not list ("Sept 4", "4 fév").
_EXTRA_MONTHS = {"sept": 9, "fev": 2, "juil": 7, "juill": 7}


@functools.cache
def month_numbers() -> dict[str, int]:
    """Map folded month names and abbreviations (``"decembre"``, ``"dec"``) to 1–12."""
    months = dict(_EXTRA_MONTHS)
    for locale in _LOCALES:
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in Locale.parse(locale).months[context][width].items():
                    months[fold(name)] = number
    return months


@functools.cache
def weekday_numbers() -> dict[str, int]:
    """Map folded weekday names and abbreviations to 0 (Monday) to 6, as ``date.weekday()``."""
    weekdays: dict[str, int] = {}
    for locale in _LOCALES:
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in Locale.parse(locale).days[context][width].items():
                    weekdays[fold(name)] = number
    return weekdays
