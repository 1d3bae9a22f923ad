"""``fold``: its shortcut for ASCII text gives the key of the full Unicode rule."""

from __future__ import annotations

import random
import unicodedata

from arrimage.normalize.cleaning import _LIGATURES, collapse_spaces, fold


def fold_by_unicode_rule(text: str) -> str:
    """The full rule: case-fold, decompose, drop combining marks, punctuation to spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    letters = "".join(
        char if char.isalnum() else " " for char in decomposed if unicodedata.category(char) != "Mn"
    )
    return collapse_spaces(letters)


def test_ascii_shortcut_matches_unicode_rule() -> None:
    every_ascii = [chr(code) for code in range(128)]
    generator = random.Random(20261205)

    texts = ["".join(generator.choice(every_ascii) for _ in range(generator.randint(0, 24)))
             for _ in range(20_000)]

    for text in texts:
        assert fold(text) == fold_by_unicode_rule(text), repr(text)


def test_examples() -> None:
    assert fold("É.-U.") == "e u"
    assert fold("U.S.A.") == "u s a"
    assert fold("  4 Décembre, 1990 ") == "4 decembre 1990"
    assert fold("l’Ontario") == "l ontario"
    assert fold("Cœur") == "coeur"
