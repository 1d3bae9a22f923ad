"""Plain-language descriptions of JSON syntax errors, in the user's language.

:class:`json.JSONDecodeError` carries an English parser message ("Expecting ',' delimiter").
:func:`json_problem` maps it to a translated clause that names the fix, for a message that
also gives the line and column.
"""

from __future__ import annotations

import json

from arrimage.i18n import LazyText, _l

# The start of each message of CPython's json module (checked with 3.11, C and Python decoders),
# mapped to the clause shown instead. Any other message gets a generic clause.
_PROBLEMS: tuple[tuple[str, LazyText], ...] = (
    ("Expecting property name enclosed in double quotes",
     _l("a key is not in double quotes, or a comma follows the last value")),
    ("Expecting ':' delimiter", _l("a colon is missing after a key")),
    ("Expecting ',' delimiter", _l("a comma is missing between two values")),
    ("Expecting value",
     _l("a value is missing or invalid (write text in double quotes, and true, false or null "
        "in lowercase)")),
    ("Unterminated string", _l("a text has no closing double quote")),
    ("Invalid control character",
     _l("a text contains a line break or a tab: write it as \\n or \\t")),
    ("Invalid \\uXXXX escape", _l("a \\u escape needs four hexadecimal digits")),
    ("Invalid \\escape", _l("a backslash starts an invalid escape: write \\\\ for a backslash")),
    ("Illegal trailing comma", _l("a comma follows the last value")),
    ("Extra data", _l("more text follows the end of the JSON value")),
)


def json_problem(error: json.JSONDecodeError) -> LazyText:
    """Return what is wrong at ``error``'s position, as a clause without the line and column."""
    if error.pos >= len(error.doc.rstrip()) and not error.msg.startswith("Extra data"):
        return _l("the text ends too early")
    for prefix, problem in _PROBLEMS:
        if error.msg.startswith(prefix):
            return problem
    return _l("the text is not valid JSON")
