"""Countries, as ISO 3166-1 alpha-2 codes."""

from __future__ import annotations

from arrimage.i18n import LazyText, _l
from arrimage.normalize.cleaning import clean_line, shown
from arrimage.normalize.country_names import (
    country_index,
    find_codes,
    lookup_key,
    subdivision_index,
)
from arrimage.normalize.guard import normalizer
from arrimage.normalize.result import Message, Normalized, converted, left_out


@normalizer("country")
def normalize_country(value: str, *, province_implies_country: bool = False) -> Normalized:
    """Convert a country name or code in French or English to its ISO alpha-2 code.

    Case, accents, punctuation and a leading article are ignored ("le Canada", "É.-U.").
    A Canadian province or US state ("Québec", "QC", "California") is not a country: it
    gets a warning and no value, unless ``province_implies_country`` is set, in which case
    it becomes CA or US with a warning saying so. A name that fits several countries, or
    none, gets a warning and no value.
    """
    text = clean_line(value)
    key = lookup_key(text)
    codes = find_codes(key, country_index())
    province_of = subdivision_index().get(key)

    if province_of is not None and codes:
        return left_out(_ambiguous(text, codes | {province_of}))
    if province_of is not None:
        return _from_province(text, province_of, province_implies_country)
    if len(codes) == 1:
        return converted(next(iter(codes)))
    if codes:
        return left_out(_ambiguous(text, codes))
    return left_out(
        Message(
            "country.unknown",
            _l(
                '"{value}" is not a known country. '
                "Write a country name, such as Canada, or its two-letter code, such as CA.",
                value=shown(text),
            ),
        )
    )


def _from_province(text: str, country: str, implies_country: bool) -> Normalized:
    if implies_country:
        return converted(country, _province_implies(text, country))
    if country == "CA":
        message = _l(
            '"{value}" is a Canadian province or territory, not a country. '
            "Map the country field instead, or turn on the option that sets the country "
            "from the province.",
            value=shown(text),
        )
    else:
        message = _l(
            '"{value}" is a US state, not a country. '
            "Map the country field instead, or turn on the option that sets the country "
            "from the state.",
            value=shown(text),
        )
    return left_out(Message("country.province_not_country", message))


def _province_implies(text: str, country: str) -> Message:
    message: LazyText
    if country == "CA":
        message = _l(
            '"{value}" is a Canadian province or territory, so the country was set to CA.',
            value=shown(text),
        )
    else:
        message = _l('"{value}" is a US state, so the country was set to US.', value=shown(text))
    return Message("country.province_implies_country", message)


def _ambiguous(text: str, codes: frozenset[str]) -> Message:
    return Message(
        "country.ambiguous",
        _l(
            '"{value}" could name more than one place ({codes}). '
            "Write the two-letter code of the country you mean.",
            value=shown(text),
            codes=", ".join(sorted(codes)),
        ),
    )
