"""The result every normalizer returns, and the messages it carries.

An **error** means the value cannot be used and the step that needs it cannot go on (an email
address is how Cyberimpact finds a contact). A **warning** means the field is left out, or was
converted in a way the user should know about. After a warning, the rest of the request goes
ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

from arrimage.i18n import LazyText


@dataclass(frozen=True, slots=True)
class Message:
    """A user-facing message: a stable code for programs and a text rendered per locale."""

    code: str
    text: LazyText

    def render(self, locale: str | None = None) -> str:
        """Render the text in ``locale`` (default: the current locale)."""
        return self.text.render(locale)

    def __str__(self) -> str:
        return self.text.render()


@dataclass(frozen=True, slots=True)
class Normalized:
    """The outcome of normalizing one value.

    ``value`` is the form Cyberimpact accepts, or None when the input was empty or could not be
    converted. ``match_key`` is set by the email normalizer only: the address with its local
    part lowercased too, for finding an existing contact.
    """

    value: str | None
    warnings: tuple[Message, ...] = ()
    errors: tuple[Message, ...] = ()
    match_key: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the value can be sent (it has no errors, though it may be None)."""
        return not self.errors

    @property
    def messages(self) -> tuple[Message, ...]:
        """The errors followed by the warnings."""
        return self.errors + self.warnings


EMPTY = Normalized(value=None)


def converted(value: str, *warnings: Message) -> Normalized:
    """Return a result carrying ``value`` and optional warnings."""
    return Normalized(value=value, warnings=warnings)


def left_out(*warnings: Message) -> Normalized:
    """Return a result without a value, explained by ``warnings``."""
    return Normalized(value=None, warnings=warnings)


def rejected(*errors: Message) -> Normalized:
    """Return a result without a value, explained by ``errors``."""
    return Normalized(value=None, errors=errors)
