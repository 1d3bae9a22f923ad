"""Birthdates, as ``yyyy-MM-dd``.

A two-digit year is read only when one century fits: "90" becomes 1990 because 2090 is in
the future, and birthdates before 1900 are rejected anyway. A two-digit year that could be
either (in 2026, "05" could be 1905 or 2005) is left out with a warning.
"""

from __future__ import annotations

import datetime as dt

from arrimage.i18n import LazyText, _l
from arrimage.normalize.cleaning import as_text, clean_line, shown
from arrimage.normalize.date_fields import DateFields, DateOrder, Unreadable, split_date
from arrimage.normalize.guard import InvalidOptionError, normalizer
from arrimage.normalize.result import Message, Normalized, converted, left_out

EARLIEST_YEAR = 1900

_DATE_ORDERS: tuple[DateOrder, ...] = ("DMY", "MDY", "YMD")

_ORDER_NAMES: dict[str, LazyText] = {
    "DMY": _l("day/month/year"),
    "MDY": _l("month/day/year"),
    "YMD": _l("year/month/day"),
}


def _date_as_text(value: object) -> str | None:
    # A datetime keeps the calendar date it carries, in its own offset: converting it to
    # another time zone first could move a midnight birthdate to the day before.
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return as_text(value)


@normalizer("birthdate", convert=_date_as_text)
def normalize_birthdate(
    value: str, *, date_order: str = "DMY", today: dt.date | None = None
) -> Normalized:
    """Convert a written date to ``yyyy-MM-dd``, or leave it out with a warning.

    ISO dates and timestamps keep the date as written. Month names may be French or English.
    All-numeric dates such as ``04/12/1990`` are read in ``date_order`` ("DMY", "MDY" or
    "YMD"), except that a leading four-digit year always means year-month-day. Impossible
    dates, dates after ``today`` (default: the system date), dates before 1900 and dates
    without a day, month or year get a warning and no value. Raise
    :class:`InvalidOptionError` for an unknown ``date_order``.
    """
    order = _check_order(date_order)
    today = today or dt.date.today()
    text = clean_line(value)

    fields = split_date(text, order)
    if fields is Unreadable.ORDER_MISMATCH:
        return left_out(_order_mismatch(text, order))
    if isinstance(fields, Unreadable):
        return left_out(_warning("unrecognized", text))
    return _checked_date(text, fields, order, today)


def _check_order(date_order: str) -> DateOrder:
    requested = date_order.upper() if isinstance(date_order, str) else date_order
    for order in _DATE_ORDERS:
        if order == requested:
            return order
    raise InvalidOptionError(_l("date_order must be 'DMY', 'MDY' or 'YMD', not {value}.",
                                value=repr(date_order)))


def _checked_date(text: str, fields: DateFields, order: DateOrder, today: dt.date) -> Normalized:
    month, day = fields.month, fields.day
    if fields.year is None:
        return left_out(_warning("missing_year", text))
    if month is None or day is None:
        return left_out(_warning("incomplete", text))
    year = _full_year(text, fields.year, today)
    if isinstance(year, Message):
        return left_out(year)

    try:
        date = dt.date(year, month, day)
    except ValueError:
        if not fields.order_written and _is_date(year, day, month):
            return left_out(_order_mismatch(text, order))
        return left_out(_warning("impossible", text))

    if fields.weekday is not None and fields.weekday != date.weekday():
        return left_out(_warning("weekday_mismatch", text))
    if date.year < EARLIEST_YEAR:
        return left_out(_warning("too_old", text))
    if date > today:
        return left_out(_warning("future", text))
    if len(fields.year) == 2:
        return converted(date.isoformat(), _two_digit_year_read(text, year))
    return converted(date.isoformat())


def _full_year(text: str, written: str, today: dt.date) -> int | Message:
    """Return the four-digit year that ``written`` stands for, or the warning to give."""
    if len(written) == 4:
        return int(written)
    if len(written) != 2:
        return _warning("unrecognized", text)
    # Only the 1900s fit when the same year in the 2000s is still to come.
    short_year = int(written)
    if 2000 + short_year > today.year:
        return 1900 + short_year
    return _warning("two_digit_year", text)


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _warning(reason: str, text: str) -> Message:
    value = shown(text)
    texts = {
        "unrecognized": _l(
            '"{value}" is not a date Arrimage can read, so the birthdate is left out. '
            "Write it as year-month-day (1990-12-04) or with the month in words "
            "(4 December 1990).",
            value=value,
        ),
        "missing_year": _l(
            '"{value}" has no year, so the birthdate is left out. '
            "Cyberimpact needs the day, the month and the year.",
            value=value,
        ),
        "incomplete": _l(
            '"{value}" is missing the day or the month, so the birthdate is left out. '
            "Cyberimpact needs the day, the month and the year.",
            value=value,
        ),
        "two_digit_year": _l(
            '"{value}" has a two-digit year that could be in the 1900s or the 2000s, '
            "so the birthdate is left out. Write the year with four digits.",
            value=value,
        ),
        "impossible": _l(
            '"{value}" is not a real date, so the birthdate is left out. '
            "Check the day and the month.",
            value=value,
        ),
        "weekday_mismatch": _l(
            '"{value}" names a day of the week that does not match the date, '
            "so the birthdate is left out. Check the date.",
            value=value,
        ),
        "too_old": _l(
            '"{value}" is before 1900, so the birthdate is left out. Check the year.',
            value=value,
        ),
        "future": _l(
            '"{value}" is in the future, so it cannot be a birthdate and is left out. '
            "Check the year.",
            value=value,
        ),
    }
    return Message(f"birthdate.{reason}", texts[reason])


def _order_mismatch(text: str, order: DateOrder) -> Message:
    fitting = _fitting_order(text, order)
    if fitting is None:
        return Message(
            "birthdate.order_mismatch",
            _l(
                '"{value}" does not fit the date order {order} set for this field, '
                "so the birthdate is left out. Set the date order that the source uses: "
                "the option --date-order on the command line (arrimage import --connection, "
                "arrimage normalize), or the step's Format options in the editor "
                "(formats: date_order in YAML).",
                value=shown(text),
                order=_ORDER_NAMES[order],
            ),
        )
    return Message(
        "birthdate.order_mismatch",
        _l(
            '"{value}" does not fit the date order {order} set for this field, '
            "so the birthdate is left out. If the source writes dates as {fitting}, set the "
            "date order to {code}: the option --date-order {code} on the command line "
            "(arrimage import --connection, arrimage normalize), or the step's Format options "
            "in the editor (formats: date_order: {code} in YAML).",
            value=shown(text),
            order=_ORDER_NAMES[order],
            fitting=_ORDER_NAMES[fitting],
            code=fitting.lower(),
        ),
    )


def _fitting_order(text: str, order: DateOrder) -> DateOrder | None:
    """Return another date order that reads ``text`` as a real date, the one to suggest."""
    for candidate in _DATE_ORDERS:
        if candidate == order:
            continue
        fields = split_date(text, candidate)
        if isinstance(fields, Unreadable) or fields.year is None:
            continue
        if fields.month is None or fields.day is None:
            continue
        # A two-digit year is checked as 2000, a leap year, so 29/02/84 still fits.
        year = int(fields.year) if len(fields.year) == 4 else 2000
        if _is_date(year, fields.month, fields.day):
            return candidate
    return None


def _two_digit_year_read(text: str, year: int) -> Message:
    return Message(
        "birthdate.two_digit_year_read",
        _l(
            '"{value}" has a two-digit year, read as {year} because {later_year} '
            "would be in the future.",
            value=shown(text),
            year=str(year),
            later_year=str(year + 100),
        ),
    )
