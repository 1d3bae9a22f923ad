from __future__ import annotations

import pytest

from arrimage.normalize import normalize_email

VALID = [
    # (input, value, match_key)
    ("Eloise.DAmour@Exemple.ca", "Eloise.DAmour@exemple.ca", "eloise.damour@exemple.ca"),
    (" eloise@exemple.ca\u00a0", "eloise@exemple.ca", "eloise@exemple.ca"),
    (
        "eloise+infolettre@exemple.ca",
        "eloise+infolettre@exemple.ca",
        "eloise+infolettre@exemple.ca",
    ),
    ("\ufeffeloise@exemple.ca", "eloise@exemple.ca", "eloise@exemple.ca"),
    ("eloise@exemple.ca\u200b", "eloise@exemple.ca", "eloise@exemple.ca"),
    ("elo\u200dise@exemple.ca", "eloise@exemple.ca", "eloise@exemple.ca"),
    ("\teloise@EXEMPLE.CA\n", "eloise@exemple.ca", "eloise@exemple.ca"),
    ("\u2003eloise@exemple.ca\u3000", "eloise@exemple.ca", "eloise@exemple.ca"),
    (
        "JEAN-FRANCOIS@Boutique.QC.CA",
        "JEAN-FRANCOIS@boutique.qc.ca",
        "jean-francois@boutique.qc.ca",
    ),
    ("info@café.ca", "info@xn--caf-dma.ca", "info@xn--caf-dma.ca"),
    ("info@CAFÉ.ca", "info@xn--caf-dma.ca", "info@xn--caf-dma.ca"),
    ("info@xn--caf-dma.ca", "info@xn--caf-dma.ca", "info@xn--caf-dma.ca"),
    ("o'neil@exemple.ca", "o'neil@exemple.ca", "o'neil@exemple.ca"),
    (
        "a.b.c@sous.domaine.exemple.ca",
        "a.b.c@sous.domaine.exemple.ca",
        "a.b.c@sous.domaine.exemple.ca",
    ),
]

INVALID = [
    ("eloise.exemple.ca", "email.missing_at"),
    ("Éloïse Tremblay", "email.missing_at"),
    ("eloise@", "email.invalid"),
    ("@exemple.ca", "email.invalid"),
    ("eloise@@exemple.ca", "email.invalid"),
    ("eloise @exemple.ca", "email.invalid"),
    ("eloise@exemple..ca", "email.invalid"),
    ("eloise..tremblay@exemple.ca", "email.invalid"),
    ("eloise@exemple", "email.invalid"),
    ("Éloïse <eloise@exemple.ca>", "email.invalid"),
]


@pytest.mark.parametrize(("raw", "value", "key"), VALID)
def test_email_valid(raw: str, value: str, key: str) -> None:
    result = normalize_email(raw)
    assert result.value == value
    assert result.match_key == key
    assert result.errors == ()


@pytest.mark.parametrize(("raw", "code"), INVALID)
def test_email_invalid_is_error(raw: str, code: str) -> None:
    result = normalize_email(raw)
    assert result.value is None
    assert result.match_key is None
    assert [error.code for error in result.errors] == [code]
    assert not result.ok


def test_email_error_names_value() -> None:
    result = normalize_email("eloise@@exemple.ca")
    assert "eloise@@exemple.ca" in result.errors[0].render("en")
    assert "eloise@@exemple.ca" in result.errors[0].render("fr_CA")


def test_email_unicode_local_part_warns() -> None:
    result = normalize_email("Éloïse@exemple.ca")
    assert result.value == "Éloïse@exemple.ca"
    assert result.match_key == "éloïse@exemple.ca"
    assert [warning.code for warning in result.warnings] == ["email.unicode_local_part"]


def test_email_nfd_local_part_becomes_nfc() -> None:
    result = normalize_email("Ele\u0301onore@exemple.ca")
    assert result.value == "El\u00e9onore@exemple.ca"


def test_email_number_is_error() -> None:
    result = normalize_email(12345)
    assert [error.code for error in result.errors] == ["email.missing_at"]
