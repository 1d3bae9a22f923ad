"""Email addresses, checked for syntax only (never over the network)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import (
    CASE_INSENSITIVE_MAILBOX_NAMES,
    DOT_ATOM_TEXT,
    EMAIL_MAX_LENGTH,
    LOCAL_PART_MAX_LENGTH,
)

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

    # A full email_validator check on every row dominates the time of a large CSV import, so
    # plain addresses take a path that checks each distinct domain once.
    result = _normalize_plain_address(address)
    if result is None:
        result = _checked_by_library(address)
    return result


def _checked_by_library(address: str) -> Normalized:
    """Normalize ``address`` with a full email_validator check.

    This is the reference behaviour: :func:`_normalize_plain_address` must return the same
    result for every address it accepts.
    """
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


# The fast path below relies on these rules of email_validator 2.4.0 (validate_email.py and
# syntax.py) for an ASCII address with one @ and a local part that matches DOT_ATOM_TEXT:
# - split_email finds no display name and no quoted local part, and splits at that @.
# - The local part comes back unchanged and smtputf8 is False, unless its lowercase form is
#   one of CASE_INSENSITIVE_MAILBOX_NAMES (RFC 2142), which the library lowercases.
# - The library checks the domain without looking at the local part, so one probe address
#   per domain gives the verdict, the ASCII form and the Unicode form for all its addresses.
# - validate_email_length then limits three forms of the address to EMAIL_MAX_LENGTH UTF-8
#   bytes: as given, with the Unicode domain, and with the ASCII domain.
# Another version of the library may change these rules, so run
# tests/normalize/test_email_fast_path.py, which compares both paths, after an upgrade.
_CASE_INSENSITIVE_LOCAL_PARTS = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)
# Any valid dot-atom local part works, because the probe reads only the domain's forms.
_PROBE_LOCAL_PART = "a"

# Clearing the cache when it is full bounds its memory on a file with many distinct domains.
# The size is a guess, large enough for every domain of a typical list (a few hundred).
_MAX_CHECKED_DOMAINS = 4096


@dataclass(frozen=True, slots=True)
class _CheckedDomain:
    """A domain that email_validator accepted, in the forms the fast path needs."""

    ascii_domain: str
    # The longest of the domain as given, its Unicode form and its ASCII form, in UTF-8 bytes.
    # The Unicode form of a Punycode label can be longer than the label itself.
    max_length: int


# Domain as it appears in the address -> checked forms, or None when the library rejects it.
# NOTE: the verdicts follow email_validator's module-level defaults (such as
# GLOBALLY_DELIVERABLE or TEST_ENVIRONMENT) at the time of the probe. Clear this cache after
# changing those defaults.
_checked_domains: dict[str, _CheckedDomain | None] = {}


def _normalize_plain_address(address: str) -> Normalized | None:
    """Normalize a plain ASCII address without a full library check, or return None.

    A result is always equal to ``_checked_by_library(address)``. None means the address
    needs the full check, which also writes the error message, so this function never
    rejects an address.
    """
    # A longer ASCII address fails the library's length check, and the bound keeps the keys
    # of the domain cache short.
    if len(address) > EMAIL_MAX_LENGTH or not address.isascii() or address.count("@") != 1:
        return None

    local_part, _, domain = address.partition("@")
    # validate_email rejects a local part longer than LOCAL_PART_MAX_LENGTH only in strict
    # mode, which is off by default but can be switched on through email_validator.STRICT.
    if len(local_part) > LOCAL_PART_MAX_LENGTH or not DOT_ATOM_TEXT.match(local_part):
        return None
    if local_part.lower() in _CASE_INSENSITIVE_LOCAL_PARTS:
        return None

    checked = _check_domain(domain)
    if checked is None:
        return None
    if len(local_part) + 1 + checked.max_length > EMAIL_MAX_LENGTH:
        return None

    normalized = f"{local_part}@{checked.ascii_domain}"
    return Normalized(value=normalized, match_key=normalized.lower())


def _check_domain(domain: str) -> _CheckedDomain | None:
    """Return the cached library verdict on ``domain``, probing the library on a miss."""
    try:
        return _checked_domains[domain]
    except KeyError:
        pass

    try:
        probe = validate_email(f"{_PROBE_LOCAL_PART}@{domain}", check_deliverability=False)
    except EmailNotValidError:
        checked = None
    else:
        checked = _CheckedDomain(
            ascii_domain=probe.ascii_domain.lower(),
            max_length=max(
                len(domain),
                len(probe.domain.encode("utf-8")),
                len(probe.ascii_domain),
            ),
        )

    if len(_checked_domains) >= _MAX_CHECKED_DOMAINS:
        _checked_domains.clear()
    _checked_domains[domain] = checked
    return checked


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
