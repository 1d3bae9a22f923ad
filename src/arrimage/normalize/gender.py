"""Gender, as Cyberimpact's ``m``, ``f`` or ``o``.

"M" alone means male (``m``): forms that offer M and F mean male and female, and the French
abbreviation of Monsieur is "M." as well. Madame is abbreviated "Mme", never "M", so the
letter has no female reading. "H" (homme) is also ``m``, as on French-language forms.
"""

from __future__ import annotations

from arrimage.i18n import _l
from arrimage.normalize.cleaning import clean_line, fold, shown
from arrimage.normalize.guard import normalizer
from arrimage.normalize.result import Message, Normalized, converted, left_out

# Folded keys: no accents, lowercase, punctuation turned into spaces ("non-binaire" is
# "non binaire", "Mme." is "mme").
# fmt: off
_GENDERS = {
    "m": (
        "m", "h", "homme", "masculin", "masculine", "masc", "monsieur",
        "mr", "mister", "male", "man",
    ),
    "f": (
        "f", "femme", "feminin", "feminine", "fem", "madame", "mme", "mademoiselle", "mlle",
        "mrs", "ms", "miss", "female", "woman",
    ),
    # Cyberimpact's third value is "other": it covers identities outside male and female.
    "o": (
        "o", "x", "mx", "autre", "other", "non binaire", "nonbinaire", "non binary",
        "nonbinary", "nb", "enby", "agenre", "agender", "genderqueer", "genre fluide",
        "gender fluid", "genderfluid", "bispirituel", "bispirituelle", "two spirit",
    ),
}
# fmt: on
_GENDER_BY_KEY = {key: gender for gender, keys in _GENDERS.items() for key in keys}


@normalizer("gender")
def normalize_gender(value: str) -> Normalized:
    """Convert a French or English gender word, abbreviation or title to ``m``, ``f`` or ``o``.

    Anything not listed, including "prefer not to say", gets a warning and no value: ``o``
    is never a default.
    """
    text = clean_line(value)
    gender = _GENDER_BY_KEY.get(fold(text))
    if gender is not None:
        return converted(gender)
    return left_out(
        Message(
            "gender.unknown",
            _l(
                '"{value}" is not a gender Arrimage recognizes, so the field is left out. '
                "Use a word such as Woman, Man or Non-binary, or F, M or X.",
                value=shown(text),
            ),
        )
    )
