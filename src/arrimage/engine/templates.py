"""Mapping templates: Jinja2 in a sandbox, evaluated against ``trigger`` and ``steps.<id>``.

A value that is exactly one expression (``"{{ trigger.groups }}"``) keeps its type: a list stays
a list. Any other string is rendered as text. A reference to a missing key fails with the full
path of what was there (``trigger.answers``) and the key that was not (``emial``). A format
filter (``| country``…) that cannot convert a value gives None in a single expression and the
value unchanged inside a longer text (see :mod:`arrimage.normalize.filters`).
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from typing import Any, NoReturn

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined
from jinja2 import exceptions as jinja_exceptions
from jinja2.sandbox import SandboxedEnvironment

from arrimage.engine.errors import LocationText, TemplateError
from arrimage.engine.template_syntax import extra_closing_brace, syntax_error_message
from arrimage.i18n import LazyText, _l
from arrimage.normalize.filters import JINJA_FILTERS, collecting_messages, rendering_text
from arrimage.normalize.result import Message

_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*?)\}\}\s*$", re.DOTALL)

# id() of each dict or list reached during one evaluation -> its path, for error messages.
_paths: contextvars.ContextVar[dict[int, str] | None] = contextvars.ContextVar(
    "arrimage_template_paths", default=None
)


class MissingKeyError(Exception):
    """A template referred to a key that the data does not have."""

    def __init__(self, parent: str, key: Any) -> None:
        super().__init__(f"{parent} has no key {key!r}")
        self.parent = parent
        self.key = key


class _MissingValue(StrictUndefined):
    """An undefined value that records where it was looked up; using it raises MissingKeyError.

    ``default(…)`` and ``is defined`` still work on it, as on any Jinja undefined value.
    """

    __slots__ = ("_parent_path",)

    def __init__(self, *args: Any, parent_path: str = "?", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parent_path = parent_path

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        if issubclass(self._undefined_exception, jinja_exceptions.SecurityError):
            super()._fail_with_undefined_error()
        raise MissingKeyError(self._parent_path, self._undefined_name)

    __str__ = __iter__ = __len__ = __bool__ = _fail_with_undefined_error  # type: ignore[assignment]
    __getattr__ = __getitem__ = _fail_with_undefined_error  # type: ignore[assignment]


class _TrackingEnvironment(SandboxedEnvironment):
    """A sandboxed environment that records the path of every container it walks through."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        # A dict key wins over a method of the same name: payloads often have "items" or "keys".
        if isinstance(obj, dict) and attribute in obj:
            return self._track(obj, attribute, obj[attribute])
        return self._track(obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self._track(obj, argument, super().getitem(obj, argument))

    def _track(self, parent: Any, key: Any, value: Any) -> Any:
        paths = _paths.get()
        if paths is None:
            return value
        parent_path = paths.get(id(parent)) or repr(parent)[:40]
        if isinstance(value, Undefined):
            if issubclass(value._undefined_exception, jinja_exceptions.SecurityError):
                # The sandbox rejected the attribute, so report that rather than a missing key.
                return value
            return _MissingValue(parent_path=parent_path, obj=parent, name=key)
        if isinstance(value, dict | list):
            suffix = f"[{key}]" if isinstance(key, int) else f".{key}"
            paths[id(value)] = parent_path + suffix
        return value


class TemplateRenderer:
    """Evaluate mapping values; one renderer is shared by all threads."""

    def __init__(self, filters: dict[str, Callable[..., Any]] | None = None) -> None:
        self.environment = _TrackingEnvironment(undefined=_MissingValue, autoescape=False)
        self.environment.filters.update(filters or {})
        # Compiling costs far more than rendering, and an automation's templates never change.
        self._compiled: dict[str, Any] = {}

    def _compile(self, text: str) -> Any:
        compiled = self._compiled.get(text)
        if compiled is None:
            single = _SINGLE_EXPRESSION.match(text)
            if single and "{{" not in single.group("expr") and "{%" not in text:
                compiled = ("expression", self.environment.compile_expression(
                    single.group("expr"), undefined_to_none=False))
            else:
                compiled = ("template", self.environment.from_string(text))
            if len(self._compiled) >= 4096:
                self._compiled.clear()
            self._compiled[text] = compiled
        return compiled

    def check(self, value: Any) -> list[tuple[str, LazyText]]:
        """Return ``(template, message)`` for each string in ``value`` with a syntax error.

        The message explains what is wrong and how to fix it (see :mod:`.template_syntax`). A ``}``
        right after ``}}`` that closes no ``{`` of the text counts as an error, although Jinja
        would output it as text.
        """
        problems: list[tuple[str, LazyText]] = []
        for text in _strings(value):
            if "{{" not in text and "{%" not in text:
                continue
            try:
                self.environment.parse(text)
            except TemplateSyntaxError as exc:
                problems.append((text, self._syntax_message(text, exc)))
                continue
            if extra_closing_brace(text, self.environment) is not None:
                problems.append((text, self._syntax_message(text, None)))
        return problems

    def _syntax_message(self, text: str, error: TemplateSyntaxError | None) -> LazyText:
        return syntax_error_message(text, error, filters=list(self.environment.filters),
                                    tests=list(self.environment.tests))

    def render(self, value: Any, data: dict[str, Any], location: str, *,
               filter_messages: list[Message] | None = None) -> Any:
        """Evaluate every template inside ``value`` (strings, lists, dicts) against ``data``.

        Raises :class:`TemplateError` naming ``location``, the template and the missing key.
        When ``filter_messages`` is a list, the warnings and errors of the format filters that
        could not convert a value are appended to it (a filter never fails the template).
        """
        token = _paths.set({id(item): name for name, item in data.items()})
        try:
            if filter_messages is None:
                return self._render_value(value, data, location)
            with collecting_messages(filter_messages):
                return self._render_value(value, data, location)
        finally:
            _paths.reset(token)

    def _render_value(self, value: Any, data: dict[str, Any], location: str) -> Any:
        if isinstance(value, str):
            return self._render_text(value, data, location)
        if isinstance(value, list):
            return [self._render_value(item, data, location) for item in value]
        if isinstance(value, dict):
            return {key: self._render_value(item, data, f"{location}.{key}") for key, item in value.items()}
        return value

    def _render_text(self, text: str, data: dict[str, Any], location: str) -> Any:
        if "{{" not in text and "{%" not in text:
            return text
        try:
            kind, compiled = self._compile(text)
            if kind == "expression":
                result = compiled(**data)
                if isinstance(result, Undefined):
                    result._fail_with_undefined_error()
                return result
            with rendering_text():
                return compiled.render(**data)
        except MissingKeyError as exc:
            raise TemplateError(
                _l(
                    "The template {template} in {location} refers to a missing value: {parent} "
                    "has no key {key}. Check the name in the sample data, or add "
                    "| default('') if the value is optional.",
                    template=text,
                    location=LocationText(location),
                    parent=exc.parent,
                    key=repr(exc.key),
                ),
                template=text,
                location=location,
                missing=f"{exc.parent}.{exc.key}",
            ) from exc
        except TemplateSyntaxError as exc:
            raise TemplateError(
                _l("{where}: {problem}", where=LocationText(location),
                   problem=self._syntax_message(text, exc)),
                template=text,
                location=location,
            ) from exc
        except (jinja_exceptions.SecurityError, jinja_exceptions.TemplateError, TypeError,
                ValueError, ArithmeticError) as exc:
            raise TemplateError(
                _l(
                    "The template {template} in {location} failed: {problem}.",
                    template=text,
                    location=LocationText(location),
                    problem=(str(exc) or type(exc).__name__).rstrip("."),
                ),
                template=text,
                location=location,
            ) from exc


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    return []


def default_filters() -> dict[str, Callable[..., Any]]:
    """Return the filters every renderer gets: Cyberimpact's formats."""
    return dict(JINJA_FILTERS)
