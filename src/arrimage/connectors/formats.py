"""Convert a step's mapped values with each field's declared normalizer and the step's formats.

A field declares its converter in ``Field.normalizer``. A step's ``formats:`` block, given to
connectors as :class:`~arrimage.connectors.context.FormatSettings`, sets the converters'
options and lists the fields to send as mapped. Connectors and ``arrimage preview`` both call
:func:`convert_fields`, so the preview shows the values that a run sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from arrimage.connectors.context import FormatSettings
from arrimage.connectors.declaration import Field
from arrimage.normalize import Message, is_empty, normalize


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
    for field in sorted(present, key=lambda candidate: candidate.normalizer == "postal_code"):
        result = convert_value(field, values[field.key], settings, country=country)
        results[field.key] = result
        if field.normalizer == "country" and result.value is not None:
            country = result.value
    return {field.key: results[field.key] for field in present}
