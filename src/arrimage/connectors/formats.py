"""Convert a step's mapped values with each field's declared normalizer and the step's formats.

A field declares its converter in ``Field.normalizer``. A step's ``formats:`` block, given to
connectors as :class:`~arrimage.connectors.context.FormatSettings`, sets the converters'
options and lists the fields to send as mapped. Connectors and ``arrimage preview`` both call
:func:`convert_fields`, so the preview shows the values that a run sends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from arrimage.connectors.context import FormatSettings
from arrimage.connectors.declaration import Field
from arrimage.normalize import NORMALIZERS, Message, Normalized, is_empty, normalize


@dataclass(frozen=True)
class FieldValue:
    """A mapped value as the step sends it, with the messages of its conversion.

    ``value`` None means the field is left out. ``converted`` is false when the field has no
    normalizer or the step's ``formats: {off: [...]}`` lists it: the value is then the mapped
    value, with a text only trimmed.
    """

    value: Any
    warnings: tuple[Message, ...] = ()
    errors: tuple[Message, ...] = ()
    converted: bool = False

    @property
    def messages(self) -> tuple[Message, ...]:
        """The errors followed by the warnings."""
        return self.errors + self.warnings


def normalizer_options(
    kind: str, settings: FormatSettings, *, country: Any = None
) -> dict[str, Any]:
    """Return the keyword options that ``settings`` gives the normalizer of ``kind``.

    ``country`` is the country of the same step, used to check a postal code.
    """
    if kind == "birthdate":
        return {"date_order": settings.date_order.upper()}
    if kind == "language" and settings.default_language:
        return {"default_language": settings.default_language}
    if kind == "country":
        return {"province_implies_country": settings.province_implies_country}
    if kind == "postal_code" and not is_empty(country):
        return {"country": country}
    return {}


def convert_value(
    field: Field, value: Any, settings: FormatSettings, *, country: Any = None
) -> FieldValue:
    """Convert one field's mapped value, or keep it as mapped when the step turns it off."""
    if field.normalizer is None or field.key in settings.off:
        if is_empty(value):
            return FieldValue(None)
        return FieldValue(value.strip() if isinstance(value, str) else value)

    options = normalizer_options(field.normalizer, settings, country=country)
    result = normalize(field.normalizer, value, **options)
    return FieldValue(result.value, result.warnings, result.errors, converted=True)


def convert_fields(
    fields: Iterable[Field], values: Mapping[str, Any], settings: FormatSettings
) -> dict[str, FieldValue]:
    """Convert the value of each field in ``values``, keyed and ordered like ``fields``.

    A postal code is checked against the country of the same step, so every country field is
    converted before the postal codes.
    """
    present = [field for field in fields if field.key in values]
    country: Any = None
    results: dict[str, FieldValue] = {}
    for field in _countries_first(present):
        result = convert_value(field, values[field.key], settings, country=country)
        results[field.key] = result
        if field.normalizer == "country" and result.value is not None:
            country = result.value
    return {field.key: results[field.key] for field in present}


def _countries_first(fields: Iterable[Field]) -> list[Field]:
    """Return ``fields`` with the postal codes last, so that they see the step's country."""
    return sorted(fields, key=lambda candidate: candidate.normalizer == "postal_code")


# The largest number of results in a field's memo (about 300 bytes each).
MEMO_LIMIT = 4_096
# Birthdates span a bounded set of values: every date of a century fits.
MEMO_LIMITS = {"birthdate": 40_000}
# Email addresses differ from row to row by nature, so remembering them would only use memory.
UNMEMOIZED_KINDS = frozenset({"email"})


@dataclass
class _FieldPlan:
    """A field's normalizer, with its fixed options and its memo of results."""

    field: Field
    function: Callable[..., Normalized] | None
    options: dict[str, Any]
    memo: dict[Any, FieldValue] | None
    memo_limit: int = MEMO_LIMIT
    hits: int = 0


class FieldsConverter:
    """Convert many rows of values with the same fields and settings, as convert_fields does.

    Meant for bulk work such as a CSV import, where the same fields are converted thousands of
    times. Each field's options are worked out once. A text value already converted in the
    same field (with the same country, for a postal code) reuses its result. This is safe
    because normalizers are pure functions of the value, the options and today's date, and
    their results are immutable.

    A field keeps at most :data:`MEMO_LIMIT` results (birthdates: :data:`MEMO_LIMITS`). When
    its memo is full, it is emptied if values repeated, and turned off for good if most values
    were new (names, notes), so that memory stays bounded. The memos are emptied when the date
    changes, because a birthdate is checked against today.
    """

    def __init__(self, fields: Iterable[Field], settings: FormatSettings) -> None:
        self._settings = settings
        fields = list(fields)
        self._order = [field.key for field in fields]
        self._plans = [self._plan(field) for field in _countries_first(fields)]
        self._day = dt.date.today()

    def _plan(self, field: Field) -> _FieldPlan:
        kind = field.normalizer
        if kind is None or field.key in self._settings.off:
            return _FieldPlan(field, None, {}, None)
        memo: dict[Any, FieldValue] | None = None if kind in UNMEMOIZED_KINDS else {}
        return _FieldPlan(field, NORMALIZERS[kind], normalizer_options(kind, self._settings), memo,
                          MEMO_LIMITS.get(kind, MEMO_LIMIT))

    def convert(self, values: Mapping[str, Any]) -> dict[str, FieldValue]:
        """Return what ``convert_fields(fields, values, settings)`` returns."""
        today = dt.date.today()
        if today != self._day:
            self._day = today
            for plan in self._plans:
                if plan.memo is not None:
                    plan.memo.clear()

        country: Any = None
        results: dict[str, FieldValue] = {}
        for plan in self._plans:
            key = plan.field.key
            if key not in values:
                continue
            value = values[key]
            kind = plan.field.normalizer
            memo = plan.memo
            # Only text is remembered: 1, 1.0 and True are equal as dictionary keys.
            memo_key: Any = None
            result: FieldValue | None = None
            if plan.function is None:
                # A country sent as mapped still decides how the postal codes are checked.
                result = convert_value(plan.field, value, self._settings)
            elif memo is not None and type(value) is str:
                if kind != "postal_code":
                    memo_key = value
                elif country is None or type(country) is str:
                    # A country sent as mapped can be any value, which may not be hashable.
                    memo_key = (value, country)
                if memo_key is not None:
                    result = memo.get(memo_key)
                    if result is not None:
                        plan.hits += 1
            if result is None:
                result = self._converted(plan, value, country)
                if memo_key is not None:
                    self._remember(plan, memo_key, result)

            results[key] = result
            if kind == "country" and result.value is not None:
                country = result.value
        return {key: results[key] for key in self._order if key in results}

    def _converted(self, plan: _FieldPlan, value: Any, country: Any) -> FieldValue:
        options = plan.options
        if plan.field.normalizer == "postal_code":
            options = normalizer_options("postal_code", self._settings, country=country)
        normalized = plan.function(value, **options)  # type: ignore[misc]
        return FieldValue(normalized.value, normalized.warnings, normalized.errors, converted=True)

    @staticmethod
    def _remember(plan: _FieldPlan, memo_key: Any, result: FieldValue) -> None:
        memo = plan.memo
        assert memo is not None
        if len(memo) >= plan.memo_limit:
            if plan.hits < len(memo):
                plan.memo = None
                return
            memo.clear()
            plan.hits = 0
        memo[memo_key] = result
