"""The preview of an automation on one event: mapped and sent values, conditions, no app called."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from arrimage.connectors.cyberimpact import CREATE_CONTACT
from arrimage.engine.errors import DocumentError
from arrimage.engine.preview import AutomationPreview, StepPreview, preview_automation

TRIGGER = {"app": "webhook", "event": "catch_hook"}
CONSENT = {"relation_type": "web-contacts", "consent_proof": "Formulaire du site"}
EVENT = {
    "courriel": "Sophie.Lavoie@Example.COM", "genre": "Femme", "langue": "Français",
    "pays": "Canada", "naissance": "4 décembre 1990", "code_postal": "h2x1y4",
    "province": "QC",
}


def contact_step(step_id: str = "contact", formats: Any = None, **input_values: Any) -> dict[str, Any]:
    mapped = {
        "email": "{{ trigger.courriel }}", "gender": "{{ trigger.genre }}",
        "language": "{{ trigger.langue }}", "country": "{{ trigger.pays }}",
        "birthdate": "{{ trigger.naissance }}", "postal_code": "{{ trigger.code_postal }}",
        **CONSENT,
    }
    step: dict[str, Any] = {"id": step_id, "app": "cyberimpact", "action": "create_contact",
                            "input": {**mapped, **input_values}}
    if formats is not None:
        step["formats"] = formats
    return step


def document(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"id": "apercu", "name": "Aperçu", "trigger": dict(TRIGGER), "steps": list(steps)}


def steps_by_id(preview: AutomationPreview) -> dict[str, StepPreview]:
    return {step.step_id: step for step in preview.steps}


def sent_values(step: StepPreview) -> dict[str, Any]:
    return {field.key: field.sent for field in step.fields}


def field_of(step: StepPreview, key: str) -> Any:
    return next(field for field in step.fields if field.key == key)


def test_french_words_converted() -> None:
    preview = preview_automation(document(contact_step()), EVENT)

    step = preview.steps[0]
    assert preview.outcome == "succeeded"
    assert step.status == "ok"
    assert sent_values(step) == {
        "email": "Sophie.Lavoie@example.com", "gender": "f", "language": "fr_ca",
        "birthdate": "1990-12-04", "postal_code": "H2X 1Y4", "country": "CA",
        "relation_type": "web-contacts", "consent_proof": "Formulaire du site",
    }
    assert field_of(step, "gender").mapped == "Femme"
    assert field_of(step, "gender").normalizer == "gender"


def test_unconvertible_values_warned() -> None:
    event = {**EVENT, "genre": "Peut-être", "naissance": "29/02/2023"}
    preview = preview_automation(document(contact_step()), event)

    step = preview.steps[0]
    assert preview.outcome == "succeeded"
    assert step.status == "warning"
    assert field_of(step, "gender").sent is None
    assert [message.code for message in field_of(step, "gender").warnings] == ["gender.unknown"]
    assert [message.code for message in field_of(step, "birthdate").warnings] == [
        "birthdate.impossible"]


def test_formats_off_sends_raw_value() -> None:
    event = {**EVENT, "naissance": " 04/12/1990 "}
    preview = preview_automation(document(contact_step(formats={"off": ["birthdate"]})), event)

    birthdate = field_of(preview.steps[0], "birthdate")
    assert birthdate.mapped == " 04/12/1990 "
    assert birthdate.sent == "04/12/1990"
    assert birthdate.off is True
    assert birthdate.warnings == []


def test_formats_options_change_values() -> None:
    event = {**EVENT, "naissance": "04/12/1990", "langue": "Espagnol", "pays": "Québec"}
    formats = {"date_order": "mdy", "default_language": "en_ca", "province_implies_country": True}
    preview = preview_automation(document(contact_step(formats=formats)), event)

    sent = sent_values(preview.steps[0])
    assert sent["birthdate"] == "1990-04-12"
    assert sent["language"] == "en_ca"
    assert sent["country"] == "CA"


def test_invalid_email_fails_step() -> None:
    preview = preview_automation(document(contact_step()), {**EVENT, "courriel": "sophie@"})

    step = preview.steps[0]
    assert preview.outcome == "failed"
    assert preview.stopped_at == "contact"
    assert step.status == "error"
    assert [message.code for message in field_of(step, "email").errors] == ["email.invalid"]


def test_missing_key_shown_on_field() -> None:
    preview = preview_automation(document(contact_step(first_name="{{ trigger.prenom }}")), EVENT)

    first_name = field_of(preview.steps[0], "first_name")
    assert preview.outcome == "failed"
    assert first_name.evaluated is False
    assert first_name.sent is None
    assert first_name.errors[0].code == "template_error"
    assert "prenom" in first_name.errors[0].render("en")
    assert field_of(preview.steps[0], "gender").sent == "f"


def test_required_field_empty_after_mapping() -> None:
    preview = preview_automation(document(contact_step()), {**EVENT, "courriel": "  "})

    email = field_of(preview.steps[0], "email")
    assert [message.code for message in email.errors] == ["invalid_input"]
    assert "empty after mapping" in email.errors[0].render("en")


def test_later_step_reads_sample_output() -> None:
    find = {"id": "find", "type": "search", "app": "cyberimpact", "action": "find_contact",
            "input": {"email": "{{ steps.contact.contact.email }}"}}
    preview = preview_automation(document(contact_step(), find), EVENT)

    steps = steps_by_id(preview)
    assert steps["contact"].sample_output == dict(CREATE_CONTACT.sample)
    assert field_of(steps["find"], "email").sent == CREATE_CONTACT.sample["contact"]["email"]


def test_filter_stops_preview() -> None:
    quebec_only = {"id": "quebec_only", "type": "filter", "conditions": [
        {"value": "{{ trigger.province }}", "operator": "equals", "compare_to": "QC"}]}
    preview = preview_automation(document(quebec_only, contact_step()), {**EVENT, "province": "ON"})

    assert preview.outcome == "filtered"
    assert preview.stopped_at == "quebec_only"
    assert [step.step_id for step in preview.steps] == ["quebec_only"]
    assert preview.steps[0].status == "filtered"
    assert preview.steps[0].conditions[0]["value"] == "ON"


def test_filter_passes_then_continues() -> None:
    quebec_only = {"id": "quebec_only", "type": "filter", "conditions": [
        {"value": "{{ trigger.province }}", "operator": "equals", "compare_to": "QC"}]}
    preview = preview_automation(document(quebec_only, contact_step()), EVENT)

    assert [step.step_id for step in preview.steps] == ["quebec_only", "contact"]
    assert preview.steps[0].passed is True


def test_path_takes_matching_branch() -> None:
    path = {"id": "route", "type": "path", "branches": [
        {"name": "anglophone",
         "conditions": [{"value": "{{ trigger.langue }}", "operator": "equals", "compare_to": "English"}],
         "steps": [contact_step("english_contact")]},
        {"name": "francophone",
         "conditions": [{"value": "{{ trigger.langue }}", "operator": "equals", "compare_to": "Français"}],
         "steps": [contact_step("french_contact")]},
    ], "otherwise": [contact_step("other_contact")]}
    preview = preview_automation(document(path, contact_step("after")), EVENT)

    steps = steps_by_id(preview)
    assert list(steps) == ["route", "french_contact", "after"]
    assert steps["route"].branch == "francophone"
    assert [branch.passed for branch in steps["route"].branches] == [False, True]
    assert steps["french_contact"].location == "steps[0].branches[1].steps[0]"


def test_path_without_match_runs_otherwise() -> None:
    path = {"id": "route", "type": "path", "branches": [
        {"name": "anglophone",
         "conditions": [{"value": "{{ trigger.langue }}", "operator": "equals", "compare_to": "English"}],
         "steps": [contact_step("english_contact")]},
    ], "otherwise": [contact_step("other_contact")]}
    preview = preview_automation(document(path), EVENT)

    steps = steps_by_id(preview)
    assert list(steps) == ["route", "other_contact"]
    assert steps["route"].branch is None
    assert steps["other_contact"].location == "steps[0].otherwise[0]"


def test_condition_error_stops_with_message() -> None:
    bad = {"id": "big_order", "type": "filter", "conditions": [
        {"value": "{{ trigger.langue }}", "operator": "greater_than", "compare_to": 10}]}
    preview = preview_automation(document(bad, contact_step()), EVENT)

    assert preview.outcome == "failed"
    assert [step.step_id for step in preview.steps] == ["big_order"]
    assert preview.steps[0].status == "error"
    assert preview.steps[0].errors


def test_event_fields_available() -> None:
    moment = datetime(2026, 3, 31, 14, 0, tzinfo=UTC)
    step = contact_step(consent_date="{{ event.received_at }}", note="{{ event.id }}")
    preview = preview_automation(document(step), EVENT, received_at=moment)

    assert field_of(preview.steps[0], "consent_date").sent == "2026-03-31T14:00:00+00:00"
    assert field_of(preview.steps[0], "note").sent == "preview"


def test_invalid_document_raises() -> None:
    with pytest.raises(DocumentError):
        preview_automation(document(contact_step(gender="Peut-être")), EVENT)


def test_to_dict_is_json_in_both_languages() -> None:
    preview = preview_automation(document(contact_step()), {**EVENT, "genre": "Peut-être"})

    english = preview.to_dict("en")
    french = preview.to_dict("fr_CA")
    json.dumps(english)
    step = english["steps"][0]
    gender = next(field for field in step["fields"] if field["key"] == "gender")
    french_gender = next(field for field in french["steps"][0]["fields"] if field["key"] == "gender")
    assert english["automation"] == {"id": "apercu", "name": "Aperçu"}
    assert set(step) >= {"id", "type", "status", "app", "operation", "fields", "sample_output", "note"}
    assert gender["label"] == "Gender"
    assert french_gender["label"] == "Genre"
    assert gender["warnings"][0]["message"].startswith('"Peut-être" is not a gender')
    assert french_gender["warnings"][0]["message"].startswith("«\u00a0Peut-être\u00a0»")
    assert "sample output" in step["note"]


def test_format_filter_in_text_warned() -> None:
    step = contact_step(note="Pays : {{ trigger.origine | country }}")
    preview = preview_automation(document(step), {**EVENT, "origine": "Québec"})

    contact = preview.steps[0]
    note = field_of(contact, "note")
    assert note.sent == "Pays : Québec"
    assert [message.code for message in note.warnings] == ["country.province_not_country"]
    assert "country filter" in note.warnings[0].render("en")
    assert contact.status == "warning"
    assert preview.outcome == "succeeded"
