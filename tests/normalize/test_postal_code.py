from __future__ import annotations

import pytest

from arrimage.normalize import normalize_postal_code

CONVERTED = [
    ("h2x1y4", None, "H2X 1Y4"),
    ("H2X 1Y4", None, "H2X 1Y4"),
    ("h2x 1y4", None, "H2X 1Y4"),
    (" H2X-1Y4 ", None, "H2X 1Y4"),
    ("H2X\u00a01Y4", None, "H2X 1Y4"),
    ("k1a0b1", "CA", "K1A 0B1"),
    ("K1A 0B1", "Canada", "K1A 0B1"),
    ("g1r 4p5", "Québec", "G1R 4P5"),
    ("T2P 2M5", "ca", "T2P 2M5"),
    ("X0A 0H0", None, "X0A 0H0"),
    ("H2W 1Z4", None, "H2W 1Z4"),
    ("90210-1234", None, "90210-1234"),
    ("902101234", None, "90210-1234"),
    ("90210 1234", "US", "90210-1234"),
    ("90210", "US", "90210"),
    ("90210", None, "90210"),
    ("02134", "États-Unis", "02134"),
    ("10001", "New York", "10001"),
    ("SW1A 1AA", None, "SW1A 1AA"),
    ("SW1A 1AA", "Royaume-Uni", "SW1A 1AA"),
    ("75008", "France", "75008"),
    ("  75008   Paris ", "FR", "75008 Paris"),
    ("1000", "Belgique", "1000"),
    ("902101234", "Mexique", "902101234"),
]

LEFT_OUT = [
    ("D2X 1Y4", None, "postal_code.invalid_canadian"),
    ("W2X 1Y4", None, "postal_code.invalid_canadian"),
    ("Z2X 1Y4", None, "postal_code.invalid_canadian"),
    ("H2X 1O4", None, "postal_code.invalid_canadian"),
    ("H2U 1Y4", None, "postal_code.invalid_canadian"),
    ("H2X", "CA", "postal_code.invalid_canadian"),
    ("90210", "Canada", "postal_code.invalid_canadian"),
    ("1234", "US", "postal_code.invalid_zip"),
    ("H2X 1Y4", "USA", "postal_code.invalid_zip"),
    ("90210-12", "US", "postal_code.invalid_zip"),
]


@pytest.mark.parametrize(("raw", "country", "code"), CONVERTED)
def test_postal_code_converted(raw: str, country: str | None, code: str) -> None:
    result = normalize_postal_code(raw, country=country)
    assert result.value == code
    assert result.warnings == ()


@pytest.mark.parametrize(("raw", "country", "message_code"), LEFT_OUT)
def test_postal_code_left_out(raw: str, country: str | None, message_code: str) -> None:
    result = normalize_postal_code(raw, country=country)
    assert result.value is None
    assert [warning.code for warning in result.warnings] == [message_code]


def test_postal_code_integer_zip() -> None:
    assert normalize_postal_code(90210, country="US").value == "90210"
