"""Conditions of filter steps and path branches, and how they are evaluated.

A condition reads a value (a template), applies an operator and, for most operators,
compares with ``compare_to`` (a template too). A missing value is not an error here: it is
"absent", so ``exists`` is false and ``equals`` does not match. Each evaluation returns the
resolved values, so the run's record shows why a filter stopped.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from arrimage.engine.errors import InvalidInputError, LocationText, TemplateError
from arrimage.engine.templates import TemplateRenderer
from arrimage.i18n import _l


class Operator(enum.StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"
    GREATER_THAN = "greater_than"
    GREATER_OR_EQUAL = "greater_or_equal"
    LESS_THAN = "less_than"
    LESS_OR_EQUAL = "less_or_equal"
    DATE_BEFORE = "date_before"
    DATE_AFTER = "date_after"
    IS_TRUE = "is_true"
    IS_FALSE = "is_false"
    MATCHES = "matches"  # a regular expression, searched anywhere in the text


# Operators that look at the value alone; the others need compare_to.
UNARY_OPERATORS = frozenset(
    {
        Operator.EXISTS,
        Operator.NOT_EXISTS,
        Operator.IS_EMPTY,
        Operator.IS_NOT_EMPTY,
        Operator.IS_TRUE,
        Operator.IS_FALSE,
    }
)

_TRUE_WORDS = {"true", "yes", "oui", "1", "on", "vrai", "y", "o"}


class _Absent:
    """The value of a missing key."""

    def __repr__(self) -> str:
        return "absent"


ABSENT = _Absent()


def resolve(renderer: TemplateRenderer, template: Any, data: dict[str, Any], location: str) -> Any:
    """Evaluate a condition's template; a missing key gives :data:`ABSENT` instead of failing."""
    try:
        return renderer.render(template, data, location)
    except TemplateError as exc:
        if "missing" in exc.details:
            return ABSENT
        raise


def evaluate(
    operator: Operator,
    value: Any,
    compare_to: Any,
    *,
    case_sensitive: bool = False,
    timezone: str = "America/Toronto",
    location: str = "",
) -> bool:
    """Return whether ``value`` satisfies ``operator`` against ``compare_to``.

    Raises :class:`InvalidInputError` when a value cannot be read as the operator needs (a
    number, a date or a regular expression), naming the value and the fix.
    """
    if operator is Operator.EXISTS:
        return value is not ABSENT and value is not None
    if operator is Operator.NOT_EXISTS:
        return value is ABSENT or value is None
    if operator is Operator.IS_EMPTY:
        return _is_empty(value)
    if operator is Operator.IS_NOT_EMPTY:
        return not _is_empty(value)
    if operator is Operator.IS_TRUE:
        return _truthy(value)
    if operator is Operator.IS_FALSE:
        return value is not ABSENT and not _truthy(value)
    if value is ABSENT:
        # Nothing matches an absent value, and nothing equals it either.
        return operator in (Operator.NOT_EQUALS, Operator.NOT_CONTAINS)

    if operator in (Operator.EQUALS, Operator.NOT_EQUALS):
        equal = _equal(value, compare_to, case_sensitive)
        return equal if operator is Operator.EQUALS else not equal
    if operator in (Operator.CONTAINS, Operator.NOT_CONTAINS):
        found = _contains(value, compare_to, case_sensitive)
        return found if operator is Operator.CONTAINS else not found
    if operator is Operator.STARTS_WITH:
        return _text(value, case_sensitive).startswith(_text(compare_to, case_sensitive))
    if operator is Operator.ENDS_WITH:
        return _text(value, case_sensitive).endswith(_text(compare_to, case_sensitive))
    if operator is Operator.MATCHES:
        return _matches(value, compare_to, case_sensitive, location)
    if operator in (Operator.DATE_BEFORE, Operator.DATE_AFTER):
        left = _as_datetime(value, timezone, location)
        right = _as_datetime(compare_to, timezone, location)
        return left < right if operator is Operator.DATE_BEFORE else left > right

    left_number = _as_number(value, location)
    right_number = _as_number(compare_to, location)
    return {
        Operator.GREATER_THAN: left_number > right_number,
        Operator.GREATER_OR_EQUAL: left_number >= right_number,
        Operator.LESS_THAN: left_number < right_number,
        Operator.LESS_OR_EQUAL: left_number <= right_number,
    }[operator]


def _is_empty(value: Any) -> bool:
    if value is ABSENT or value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict | tuple):
        return len(value) == 0
    return False


def _truthy(value: Any) -> bool:
    if value is ABSENT or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() in _TRUE_WORDS


def _text(value: Any, case_sensitive: bool) -> str:
    text = "" if value is None or value is ABSENT else str(value).strip()
    return text if case_sensitive else text.casefold()


def _equal(value: Any, compare_to: Any, case_sensitive: bool) -> bool:
    if isinstance(value, bool) or isinstance(compare_to, bool):
        return _truthy(value) == _truthy(compare_to)
    left, right = _try_number(value), _try_number(compare_to)
    if left is not None and right is not None:
        return left == right
    return _text(value, case_sensitive) == _text(compare_to, case_sensitive)


def _contains(value: Any, compare_to: Any, case_sensitive: bool) -> bool:
    if isinstance(value, list | tuple | set):
        return any(_equal(item, compare_to, case_sensitive) for item in value)
    if isinstance(value, dict):
        return _text(compare_to, True) in value
    return _text(compare_to, case_sensitive) in _text(value, case_sensitive)


def _matches(value: Any, pattern: Any, case_sensitive: bool, location: str) -> bool:
    try:
        compiled = re.compile(str(pattern), 0 if case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise InvalidInputError(
            _l("In {location}, {pattern} is not a valid regular expression: {problem}.",
               location=LocationText(location), pattern=repr(pattern), problem=str(exc))
        ) from exc
    return compiled.search(_text(value, True)) is not None


def _try_number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value is ABSENT:
        return None
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None


def _as_number(value: Any, location: str) -> Decimal:
    number = _try_number(value)
    if number is None or not number.is_finite():
        raise InvalidInputError(
            _l("In {location}, {value} is not a number: compare numbers such as 42 or 3.5.",
               location=LocationText(location), value=repr(value))
        )
    return number


def _as_datetime(value: Any, timezone: str, location: str) -> datetime:
    """Read an ISO 8601 date or date-time; a value without offset is in ``timezone``."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        text = str(value).strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InvalidInputError(
                _l("In {location}, {value} is not a date: use ISO 8601, such as 2026-12-04 or "
                   "2026-12-04T09:30:00-05:00.", location=LocationText(location), value=repr(value))
            ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed
