"""Email addresses, checked for syntax only (never over the network)."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from arrimage.i18n import _l
from arrimage.normalize.cleaning import remove_invisible, shown
from arrimage.normalize.guard import normalizer
from arrimage.normalize.result import Message, Normalized, rejected


@normalizer("email")
def normalize_email(value: str) -> Normalized:
    """Normalize an email address, or return an error that names it.

    Invisible characters are removed and outer whitespace trimmed. The local part keeps its
    case and any ``+tag``. The domain is lowercased, and an internationalized domain is
    written in its ASCII (IDNA) form because every mail system accepts that form.
    ``match_key`` also lowercases the local part: most mail servers ignore its case, so
    ``Eloise@…`` and ``eloise@…`` find the same contact.
    """
    address = unicodedata.normalize("NFC", remove_invisible(value).strip())
    if "@" not in address:
        return rejected(_message("email.missing_at", address))

    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return rejected(_message("email.invalid", address))

    normalized = f"{checked.local_part}@{checked.ascii_domain.lower()}"
    warnings = (_unicode_local_part(address),) if checked.smtputf8 else ()
    return Normalized(
        value=normalized,
        warnings=warnings,
        match_key=normalized.lower(),
    )


def _message(code: str, address: str) -> Message:
    if code == "email.missing_at":
        text = _l(
            '"{value}" is not a valid email address because it has no @. '
            "Check that this field contains an email address.",
            value=shown(address),
        )
    else:
        text = _l(
            '"{value}" is not a valid email address. '
            "Check it for typos, such as spaces, a missing domain or a doubled dot.",
            value=shown(address),
        )
    return Message(code, text)


def _unicode_local_part(address: str) -> Message:
    return Message(
        "email.unicode_local_part",
        _l(
            'The email address "{value}" has accented or non-Latin letters before the @. '
            "Some mail servers cannot deliver to such addresses, so check it with the contact.",
            value=shown(address),
        ),
    )
