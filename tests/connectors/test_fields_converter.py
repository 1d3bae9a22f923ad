"""FieldsConverter against convert_fields: same results on generated rows, and its memos.

FieldsConverter remembers the result of each text value per field, so every test compares
its output with what convert_fields returns for the same row and settings. The memo tests
look at the converter's private plans to check that a memo is kept, turned off or emptied.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

import pytest

import arrimage.connectors.formats as formats_module
import arrimage.normalize.birthdate as birthdate_module
from arrimage.connectors.context import FormatSettings
from arrimage.connectors.cyberimpact.fields import EMAIL, GROUPS
from arrimage.connectors.cyberimpact.step_input import CONTACT_VALUE_FIELDS
from arrimage.connectors.declaration import Field
from arrimage.connectors.formats import FieldsConverter, FieldValue, convert_fields

# The contact fields of a batch member, the email address, and a field without a normalizer.
FIELDS: tuple[Field, ...] = (EMAIL, *CONTACT_VALUE_FIELDS, GROUPS)
FIELD_KEYS = tuple(field.key for field in FIELDS)
DEFAULTS = FormatSettings()
ROW_COUNT = 3000
TODAY = dt.date.today()

SETTINGS_CASES = {
    "defaults": DEFAULTS,
    "month_first": FormatSettings(date_order="mdy"),
    "year_first_english": FormatSettings(date_order="ymd", default_language="en_ca"),
    "french_provinces": FormatSettings(default_language="fr_ca", province_implies_country=True),
    "names_dates_off": FormatSettings(off=frozenset({"first_name", "birthdate", "gender"})),
    "country_off": FormatSettings(off=frozenset({"country"})),
    "postal_code_email_off": FormatSettings(
        off=frozenset({"postal_code", "email"}), province_implies_country=True),
}

# Values that come back row after row, as the columns of an export do.
REPEATED_VALUES: dict[str, list[Any]] = {
    "email": [
        "lea.tremblay@exemple.ca", " LEA.TREMBLAY@EXEMPLE.CA ", "pas-un-courriel", "sans@domaine",
        "zoé@exemple.ca", "jean\u200b@exemple.ca", "deux@@exemple.ca", "", "   ",
    ],
    "first_name": [
        "Éloïse", "  Zoé  ", "Ma\u200brc", "Jose\u0301", "\ufeffLéa", "Anne\u00a0Marie",
        "O'Brien", "", "\u00ad",
    ],
    "last_name": ["Bélanger", "TREMBLAY", "Côté\u200b", "  Gagnon ", "Nguyễn", ""],
    "company": ["Fromagerie du Village", "Café\u00a0Olé", "  ", "Boulangerie\u200b Saint-Roch"],
    "gender": ["Femme", "m", "x", "Homme", "F", "autre", " féminin ", ""],
    "language": ["français", "English", "es", "", "FR", "anglais", "fr_ca", "  Français ", "de"],
    "birthdate": [
        "4 décembre 1990", "1990-12-04", "04/12/90", "31/02/1990", "12/31/1990", "1990/12/04",
        "lundi 3 décembre 1990", "mardi 4 décembre 1990", "05/05/05", "1899-12-31",
        f"{TODAY.year + 1}-01-15", "4 December 2090", TODAY.isoformat(), "décembre 1990", "",
    ],
    "country": [
        "Canada", "États-Unis", "Québec", "Ontario", "", "CA", "usa", "France", "Californie",
        "Narnia", " canada ",
    ],
    "postal_code": [
        "h2x1y4", "90210", "H2X 1Y4", "90210-1234", "H2X1Y", "SW1A 1AA", "", "d2x 1y4",
        "h2x-1y4", "1234",
    ],
    "note": ["Client fidèle", "Ligne un\nLigne deux", "  ", "Note\u200b cachée"],
    "groups": [" 101,102 ", "103", "", "Clients VIP"],
}

# Values that are not text, as a trigger or a template may give them.
NON_TEXT_VALUES: list[Any] = [
    90210, 90210.0, 0, 1, 1.5, True, False, dt.date(1990, 12, 4),
    dt.datetime(1990, 12, 4, 23, 30, tzinfo=dt.timezone.utc), [101, 102], {"key": "value"},
]


def unique_value(key: str, index: int, generator: random.Random) -> Any:
    """Return a value of ``key`` that other rows rarely have."""
    if key == "email":
        if generator.random() < 0.2:
            return f"invalide{index}@"
        return f"client{index}@exemple{index % 7}.ca"
    if key == "birthdate":
        day = dt.date(1890, 1, 1) + dt.timedelta(days=generator.randrange(0, 50_000))
        layouts = (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%m/%d/%Y"),
                   day.strftime("%d/%m/%y"), day.strftime("%Y/%m/%d"))
        return generator.choice(layouts)
    if key == "postal_code":
        letters = "ABCEGHJKLMNPRSTVXY"
        return (f"{generator.choice(letters)}{generator.randrange(10)}{generator.choice(letters)}"
                f"{generator.choice(' -')}{generator.randrange(10)}{generator.choice(letters)}"
                f"{generator.randrange(10)}")
    if key == "note":
        return f"Note {index}\navec une deuxième ligne\u200b"
    if key == "country":
        return f"Pays {index}"
    if key == "groups":
        return f"{100 + index % 5}, Groupe {index}"
    return f"Valeur{index}\u200b é"


def generated_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Return rows that mix repeated, unique, non-text, None and missing values."""
    generator = random.Random(seed)
    rows: list[dict[str, Any]] = [
        # A Canadian postal code with a US country gets a warning.
        {"email": "a@exemple.ca", "country": "États-Unis", "postal_code": "H2X 1Y4"},
        {"email": "b@exemple.ca", "country": "Canada", "postal_code": "90210"},
        {"email": "c@exemple.ca", "country": "Ontario", "postal_code": "h2x1y4"},
        {"email": "d@exemple.ca", "country": "Californie", "postal_code": "90210"},
        {"postal_code": "90210"},
        {},
    ]
    for index in range(count - len(rows)):
        row: dict[str, Any] = {}
        keys = list(FIELD_KEYS)
        # Column order differs from row to row, as it may in a template's output.
        generator.shuffle(keys)
        for key in keys:
            draw = generator.random()
            if draw < 0.1:
                continue
            if draw < 0.15:
                row[key] = None
            elif draw < 0.2:
                row[key] = generator.choice(NON_TEXT_VALUES)
            elif draw < 0.75:
                row[key] = generator.choice(REPEATED_VALUES[key])
            else:
                row[key] = unique_value(key, index, generator)
        rows.append(row)
    return rows


def described(results: Mapping[str, FieldValue]) -> list[tuple[str, str, FieldValue]]:
    """Return each result with its key and the type of its value, in the dictionary's order.

    FieldValue equality alone would take 1, 1.0 and True for the same value.
    """
    return [(key, type(result.value).__name__, result) for key, result in results.items()]


def assert_same_as_convert_fields(
    converter: FieldsConverter, rows: Iterable[Mapping[str, Any]], settings: FormatSettings
) -> None:
    for index, row in enumerate(rows):
        expected = convert_fields(FIELDS, row, settings)

        converted = converter.convert(row)

        assert described(converted) == described(expected), f"row {index}: {row!r}"


def plan_of(converter: FieldsConverter, key: str) -> Any:
    """Return the converter's plan for the field ``key``."""
    plans = [plan for plan in converter._plans if plan.field.key == key]
    assert len(plans) == 1, f"{len(plans)} plans for {key}"
    return plans[0]


@pytest.mark.parametrize("settings", SETTINGS_CASES.values(), ids=SETTINGS_CASES.keys())
def test_converter_matches_convert_fields(settings: FormatSettings) -> None:
    rows = generated_rows(ROW_COUNT, seed=20240501)
    converter = FieldsConverter(FIELDS, settings)

    assert_same_as_convert_fields(converter, rows, settings)


@pytest.mark.parametrize("settings", SETTINGS_CASES.values(), ids=SETTINGS_CASES.keys())
def test_warm_memo_matches_convert_fields(settings: FormatSettings) -> None:
    rows = generated_rows(ROW_COUNT, seed=7)
    converter = FieldsConverter(FIELDS, settings)
    assert_same_as_convert_fields(converter, rows, settings)
    hits_after_first_pass = plan_of(converter, "language").hits

    assert_same_as_convert_fields(converter, rows, settings)

    assert plan_of(converter, "language").hits > hits_after_first_pass


def test_postal_code_checked_against_off_country() -> None:
    # convert_fields checks the postal code against the country as mapped when the step turns
    # the country's conversion off, so 90210 is not a valid code for "Canada".
    settings = FormatSettings(off=frozenset({"country"}))
    row = {"country": "Canada", "postal_code": "90210"}
    expected = convert_fields(FIELDS, row, settings)

    converted = FieldsConverter(FIELDS, settings).convert(row)

    assert expected["postal_code"].value is None
    assert converted == expected


def test_postal_code_memo_keyed_by_country() -> None:
    converter = FieldsConverter(FIELDS, DEFAULTS)
    rows = [
        {"country": "Canada", "postal_code": "90210"},
        {"country": "États-Unis", "postal_code": "90210"},
        {"postal_code": "90210"},
        {"country": "Canada", "postal_code": "90210"},
        {"country": "États-Unis", "postal_code": "H2X 1Y4"},
        {"country": "Canada", "postal_code": "H2X 1Y4"},
    ]

    assert_same_as_convert_fields(converter, rows, DEFAULTS)

    # One result per code and country: 90210 with CA, with US and alone, H2X 1Y4 with US and CA.
    assert len(plan_of(converter, "postal_code").memo) == 5


def test_non_text_values_not_memoized() -> None:
    converter = FieldsConverter(FIELDS, DEFAULTS)
    rows = [{"postal_code": value, "gender": value, "language": value, "birthdate": value}
            for value in [*NON_TEXT_VALUES, *NON_TEXT_VALUES]]

    assert_same_as_convert_fields(converter, rows, DEFAULTS)

    for key in ("postal_code", "gender", "language", "birthdate"):
        assert plan_of(converter, key).memo == {}, key


def test_email_never_memoized() -> None:
    converter = FieldsConverter(FIELDS, DEFAULTS)
    rows = [{"email": "lea.tremblay@exemple.ca"}] * 3

    assert_same_as_convert_fields(converter, rows, DEFAULTS)

    assert plan_of(converter, "email").memo is None


def test_off_field_has_no_memo() -> None:
    settings = FormatSettings(off=frozenset({"gender"}))
    converter = FieldsConverter(FIELDS, settings)
    rows = [{"gender": "Femme"}, {"gender": " Femme "}, {"gender": "Femme"}]

    assert_same_as_convert_fields(converter, rows, settings)

    assert plan_of(converter, "gender").memo is None


def test_converter_accepts_fields_generator() -> None:
    # The signature takes any iterable of fields, as convert_fields does.
    row = {"first_name": " Léa ", "country": "Canada", "postal_code": "h2x1y4"}
    expected = convert_fields((field for field in FIELDS), row, DEFAULTS)

    converted = FieldsConverter((field for field in FIELDS), DEFAULTS).convert(row)

    assert described(converted) == described(expected)


def test_unique_values_turn_memo_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats_module, "MEMO_LIMIT", 8)
    converter = FieldsConverter(FIELDS, DEFAULTS)
    # Each first name is new, and each company comes four times in a row.
    rows = [{"first_name": f"Prénom{index}", "company": f"Entreprise {index // 4}"}
            for index in range(80)]

    assert_same_as_convert_fields(converter, rows, DEFAULTS)

    assert plan_of(converter, "first_name").memo is None
    company_memo = plan_of(converter, "company").memo
    assert company_memo is not None
    assert 0 < len(company_memo) <= 8


def test_memo_off_keeps_results_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats_module, "MEMO_LIMIT", 8)
    monkeypatch.setattr(formats_module, "MEMO_LIMITS", {"birthdate": 8})
    rows = generated_rows(600, seed=99)
    converter = FieldsConverter(FIELDS, DEFAULTS)

    assert_same_as_convert_fields(converter, rows, DEFAULTS)
    assert_same_as_convert_fields(converter, rows, DEFAULTS)

    assert plan_of(converter, "note").memo is None


def test_birthdate_memo_has_own_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats_module, "MEMO_LIMIT", 8)
    monkeypatch.setattr(formats_module, "MEMO_LIMITS", {"birthdate": 64})
    converter = FieldsConverter(FIELDS, DEFAULTS)
    first_day = dt.date(1980, 1, 1)
    rows = [{"birthdate": (first_day + dt.timedelta(days=index)).isoformat(),
             "first_name": f"Prénom{index}"} for index in range(40)]

    assert_same_as_convert_fields(converter, rows, DEFAULTS)

    assert plan_of(converter, "first_name").memo is None
    birthdate_memo = plan_of(converter, "birthdate").memo
    assert birthdate_memo is not None
    assert len(birthdate_memo) == 40


def datetime_module_on(day: dt.date) -> SimpleNamespace:
    """Return a stand-in for the ``datetime`` module whose ``date.today()`` is ``day``."""

    class FixedDate(dt.date):
        @classmethod
        def today(cls) -> dt.date:
            return day

    return SimpleNamespace(date=FixedDate, datetime=dt.datetime, timedelta=dt.timedelta)


def test_date_change_empties_memos(monkeypatch: pytest.MonkeyPatch) -> None:
    today = dt.date.today()
    yesterday = today - dt.timedelta(days=1)
    row = {"birthdate": today.isoformat(), "gender": "Femme"}

    with monkeypatch.context() as patch:
        yesterday_module = datetime_module_on(yesterday)
        patch.setattr(formats_module, "dt", yesterday_module)
        patch.setattr(birthdate_module, "dt", yesterday_module)
        converter = FieldsConverter(FIELDS, DEFAULTS)
        before = converter.convert(row)

    assert before["birthdate"].value is None
    assert [message.code for message in before["birthdate"].warnings] == ["birthdate.future"]
    assert list(plan_of(converter, "birthdate").memo.values()) == [before["birthdate"]]

    after = converter.convert(row)

    assert described(after) == described(convert_fields(FIELDS, row, DEFAULTS))
    assert after["birthdate"].value == today.isoformat()
    assert list(plan_of(converter, "birthdate").memo.values()) == [after["birthdate"]]
    assert plan_of(converter, "gender").hits == 0
