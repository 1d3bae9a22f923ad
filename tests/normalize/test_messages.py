"""Every message of the package renders in both locales and has a reviewed French text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import arrimage.normalize
from arrimage.i18n import LOCALES_DIR, placeholders, use_locale
from arrimage.normalize import normalize
from arrimage.normalize.result import Message

PACKAGE_DIR = Path(arrimage.normalize.__file__).parent
TODAY = dt.date(2026, 12, 4)


def _message_ids() -> list[str]:
    extracted = extract_from_dir(
        str(PACKAGE_DIR),
        method_map=[("**.py", "python")],
        keywords={"_": None, "_l": None},
    )
    return sorted(
        {
            message
            for _file, _line, message, _comments, _context in extracted
            if isinstance(message, str)
        }
    )


def _catalog(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "normalize.po").open("rb") as po_file:
        return read_po(po_file, locale=locale)


MESSAGE_IDS = _message_ids()
FRENCH = _catalog("fr_CA")

# One input per message code, so each text is rendered at least once.
SAMPLES: list[tuple[str, object, dict[str, object]]] = [
    ("email", "eloise", {}),
    ("email", "eloise@@exemple.ca", {}),
    ("email", "Éloïse@exemple.ca", {}),
    ("country", "Narnia", {}),
    ("country", "Ontario", {}),
    ("country", "Texas", {}),
    ("country", "Ontario", {"province_implies_country": True}),
    ("country", "Texas", {"province_implies_country": True}),
    ("country", "Congo", {}),
    ("gender", "Docteur", {}),
    ("language", "bilingue", {}),
    ("language", "Espagnol", {}),
    ("language", "Espagnol", {"default_language": "fr_ca"}),
    ("birthdate", "hier", {"today": TODAY}),
    ("birthdate", "4 décembre", {"today": TODAY}),
    ("birthdate", "décembre 1990", {"today": TODAY}),
    ("birthdate", "04/12/05", {"today": TODAY}),
    ("birthdate", "04/12/90", {"today": TODAY}),
    ("birthdate", "31/04/1990", {"today": TODAY}),
    ("birthdate", "lundi 4 décembre 1990", {"today": TODAY}),
    ("birthdate", "1850-01-01", {"today": TODAY}),
    ("birthdate", "2030-01-01", {"today": TODAY}),
    ("birthdate", "12/25/1990", {"today": TODAY}),
    ("birthdate", "12/1990/25", {"today": TODAY}),
    ("postal_code", "D2X 1Y4", {}),
    ("postal_code", "1234", {"country": "US"}),
    ("text", ["liste"], {}),
]


def _sample_messages() -> list[Message]:
    return [
        message
        for kind, value, options in SAMPLES
        for message in normalize(kind, value, **options).messages
    ]


def test_messages_extracted() -> None:
    assert len(MESSAGE_IDS) >= 25


@pytest.mark.parametrize("message_id", MESSAGE_IDS)
def test_message_has_french_translation(message_id: str) -> None:
    entry = FRENCH.get(message_id)
    assert entry is not None, f"no French entry for {message_id!r}"
    assert isinstance(entry.string, str) and entry.string, f"no French text for {message_id!r}"
    assert not entry.fuzzy
    assert placeholders(entry.string) == placeholders(message_id)


def test_french_catalogue_has_no_stale_entries() -> None:
    stale = {entry.id for entry in FRENCH if entry.id} - set(MESSAGE_IDS)
    assert stale == set()


def test_english_catalogue_is_header_only() -> None:
    english = _catalog("en")
    assert [entry.id for entry in english if entry.id] == []


def test_french_uses_quebec_terms() -> None:
    french_text = " ".join(str(entry.string) for entry in FRENCH if entry.id).casefold()
    assert "courriel" in french_text
    for avoided in ("e-mail", "email", "mail "):
        assert avoided not in french_text


def test_samples_cover_every_message_id() -> None:
    used = {message.text.message for message in _sample_messages()}
    # The internal-error text needs a bug to appear; the order names are parameters.
    unused = set(MESSAGE_IDS) - used
    # Invalid options raise rather than return a message, and the filters' note wraps another one.
    elsewhere = ("default_language must", "date_order must", "The {filter} filter")
    assert all("internal error" in text or "/" in text or text.startswith(elsewhere) for text in unused), unused


@pytest.mark.parametrize("locale", ["fr_CA", "en"])
def test_sample_messages_render(locale: str) -> None:
    for message in _sample_messages():
        rendered = message.render(locale)
        assert "{" not in rendered, rendered
        assert message.code.split(".")[0] in {kind for kind, _value, _options in SAMPLES}


def test_french_differs_from_english() -> None:
    for message in _sample_messages():
        assert message.render("fr_CA") != message.render("en"), message.code


def test_message_follows_current_locale() -> None:
    warning = normalize("country", "Ontario").warnings[0]
    with use_locale("en"):
        assert str(warning).startswith('"Ontario" is a Canadian province')
    with use_locale("fr-CA"):
        assert str(warning).startswith("«\u00a0Ontario\u00a0» est une province")


def test_order_name_renders_in_locale() -> None:
    warning = normalize("birthdate", "12/25/1990", today=TODAY).warnings[0]
    assert "jour/mois/année" in warning.render("fr_CA")
    assert "day/month/year" in warning.render("en")


def test_internal_error_message_translated() -> None:
    entry = FRENCH.get(
        "Arrimage could not read this value because of an internal error. "
        "Report the problem to your Arrimage administrator."
    )
    assert entry is not None and entry.string
