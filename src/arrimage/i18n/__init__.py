"""Translations of every text a user reads, through gettext catalogues.

English source strings are the message ids. French (Québec) is the default language and the
fallback for any locale Arrimage does not ship. Catalogues are read from the ``.po`` files at
first use, so no compile step is needed after installing.

Three markers:

- ``_("…")`` translates now, in the current locale (see :func:`use_locale`).
- ``_l("…", name=value)`` returns a :class:`LazyText` that is rendered later, in whatever locale
  is current then. Connector declarations and user-facing errors use it.
- ``_n("…", "…", count)`` translates now, choosing the singular or plural form for ``count``.

When one English text needs different translations in different places (a verb on a button, a
noun in a heading), ``pgettext("context", "…")`` translates it now with a message context, which
the catalogues write as ``msgctxt``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext as gettext_module
import io
import os
import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "fr_CA"
SUPPORTED_LOCALES = ("fr_CA", "en")
LOCALES_DIR = Path(__file__).parent / "locales"

_current_locale: contextvars.ContextVar[str] = contextvars.ContextVar(
    "arrimage_locale", default=DEFAULT_LOCALE
)


def normalize_locale(value: str | None) -> str:
    """Map a locale tag (``fr``, ``fr-CA``, ``en_US.UTF-8``…) to a supported locale.

    Anything that is not English becomes French, the project's fallback language.
    """
    if not value:
        return DEFAULT_LOCALE
    tag = value.split(".")[0].split("@")[0].replace("-", "_").strip().lower()
    if tag.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def locale_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """Return the CLI's locale from ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` or ``LANG``.

    ``C`` and ``POSIX`` name no language, so they fall back to French like an unset variable.
    """
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        first = value.split(":")[0]
        if first and first.split(".")[0] not in ("C", "POSIX"):
            return normalize_locale(first)
    return DEFAULT_LOCALE


def negotiate_locale(accept_language: str | None) -> str:
    """Pick the best supported locale from an HTTP ``Accept-Language`` header."""
    if not accept_language:
        return DEFAULT_LOCALE
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        quality = 1.0
        for param in pieces[1:]:
            key, _sep, val = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(val)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag))
    for _quality, _index, tag in sorted(weighted):
        lowered = tag.lower()
        if lowered.startswith("fr"):
            return "fr_CA"
        if lowered.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


@functools.cache
def translations(locale: str) -> gettext_module.NullTranslations:
    """Load the catalogues of ``locale`` (cached for the life of the process).

    Each area of the code keeps its own ``.po`` file in ``locales/<locale>/LC_MESSAGES``
    (``arrimage.po``, ``normalize.po``…); they are merged in file-name order.
    """
    merged: gettext_module.NullTranslations = gettext_module.NullTranslations()
    folder = LOCALES_DIR / locale / "LC_MESSAGES"
    for po_path in sorted(folder.glob("*.po"), reverse=True):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        buffer = io.BytesIO()
        # Fuzzy entries are drafts that nobody reviewed: they must not reach a user.
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        layer = gettext_module.GNUTranslations(buffer)
        layer.add_fallback(merged)
        merged = layer
    return merged


def current_locale() -> str:
    """Return the locale that ``_`` and :class:`LazyText` render in right now."""
    return _current_locale.get()


@contextlib.contextmanager
def use_locale(locale: str) -> Iterator[str]:
    """Render texts in ``locale`` inside the ``with`` block (per thread and per task)."""
    token = _current_locale.set(normalize_locale(locale))
    try:
        yield _current_locale.get()
    finally:
        _current_locale.reset(token)


def set_locale(locale: str) -> None:
    """Set the locale for the rest of the current context (the CLI sets it once at start)."""
    _current_locale.set(normalize_locale(locale))


def translate(message: str, locale: str | None = None, /, **params: Any) -> str:
    """Translate ``message`` into ``locale`` (default: the current one) and fill its fields."""
    text = translations(normalize_locale(locale or current_locale())).gettext(message)
    return text.format(**params) if params else text


def _(message: str, /, **params: Any) -> str:
    """Translate ``message`` now, in the current locale."""
    return translate(message, **params)


def _n(singular: str, plural: str, count: int, /, **params: Any) -> str:
    """Translate the form of a message that fits ``count``, now, and fill its fields.

    ``count`` is also passed to the message as ``{count}``. French uses the singular for 0 and
    1, English for 1 only, as each catalogue's Plural-Forms header sets.
    """
    catalogue = translations(normalize_locale(current_locale()))
    return catalogue.ngettext(singular, plural, count).format(count=count, **params)


def pgettext(context: str, message: str, /, **params: Any) -> str:
    """Translate ``message`` with the message context ``context`` now, in the current locale.

    The catalogue entry whose ``msgctxt`` is ``context`` gives the translation. Without one, the
    English ``message`` is returned, as ``_`` does.
    """
    text = translations(normalize_locale(current_locale())).pgettext(context, message)
    return text.format(**params) if params else text


class LazyText:
    """A message id with its parameters, translated each time it is rendered.

    Parameters that are themselves :class:`LazyText` are rendered in the same locale.
    """

    __slots__ = ("message", "params")

    def __init__(self, message: str, /, **params: Any) -> None:
        self.message = message
        self.params = params

    def render(self, locale: str | None = None) -> str:
        """Return the text in ``locale`` (default: the current one)."""
        locale = normalize_locale(locale or current_locale())
        params = {
            key: value.render(locale) if isinstance(value, LazyText) else value
            for key, value in self.params.items()
        }
        return translate(self.message, locale, **params)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"LazyText({self.message!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyText):
            return (self.message, self.params) == (other.message, other.params)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.message)

    def as_dict(self) -> dict[str, str]:
        """Return the text in every supported locale, keyed by locale."""
        return {locale: self.render(locale) for locale in SUPPORTED_LOCALES}


def _l(message: str, /, **params: Any) -> LazyText:
    """Mark ``message`` for translation at render time."""
    return LazyText(message, **params)


# Words that keep their capital at the start of a clause: product and place names.
PROPER_NAMES = frozenset({
    "Arrimage", "Canada", "Cyberimpact", "Google", "HubSpot", "Québec", "Shopify", "WooCommerce",
})


def after_colon(text: str, locale: str | None = None) -> str:
    """Return ``text`` as it reads after a colon: with a lowercase first letter in French.

    French starts the clause after a colon with a lowercase letter, so "La date…" becomes
    "la date…". Proper names in :data:`PROPER_NAMES` and acronyms (JSON, URL) keep their
    capitals. English text is returned unchanged.
    """
    if normalize_locale(locale or current_locale()) != "fr_CA" or not text[:1].isupper():
        return text
    first_word = text.split(maxsplit=1)[0]
    # An elided article or preposition (L’, D’) is lowercased whatever follows it.
    elided = first_word[1:2] == "’"
    if not elided:
        if first_word.rstrip(".,;:!?") in PROPER_NAMES:
            return text
        rest = first_word[1:]
        if rest and not rest.islower():
            return text
    return text[0].lower() + text[1:]


def placeholders(text: str) -> set[str]:
    """Return the ``{name}`` fields of a message, used to check translations keep them."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


__all__ = [
    "DEFAULT_LOCALE",
    "PROPER_NAMES",
    "SUPPORTED_LOCALES",
    "LazyText",
    "_",
    "_l",
    "_n",
    "after_colon",
    "current_locale",
    "locale_from_environment",
    "negotiate_locale",
    "normalize_locale",
    "pgettext",
    "placeholders",
    "set_locale",
    "translate",
    "translations",
    "use_locale",
]
