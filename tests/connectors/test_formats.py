"""Conversions of mapped values by each field's normalizer, with a step's format settings."""

from __future__ import annotations

from arrimage.connectors.context import FormatSettings
from arrimage.connectors.cyberimpact.fields import CONTACT_FIELDS
from arrimage.connectors.declaration import Field
from arrimage.connectors.formats import convert_fields, convert_value, normalizer_options
from arrimage.i18n import _l

FIELDS = {field.key: field for field in CONTACT_FIELDS}
DEFAULTS = FormatSettings()


def test_normalizer_converts_value() -> None:
    result = convert_value(FIELDS["gender"], "Femme", DEFAULTS)
    assert result.value == "f"
    assert result.converted
    assert result.messages == ()


def test_unconvertible_value_left_out() -> None:
    result = convert_value(FIELDS["gender"], "Peut-être", DEFAULTS)
    assert result.value is None
    assert [message.code for message in result.warnings] == ["gender.unknown"]


def test_off_field_sent_trimmed() -> None:
    settings = FormatSettings(off=frozenset({"birthdate"}))
    result = convert_value(FIELDS["birthdate"], "  04/12/1990 ", settings)
    assert result.value == "04/12/1990"
    assert not result.converted
    assert result.messages == ()


def test_off_field_keeps_inner_text() -> None:
    settings = FormatSettings(off=frozenset({"first_name"}))
    assert convert_value(FIELDS["first_name"], " Léa   Marie\n", settings).value == "Léa   Marie"
    assert convert_value(FIELDS["first_name"], " Léa   Marie\n", DEFAULTS).value == "Léa Marie"


def test_off_field_empty_left_out() -> None:
    settings = FormatSettings(off=frozenset({"gender"}))
    assert convert_value(FIELDS["gender"], "   ", settings).value is None
    assert convert_value(FIELDS["gender"], None, settings).value is None


def test_off_field_keeps_non_text_value() -> None:
    settings = FormatSettings(off=frozenset({"postal_code"}))
    assert convert_value(FIELDS["postal_code"], 90210, settings).value == 90210


def test_field_without_normalizer_as_mapped() -> None:
    plain = Field(key="tags", label=_l("Groups"))
    result = convert_value(plain, [" a ", "b"], DEFAULTS)
    assert result.value == [" a ", "b"]
    assert not result.converted


def test_date_order_option_changes_birthdate() -> None:
    day_first = convert_value(FIELDS["birthdate"], "04/12/1990", DEFAULTS)
    month_first = convert_value(FIELDS["birthdate"], "04/12/1990", FormatSettings(date_order="mdy"))
    assert day_first.value == "1990-12-04"
    assert month_first.value == "1990-04-12"


def test_default_language_option_used() -> None:
    without = convert_value(FIELDS["language"], "Espagnol", DEFAULTS)
    with_default = convert_value(FIELDS["language"], "Espagnol",
                                 FormatSettings(default_language="en_ca"))
    assert without.value is None
    assert with_default.value == "en_ca"
    assert [message.code for message in with_default.warnings] == ["language.default_used"]


def test_province_option_sets_country() -> None:
    without = convert_value(FIELDS["country"], "Québec", DEFAULTS)
    implied = convert_value(FIELDS["country"], "Québec",
                            FormatSettings(province_implies_country=True))
    assert without.value is None
    assert implied.value == "CA"


def test_postal_code_checked_against_country() -> None:
    results = convert_fields(CONTACT_FIELDS, {"postal_code": "h2x1y4", "country": "États-Unis"},
                             DEFAULTS)
    assert results["country"].value == "US"
    assert results["postal_code"].value is None
    assert [message.code for message in results["postal_code"].warnings] == [
        "postal_code.invalid_zip"]


def test_postal_code_hint_from_off_country() -> None:
    settings = FormatSettings(off=frozenset({"country"}))
    results = convert_fields(CONTACT_FIELDS, {"postal_code": "h2x1y4", "country": "Canada"}, settings)
    assert results["country"].value == "Canada"
    assert results["postal_code"].value == "H2X 1Y4"


def test_convert_fields_keeps_declared_order() -> None:
    values = {"country": "Canada", "postal_code": "h2x1y4", "gender": "F"}
    assert list(convert_fields(CONTACT_FIELDS, values, DEFAULTS)) == [
        "gender", "postal_code", "country"]


def test_options_per_kind() -> None:
    settings = FormatSettings(date_order="ymd", default_language="fr_ca",
                              province_implies_country=True)
    assert normalizer_options("birthdate", settings) == {"date_order": "YMD"}
    assert normalizer_options("language", settings) == {"default_language": "fr_ca"}
    assert normalizer_options("country", settings) == {"province_implies_country": True}
    assert normalizer_options("postal_code", settings, country="CA") == {"country": "CA"}
    assert normalizer_options("postal_code", settings) == {}
    assert normalizer_options("text", settings) == {}
