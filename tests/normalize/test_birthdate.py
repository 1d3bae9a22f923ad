from __future__ import annotations

import datetime as dt

import pytest

from arrimage.normalize import InvalidOptionError, normalize_birthdate

TODAY = dt.date(2026, 12, 4)

CONVERTED = [
    ("1990-12-04", "1990-12-04"),
    ("1990-12-4", "1990-12-04"),
    ("1990-12-04T00:00:00-05:00", "1990-12-04"),
    ("1990-12-04T23:30:00+14:00", "1990-12-04"),
    ("1990-12-04T00:00:00Z", "1990-12-04"),
    ("1990-12-04T00:00:00.000Z", "1990-12-04"),
    ("1990-12-04 00:00:00", "1990-12-04"),
    ("4 décembre 1990", "1990-12-04"),
    ("4 Décembre 1990", "1990-12-04"),
    ("4 decembre 1990", "1990-12-04"),
    ("le 4 déc. 1990", "1990-12-04"),
    ("le 4 décembre 1990", "1990-12-04"),
    ("1er décembre 1990", "1990-12-01"),
    ("1ᵉʳ décembre 1990", "1990-12-01"),
    ("mardi 4 décembre 1990", "1990-12-04"),
    ("mar. 4 déc. 1990", "1990-12-04"),
    ("15 février 1985", "1985-02-15"),
    ("15 févr. 1985", "1985-02-15"),
    ("15 fév 1985", "1985-02-15"),
    ("3 août 1975", "1975-08-03"),
    ("3 aout 1975", "1975-08-03"),
    ("14 juillet 1989", "1989-07-14"),
    ("14 juil. 1989", "1989-07-14"),
    ("December 4, 1990", "1990-12-04"),
    ("December 4th, 1990", "1990-12-04"),
    ("Tuesday, December 4, 1990", "1990-12-04"),
    ("Dec 4 1990", "1990-12-04"),
    ("4 Dec 1990", "1990-12-04"),
    ("4-Dec-1990", "1990-12-04"),
    ("4 Mar 1990", "1990-03-04"),
    ("Sept 9, 1999", "1999-09-09"),
    ("1990 décembre 4", "1990-12-04"),
    ("04/12/1990", "1990-12-04"),
    ("4/12/1990", "1990-12-04"),
    ("04-12-1990", "1990-12-04"),
    ("04.12.1990", "1990-12-04"),
    ("04 12 1990", "1990-12-04"),
    ("25/12/1990", "1990-12-25"),
    ("1990/12/04", "1990-12-04"),
    ("1990.12.04", "1990-12-04"),
    ("04/12/1990 00:00", "1990-12-04"),
    ("29/02/2024", "2024-02-29"),
    ("01/01/1900", "1900-01-01"),
    ("04/12/2026", "2026-12-04"),
]

LEFT_OUT = [
    ("29/02/2023", "birthdate.impossible"),
    ("31/04/1990", "birthdate.impossible"),
    ("00/12/1990", "birthdate.impossible"),
    ("32 décembre 1990", "birthdate.impossible"),
    ("0000-00-00", "birthdate.impossible"),
    ("12/25/1990", "birthdate.order_mismatch"),
    ("4 décembre", "birthdate.missing_year"),
    ("December 4", "birthdate.missing_year"),
    ("04/12", "birthdate.missing_year"),
    ("décembre 1990", "birthdate.incomplete"),
    ("12/1990", "birthdate.incomplete"),
    ("1990", "birthdate.incomplete"),
    ("05/12/2026", "birthdate.future"),
    ("2030-01-01", "birthdate.future"),
    ("31/12/1899", "birthdate.too_old"),
    ("1850-06-01", "birthdate.too_old"),
    ("04/12/05", "birthdate.two_digit_year"),
    ("04/12/26", "birthdate.two_digit_year"),
    ("lundi 4 décembre 1990", "birthdate.weekday_mismatch"),
    ("hier", "birthdate.unrecognized"),
    ("19901204", "birthdate.unrecognized"),
    ("4 décembre 1990 5", "birthdate.unrecognized"),
    ("1990-12-04T25", "birthdate.unrecognized"),
    ("4 smarch 1990", "birthdate.unrecognized"),
]


@pytest.mark.parametrize(("raw", "date"), CONVERTED)
def test_birthdate_converted(raw: str, date: str) -> None:
    result = normalize_birthdate(raw, today=TODAY)
    assert result.value == date
    assert result.warnings == ()


@pytest.mark.parametrize(("raw", "code"), LEFT_OUT)
def test_birthdate_left_out_with_warning(raw: str, code: str) -> None:
    result = normalize_birthdate(raw, today=TODAY)
    assert result.value is None
    assert [warning.code for warning in result.warnings] == [code]


@pytest.mark.parametrize(
    ("raw", "order", "date"),
    [
        ("04/12/1990", "DMY", "1990-12-04"),
        ("04/12/1990", "MDY", "1990-04-12"),
        ("04/12/1990", "dmy", "1990-12-04"),
        ("12/25/1990", "MDY", "1990-12-25"),
        ("90/12/04", "YMD", "1990-12-04"),
        ("1990-12-04", "MDY", "1990-12-04"),
        ("4 décembre 1990", "MDY", "1990-12-04"),
    ],
)
def test_birthdate_date_order(raw: str, order: str, date: str) -> None:
    assert normalize_birthdate(raw, date_order=order, today=TODAY).value == date


@pytest.mark.parametrize(("raw", "order"), [("25/12/1990", "MDY"), ("04/12/1990", "YMD")])
def test_birthdate_order_mismatch(raw: str, order: str) -> None:
    result = normalize_birthdate(raw, date_order=order, today=TODAY)
    assert result.value is None
    assert [warning.code for warning in result.warnings] == ["birthdate.order_mismatch"]


@pytest.mark.parametrize(("raw", "order", "fix"), [
    ("12/31/1980", "DMY", "mdy"),
    ("31/12/1980", "MDY", "dmy"),
    ("12/31/1980", "YMD", "mdy"),
])
def test_birthdate_order_mismatch_names_fix(raw: str, order: str, fix: str) -> None:
    warning = normalize_birthdate(raw, date_order=order, today=TODAY).warnings[0]
    english = warning.text.render("en")
    french = warning.text.render("fr_CA")

    assert f"set the date order to {fix}" in english
    assert f"--date-order {fix}" in english
    assert "the step's Format options in the editor" in english
    assert f"formats: date_order: {fix} in YAML" in english
    assert f"choisissez l’ordre {fix}\u00a0:" in french
    assert f"--date-order {fix}" in french
    assert "les Options de format de l’étape dans l’éditeur" in french
    assert "Check the date order" not in english


def test_birthdate_two_digit_year_read() -> None:
    result = normalize_birthdate("04/12/90", today=TODAY)
    assert result.value == "1990-12-04"
    assert [warning.code for warning in result.warnings] == ["birthdate.two_digit_year_read"]
    assert "1990" in result.warnings[0].render("fr_CA")


def test_birthdate_two_digit_year_cutoff_follows_today() -> None:
    assert normalize_birthdate("04/12/27", today=TODAY).value == "1927-12-04"
    assert normalize_birthdate("04/12/27", today=dt.date(2027, 1, 1)).value is None


def test_birthdate_date_objects() -> None:
    assert normalize_birthdate(dt.date(1990, 12, 4), today=TODAY).value == "1990-12-04"
    offset = dt.timezone(dt.timedelta(hours=-5))
    late_evening = dt.datetime(1990, 12, 4, 23, 30, tzinfo=offset)
    assert normalize_birthdate(late_evening, today=TODAY).value == "1990-12-04"


def test_birthdate_never_january_first() -> None:
    assert normalize_birthdate("1990", today=TODAY).value is None


def test_birthdate_invalid_order_raises() -> None:
    with pytest.raises(InvalidOptionError, match="date_order"):
        normalize_birthdate("04/12/1990", date_order="DDMMYY")
