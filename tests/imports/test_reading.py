"""Reading CSV files as people export them: encodings, delimiters, headers, quoted line breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from arrimage.imports.reading import (
    CsvSource,
    ImportFileError,
    inspect_file,
    match_headers,
    parse_map_options,
    sniff_delimiter,
)

FRENCH_ROWS = "Courriel;Prénom;Nom\néloïse@exemple.ca;Éloïse;Bélanger\n"


def read_all(path: Path, overrides: dict[str, str] | None = None) -> tuple[str, str, list[dict[str, str]]]:
    facts = inspect_file(path)
    delimiter = sniff_delimiter(path, facts.encoding)
    with CsvSource(path, facts.encoding, delimiter) as source:
        mapping = match_headers(source.headers, overrides or {})
        rows = [row.values for row in source.rows(mapping)]
    return facts.encoding, delimiter, rows


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),
    ("cp1252", "cp1252"),
])
def test_encoding_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(FRENCH_ROWS.encode(encoding))

    detected, _delimiter, rows = read_all(path)

    assert detected == expected
    assert rows == [{"email": "éloïse@exemple.ca", "first_name": "Éloïse", "last_name": "Bélanger"}]


def test_bom_not_in_first_header(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes("Email,First name\na@exemple.ca,Anne\n".encode("utf-8-sig"))

    with CsvSource(path, inspect_file(path).encoding, ",") as source:
        headers = source.headers

    assert headers == ["Email", "First name"]


def test_invalid_cp1252_byte_rejected(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"Courriel\n\xe9\x81@exemple.ca\n")

    with pytest.raises(ImportFileError) as raised:
        inspect_file(path)

    assert "0x81" in raised.value.message.render("en")


@pytest.mark.parametrize(("text", "expected"), [
    ("Email,Company\na@exemple.ca,\"Roy; Fils\"\n", ","),
    ("Email;Company\na@exemple.ca;\"Roy, Fils\"\n", ";"),
    ("Email\tCompany\na@exemple.ca\tRoy, Fils; inc.\n", "\t"),
    ("Email\na@exemple.ca\n", ","),
])
def test_delimiter_sniffed(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")

    _encoding, delimiter, rows = read_all(path)

    assert delimiter == expected
    assert rows[0]["email"] == "a@exemple.ca"


def test_french_headers_matched() -> None:
    headers = ["Adresse courriel", "Prénom", "Nom de famille", "Langue", "Pays", "Code postal",
               "Date de naissance", "Compagnie", "Groupes", "Numéro de client"]

    mapping = match_headers(headers, {})

    assert mapping.as_dict() == {
        "Adresse courriel": "email", "Prénom": "first_name", "Nom de famille": "last_name",
        "Langue": "language", "Pays": "country", "Code postal": "postal_code",
        "Date de naissance": "birthdate", "Compagnie": "company", "Groupes": "groups",
        "Numéro de client": None,
    }


def test_shopify_headers_matched() -> None:
    headers = ["First Name", "Last Name", "E-mail", "Default Address Company",
               "Default Address Country Code", "Default Address Zip", "Country"]

    mapping = match_headers(headers, {})

    assert mapping.as_dict()["E-mail"] == "email"
    assert mapping.as_dict()["Default Address Country Code"] == "country"
    assert mapping.as_dict()["Country"] is None
    assert [match.source for match in mapping.columns][-1] == "duplicate"


def test_map_option_overrides_header() -> None:
    overrides = parse_map_options(["Courriel 2=email", "Courriel=-"])

    mapping = match_headers(["Courriel", "Courriel 2", "Nom"], overrides)

    assert mapping.as_dict() == {"Courriel": None, "Courriel 2": "email", "Nom": "last_name"}


def test_map_option_unknown_field() -> None:
    with pytest.raises(ImportFileError) as raised:
        match_headers(["Courriel"], {"Courriel": "courriel"})

    assert "email" in raised.value.message.render("en")


def test_map_option_unknown_column() -> None:
    with pytest.raises(ImportFileError) as raised:
        match_headers(["Courriel"], {"Mail": "email"})

    assert '"Mail"' in raised.value.message.render("en")
    assert "«\u00a0Mail\u00a0»" in raised.value.message.render("fr_CA")


def test_map_option_without_equals() -> None:
    with pytest.raises(ImportFileError):
        parse_map_options(["Courriel"])


def test_quoted_line_breaks_keep_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        'Courriel,Note\r\n'
        'a@exemple.ca,"Première ligne\r\nDeuxième ligne, avec virgule"\r\n'
        'b@exemple.ca,"Il a dit ""bonjour"""\r\n',
        encoding="utf-8",
    )
    facts = inspect_file(path)

    with CsvSource(path, facts.encoding, ",") as source:
        rows = list(source.rows(match_headers(source.headers, {})))

    assert [row.number for row in rows] == [2, 3]
    assert rows[0].values["note"] == "Première ligne\r\nDeuxième ligne, avec virgule"
    assert rows[1].values["note"] == 'Il a dit "bonjour"'


def test_short_and_long_rows(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("Courriel,Prénom\na@exemple.ca\nb@exemple.ca,Béa,extra\n\n", encoding="utf-8")

    with CsvSource(path, "utf-8", ",") as source:
        rows = list(source.rows(match_headers(source.headers, {})))

    assert rows[0].values == {"email": "a@exemple.ca", "first_name": ""}
    assert len(rows[1].warnings) == 1
    assert rows[2].is_empty


def test_payload_has_headers_and_fields(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("Courriel,Numéro\n a@exemple.ca ,42\n", encoding="utf-8")

    with CsvSource(path, "utf-8", ",") as source:
        row = next(source.rows(match_headers(source.headers, {})))

    assert row.payload("contacts.csv") == {
        "Courriel": " a@exemple.ca ", "Numéro": "42", "email": "a@exemple.ca",
        "source_file": "contacts.csv", "source_row": 2,
    }


def test_empty_file_rejected(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"")

    with pytest.raises(ImportFileError):
        inspect_file(path)
