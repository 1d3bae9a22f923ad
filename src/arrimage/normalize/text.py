"""Free text: names, company names and notes."""

from __future__ import annotations

import re

from arrimage.normalize.cleaning import clean_line
from arrimage.normalize.guard import normalizer
from arrimage.normalize.result import EMPTY, Normalized, converted

# Every line boundary that str.splitlines() recognizes. CR LF comes first so that it counts
# as one break.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_BLANK_LINES = re.compile(r"\n{3,}")


@normalizer("text")
def normalize_text(value: str, *, multiline: bool = False) -> Normalized:
    r"""Normalize free text to NFC, without invisible characters or stray whitespace.

    Accents and both apostrophes (' and ’) are kept as typed. Without ``multiline``, every
    whitespace run, line breaks included, becomes one space. With ``multiline``, line breaks
    become ``\n``, each line is cleaned on its own, and more than one blank line in a row
    becomes a single blank line.
    """
    if not multiline:
        text = clean_line(value)
    else:
        lines = (clean_line(line) for line in _LINE_BREAK.split(value))
        text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")
    return converted(text) if text else EMPTY
