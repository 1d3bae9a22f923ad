"""Text clean-up shared by the normalizers: emptiness, invisible characters, folding."""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal

# Format (Cf: zero-width space and joiners, BOM, soft hyphen, bidirectional marks), control
# (Cc) and lone surrogate (Cs) characters are invisible in a form or a spreadsheet, so a value
# that contains them never meant them. Tabs and line breaks are Cc too: they are whitespace
# here and are handled by the whitespace rules before this set applies.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cs"})

_SPACE_RUN = re.compile(r"\s+")
_ASCII_NON_ALNUM_RUN = re.compile(r"[^0-9a-z]+")

# Letters that Unicode decomposition does not split but that people spell out when they
# type without accents ("Cœur" and "Coeur").
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ß": "ss"})

_MAX_SHOWN = 80


def is_empty(value: object) -> bool:
    """Return whether ``value`` means "no value": None, NaN, or text with nothing visible.

    A float NaN counts as empty because spreadsheet and data-frame readers use it for a blank
    cell. Numbers, dates and any other object count as values.
    """
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not remove_invisible(value).strip()
    return False


def as_text(value: object) -> str | None:
    """Return ``value`` as text, or None when it is not text or a finite number.

    Booleans are rejected although Python counts them as integers: ``True`` is never a country,
    a date or a postal code.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    return None


def remove_invisible(text: str, *, keep: str = "") -> str:
    """Remove format, control and surrogate characters from ``text``, except those in ``keep``.

    Whitespace characters are kept, because the whitespace rules of each caller decide
    whether a tab or a line break matters.
    """
    if text.isprintable():
        # Printable text has no character of the categories Cc, Cf or Cs, so the common
        # case skips the per-character look-up.
        return text
    return "".join(
        char
        for char in text
        if char in keep or char.isspace() or unicodedata.category(char) not in _INVISIBLE_CATEGORIES
    )


def collapse_spaces(text: str) -> str:
    """Replace every run of Unicode whitespace with one space and trim both ends."""
    return _SPACE_RUN.sub(" ", text).strip()


def clean_line(text: str) -> str:
    """Remove invisible characters, collapse whitespace and apply NFC."""
    return unicodedata.normalize("NFC", collapse_spaces(remove_invisible(text)))


def fold(text: str) -> str:
    """Return a comparison key: no accents, case-folded, punctuation turned into spaces.

    ``"É.-U."`` becomes ``"e u"`` and ``"l’Ontario"`` becomes ``"l ontario"``.
    """
    if text.isascii():
        # ASCII has nothing to decompose or strip, so only the punctuation is replaced.
        return _ASCII_NON_ALNUM_RUN.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    letters = "".join(
        char if char.isalnum() else " " for char in decomposed if unicodedata.category(char) != "Mn"
    )
    return collapse_spaces(letters)


def join_initials(key: str) -> str:
    """Join a folded key made only of single letters: ``"u s a"`` becomes ``"usa"``."""
    parts = key.split(" ")
    if len(parts) > 1 and all(len(part) == 1 for part in parts):
        return "".join(parts)
    return key


def shown(value: object) -> str:
    """Return ``value`` as a message shows it: invisible characters escaped, long text cut."""
    text = value if isinstance(value, str) else repr(value)
    visible = "".join(char if char == " " or char.isprintable() else _escape(char) for char in text)
    if len(visible) > _MAX_SHOWN:
        return visible[: _MAX_SHOWN - 1] + "…"
    return visible


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
