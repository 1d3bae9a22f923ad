"""Contact language, as Cyberimpact's ``fr_ca`` or ``en_ca``."""

from __future__ import annotations

import functools
import re
from collections import defaultdict

import pycountry
from babel import Locale

from arrimage.i18n import _l
from arrimage.normalize.cleaning import clean_line, fold, shown
from arrimage.normalize.guard import InvalidOptionError, normalizer
from arrimage.normalize.result import Message, Normalized, converted, left_out

_CYBERIMPACT_LANGUAGES = {"fr": "fr_ca", "en": "en_ca"}

# A BCP 47 or POSIX locale tag ("fr", "fr-CA", "en_US.UTF-8"); only its first subtag matters.
_LOCALE_TAG = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*(?:\.[a-z0-9-]+)?(?:@[a-z]+)?")

# ISO 639 codes for "several", "undetermined", "uncoded" and "no language": none names one.
_NOT_A_LANGUAGE = {"mis", "mul", "und", "zxx"}

_BABEL_LOCALES = ("fr", "fr_CA", "en", "en_CA")

# Words for a language or its speakers that Babel's language names do not include.
_EXTRA_NAMES = {
    "francaise": "fr",
    "francophone": "fr",
    "anglaise": "en",
    "anglophone": "en",
}

_PARENTHESIS = re.compile(r"\s*\(.*?\)")


@normalizer("language")
def normalize_language(value: str, *, default_language: str | None = None) -> Normalized:
    """Convert a language code, locale or name (French or English) to ``fr_ca`` or ``en_ca``.

    Any French locale becomes ``fr_ca`` and any English one ``en_ca``. Another recognized
    language becomes ``default_language`` with a warning when that option is set, or gets a
    warning and no value. Text that names no language always gets a warning and no value.
    Raise :class:`InvalidOptionError` if ``default_language`` names neither French nor English.
    """
    fallback = _resolve_default(default_language)
    text = clean_line(value)
    language = _language_code(text)

    if language in _CYBERIMPACT_LANGUAGES:
        return converted(_CYBERIMPACT_LANGUAGES[language])
    if language is None:
        return left_out(
            Message(
                "language.unknown",
                _l(
                    '"{value}" is not a language Arrimage recognizes, so the field is left out. '
                    "Write French or English, or a code such as fr or en.",
                    value=shown(text),
                ),
            )
        )
    if fallback is not None:
        return converted(
            fallback,
            Message(
                "language.default_used",
                _l(
                    '"{value}" is a language that Cyberimpact does not offer, '
                    "so the default language {default} was used.",
                    value=shown(text),
                    default=fallback,
                ),
            ),
        )
    return left_out(
        Message(
            "language.unsupported",
            _l(
                '"{value}" is a language that Cyberimpact does not offer, so the field is left '
                "out. Cyberimpact contacts are in French or English. Set a default language "
                "to use one of them for other languages.",
                value=shown(text),
            ),
        )
    )


def _resolve_default(default_language: str | None) -> str | None:
    if default_language is None:
        return None
    language = _language_code(clean_line(default_language))
    if language not in _CYBERIMPACT_LANGUAGES:
        raise InvalidOptionError(_l(
            "default_language must name French or English (fr_ca or en_ca), not {value}.",
            value=repr(default_language)))
    return _CYBERIMPACT_LANGUAGES[language]


def _language_code(text: str) -> str | None:
    """Return the ISO 639-1 code (or 639-3 when there is none) that ``text`` names, or None."""
    lowered = text.casefold()
    tag = _LOCALE_TAG.fullmatch(lowered)
    if tag is not None:
        code = _code_from_subtag(tag.group(1))
        if code is not None:
            return code
    key = fold(_PARENTHESIS.sub("", text))
    return _names().get(key)


def _code_from_subtag(subtag: str) -> str | None:
    if subtag in _NOT_A_LANGUAGE:
        return None
    if len(subtag) == 2:
        language = pycountry.languages.get(alpha_2=subtag)
    else:
        language = pycountry.languages.get(alpha_3=subtag) or pycountry.languages.get(
            bibliographic=subtag
        )
    if language is None:
        return None
    code = getattr(language, "alpha_2", None) or language.alpha_3
    return str(code)


@functools.cache
def _names() -> dict[str, str]:
    """Map folded language names in French and English to codes, dropping shared names."""
    codes_by_name: defaultdict[str, set[str]] = defaultdict(set)
    for locale in _BABEL_LOCALES:
        for code, name in Locale.parse(locale).languages.items():
            primary = code.split("_")[0]
            if primary not in _NOT_A_LANGUAGE:
                codes_by_name[fold(name)].add(primary)
    names = {name: codes.pop() for name, codes in codes_by_name.items() if len(codes) == 1}
    names.update(_EXTRA_NAMES)
    return names
