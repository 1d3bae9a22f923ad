from __future__ import annotations

import pytest

from arrimage.normalize import InvalidOptionError, normalize_language

CONVERTED = [
    ("Français", "fr_ca"),
    ("français", "fr_ca"),
    ("francais", "fr_ca"),
    ("FRANÇAIS", "fr_ca"),
    ("French", "fr_ca"),
    ("fr", "fr_ca"),
    ("FR", "fr_ca"),
    ("fr-CA", "fr_ca"),
    ("fr_CA", "fr_ca"),
    ("fr_ca", "fr_ca"),
    ("fr_FR", "fr_ca"),
    ("fr-BE", "fr_ca"),
    ("FRA", "fr_ca"),
    ("fre", "fr_ca"),
    ("fr_CA.UTF-8", "fr_ca"),
    ("Française", "fr_ca"),
    ("Francophone", "fr_ca"),
    ("français canadien", "fr_ca"),
    ("Français (Canada)", "fr_ca"),
    ("Canadian French", "fr_ca"),
    ("English", "en_ca"),
    ("english", "en_ca"),
    ("anglais", "en_ca"),
    ("Anglais", "en_ca"),
    ("EN", "en_ca"),
    ("en", "en_ca"),
    ("en-US", "en_ca"),
    ("en_GB", "en_ca"),
    ("en-CA", "en_ca"),
    ("en_ca", "en_ca"),
    ("eng", "en_ca"),
    ("Anglophone", "en_ca"),
    ("anglais américain", "en_ca"),
    ("American English", "en_ca"),
]

OTHER_LANGUAGES = [
    "Espagnol",
    "Spanish",
    "es",
    "es-MX",
    "spa",
    "Deutsch",
    "allemand",
    "Arabe",
    "zh-Hant-TW",
]
UNKNOWN = ["bilingue", "Bilingual", "Frnch", "und", "zzz", "?"]


@pytest.mark.parametrize(("raw", "language"), CONVERTED)
def test_language_converted(raw: str, language: str) -> None:
    result = normalize_language(raw)
    assert result.value == language
    assert result.warnings == ()


@pytest.mark.parametrize("raw", OTHER_LANGUAGES)
def test_language_other_without_default(raw: str) -> None:
    result = normalize_language(raw)
    # "Deutsch" is German's own name, which only the French and English tables would miss.
    expected = ["language.unknown"] if raw == "Deutsch" else ["language.unsupported"]
    assert result.value is None
    assert [warning.code for warning in result.warnings] == expected


@pytest.mark.parametrize("raw", [raw for raw in OTHER_LANGUAGES if raw != "Deutsch"])
def test_language_other_uses_default(raw: str) -> None:
    result = normalize_language(raw, default_language="en_ca")
    assert result.value == "en_ca"
    assert [warning.code for warning in result.warnings] == ["language.default_used"]


@pytest.mark.parametrize("raw", UNKNOWN)
def test_language_unknown_ignores_default(raw: str) -> None:
    result = normalize_language(raw, default_language="fr")
    assert result.value is None
    assert [warning.code for warning in result.warnings] == ["language.unknown"]


def test_language_default_accepts_names() -> None:
    assert normalize_language("es", default_language="Français").value == "fr_ca"


def test_language_invalid_default_raises() -> None:
    with pytest.raises(InvalidOptionError, match="default_language"):
        normalize_language("es", default_language="es")
