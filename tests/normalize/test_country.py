from __future__ import annotations

import pytest

from arrimage.normalize import normalize_country

CONVERTED = [
    ("Canada", "CA"),
    ("ca", "CA"),
    ("CA", "CA"),
    ("CAN", "CA"),
    ("can", "CA"),
    ("le Canada", "CA"),
    ("  CANADA  ", "CA"),
    ("124", "CA"),
    ("États-Unis", "US"),
    ("Etats-Unis", "US"),
    ("états unis", "US"),
    ("États-Unis d’Amérique", "US"),
    ("les États-Unis", "US"),
    ("USA", "US"),
    ("U.S.A.", "US"),
    ("U.S.", "US"),
    ("US", "US"),
    ("É.-U.", "US"),
    ("E.U.", "US"),
    ("United States", "US"),
    ("United States of America", "US"),
    ("the United States", "US"),
    ("UK", "GB"),
    ("U.K.", "GB"),
    ("United Kingdom", "GB"),
    ("Royaume-Uni", "GB"),
    ("le Royaume-Uni", "GB"),
    ("Grande-Bretagne", "GB"),
    ("GBR", "GB"),
    ("France", "FR"),
    ("FRA", "FR"),
    ("la France", "FR"),
    ("Mexique", "MX"),
    ("Mexico", "MX"),
    ("the Netherlands", "NL"),
    ("Pays-Bas", "NL"),
    ("NL", "NL"),
    ("Allemagne", "DE"),
    ("Germany", "DE"),
    ("Belgique", "BE"),
    ("Suisse", "CH"),
    ("Haïti", "HT"),
    ("Haiti", "HT"),
    ("Côte d’Ivoire", "CI"),
    ("Cote d'Ivoire", "CI"),
    ("Ivory Coast", "CI"),
    ("Corée du Sud", "KR"),
    ("South Korea", "KR"),
    ("Viet Nam", "VN"),
    ("Vietnam", "VN"),
    ("République tchèque", "CZ"),
    ("Czechia", "CZ"),
    ("Maroc", "MA"),
    ("Algérie", "DZ"),
    ("Sénégal", "SN"),
    ("Chine", "CN"),
    ("Japon", "JP"),
    ("Brésil", "BR"),
    ("Liban", "LB"),
    ("Îles Féroé", "FO"),
    ("la Réunion", "RE"),
    ("Saint-Pierre-et-Miquelon", "PM"),
    ("Puerto Rico", "PR"),
    ("Porto Rico", "PR"),
]

LEFT_OUT = [
    ("Ontario", "country.province_not_country"),
    ("Québec", "country.province_not_country"),
    ("Quebec", "country.province_not_country"),
    ("QC", "country.province_not_country"),
    ("Qc", "country.province_not_country"),
    ("la Colombie-Britannique", "country.province_not_country"),
    ("Nouveau-Brunswick", "country.province_not_country"),
    ("Nunavut", "country.province_not_country"),
    ("California", "country.province_not_country"),
    ("Californie", "country.province_not_country"),
    ("New York", "country.province_not_country"),
    ("NY", "country.province_not_country"),
    ("Georgia", "country.ambiguous"),
    ("Géorgie", "country.ambiguous"),
    ("Congo", "country.ambiguous"),
    ("Saint-Martin", "country.ambiguous"),
    ("Narnia", "country.unknown"),
    ("EU", "country.unknown"),
    ("Europe", "country.unknown"),
    ("Amérique", "country.unknown"),
    ("CA-QC", "country.unknown"),
    ("ZZ", "country.unknown"),
    ("-", "country.unknown"),
]


@pytest.mark.parametrize(("raw", "code"), CONVERTED)
def test_country_converted(raw: str, code: str) -> None:
    result = normalize_country(raw)
    assert result.value == code
    assert result.warnings == ()


@pytest.mark.parametrize(("raw", "message_code"), LEFT_OUT)
def test_country_left_out_with_warning(raw: str, message_code: str) -> None:
    result = normalize_country(raw)
    assert result.value is None
    assert [warning.code for warning in result.warnings] == [message_code]
    assert result.errors == ()


def test_country_foreign_endonym_unknown() -> None:
    assert normalize_country("Deutschland").value is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [("Ontario", "CA"), ("Québec", "CA"), ("QC", "CA"), ("California", "US"), ("Texas", "US")],
)
def test_country_province_implies_country(raw: str, code: str) -> None:
    result = normalize_country(raw, province_implies_country=True)
    assert result.value == code
    assert [warning.code for warning in result.warnings] == ["country.province_implies_country"]


def test_country_ambiguous_stays_without_value_with_option() -> None:
    result = normalize_country("Georgia", province_implies_country=True)
    assert result.value is None


def test_country_warning_names_value_in_both_locales() -> None:
    warning = normalize_country("Ontario").warnings[0]
    assert "Ontario" in warning.render("en")
    assert "Ontario" in warning.render("fr_CA")
    assert "province" in warning.render("fr_CA")
