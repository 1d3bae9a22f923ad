"""Normalizers as Jinja filters, for mapping templates such as ``{{ trigger.pays | country }}``.

A filter returns the normalized value. When there is none (an empty value, or one the
normalizer cannot convert), what it returns depends on where it is used:

- As a whole mapping value (``"{{ trigger.pays | country }}"``), it returns None: never an
  empty string, which Cyberimpact would store as a value. The field is then left out.
- Inside a longer text (``"Pays : {{ trigger.pays | country }}"``), it returns the value as
  the source gave it, or an empty text for an empty value, so the text never reads "None". That
  text counts as false in ``{% if %}``, like None.

The template renderer tells the filters which case applies (:func:`rendering_text`), and
collects the normalizers' warnings and errors for the preview (:func:`collecting_messages`).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from arrimage.i18n import _l
from arrimage.normalize import NORMALIZERS
from arrimage.normalize.cleaning import is_empty, shown
from arrimage.normalize.result import Message, Normalized

_inside_text: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "arrimage_filter_inside_text", default=False
)
_collected: contextvars.ContextVar[list[Message] | None] = contextvars.ContextVar(
    "arrimage_filter_messages", default=None
)


class UnconvertedText(str):
    """The text of a value that a filter could not convert, false in conditions like None."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False


@contextlib.contextmanager
def rendering_text() -> Iterator[None]:
    """Make the filters called in the block return the unconverted value as text instead of None."""
    token = _inside_text.set(True)
    try:
        yield
    finally:
        _inside_text.reset(token)


@contextlib.contextmanager
def collecting_messages(messages: list[Message]) -> Iterator[None]:
    """Append to ``messages`` the warnings and errors of the filters that fail in the block."""
    token = _collected.set(messages)
    try:
        yield
    finally:
        _collected.reset(token)


def _value_filter(kind: str, function: Callable[..., Normalized]) -> Callable[..., str | None]:
    def value_filter(value: object, **options: Any) -> str | None:
        result = function(value, **options)
        if result.value is not None:
            return result.value
        inside_text = _inside_text.get()
        _report(kind, value, result, inside_text)
        if not inside_text:
            return None
        return UnconvertedText("" if is_empty(value) else str(value))

    value_filter.__name__ = kind
    value_filter.__qualname__ = kind
    value_filter.__doc__ = (
        f"Return ``value`` normalized as {kind}. When it has no {kind} form, return None as a "
        "whole mapping value, or inside a longer text the value unchanged (empty text for an "
        "empty value), which is false in conditions."
    )
    return value_filter


def _report(kind: str, value: object, result: Normalized, inside_text: bool) -> None:
    """Pass the normalizer's messages to the collector that :func:`collecting_messages` set, if any."""
    collected = _collected.get()
    if collected is None:
        return
    for message in result.messages:
        if inside_text:
            message = Message(message.code, _l(
                'The {filter} filter could not convert "{value}", so the text keeps it as it was. '
                "The reason: {reason}", filter=kind, value=shown(value), reason=message.text))
        collected.append(message)


JINJA_FILTERS: dict[str, Callable[..., str | None]] = {
    kind: _value_filter(kind, function) for kind, function in NORMALIZERS.items()
}
