"""The wrapper that gives every normalizer the same contract for empty, odd and broken input."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Concatenate, ParamSpec

from arrimage.i18n import LazyText, _l
from arrimage.normalize.cleaning import as_text, is_empty, shown
from arrimage.normalize.result import EMPTY, Message, Normalized, left_out

logger = logging.getLogger(__name__)

P = ParamSpec("P")


class InvalidOptionError(ValueError):
    """An option given to a normalizer is invalid: a configuration mistake, not bad data.

    ``str()`` renders the message in the current locale.
    """

    def __init__(self, message: LazyText) -> None:
        super().__init__(message.render("en"))
        self.message = message

    def __str__(self) -> str:
        return self.message.render()


def normalizer(
    kind: str, convert: Callable[[object], str | None] = as_text
) -> Callable[
    [Callable[Concatenate[str, P], Normalized]], Callable[Concatenate[object, P], Normalized]
]:
    """Wrap a function that normalizes text into one that accepts any value and never raises.

    The wrapper returns the empty result for an empty value, a warning for a value that
    ``convert`` cannot turn into text, and an error instead of any exception the function
    raises, except :class:`InvalidOptionError`. An unknown option raises TypeError.
    """

    def decorate(
        function: Callable[Concatenate[str, P], Normalized],
    ) -> Callable[Concatenate[object, P], Normalized]:
        signature = inspect.signature(function)
        # Binding depends only on the option names of a keyword-only call, so each set of
        # names is checked once. Binding on every call cost about a tenth of a CSV import.
        accepted_names: set[frozenset[str]] = set()

        @functools.wraps(function)
        def wrapper(value: object, /, *args: P.args, **kwargs: P.kwargs) -> Normalized:
            # An unknown option is the caller's mistake, so it raises TypeError here,
            # before the guard below could turn it into a message about the value.
            names = frozenset(kwargs)
            if args or names not in accepted_names:
                signature.bind("", *args, **kwargs)
                if not args:
                    accepted_names.add(names)
            try:
                if is_empty(value):
                    return EMPTY
                text = convert(value)
                if text is None:
                    return left_out(_unsupported_type(kind, value))
                return function(text, *args, **kwargs)
            except InvalidOptionError:
                raise
            except Exception as exc:  # noqa: BLE001 - the contract is to never raise on input
                return _internal_error(kind, value, exc)

        return wrapper

    return decorate


def _unsupported_type(kind: str, value: object) -> Message:
    return Message(
        f"{kind}.unsupported_type",
        _l(
            '"{value}" is a value of type {type_name}, not text or a number, '
            "so the field is left out. Map a text field here instead.",
            value=shown(value),
            type_name=type(value).__name__,
        ),
    )


def _internal_error(kind: str, value: object, exc: Exception) -> Normalized:
    # The value can be an email address, so only its type reaches the logs.
    logger.error(
        "normalizing a %s value of type %s failed with %s",
        kind,
        type(value).__name__,
        type(exc).__name__,
    )
    logger.debug("normalizer failure details", exc_info=exc)
    message = Message(
        f"{kind}.internal_error",
        _l(
            "Arrimage could not read this value because of an internal error. "
            "Report the problem to your Arrimage administrator."
        ),
    )
    return Normalized(value=None, errors=(message,))
