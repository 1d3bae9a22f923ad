"""Differential tests: the fast path of normalize_email against the full email_validator check.

Each case runs through ``normalize_email`` twice (the second call reads the domain cache) and
once with the fast path switched off, and the three results must be equal.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator

import pytest
from email_validator import validate_email

import arrimage.normalize.email as email_module
from arrimage.normalize import normalize_email
from arrimage.normalize.cleaning import remove_invisible
from arrimage.normalize.result import Message, Normalized

MAX_ADDRESS_LENGTH = 254  # email_validator's limit on a whole address, in UTF-8 bytes


def _labels_of_length(length: int, letter: str = "d") -> str:
    """Return dot-separated labels of at most 63 characters, ``length`` characters in all."""
    labels = []
    remaining = length
    while remaining > 63:
        # Leave at least one character for the last label, after its dot.
        size = min(63, remaining - 2)
        labels.append(letter * size)
        remaining -= size + 1
    labels.append(letter * remaining)
    text = ".".join(labels)
    assert len(text) == length
    return text


def _domain_of_length(length: int) -> str:
    return _labels_of_length(length - len(".ca")) + ".ca"


def _address_of_length(length: int, local_part: str = "jean") -> str:
    address = f"{local_part}@{_domain_of_length(length - len(local_part) - 1)}"
    assert len(address) == length
    return address


# "ñ" * 50 as a Punycode label: 56 ASCII characters, but 100 UTF-8 bytes in Unicode form.
PUNYCODE_N_TILDE_50 = "xn--id" + "a" * 50
# The whole address with the Unicode domain is 254 UTF-8 bytes, and 210 with the ASCII domain.
UNICODE_DOMAIN_AT_LIMIT = f"jean@{PUNYCODE_N_TILDE_50}.{_domain_of_length(148)}"
UNICODE_DOMAIN_OVER_LIMIT = f"jean@{PUNYCODE_N_TILDE_50}.{_domain_of_length(149)}"

ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~"

EDGE_CASES = [
    # Mailbox names that email_validator lowercases (RFC 2142).
    "info@exemple.ca",
    "POSTMASTER@exemple.ca",
    "Sales@Exemple.CA",
    "Info+infolettre@exemple.ca",
    "infos@exemple.ca",
    # Punycode domains, valid and invalid.
    "jean@xn--caf-dma.ca",
    "jean@XN--CAF-DMA.CA",
    "jean@xn--bcher-kva.ch",
    "jean@xn--fiqaaaaaaaaaaaaaaaaaaa.ca",
    "jean@xn--.ca",
    "jean@xn--zz.ca",
    "jean@xn--caf-dmb.ca",
    "jean@ab--cd.ca",
    "jean@xn--p1ai",
    # Special-use and reserved domains.
    "jean@exemple.test",
    "jean@imprimante.local",
    "jean@localhost",
    "jean@exemple.invalid",
    "jean@cachee.onion",
    "jean@1.168.192.in-addr.arpa",
    "jean@example.com",
    # Numeric top-level domain, IP addresses and single labels.
    "jean@exemple.123",
    "jean@1.2.3.4",
    "jean@[1.2.3.4]",
    "jean@[IPv6:::1]",
    "jean@exemple",
    "jean@ca",
    # Hyphens at label edges.
    "jean@-exemple.ca",
    "jean@exemple-.ca",
    "jean@ex-emple.ca",
    "jean@exemple.-ca",
    "jean@exemple.ca-",
    # Label lengths.
    f"jean@{'a' * 63}.ca",
    f"jean@{'a' * 64}.ca",
    # Local part lengths.
    f"{'a' * 64}@exemple.ca",
    f"{'a' * 65}@exemple.ca",
    f"{'a' * 200}@exemple.ca",
    # Address lengths.
    _address_of_length(MAX_ADDRESS_LENGTH),
    _address_of_length(MAX_ADDRESS_LENGTH + 1),
    _address_of_length(MAX_ADDRESS_LENGTH, local_part="a" * 64),
    _address_of_length(MAX_ADDRESS_LENGTH + 1, local_part="a" * 64),
    _address_of_length(MAX_ADDRESS_LENGTH, local_part="a"),
    f"jean@{_domain_of_length(253)}",
    UNICODE_DOMAIN_AT_LIMIT,
    UNICODE_DOMAIN_OVER_LIMIT,
    # Dots in the local part and the domain.
    "jean..tremblay@exemple.ca",
    ".jean@exemple.ca",
    "jean.@exemple.ca",
    "jean@exemple..ca",
    "jean@.exemple.ca",
    "jean@exemple.ca.",
    # Tags and case.
    "jean+infolettre@exemple.ca",
    "jean+@exemple.ca",
    "+@exemple.ca",
    "jean@EXEMPLE.CA",
    "Jean.Tremblay+infolettre@Exemple.CA",
    # ATEXT specials, together and one at a time.
    f"a{ATEXT_SPECIALS}b@exemple.ca",
    *(f"jean{special}x@exemple.ca" for special in ATEXT_SPECIALS),
    *(f"{special}@exemple.ca" for special in ATEXT_SPECIALS),
    *(f"jean@exem{special}ple.ca" for special in ATEXT_SPECIALS),
    # Empty parts and extra @ signs.
    "@exemple.ca",
    "jean@",
    "@",
    "jean@@exemple.ca",
    "jean@tremblay@exemple.ca",
    # Quoted local parts.
    '"jean"@exemple.ca',
    '"jean tremblay"@exemple.ca',
    '"jean@x"@exemple.ca',
    '"info"@exemple.ca',
    '""@exemple.ca',
    # Display names and angle brackets.
    "Name <a@b.ca>",
    "Jean Tremblay <jean@exemple.ca>",
    "<jean@exemple.ca>",
    '"Tremblay, Jean" <jean@exemple.ca>',
    "jean<@exemple.ca",
    "jean@exemple.ca>",
    # Spaces, tabs and line breaks.
    "jean tremblay@exemple.ca",
    "jean@exemple .ca",
    " jean@exemple.ca ",
    "jean\t@exemple.ca",
    "\tjean@exemple.ca\t",
    "jean@exemple.ca\n",
    "jean@exemple.ca\u00a0x",
    # Zero-width and other invisible characters.
    "jean\u200b@exemple.ca",
    "jean@exem\u200dple.ca",
    "\ufeffjean@exemple.ca",
    "jean\u00ad@exemple.ca",
    # Accented local parts and domains.
    "éloïse@exemple.ca",
    "e\u0301loise@exemple.ca",
    "jean@café.ca",
    "Jean@CAFÉ.CA",
    "jean@bücher.ch",
    "info@café.ca",
    # At-sign look-alikes and other characters.
    "jean＠exemple.ca",
    "jean@exemple.c",
    "jean@ex_emple.ca",
    "a@b",
    "a@b.c0",
]

# Random text is built from these tokens, weighted so that about half of the structured
# addresses below are valid.
RANDOM_TOKENS = [
    *"abcdefghijklmnopqrstuvwxyz",
    *"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    *"0123456789",
    *".-_+@!#'",
    " ",
    "é",
    "xn--",
]
RANDOM_TOKEN_WEIGHTS = [16] * 26 + [3] * 26 + [3] * 10 + [1] * 8 + [1, 1, 1]
# Top-level domains with their weights: mostly valid ones, and some that email_validator
# rejects (special-use names, a numeric or one-letter top-level domain, invalid Punycode).
RANDOM_TOP_LEVEL_DOMAINS = {
    "ca": 8,
    "CA": 2,
    "com": 4,
    "qc.ca": 2,
    "xn--caf-dma": 1,
    "test": 1,
    "local": 1,
    "onion": 1,
    "123": 1,
    "c": 1,
    "xn--zz": 1,
}
RANDOM_PUNYCODE_LABELS = ["xn--caf-dma", "xn--bcher-kva", PUNYCODE_N_TILDE_50]
RANDOM_ADDRESS_COUNT = 6000


def _random_text(rng: random.Random, token_count: int) -> str:
    return "".join(rng.choices(RANDOM_TOKENS, RANDOM_TOKEN_WEIGHTS, k=token_count))


def _random_label(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice(RANDOM_PUNYCODE_LABELS)
    return _random_text(rng, rng.randint(1, 12))


def _random_address(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return _random_text(rng, rng.randint(0, 30))

    if rng.random() < 0.2:
        local_part = _random_text(rng, rng.randint(60, 68))
    else:
        local_part = _random_text(rng, rng.randint(1, 12))
    labels = [_random_label(rng) for _ in range(rng.randint(1, 3))]
    [top_level_domain] = rng.choices(
        list(RANDOM_TOP_LEVEL_DOMAINS), list(RANDOM_TOP_LEVEL_DOMAINS.values())
    )
    domain = ".".join([*labels, top_level_domain])

    if rng.random() < 0.3:
        # Prefix labels that bring the address near the length limit, on either side of it.
        target_length = rng.randint(MAX_ADDRESS_LENGTH - 8, MAX_ADDRESS_LENGTH + 4)
        padding_length = target_length - len(local_part) - len("@.") - len(domain)
        if padding_length > 0:
            domain = f"{_labels_of_length(padding_length, rng.choice('dD'))}.{domain}"

    return f"{local_part}@{domain}"


def _random_addresses() -> list[str]:
    rng = random.Random(20240611)
    return [_random_address(rng) for _ in range(RANDOM_ADDRESS_COUNT)]


def _without_fast_path(raw: str) -> Normalized:
    """Normalize ``raw`` with every address going through the full library check."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(email_module, "_normalize_plain_address", lambda address: None)
        return normalize_email(raw)


def _codes(messages: tuple[Message, ...]) -> list[str]:
    return [message.code for message in messages]


def _assert_same_result(raw: str, actual: Normalized, expected: Normalized) -> None:
    assert actual.value == expected.value, raw
    assert _codes(actual.warnings) == _codes(expected.warnings), raw
    assert _codes(actual.errors) == _codes(expected.errors), raw
    assert actual.match_key == expected.match_key, raw
    assert actual == expected, raw


def _count_fast_path(addresses: list[str]) -> int:
    """Count the addresses that the fast path accepts after normalize_email's clean-up."""
    count = 0
    for raw in addresses:
        address = unicodedata.normalize("NFC", remove_invisible(raw).strip())
        if email_module._normalize_plain_address(address) is not None:
            count += 1
    return count


@pytest.fixture(autouse=True)
def empty_domain_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(email_module, "_checked_domains", {})
    yield


@pytest.mark.parametrize("raw", EDGE_CASES)
def test_fast_path_matches_library_edge(raw: str) -> None:
    expected = _without_fast_path(raw)

    _assert_same_result(raw, normalize_email(raw), expected)
    _assert_same_result(raw, normalize_email(raw), expected)


def test_fast_path_matches_library_random() -> None:
    addresses = _random_addresses()

    for raw in addresses:
        expected = _without_fast_path(raw)
        _assert_same_result(raw, normalize_email(raw), expected)
        _assert_same_result(raw, normalize_email(raw), expected)


def test_random_addresses_take_both_paths() -> None:
    addresses = _random_addresses()
    fast_count = _count_fast_path(addresses)
    valid_count = sum(_without_fast_path(raw).ok for raw in addresses)

    assert fast_count >= RANDOM_ADDRESS_COUNT // 4
    assert RANDOM_ADDRESS_COUNT - fast_count >= RANDOM_ADDRESS_COUNT // 4
    assert valid_count - fast_count >= 100


def test_edge_cases_near_limits_take_fast_path() -> None:
    at_limits = [
        f"{'a' * 64}@exemple.ca",
        f"jean@{'a' * 63}.ca",
        _address_of_length(MAX_ADDRESS_LENGTH),
        _address_of_length(MAX_ADDRESS_LENGTH, local_part="a" * 64),
        UNICODE_DOMAIN_AT_LIMIT,
    ]

    assert _count_fast_path(at_limits) == len(at_limits)


def test_unicode_domain_limits_exceed_ascii() -> None:
    at_limit = validate_email(UNICODE_DOMAIN_AT_LIMIT, check_deliverability=False)

    assert len(at_limit.normalized.encode("utf-8")) == MAX_ADDRESS_LENGTH
    assert len(UNICODE_DOMAIN_AT_LIMIT) == 210
    assert len(UNICODE_DOMAIN_OVER_LIMIT) == 211
    assert normalize_email(UNICODE_DOMAIN_OVER_LIMIT).errors != ()


def test_plain_address_takes_fast_path() -> None:
    address = "Jean.Tremblay+infolettre@Exemple.CA"

    result = email_module._normalize_plain_address(address)

    assert result is not None
    assert result.value == "Jean.Tremblay+infolettre@exemple.ca"
    assert result.match_key == "jean.tremblay+infolettre@exemple.ca"
    assert result.warnings == ()
    assert result.errors == ()
    assert email_module._checked_domains["Exemple.CA"] is not None


@pytest.mark.parametrize(
    "address",
    [
        "info@exemple.ca",
        "WebMaster@exemple.ca",
        f"{'a' * 65}@exemple.ca",
        '"jean"@exemple.ca',
        "Jean Tremblay <jean@exemple.ca>",
        "éloïse@exemple.ca",
        "jean@café.ca",
        "jean@tremblay@exemple.ca",
        "jean@exemple",
        "jean@",
        _address_of_length(MAX_ADDRESS_LENGTH + 1),
        UNICODE_DOMAIN_OVER_LIMIT,
    ],
)
def test_fast_path_leaves_address_to_library(address: str) -> None:
    assert email_module._normalize_plain_address(address) is None


def test_fast_path_checks_domain_once(monkeypatch: pytest.MonkeyPatch) -> None:
    library_calls: list[str] = []

    def counting_validate_email(address: str, **options: object) -> object:
        library_calls.append(address)
        return validate_email(address, **options)

    monkeypatch.setattr(email_module, "validate_email", counting_validate_email)
    results = [normalize_email(f"contact{number:07d}@exemple.ca") for number in range(20)]

    assert len(library_calls) == 1
    assert library_calls[0].endswith("@exemple.ca")
    assert [result.value for result in results[:2]] == [
        "contact0000000@exemple.ca",
        "contact0000001@exemple.ca",
    ]


def test_domain_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(email_module, "_MAX_CHECKED_DOMAINS", 3)
    addresses = [f"jean@domaine{number}.ca" for number in range(10)]

    results = [normalize_email(address) for address in addresses]

    assert len(email_module._checked_domains) <= 3
    assert [result.value for result in results] == addresses
