"""A step's formats: block, and fixed French words in choice fields, checked at validation."""

from __future__ import annotations

from typing import Any, get_args

import pytest
import yaml

from arrimage.catalogue import describe_field
from arrimage.connectors.context import FormatSettings
from arrimage.connectors.cyberimpact import APP as CYBERIMPACT
from arrimage.connectors.declaration import OperationKind
from arrimage.connectors.registry import all_apps
from arrimage.engine.document import (
    CONTACT_LANGUAGES,
    DATE_ORDERS,
    ActionStep,
    Formats,
    parse_document,
)
from arrimage.engine.errors import DocumentError, DocumentIssue
from arrimage.engine.validation import load_document
from arrimage.normalize import NORMALIZERS

TRIGGER = {"app": "webhook", "event": "catch_hook"}
CONSENT = {"relation_type": "web-contacts", "consent_proof": "Formulaire du site"}


def contact_step(formats: Any = None, **input_values: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"id": "contact", "app": "cyberimpact", "action": "create_contact",
                            "input": {"email": "{{ trigger.email }}", **CONSENT, **input_values}}
    if formats is not None:
        step["formats"] = formats
    return step


def document(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Formats", "trigger": dict(TRIGGER), "steps": list(steps)}


def issues_of(data: Any) -> list[DocumentIssue]:
    with pytest.raises(DocumentError) as caught:
        load_document(data)
    return caught.value.issues


def only_issue(data: Any, locale: str = "en") -> tuple[str, str]:
    issues = issues_of(data)
    assert len(issues) == 1, [issue.render("en") for issue in issues]
    return issues[0].location, issues[0].message.render(locale)


def first_step(data: dict[str, Any]) -> ActionStep:
    step = load_document(data).steps[0]
    assert isinstance(step, ActionStep)
    return step


# The formats: block

def test_formats_block_read_from_yaml() -> None:
    text = """
name: Formats
trigger: {app: webhook, event: catch_hook}
steps:
  - id: contact
    app: cyberimpact
    action: create_contact
    formats:
      off: [birthdate]
      date_order: MDY
      default_language: fr_ca
      province_implies_country: true
    input: {email: "{{ trigger.email }}", relation_type: web-contacts, consent_proof: Site}
"""
    step = first_step(yaml.safe_load(text))

    assert step.format_settings() == FormatSettings(
        off=frozenset({"birthdate"}), date_order="mdy", default_language="fr_ca",
        province_implies_country=True)


def test_formats_absent_gives_defaults() -> None:
    step = first_step(document(contact_step()))
    assert step.formats is None
    assert step.format_settings() == FormatSettings()


def test_formats_off_accepts_one_name() -> None:
    step = first_step(document(contact_step(formats={"off": "birthdate"})))
    assert step.format_settings().off == frozenset({"birthdate"})


def test_formats_stored_form_round_trips() -> None:
    parsed = parse_document(document(contact_step(formats={"off": ["gender"], "date_order": "ymd"})))
    stored = parsed.model_dump(mode="json", exclude_none=True)
    exported = yaml.safe_dump(stored, allow_unicode=True, sort_keys=False)

    again = first_step(yaml.safe_load(exported))
    assert stored["steps"][0]["formats"]["off"] == ["gender"]
    assert again.format_settings().off == frozenset({"gender"})
    assert again.format_settings().date_order == "ymd"


def test_step_without_formats_stores_none() -> None:
    stored = parse_document(document(contact_step())).model_dump(mode="json", exclude_none=True)
    assert "formats" not in stored["steps"][0]


def test_formats_unknown_key_rejected() -> None:
    location, message = only_issue(document(contact_step(formats={"date_ordre": "mdy"})))
    assert location == "step 'contact' (steps[0]), field formats.date_ordre"
    assert "Unknown field" in message


def test_formats_bad_date_order_lists_choices() -> None:
    location, message = only_issue(document(contact_step(formats={"date_order": "dym"})))
    assert location == "step 'contact' (steps[0]), field formats.date_order"
    assert message == "'dym' is not one of the choices: dmy, mdy, ymd."


def test_format_choices_match_model() -> None:
    language_type = get_args(Formats.model_fields["default_language"].annotation)[0]
    assert get_args(Formats.model_fields["date_order"].annotation) == DATE_ORDERS
    assert get_args(language_type) == CONTACT_LANGUAGES


def test_formats_bad_language_in_french() -> None:
    _location, message = only_issue(
        document(contact_step(formats={"default_language": "es"})), locale="fr_CA")
    assert message == "'es' ne fait pas partie des choix possibles\u00a0: fr_ca, en_ca."


def test_formats_bad_boolean_named() -> None:
    location, message = only_issue(
        document(contact_step(formats={"province_implies_country": "peut-être"})))
    assert location == "step 'contact' (steps[0]), field formats.province_implies_country"
    assert message == "Invalid value 'peut-être': write true or false."


def test_formats_off_unknown_field_suggests() -> None:
    location, message = only_issue(document(contact_step(formats={"off": ["birthdat"]})))
    assert location == "step 'contact' (steps[0]), field formats.off"
    assert "Unknown field 'birthdat'." in message
    assert "Did you mean 'birthdate'?" in message


def test_formats_off_field_without_conversion() -> None:
    location, message = only_issue(document(contact_step(formats={"off": ["relation_type"]})))
    assert location == "step 'contact' (steps[0]), field formats.off"
    assert "The field 'relation_type' has no conversion to turn off." in message
    assert "email, first_name, last_name, gender, language" in message


def test_formats_on_step_without_conversions() -> None:
    step = {"id": "notify", "app": "http", "action": "request",
            "input": {"url": "http://127.0.0.1:9/hook"}, "formats": {"date_order": "mdy"}}
    location, message = only_issue(document(step))
    assert location == "step 'notify' (steps[0]), field formats"
    assert "formats: has no effect" in message


def test_formats_inside_branch_checked() -> None:
    path = {"id": "route", "type": "path", "branches": [{
        "name": "quebec",
        "conditions": [{"value": "{{ trigger.province }}", "operator": "equals", "compare_to": "QC"}],
        "steps": [contact_step(formats={"off": ["zzz"]})],
    }]}
    location, _message = only_issue(document(path))
    assert location == "step 'contact' (steps[0].branches[0].steps[0]), field formats.off"


# Fixed values of choice fields

@pytest.mark.parametrize(("key", "value"), [
    ("gender", "Femme"), ("gender", "Homme"), ("gender", "f"),
    ("language", "Français"), ("language", "English"), ("language", "fr_ca"),
])
def test_choice_word_converted_is_accepted(key: str, value: str) -> None:
    step = first_step(document(contact_step(**{key: value})))
    assert step.input[key] == value


def test_unconvertible_gender_rejected_with_reason() -> None:
    location, message = only_issue(document(contact_step(gender="Peut-être")))
    assert location == "step 'contact' (steps[0]), field input.gender"
    assert message.startswith(
        "'Peut-être' is not one of the choices (f, m, o), and Arrimage cannot convert it.")
    assert '"Peut-être" is not a gender Arrimage recognizes' in message


def test_unconvertible_gender_reason_in_french() -> None:
    _location, message = only_issue(document(contact_step(gender="Peut-être")), locale="fr_CA")
    assert message.startswith("'Peut-être' ne fait pas partie des choix possibles (f, m, o)")
    assert "«\u00a0Peut-être\u00a0» n’est pas un genre reconnu par Arrimage" in message


def test_unsupported_language_rejected_with_choices() -> None:
    _location, message = only_issue(document(contact_step(language="Espagnol")))
    assert "(fr_ca, en_ca)" in message
    assert "Cyberimpact does not offer" in message


def test_default_language_accepts_other_language() -> None:
    data = document(contact_step(formats={"default_language": "en_ca"}, language="Espagnol"))
    assert first_step(data).input["language"] == "Espagnol"


def test_choice_conversion_off_rejects_word() -> None:
    _location, message = only_issue(document(contact_step(formats={"off": ["gender"]}, gender="Femme")))
    assert message.startswith("'Femme' is not one of the choices: f, m, o.")
    assert "turns off the conversion of this field" in message


def test_choice_template_still_unchecked() -> None:
    step = first_step(document(contact_step(gender="{{ trigger.genre }}")))
    assert step.input["gender"] == "{{ trigger.genre }}"


def test_choice_without_normalizer_unchanged() -> None:
    step = {"id": "notify", "app": "http", "action": "request",
            "input": {"url": "http://127.0.0.1:9/hook", "method": "Envoyer"}}
    _location, message = only_issue(document(step))
    assert message.startswith("'Envoyer' is not one of the choices: GET, POST")


# Field declarations

def test_contact_fields_declare_normalizers() -> None:
    operation = CYBERIMPACT.operation(OperationKind.ACTION, "create_contact")
    assert operation is not None
    kinds = {field.key: field.normalizer for field in operation.fields}
    assert kinds["email"] == "email"
    assert kinds["gender"] == "gender"
    assert kinds["language"] == "language"
    assert kinds["birthdate"] == "birthdate"
    assert kinds["country"] == "country"
    assert kinds["postal_code"] == "postal_code"
    assert kinds["first_name"] == kinds["last_name"] == kinds["company"] == kinds["note"] == "text"
    assert kinds["relation_type"] is None
    assert kinds["groups"] is None


def test_every_declared_normalizer_exists() -> None:
    unknown = [
        f"{app.key}.{operation.key}.{field.key}: {field.normalizer!r}"
        for app in all_apps().values()
        for operation in (*app.triggers, *app.actions, *app.searches)
        for field in operation.fields
        if field.normalizer is not None and field.normalizer not in NORMALIZERS
    ]
    assert unknown == []


def test_catalogue_describes_normalizer() -> None:
    operation = CYBERIMPACT.operation(OperationKind.ACTION, "create_contact")
    assert operation is not None
    gender = operation.field("gender")
    relation_type = operation.field("relation_type")
    assert gender is not None and relation_type is not None
    assert describe_field(gender, "en")["normalizer"] == "gender"
    assert describe_field(relation_type, "en")["normalizer"] is None
