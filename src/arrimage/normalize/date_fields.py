"""Split a written date into its year, month and day, without deciding whether it is valid."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Literal

from arrimage.normalize.cleaning import fold
from arrimage.normalize.date_words import month_numbers, weekday_numbers

DateOrder = Literal["DMY", "MDY", "YMD"]

# The date part of an ISO 8601 date or timestamp. The time and offset are matched but not
# used, so the date stays the one written in the source's own offset.
_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:z|[+-]\d{2}(?::?\d{2})?)?)?"
)

# A time of day after a date, as spreadsheets export it ("04/12/1990 00:00", "… 12:00 AM").
_TRAILING_TIME = re.compile(r"\s+\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?\s*(?:[ap]\.?\s?m\.?)?$")

_ORDINAL = re.compile(r"(\d{1,2})(?:er|re|e|st|nd|rd|th)")
_FILLER_WORDS = {"le", "the", "of"}


class Unreadable(enum.Enum):
    """Reason a text could not be split into date fields."""

    UNRECOGNIZED = "unrecognized"
    ORDER_MISMATCH = "order_mismatch"


@dataclass(frozen=True, slots=True)
class DateFields:
    """The parts of a written date, as found; any of them may be missing."""

    year: str | None
    month: int | None
    day: int | None
    weekday: int | None = None
    # Whether the text itself fixes which number is the day (an ISO date or a month in words),
    # rather than the configured date order.
    order_written: bool = False


def split_date(text: str, order: DateOrder) -> DateFields | Unreadable:
    """Split ``text`` into date fields, reading an all-numeric date in ``order``."""
    lowered = text.casefold()
    iso = _ISO.fullmatch(lowered)
    if iso is not None:
        year, month, day = iso.groups()
        return DateFields(year, int(month), int(day), order_written=True)

    tokens = fold(_TRAILING_TIME.sub("", lowered)).split()
    numbers: list[str] = []
    words: list[str] = []
    for token in tokens:
        ordinal = _ORDINAL.fullmatch(token)
        if token.isdigit() or ordinal is not None:
            numbers.append(ordinal.group(1) if ordinal is not None else token)
        elif token not in _FILLER_WORDS:
            words.append(token)
    if any(not number.isascii() or len(number) > 4 for number in numbers):
        return Unreadable.UNRECOGNIZED

    names = _read_names(words)
    if names is None:
        return Unreadable.UNRECOGNIZED
    month, weekday = names
    if month is not None:
        return _with_month_name(numbers, month, weekday)
    return _all_numeric(numbers, order, weekday)


def _read_names(words: list[str]) -> tuple[int | None, int | None] | None:
    """Return the month and weekday that ``words`` name, or None if a word is neither.

    "mar" is March in English and Tuesday (mardi) in French: it is the month unless another
    word already names one.
    """
    months, weekdays = month_numbers(), weekday_numbers()
    month_words = [word for word in words if word in months]
    if len(month_words) > 1:
        month_words = [word for word in month_words if word not in weekdays]
    weekday_words = [word for word in words if word not in month_words]
    if len(month_words) > 1 or len(weekday_words) > 1:
        return None
    if any(word not in weekdays for word in weekday_words):
        return None
    month = months[month_words[0]] if month_words else None
    weekday = weekdays[weekday_words[0]] if weekday_words else None
    return month, weekday


def _with_month_name(
    numbers: list[str], month: int, weekday: int | None
) -> DateFields | Unreadable:
    if not numbers:
        return DateFields(None, month, None, weekday, order_written=True)
    if len(numbers) == 1:
        # "décembre 1990" lacks the day and "4 décembre" the year.
        single = numbers[0]
        if len(single) == 4:
            return DateFields(single, month, None, weekday, order_written=True)
        return DateFields(None, month, int(single), weekday, order_written=True)
    if len(numbers) != 2:
        return Unreadable.UNRECOGNIZED
    first, second = numbers
    if len(first) == 4 and len(second) <= 2:
        return DateFields(first, month, int(second), weekday, order_written=True)
    if len(first) <= 2:
        return DateFields(second, month, int(first), weekday, order_written=True)
    return Unreadable.UNRECOGNIZED


def _all_numeric(
    numbers: list[str], order: DateOrder, weekday: int | None
) -> DateFields | Unreadable:
    if len(numbers) == 1 and len(numbers[0]) == 4:
        return DateFields(numbers[0], None, None, weekday)
    if len(numbers) == 2:
        # "04/12" has no year and "12/1990" no day; either way the date is incomplete.
        first, second = numbers
        if len(second) == 4:
            return DateFields(second, int(first), None, weekday)
        return DateFields(None, None, None, weekday)
    if len(numbers) != 3 or any(len(number) == 3 for number in numbers):
        return Unreadable.UNRECOGNIZED

    first, second, third = numbers
    if len(first) == 4:
        # A leading four-digit year can only be year-month-day, whatever the set order.
        return DateFields(first, int(second), int(third), weekday, order_written=True)
    if len(second) == 4 or (len(third) == 4 and order == "YMD"):
        return Unreadable.ORDER_MISMATCH
    if order == "YMD":
        return DateFields(first, int(second), int(third), weekday)
    if order == "MDY":
        return DateFields(third, int(first), int(second), weekday)
    return DateFields(third, int(second), int(first), weekday)
