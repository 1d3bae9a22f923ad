from __future__ import annotations

import pytest

from arrimage.normalize import normalize_gender

CONVERTED = [
    ("Femme", "f"),
    ("femme", "f"),
    ("F", "f"),
    ("f", "f"),
    ("féminin", "f"),
    ("Féminine", "f"),
    ("Mme", "f"),
    ("Mme.", "f"),
    ("Madame", "f"),
    ("Mlle", "f"),
    ("Mademoiselle", "f"),
    ("Mrs", "f"),
    ("Mrs.", "f"),
    ("Ms", "f"),
    ("Miss", "f"),
    ("woman", "f"),
    ("Female", "f"),
    ("Homme", "m"),
    ("H", "m"),
    ("M", "m"),
    ("m", "m"),
    ("M.", "m"),
    ("Monsieur", "m"),
    ("Mr", "m"),
    ("Mr.", "m"),
    ("male", "m"),
    ("Man", "m"),
    ("Masculin", "m"),
    ("Non binaire", "o"),
    ("non-binaire", "o"),
    ("Non-binary", "o"),
    ("nonbinary", "o"),
    ("autre", "o"),
    ("Autre", "o"),
    ("other", "o"),
    ("x", "o"),
    ("X", "o"),
    ("Mx", "o"),
    ("Bispirituel", "o"),
    ("o", "o"),
    ("  FEMME ", "f"),
]

LEFT_OUT = [
    "Dr",
    "Docteur",
    "Je préfère ne pas répondre",
    "Prefer not to say",
    "1",
    "2",
    "?",
    "Mme Tremblay",
    "Femmes et hommes",
]


@pytest.mark.parametrize(("raw", "gender"), CONVERTED)
def test_gender_converted(raw: str, gender: str) -> None:
    result = normalize_gender(raw)
    assert result.value == gender
    assert result.warnings == ()


@pytest.mark.parametrize("raw", LEFT_OUT)
def test_gender_unknown_warns_never_other(raw: str) -> None:
    result = normalize_gender(raw)
    assert result.value is None
    assert [warning.code for warning in result.warnings] == ["gender.unknown"]


def test_gender_integer_warns() -> None:
    assert normalize_gender(1).value is None
