"""The clause after a colon: lowercase in French, unchanged in English."""

from __future__ import annotations

import pytest

from arrimage.i18n import after_colon


@pytest.mark.parametrize(("text", "expected"), [
    ("La date « 31/02/1990 » n’existe pas.", "la date « 31/02/1990 » n’existe pas."),
    ("L’adresse est vide.", "l’adresse est vide."),
    ("JSON invalide à la ligne 1.", "JSON invalide à la ligne 1."),
    ("Cyberimpact a refusé le jeton.", "Cyberimpact a refusé le jeton."),
    ("déjà en minuscule", "déjà en minuscule"),
    ("", ""),
])
def test_french_clause_lowercased(text: str, expected: str) -> None:
    assert after_colon(text, "fr_CA") == expected


def test_english_clause_unchanged() -> None:
    assert after_colon("The date does not exist.", "en") == "The date does not exist."
