"""``arrimage normalize``: one value converted, in French and in English."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def normalize(*args: str, lang: str = "en_US.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": lang}
    env.pop("LANGUAGE", None)
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    return subprocess.run([sys.executable, "-m", "arrimage", "normalize", *args], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("gender", "Femme", "f"),
        ("country", "États-Unis", "US"),
        ("language", "Français", "fr_ca"),
        ("birthdate", "4 décembre 1990", "1990-12-04"),
        ("postal_code", "h2x1y4", "H2X 1Y4"),
    ],
)
def test_normalize_prints_value(kind: str, value: str, expected: str) -> None:
    result = normalize(kind, value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_normalize_json_lists_warnings() -> None:
    result = normalize("country", "Ontario", "--json")
    output = json.loads(result.stdout)
    assert output["value"] is None
    assert output["warnings"][0]["code"] == "country.province_not_country"
    assert "Ontario" in output["warnings"][0]["message"]
    assert output["errors"] == []


def test_normalize_date_order_option() -> None:
    assert normalize("birthdate", "04/12/1990", "--date-order", "MDY").stdout.strip() == "1990-04-12"
    assert normalize("birthdate", "04/12/1990").stdout.strip() == "1990-12-04"


def test_normalize_date_order_lowercase() -> None:
    result = normalize("birthdate", "12/31/1980", "--date-order", "mdy")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1980-12-31"


def test_normalize_warning_names_date_order_fix() -> None:
    result = normalize("birthdate", "12/31/1980")

    assert result.stdout.strip() == "No value will be sent."
    assert "--date-order mdy" in result.stderr
    assert "Format options" in result.stderr
    assert "formats: date_order: mdy" in result.stderr


def test_normalize_warning_lowercase_after_colon_in_french() -> None:
    result = normalize("birthdate", "31/02/1990", lang="fr_CA.UTF-8")

    assert result.stderr.startswith("Avertissement\u00a0: la date «\u00a031/02/1990\u00a0» n’existe pas")


def test_normalize_invalid_email_fails_in_french() -> None:
    result = normalize("email", "pas un courriel", lang="fr_CA.UTF-8")
    assert result.returncode == 1
    assert "Aucune valeur ne sera transmise." in result.stdout
    assert result.stderr.startswith("Erreur")
    assert "courriel" in result.stderr


def test_normalize_bad_option_exits_two() -> None:
    result = normalize("language", "espagnol", "--default-language", "xx")
    assert result.returncode == 2
    assert "'xx'" in result.stderr


def test_normalize_bad_option_in_french() -> None:
    result = normalize("language", "es", "--default-language", "es", lang="fr_CA.UTF-8")

    assert result.returncode == 2
    assert "'es'" in result.stderr
    assert "le français ou l’anglais" in result.stderr
    assert "must name" not in result.stderr
