"""Lookup tables from country and province names to codes, built from Babel and pycountry.

Country names come from CLDR through Babel (French, Canadian French, English) and from the
ISO 3166 data in pycountry (short, official and common names, with their French
translations). Only the usual short forms that neither source spells are listed here.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

import pycountry
from babel import Locale

from arrimage.normalize.cleaning import fold, join_initials

_BABEL_LOCALES = ("fr", "fr_CA", "en", "en_CA")

# Folded keys, so "É.-U." is "e u". "E.U." alone means the European Union to an English
# reader, but "EU" is no ISO 3166 code, so only the dotted French form names the US.
_SHORT_FORMS = {
    "e u": "US",
    "e u a": "US",
    "u s": "US",
    "america": "US",
    "uk": "GB",
    "great britain": "GB",
    "grande bretagne": "GB",
    "czech republic": "CZ",
    "republique tcheque": "CZ",
    "burma": "MM",
    "birmanie": "MM",
    "ivory coast": "CI",
    "cape verde": "CV",
    "swaziland": "SZ",
    "macedonia": "MK",
    "macedoine": "MK",
    "turkey": "TR",
    "east timor": "TL",
    "timor oriental": "TL",
    "palestine": "PS",
    "vatican": "VA",
}

# Short names that several countries share in everyday speech, although ISO 3166 gives one of
# them the bare name ("Congo" is CG there, but most people who write it mean CD).
_AMBIGUOUS_NAMES = {
    "congo": ("CG", "CD"),
    "korea": ("KR", "KP"),
    "coree": ("KR", "KP"),
    "virgin islands": ("VG", "VI"),
    "iles vierges": ("VG", "VI"),
}

# Provinces, territories, states and the federal district; the US "outlying areas" (Puerto
# Rico, Guam…) are left out because ISO 3166-1 gives them their own country codes.
_SUBDIVISION_TYPES = {"CA": {"Province", "Territory"}, "US": {"State", "District"}}

_PROVINCE_SHORT_FORMS = {
    "que": "CA",
    "qc": "CA",
    "province de quebec": "CA",
    "province of quebec": "CA",
    "ont": "CA",
    "b c": "CA",
}

_ARTICLES = ("le ", "la ", "les ", "l ", "the ")
_PARENTHESIS = re.compile(r"\s*\(.*?\)")


def lookup_key(text: str) -> str:
    """Return the key under which the tables store a name: folded, without a leading article."""
    key = fold(text)
    for article in _ARTICLES:
        if key.startswith(article) and len(key) > len(article):
            return key[len(article) :]
    return key


@functools.cache
def country_index() -> dict[str, frozenset[str]]:
    """Return every known key with the alpha-2 codes it can name (more than one if ambiguous)."""
    index: defaultdict[str, set[str]] = defaultdict(set)
    for code, names in _country_names():
        for name in names:
            for variant in _variants(name):
                index[lookup_key(variant)].add(code)
    for key, code in _SHORT_FORMS.items():
        index[key].add(code)
    for key, codes in _AMBIGUOUS_NAMES.items():
        index[key].update(codes)
    index.pop("", None)
    return {key: frozenset(codes) for key, codes in index.items()}


@functools.cache
def subdivision_index() -> dict[str, str]:
    """Return the keys of Canadian and US subdivisions with their country code.

    A subdivision code that is also a country code (``NL``, ``CA``, ``GA``…) is left out,
    because in a country field it names the country.
    """
    countries = country_index()
    french = _french("iso3166-2")
    index: dict[str, str] = dict(_PROVINCE_SHORT_FORMS)
    for country, types in _SUBDIVISION_TYPES.items():
        for subdivision in pycountry.subdivisions:
            if subdivision.country_code != country or subdivision.type not in types:
                continue
            for name in (subdivision.name, french(subdivision.name)):
                index[lookup_key(name)] = country
            short_code = subdivision.code.split("-")[1].lower()
            if short_code not in countries:
                index[short_code] = country
    return index


def find_codes(key: str, index: dict[str, frozenset[str]]) -> frozenset[str]:
    """Return the codes that ``key`` or its joined initials names in ``index``."""
    return index.get(key) or index.get(join_initials(key)) or frozenset()


def _country_names() -> Iterator[tuple[str, Iterable[str]]]:
    french = _french("iso3166-1")
    territories = [Locale.parse(locale).territories for locale in _BABEL_LOCALES]
    for country in pycountry.countries:
        code = country.alpha_2
        iso_names = [
            getattr(country, field, None) for field in ("name", "official_name", "common_name")
        ]
        names = [name for name in iso_names if name]
        names += [french(name) for name in names]
        names += [names_by_code[code] for names_by_code in territories if code in names_by_code]
        yield code, [code, country.alpha_3, country.numeric, *names]


def _variants(name: str) -> set[str]:
    # "Saint-Martin (France)" is also written "Saint-Martin". When such a short form fits two
    # countries, the index keeps both codes and the lookup reports the name as ambiguous.
    return {name, _PARENTHESIS.sub("", name)}


def _french(domain: str) -> Callable[[str], str]:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=["fr"]).gettext
