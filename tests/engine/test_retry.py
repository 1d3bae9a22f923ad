"""Retry-After parsing and back-off delays."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from arrimage.engine.retry import parse_retry_after, retry_delay

NOW = datetime(2026, 12, 4, 14, 0, 0, tzinfo=UTC)


def test_retry_after_seconds() -> None:
    assert parse_retry_after("120") == 120.0


def test_retry_after_with_spaces() -> None:
    assert parse_retry_after(" 7 ") == 7.0


def test_retry_after_zero() -> None:
    assert parse_retry_after("0") == 0.0


def test_retry_after_http_date() -> None:
    header = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(header, now=NOW) == 90.0


def test_retry_after_rfc_example_date() -> None:
    later = datetime(2026, 12, 4, 14, 0, 30, tzinfo=UTC)
    assert parse_retry_after("Fri, 04 Dec 2026 14:00:30 GMT", now=NOW) == (later - NOW).total_seconds()


def test_retry_after_past_date_is_zero() -> None:
    header = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(header, now=NOW) == 0.0


def test_retry_after_negative_is_zero() -> None:
    assert parse_retry_after("-5") == 0.0


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "Fri, 99 Foo 2026", "12 seconds"])
def test_retry_after_invalid_is_none(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


@pytest.mark.parametrize("value", ["inf", "Infinity", "nan", "1e400"])
def test_retry_after_not_finite_is_none(value: str) -> None:
    assert parse_retry_after(value, now=NOW) is None


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 8, 20])
def test_delay_within_bounds(attempt: int) -> None:
    rng = random.Random(1234)
    ceiling = min(30.0, 2.0 * 2 ** (attempt - 1))
    for _ in range(200):
        delay = retry_delay(attempt, base_seconds=2.0, max_seconds=30.0, rng=rng)
        assert delay >= 1.0
        assert delay <= ceiling


def test_delay_capped_by_max() -> None:
    rng = random.Random(7)
    delays = [retry_delay(30, base_seconds=2.0, max_seconds=10.0, rng=rng) for _ in range(500)]
    assert max(delays) <= 10.0


def test_delay_has_jitter() -> None:
    rng = random.Random(99)
    delays = {retry_delay(5, base_seconds=2.0, max_seconds=300.0, rng=rng) for _ in range(20)}
    assert len(delays) > 1


def test_delay_reproducible_with_seed() -> None:
    first = [retry_delay(3, base_seconds=1.0, max_seconds=60.0, rng=random.Random(5)) for _ in range(3)]
    second = [retry_delay(3, base_seconds=1.0, max_seconds=60.0, rng=random.Random(5)) for _ in range(3)]
    assert first == second


def test_delay_grows_with_attempts() -> None:
    rng = random.Random(3)
    first = max(retry_delay(1, base_seconds=2.0, max_seconds=300.0, rng=rng) for _ in range(200))
    fifth = max(retry_delay(5, base_seconds=2.0, max_seconds=300.0, rng=rng) for _ in range(200))
    assert first <= 2.0
    assert fifth > 2.0


def test_retry_after_is_minimum() -> None:
    rng = random.Random(11)
    for _ in range(200):
        delay = retry_delay(1, base_seconds=2.0, max_seconds=300.0, retry_after=20.0, rng=rng)
        assert delay >= 20.0
        assert delay <= 20.0 * 1.1 + 0.05


def test_retry_after_above_max_honoured() -> None:
    delay = retry_delay(2, base_seconds=2.0, max_seconds=5.0, retry_after=60.0, rng=random.Random(0))
    assert delay >= 60.0


def test_retry_after_zero_still_waits_little() -> None:
    delay = retry_delay(1, base_seconds=2.0, max_seconds=5.0, retry_after=0.0, rng=random.Random(0))
    assert 0.0 <= delay <= 0.05
