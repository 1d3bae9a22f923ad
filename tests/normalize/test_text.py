from __future__ import annotations

import unicodedata

import pytest

from arrimage.normalize import normalize_text

NFD_NAME = unicodedata.normalize("NFD", "Éloïse Côté-Bélanger")

CONVERTED = [
    (NFD_NAME, "Éloïse Côté-Bélanger"),
    ("  Éloïse   Tremblay ", "Éloïse Tremblay"),
    ("D'Amour", "D'Amour"),
    ("D’Amour", "D’Amour"),
    ("O\u200bNeil", "ONeil"),
    ("\ufeffMarie-Ève", "Marie-Ève"),
    ("Jean\u00a0Dupuis", "Jean Dupuis"),
    ("Jean\tDupuis", "Jean Dupuis"),
    ("Jean\nDupuis", "Jean Dupuis"),
    ("Café\x00 Olé\x07", "Café Olé"),
    ("Les Entreprises\u2003ABC inc.", "Les Entreprises ABC inc."),
    ("GAËLLE", "GAËLLE"),
    ("gaëlle", "gaëlle"),
    ("Renée\u00ad", "Renée"),
    ("\u200e\u05e9\u05dc\u05d5\u05dd\u200f", "\u05e9\u05dc\u05d5\u05dd"),
]


@pytest.mark.parametrize(("raw", "text"), CONVERTED)
def test_text_single_line(raw: str, text: str) -> None:
    result = normalize_text(raw)
    assert result.value == text
    assert result.messages == ()


def test_text_nfd_name_becomes_nfc() -> None:
    value = normalize_text(NFD_NAME).value
    assert value is not None
    assert unicodedata.is_normalized("NFC", value)
    assert len(value) < len(NFD_NAME)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Ligne 1\r\nLigne 2", "Ligne 1\nLigne 2"),
        ("  Ligne  1  \n  Ligne 2  ", "Ligne 1\nLigne 2"),
        ("Un\n\n\n\nDeux", "Un\n\nDeux"),
        ("\n\nNote\n\n", "Note"),
        ("Paragraphe\u2029Suite", "Paragraphe\nSuite"),
        ("Tab\there\nNext", "Tab here\nNext"),
    ],
)
def test_text_multiline_keeps_line_breaks(raw: str, text: str) -> None:
    assert normalize_text(raw, multiline=True).value == text


def test_text_number_becomes_text() -> None:
    assert normalize_text(42).value == "42"
    assert normalize_text(4.5).value == "4.5"
