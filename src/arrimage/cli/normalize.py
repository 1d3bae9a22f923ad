"""``arrimage normalize``: convert one value to the format Cyberimpact accepts."""

from __future__ import annotations

import enum
from typing import Any

import typer

from arrimage.cli.common import print_json
from arrimage.i18n import _, after_colon
from arrimage.normalize import normalize as normalize_value


class Kind(enum.StrEnum):
    EMAIL = "email"
    COUNTRY = "country"
    GENDER = "gender"
    LANGUAGE = "language"
    BIRTHDATE = "birthdate"
    POSTAL_CODE = "postal_code"
    TEXT = "text"


class DateOrder(enum.StrEnum):
    DMY = "DMY"
    MDY = "MDY"
    YMD = "YMD"


def normalize(
    kind: Kind = typer.Argument(..., help=_("Kind of value: email, country, gender, language, birthdate, postal_code or text.")),
    value: str = typer.Argument(..., help=_("The value as the source wrote it.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON: value, warnings and errors.")),
    date_order: DateOrder = typer.Option(DateOrder.DMY, "--date-order", case_sensitive=False, help=_("Order of numeric dates such as 04/12/1990 (birthdate).")),
    default_language: str | None = typer.Option(None, "--default-language", help=_("Language for other languages than French and English: fr_ca or en_ca.")),
    province_implies_country: bool = typer.Option(False, "--province-implies-country", help=_("Read a province or state as its country (country).")),
    country: str | None = typer.Option(None, "--country", help=_("Country of the address, to check the postal code.")),
    multiline: bool = typer.Option(False, "--multiline", help=_("Keep line breaks (text).")),
) -> None:
    options: dict[str, Any] = {}
    if kind is Kind.BIRTHDATE:
        options["date_order"] = date_order.value
    elif kind is Kind.LANGUAGE and default_language:
        options["default_language"] = default_language
    elif kind is Kind.COUNTRY:
        options["province_implies_country"] = province_implies_country
    elif kind is Kind.POSTAL_CODE and country:
        options["country"] = country
    elif kind is Kind.TEXT:
        options["multiline"] = multiline
    try:
        result = normalize_value(kind.value, value, **options)
    except ValueError as error:  # an invalid option value, such as --default-language=es
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error

    if as_json:
        print_json({
            "value": result.value,
            "warnings": [{"code": message.code, "message": message.render()} for message in result.warnings],
            "errors": [{"code": message.code, "message": message.render()} for message in result.errors],
        })
    else:
        if result.value is None:
            typer.echo(_("No value will be sent."))
        else:
            typer.echo(result.value)
        for message in result.warnings:
            typer.echo(_("Warning: {message}", message=after_colon(message.render())), err=True)
        for message in result.errors:
            typer.echo(_("Error: {message}", message=after_colon(message.render())), err=True)
    if result.errors:
        raise typer.Exit(1)
