"""Condition operators of filter steps and path branches."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from arrimage.engine.conditions import ABSENT, UNARY_OPERATORS, Operator, evaluate, resolve
from arrimage.engine.errors import InvalidInputError, TemplateError
from arrimage.engine.templates import TemplateRenderer

# (operator, value, compare_to, case_sensitive, expected)
CASES: list[tuple[Operator, Any, Any, bool, bool]] = [
    # equals: numbers compare as numbers, text as case-folded text unless case_sensitive.
    (Operator.EQUALS, "10", "10.0", False, True),
    (Operator.EQUALS, 3, "3", False, True),
    (Operator.EQUALS, "3,5", 3.5, False, True),
    (Operator.EQUALS, "10", "1e1", False, True),
    (Operator.EQUALS, "QC", "qc", False, True),
    (Operator.EQUALS, "QC", "qc", True, False),
    (Operator.EQUALS, " QC ", "QC", True, True),
    (Operator.EQUALS, "Éloïse", "ÉLOÏSE", False, True),
    (Operator.EQUALS, "abc", "abd", False, False),
    (Operator.EQUALS, True, "oui", False, True),
    (Operator.EQUALS, False, "true", False, False),
    (Operator.EQUALS, ABSENT, "", False, False),
    (Operator.NOT_EQUALS, "QC", "ON", False, True),
    (Operator.NOT_EQUALS, "QC", "qc", False, False),
    (Operator.NOT_EQUALS, "QC", "qc", True, True),
    (Operator.NOT_EQUALS, ABSENT, "QC", False, True),
    # contains: an item of a list, a substring of text, a key of a dict.
    (Operator.CONTAINS, ["VIP", "client"], "vip", False, True),
    (Operator.CONTAINS, ["VIP", "client"], "vip", True, False),
    (Operator.CONTAINS, [1, 2, 3], "2", False, True),
    (Operator.CONTAINS, ["vip client"], "vip", False, False),
    (Operator.CONTAINS, "Bonjour Éloïse", "éloïse", False, True),
    (Operator.CONTAINS, "Bonjour Éloïse", "éloïse", True, False),
    (Operator.CONTAINS, {"email": "x"}, "email", False, True),
    (Operator.CONTAINS, ABSENT, "x", False, False),
    (Operator.NOT_CONTAINS, ["a", "b"], "c", False, True),
    (Operator.NOT_CONTAINS, "abc", "B", False, False),
    (Operator.NOT_CONTAINS, ABSENT, "x", False, True),
    # starts_with and ends_with.
    (Operator.STARTS_WITH, "Eloise@Exemple.ca", "eloise", False, True),
    (Operator.STARTS_WITH, "Eloise@Exemple.ca", "eloise", True, False),
    (Operator.STARTS_WITH, "abc", "bc", False, False),
    (Operator.ENDS_WITH, "eloise@EXEMPLE.CA", "@exemple.ca", False, True),
    (Operator.ENDS_WITH, "eloise@EXEMPLE.CA", "@exemple.ca", True, False),
    (Operator.ENDS_WITH, ABSENT, "", False, False),
    # exists and not_exists: absent and None are missing, an empty string exists.
    (Operator.EXISTS, "x", None, False, True),
    (Operator.EXISTS, "", None, False, True),
    (Operator.EXISTS, 0, None, False, True),
    (Operator.EXISTS, None, None, False, False),
    (Operator.EXISTS, ABSENT, None, False, False),
    (Operator.NOT_EXISTS, ABSENT, None, False, True),
    (Operator.NOT_EXISTS, None, None, False, True),
    (Operator.NOT_EXISTS, "x", None, False, False),
    # is_empty and is_not_empty.
    (Operator.IS_EMPTY, "", None, False, True),
    (Operator.IS_EMPTY, "  ", None, False, True),
    (Operator.IS_EMPTY, [], None, False, True),
    (Operator.IS_EMPTY, {}, None, False, True),
    (Operator.IS_EMPTY, None, None, False, True),
    (Operator.IS_EMPTY, ABSENT, None, False, True),
    (Operator.IS_EMPTY, 0, None, False, False),
    (Operator.IS_EMPTY, "x", None, False, False),
    (Operator.IS_EMPTY, [0], None, False, False),
    (Operator.IS_NOT_EMPTY, "x", None, False, True),
    (Operator.IS_NOT_EMPTY, "  ", None, False, False),
    (Operator.IS_NOT_EMPTY, ABSENT, None, False, False),
    # Numbers: a comma is a decimal separator, and "10" is more than "3,5".
    (Operator.GREATER_THAN, "10", "3,5", False, True),
    (Operator.GREATER_THAN, "3,5", "10", False, False),
    (Operator.GREATER_THAN, "3,5", "3.5", False, False),
    (Operator.GREATER_OR_EQUAL, "3,5", "3.5", False, True),
    (Operator.GREATER_OR_EQUAL, 2, "3", False, False),
    (Operator.LESS_THAN, "3,5", "10", False, True),
    (Operator.LESS_THAN, "10", "3,5", False, False),
    (Operator.LESS_OR_EQUAL, " 10 ", 10, False, True),
    (Operator.LESS_OR_EQUAL, "-1", "-2", False, False),
    (Operator.GREATER_THAN, ABSENT, "1", False, False),
    # Dates: ISO 8601, offsets respected, naive values in America/Toronto.
    (Operator.DATE_BEFORE, "2026-12-03", "2026-12-04", False, True),
    (Operator.DATE_BEFORE, "2026-12-04", "2026-12-03", False, False),
    (Operator.DATE_AFTER, "2026-12-04T09:30:00-05:00", "2026-12-04T14:00:00Z", False, True),
    (Operator.DATE_BEFORE, "2026-12-04T09:30:00-05:00", "2026-12-04T14:31:00+00:00", False, True),
    # Midnight in Toronto is 05:00 UTC in winter, so a naive date is after 04:00 UTC.
    (Operator.DATE_AFTER, "2026-12-04", "2026-12-04T04:00:00Z", False, True),
    (Operator.DATE_BEFORE, "2026-12-04", "2026-12-04T06:00:00Z", False, True),
    # In summer Toronto is UTC-4.
    (Operator.DATE_AFTER, "2026-07-01T00:00:00", "2026-07-01T03:59:00Z", False, True),
    (Operator.DATE_BEFORE, "2026-07-01T00:00:00", "2026-07-01T04:01:00Z", False, True),
    (Operator.DATE_BEFORE, date(2026, 1, 1), "2026-01-02", False, True),
    (Operator.DATE_AFTER, datetime(2026, 1, 2, tzinfo=UTC), "2026-01-01", False, True),
    (Operator.DATE_BEFORE, ABSENT, "2026-01-01", False, False),
    # Booleans, with French and English words.
    (Operator.IS_TRUE, "oui", None, False, True),
    (Operator.IS_TRUE, "Vrai", None, False, True),
    (Operator.IS_TRUE, " OUI ", None, False, True),
    (Operator.IS_TRUE, "yes", None, False, True),
    (Operator.IS_TRUE, "1", None, False, True),
    (Operator.IS_TRUE, True, None, False, True),
    (Operator.IS_TRUE, 2, None, False, True),
    (Operator.IS_TRUE, "non", None, False, False),
    (Operator.IS_TRUE, "faux", None, False, False),
    (Operator.IS_TRUE, 0, None, False, False),
    (Operator.IS_TRUE, ABSENT, None, False, False),
    (Operator.IS_FALSE, "non", None, False, True),
    (Operator.IS_FALSE, "faux", None, False, True),
    (Operator.IS_FALSE, False, None, False, True),
    (Operator.IS_FALSE, "oui", None, False, False),
    (Operator.IS_FALSE, "vrai", None, False, False),
    (Operator.IS_FALSE, ABSENT, None, False, False),
    # matches: a regular expression searched anywhere.
    (Operator.MATCHES, "H2X 1Y4", r"^[a-z]\d[a-z] ?\d[a-z]\d$", False, True),
    (Operator.MATCHES, "H2X 1Y4", r"^[a-z]\d[a-z] ?\d[a-z]\d$", True, False),
    (Operator.MATCHES, "commande 1234", r"\d{4}", False, True),
    (Operator.MATCHES, "commande", r"\d", False, False),
    (Operator.MATCHES, ABSENT, ".*", False, False),
]


def case_id(case: tuple[Operator, Any, Any, bool, bool]) -> str:
    operator, value, compare_to, case_sensitive, _expected = case
    sensitivity = "-cs" if case_sensitive else ""
    return f"{operator.value}{sensitivity}-{value!r}-{compare_to!r}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_operator_table(case: tuple[Operator, Any, Any, bool, bool]) -> None:
    operator, value, compare_to, case_sensitive, expected = case
    result = evaluate(operator, value, compare_to, case_sensitive=case_sensitive,
                      timezone="America/Toronto", location="step 'f'")
    assert result is expected


def test_table_covers_every_operator() -> None:
    covered = {case[0] for case in CASES}
    assert covered == set(Operator)


def test_unary_operators_need_no_compare() -> None:
    assert UNARY_OPERATORS == {
        Operator.EXISTS, Operator.NOT_EXISTS, Operator.IS_EMPTY, Operator.IS_NOT_EMPTY,
        Operator.IS_TRUE, Operator.IS_FALSE,
    }


def test_timezone_setting_changes_dates() -> None:
    in_utc = evaluate(Operator.DATE_AFTER, "2026-12-04T03:00:00", "2026-12-04T04:00:00Z",
                      timezone="UTC")
    in_toronto = evaluate(Operator.DATE_AFTER, "2026-12-04T03:00:00", "2026-12-04T04:00:00Z",
                          timezone="America/Toronto")
    assert in_utc is False
    assert in_toronto is True


def invalid_input(operator: Operator, value: Any, compare_to: Any) -> str:
    with pytest.raises(InvalidInputError) as caught:
        evaluate(operator, value, compare_to, location="step 'only_adults', conditions[0]")
    return caught.value.message.render("en")


def test_invalid_number_names_value() -> None:
    message = invalid_input(Operator.GREATER_THAN, "douze", "10")
    assert "'douze'" in message
    assert "is not a number" in message
    assert "step 'only_adults', conditions[0]" in message


def test_invalid_compare_number_names_value() -> None:
    message = invalid_input(Operator.LESS_THAN, "10", "beaucoup")
    assert "'beaucoup'" in message


def test_infinite_number_is_invalid() -> None:
    message = invalid_input(Operator.GREATER_THAN, "Infinity", "10")
    assert "'Infinity'" in message


def test_boolean_is_not_number() -> None:
    message = invalid_input(Operator.GREATER_THAN, True, "0")
    assert "True" in message


def test_invalid_date_names_value() -> None:
    message = invalid_input(Operator.DATE_BEFORE, "04/12/2026", "2026-12-05")
    assert "'04/12/2026'" in message
    assert "is not a date" in message
    assert "ISO 8601" in message


def test_invalid_regex_names_pattern() -> None:
    message = invalid_input(Operator.MATCHES, "abc", "[a-")
    assert "'[a-'" in message
    assert "not a valid regular expression" in message


def test_invalid_input_is_permanent() -> None:
    with pytest.raises(InvalidInputError) as caught:
        evaluate(Operator.GREATER_THAN, "x", "1")
    assert caught.value.transient is False


def test_resolve_missing_key_is_absent() -> None:
    renderer = TemplateRenderer()
    data = {"trigger": {"email": "a@b.ca"}, "steps": {}}
    assert resolve(renderer, "{{ trigger.phone }}", data, "here") is ABSENT


def test_resolve_keeps_native_value() -> None:
    renderer = TemplateRenderer()
    data = {"trigger": {"groups": [1, 2]}, "steps": {}}
    assert resolve(renderer, "{{ trigger.groups }}", data, "here") == [1, 2]


def test_resolve_syntax_error_raises() -> None:
    renderer = TemplateRenderer()
    with pytest.raises(TemplateError):
        resolve(renderer, "{{ trigger.email }", {"trigger": {}}, "here")


def test_resolve_sandbox_refusal_raises() -> None:
    renderer = TemplateRenderer()
    with pytest.raises(TemplateError):
        resolve(renderer, "{{ trigger.__class__ }}", {"trigger": {}}, "here")
