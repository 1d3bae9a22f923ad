"""Normalizers as Jinja filters, for mapping templates such as ``{{ trigger.pays | country }}``.

A filter returns the normalized value, or None when there is none: never an empty string,
which Cyberimpact would store as a value. The warnings and errors are dropped here; steps
that must report them call the normalizers directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arrimage.normalize import NORMALIZERS
from arrimage.normalize.result import Normalized


def _value_filter(kind: str, function: Callable[..., Normalized]) -> Callable[..., str | None]:
    def value_filter(value: object, **options: Any) -> str | None:
        return function(value, **options).value

    value_filter.__name__ = kind
    value_filter.__qualname__ = kind
    value_filter.__doc__ = f"Return ``value`` normalized as {kind}, or None."
    return value_filter


JINJA_FILTERS: dict[str, Callable[..., str | None]] = {
    kind: _value_filter(kind, function) for kind, function in NORMALIZERS.items()
}
