from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from arrimage.normalize import NORMALIZERS, is_empty, normalize
from arrimage.normalize.filters import JINJA_FILTERS

EMPTY_VALUES = ["", " ", "\u00a0", "\t\n ", "\u200b", "\ufeff \u2060", None, math.nan]
KINDS = sorted(NORMALIZERS)


@pytest.mark.parametrize("value", EMPTY_VALUES)
def test_is_empty_true(value: object) -> None:
    assert is_empty(value)


@pytest.mark.parametrize("value", ["a", "0", 0, 0.0, False, dt.date(1990, 12, 4), Decimal(0), []])
def test_is_empty_false(value: object) -> None:
    assert not is_empty(value)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", EMPTY_VALUES)
def test_empty_value_gives_no_value_no_message(kind: str, value: object) -> None:
    result = normalize(kind, value)
    assert result.value is None
    assert result.messages == ()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", [True, [1, 2], {"pays": "Canada"}, object(), b"Canada"])
def test_odd_type_warns(kind: str, value: object) -> None:
    result = normalize(kind, value)
    assert result.value is None
    assert [message.code for message in result.messages] == [f"{kind}.unsupported_type"]


def test_dispatch_passes_options() -> None:
    result = normalize("birthdate", "04/12/1990", date_order="MDY", today=dt.date(2026, 12, 4))
    assert result.value == "1990-04-12"


def test_dispatch_unknown_kind_names_known_kinds() -> None:
    with pytest.raises(ValueError, match="postal_code") as raised:
        normalize("phone", "514-555-0100")
    assert "phone" in str(raised.value)


def test_dispatch_unknown_option_raises() -> None:
    with pytest.raises(TypeError):
        normalize("gender", "F", date_order="DMY")


def test_filters_cover_every_kind() -> None:
    assert set(JINJA_FILTERS) == set(NORMALIZERS)


@pytest.mark.parametrize(
    ("kind", "value", "options", "expected"),
    [
        ("country", "États-Unis", {}, "US"),
        ("country", "Ontario", {"province_implies_country": True}, "CA"),
        ("country", "Ontario", {}, None),
        ("gender", "Femme", {}, "f"),
        ("language", "Français", {}, "fr_ca"),
        ("birthdate", "4 décembre 1990", {}, "1990-12-04"),
        ("postal_code", "h2x1y4", {"country": "CA"}, "H2X 1Y4"),
        ("email", "Eloise@Exemple.ca", {}, "Eloise@exemple.ca"),
        ("email", "pas une adresse", {}, None),
        ("text", "  Éloïse  ", {}, "Éloïse"),
        ("text", "   ", {}, None),
        ("country", "", {}, None),
    ],
)
def test_filter_returns_value_or_none(
    kind: str, value: object, options: dict[str, object], expected: str | None
) -> None:
    assert JINJA_FILTERS[kind](value, **options) == expected


def test_filters_in_sandboxed_jinja() -> None:
    from jinja2.sandbox import SandboxedEnvironment

    environment = SandboxedEnvironment()
    environment.filters.update(JINJA_FILTERS)
    template = environment.from_string(
        "{{ pays | country }}|{{ code | postal_code(country=pays) }}|{{ date | birthdate }}"
    )
    rendered = template.render(pays="Canada", code="h2x1y4", date="1990-12-04T00:00:00-05:00")
    assert rendered == "CA|H2X 1Y4|1990-12-04"


def test_guard_turns_exception_into_error(caplog: pytest.LogCaptureFixture) -> None:
    from arrimage.normalize.guard import normalizer
    from arrimage.normalize.result import Normalized

    @normalizer("demo")
    def broken(value: str) -> Normalized:
        raise RuntimeError(f"cannot handle {value}")

    result = broken("eloise@exemple.ca")
    assert result.value is None
    assert [error.code for error in result.errors] == ["demo.internal_error"]
    assert "eloise@exemple.ca" not in caplog.text
    assert "RuntimeError" in caplog.text
