"""Properties every normalizer keeps on arbitrary input."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable

import pycountry
from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from arrimage.normalize import (
    normalize_birthdate,
    normalize_country,
    normalize_email,
    normalize_gender,
    normalize_language,
    normalize_postal_code,
    normalize_text,
)
from arrimage.normalize.result import Normalized

TODAY = dt.date(2026, 12, 4)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)

# Surrogates and every other category included, so invisible and broken text is covered.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
WORDS = st.sampled_from(
    [
        "Canada",
        "le Canada",
        "CAN",
        "É.-U.",
        "Québec",
        "Georgia",
        "Femme",
        "M.",
        "Non binaire",
        "Français",
        "en-US",
        "Espagnol",
        "4 décembre 1990",
        "1990-12-04T00:00:00-05:00",
        "04/12/1990",
        "04/12/90",
        "29/02/2023",
        "h2x1y4",
        "90210-1234",
        "SW1A 1AA",
        "eloise+infolettre@exemple.ca",
        "info@café.ca",
        "mar. 4 déc. 1990",
        "1er",
    ]
)
MIXED_TEXT = st.lists(
    st.one_of(WORDS, ANY_TEXT, st.sampled_from([" ", "\u00a0", "\u200b", "/", "-", "."])),
    max_size=4,
).map("".join)
DATES_WRITTEN = st.builds(
    lambda date, pattern: date.strftime(pattern),
    st.dates(min_value=dt.date(1850, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.sampled_from(
        ["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%d.%m.%y", "%Y/%m/%d"]
    ),
)
ANY_VALUE = st.one_of(
    ANY_TEXT,
    MIXED_TEXT,
    DATES_WRITTEN,
    st.emails(),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.dates(),
    st.datetimes(timezones=st.timezones()),
    st.lists(st.integers(), max_size=2),
)

Check = Callable[[str], bool]


def _is_country(value: str) -> bool:
    return (
        re.fullmatch(r"[A-Z]{2}", value) is not None
        and pycountry.countries.get(alpha_2=value) is not None
    )


def _is_birthdate(value: str) -> bool:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is None:
        return False
    date = dt.date.fromisoformat(value)
    return dt.date(1900, 1, 1) <= date <= TODAY


def _is_email(value: str) -> bool:
    checked = validate_email(value, check_deliverability=False)
    return checked.domain.lower() == checked.domain and value == value.strip()


def _is_clean_text(value: str) -> bool:
    invisible = {"Cc", "Cf", "Cs"}
    return (
        value == value.strip()
        and "  " not in value
        and unicodedata.is_normalized("NFC", value)
        and not any(unicodedata.category(char) in invisible for char in value)
    )


def _is_postal_code(value: str) -> bool:
    return value == value.strip() and value != ""


NORMALIZERS: dict[str, tuple[Callable[[object], Normalized], Check]] = {
    "email": (normalize_email, _is_email),
    "country": (normalize_country, _is_country),
    "country_province": (
        lambda value: normalize_country(value, province_implies_country=True),
        _is_country,
    ),
    "gender": (normalize_gender, lambda value: value in {"m", "f", "o"}),
    "language": (normalize_language, lambda value: value in {"fr_ca", "en_ca"}),
    "language_default": (
        lambda value: normalize_language(value, default_language="fr_ca"),
        lambda value: value in {"fr_ca", "en_ca"},
    ),
    "birthdate_dmy": (lambda value: normalize_birthdate(value, today=TODAY), _is_birthdate),
    "birthdate_mdy": (
        lambda value: normalize_birthdate(value, date_order="MDY", today=TODAY),
        _is_birthdate,
    ),
    "birthdate_ymd": (
        lambda value: normalize_birthdate(value, date_order="YMD", today=TODAY),
        _is_birthdate,
    ),
    "postal_code": (normalize_postal_code, _is_postal_code),
    "postal_code_ca": (lambda value: normalize_postal_code(value, country="CA"), _is_postal_code),
    "postal_code_us": (lambda value: normalize_postal_code(value, country="US"), _is_postal_code),
    "postal_code_fr": (lambda value: normalize_postal_code(value, country="FR"), _is_postal_code),
    "text": (normalize_text, _is_clean_text),
    "text_multiline": (
        lambda value: normalize_text(value, multiline=True),
        lambda value: value == value.strip(),
    ),
}

CANADIAN_POSTAL_CODE = re.compile(
    r"[ABCEGHJKLMNPRSTVXY]\d[ABCEGHJKLMNPRSTVWXYZ] \d[ABCEGHJKLMNPRSTVWXYZ]\d"
)
ZIP_CODE = re.compile(r"\d{5}(-\d{4})?")


def _check_all(value: object) -> None:
    for name, (function, is_accepted) in NORMALIZERS.items():
        result = function(value)
        codes = [message.code for message in result.messages]
        assert not any(code.endswith(".internal_error") for code in codes), (name, value)
        if result.value is None:
            continue
        assert is_accepted(result.value), (name, value, result.value)
        again = function(result.value)
        assert again.value == result.value, (name, value, result.value, again.value)


@PROPERTY_SETTINGS
@given(ANY_VALUE)
def test_normalizers_idempotent_and_accepted(value: object) -> None:
    _check_all(value)


@PROPERTY_SETTINGS
@given(MIXED_TEXT)
def test_normalizers_on_mixed_words(value: str) -> None:
    _check_all(value)


@PROPERTY_SETTINGS
@given(ANY_VALUE)
def test_canadian_and_us_codes_well_formed(value: object) -> None:
    canadian = normalize_postal_code(value, country="CA").value
    american = normalize_postal_code(value, country="US").value
    assert canadian is None or CANADIAN_POSTAL_CODE.fullmatch(canadian)
    assert american is None or ZIP_CODE.fullmatch(american)


@PROPERTY_SETTINGS
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
def test_birthdate_round_trips_every_written_form(date: dt.date) -> None:
    expected = date.isoformat()
    assert normalize_birthdate(date.strftime("%d/%m/%Y"), today=TODAY).value == expected
    assert (
        normalize_birthdate(date.strftime("%m/%d/%Y"), date_order="MDY", today=TODAY).value
        == expected
    )
    assert normalize_birthdate(f"{date:%Y-%m-%d}T00:00:00-05:00", today=TODAY).value == expected
    assert normalize_birthdate(date.strftime("%d %B %Y"), today=TODAY).value == expected
    assert normalize_birthdate(date.strftime("%B %d, %Y"), today=TODAY).value == expected


@PROPERTY_SETTINGS
@given(st.sampled_from(sorted(country.alpha_2 for country in pycountry.countries)))
def test_country_every_iso_code_and_alpha3(code: str) -> None:
    country = pycountry.countries.get(alpha_2=code)
    assert country is not None
    assert normalize_country(code).value == code
    assert normalize_country(code.lower()).value == code
    assert normalize_country(country.alpha_3).value == code
