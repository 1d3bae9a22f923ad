"""Checks of automation documents: every problem names the step id and the field."""

from __future__ import annotations

from typing import Any

import pytest

from arrimage.connectors.registry import all_apps
from arrimage.engine.document import ActionStep, FilterStep, PathStep
from arrimage.engine.errors import DocumentError, DocumentIssue
from arrimage.engine.validation import load_document

TRIGGER = {"app": "webhook", "event": "catch_hook"}


def action(step_id: str = "notify", **input_values: Any) -> dict[str, Any]:
    return {"id": step_id, "app": "http", "action": "request",
            "input": {"url": "http://127.0.0.1:9/hook", **input_values}}


def document(*steps: dict[str, Any], trigger: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": "Test", "trigger": trigger or dict(TRIGGER), "steps": list(steps)}


def issues_of(data: Any) -> list[DocumentIssue]:
    with pytest.raises(DocumentError) as caught:
        load_document(data)
    return caught.value.issues


def only_issue(data: Any) -> tuple[str, str]:
    issues = issues_of(data)
    assert len(issues) == 1, [issue.render("en") for issue in issues]
    return issues[0].location, issues[0].message.render("en")


def test_unknown_app_suggests_name() -> None:
    location, message = only_issue(document({"id": "notify", "app": "htp", "action": "request"}))
    assert location == "step 'notify' (steps[0]), field app"
    assert "Unknown app 'htp'." in message
    assert "Did you mean 'http'?" in message


def test_unknown_trigger_app_suggests_name() -> None:
    location, message = only_issue(document(trigger={"app": "webhok", "event": "catch_hook"}))
    assert location == "trigger, field app"
    assert "Did you mean 'webhook'?" in message


def test_unknown_app_lists_known() -> None:
    _location, message = only_issue(document({"id": "notify", "app": "zzzz", "action": "x"}))
    assert f"Known: {', '.join(all_apps())}." in message


def test_unknown_action_suggests_name() -> None:
    step = {"id": "notify", "app": "http", "action": "reqest", "input": {}}
    location, message = only_issue(document(step))
    assert location == "step 'notify' (steps[0]), field action"
    assert "The app http has no action 'reqest'." in message
    assert "Did you mean 'request'?" in message


def test_search_step_checks_searches() -> None:
    step = {"id": "find", "type": "search", "app": "http", "action": "request", "input": {}}
    location, message = only_issue(document(step))
    assert location == "step 'find' (steps[0]), field action"
    assert "The app http has no search 'request'." in message


def test_unknown_trigger_event() -> None:
    location, message = only_issue(document(trigger={"app": "webhook", "event": "catch_hooks"}))
    assert location == "trigger, field event"
    assert "The app webhook has no trigger 'catch_hooks'." in message
    assert "Did you mean 'catch_hook'?" in message


def test_unknown_input_field_suggests() -> None:
    location, message = only_issue(document(action(hedaers={"X-A": "1"})))
    assert location == "step 'notify' (steps[0]), field input.hedaers"
    assert "Unknown field 'hedaers'." in message
    assert "Did you mean 'headers'?" in message


def test_unknown_trigger_input_field() -> None:
    trigger = {**TRIGGER, "input": {"signature_headr": "X-Signature"}}
    location, message = only_issue(document(trigger=trigger))
    assert location == "trigger, field input.signature_headr"
    assert "Did you mean 'signature_header'?" in message


def test_missing_required_field() -> None:
    step = {"id": "notify", "app": "http", "action": "request", "input": {"method": "GET"}}
    location, message = only_issue(document(step))
    assert location == "step 'notify' (steps[0]), field input.url"
    assert "The field url (URL) is required." in message


def test_blank_required_field() -> None:
    location, _message = only_issue(document(action(url="   ")))
    assert location == "step 'notify' (steps[0]), field input.url"


def test_invalid_choice_suggests() -> None:
    location, message = only_issue(document(action(method="GTE")))
    assert location == "step 'notify' (steps[0]), field input.method"
    assert "'GTE' is not one of the choices: GET, POST, PUT, PATCH, DELETE." in message
    assert "Did you mean 'GET'?" in message


def test_template_choice_not_checked() -> None:
    loaded = load_document(document(action(method="{{ trigger.method }}")))
    assert loaded.steps[0].id == "notify"


def test_bad_template_syntax_at_import() -> None:
    location, message = only_issue(document(action(body={"email": "{{ trigger.email }"})))
    assert location == "step 'notify' (steps[0]), field input.body"
    assert message == ("The template “{{ trigger.email }” is invalid: a “{{” is not closed by “}}”. "
                       "Add “}}” at its end, as in “{{ trigger.email }}”.")


def test_template_issue_named_by_labels() -> None:
    [issue] = issues_of(document(action(body={"email": "{{ trigger.email }}}"})))

    english = issue.render("en")
    french = issue.render("fr_CA")

    assert english.startswith("Step “HTTP request: Send an HTTP request” (notify), field “Body”: The template ")
    assert french.startswith("Étape «\u00a0Requête HTTP\u00a0: Envoyer une requête HTTP\u00a0» (notify), "
                             "champ «\u00a0Corps\u00a0»\u00a0: Le modèle ")
    for text in (english, french):
        assert "steps[0]" not in text
        assert "input.body" not in text


def test_template_issue_in_trigger_named_by_labels() -> None:
    trigger = {"app": "google_forms", "event": "new_response_api", "input": {"form_id": "{{ trigger.id"}}
    issues = [issue for issue in issues_of(document(trigger=trigger)) if issue.location == "trigger, field input.form_id"]

    assert len(issues) == 1
    assert issues[0].where_text("en") == "Trigger “Google Forms, New response (Forms API)”, field “Form”"


def test_bad_template_in_condition() -> None:
    step = {"id": "only_qc", "conditions": [
        {"value": "{{ trigger.province", "operator": "equals", "compare_to": "QC"}]}
    location, message = only_issue(document(step))
    assert location == "step 'only_qc' (steps[0]), conditions[0]"
    assert "{{ trigger.province" in message


def test_bad_template_in_branch_named_by_labels() -> None:
    step = {"id": "route", "type": "path", "branches": [
        {"name": "Québec", "conditions": [{"value": "QC", "operator": "equals", "compare_to": "{% if %}"}],
         "steps": []}]}

    [issue] = issues_of(document(step))

    assert issue.location == "step 'route' (steps[0]), branch 'Québec', conditions[0]"
    assert issue.where_text("en") == "Step “Paths” (route), branch “Québec”, field “Compared with”"
    assert issue.where_text("fr_CA") == ("Étape «\u00a0Chemins\u00a0» (route), branche «\u00a0Québec\u00a0», "
                                         "champ «\u00a0Comparée à\u00a0»")


def test_duplicate_step_ids() -> None:
    location, message = only_issue(document(action("notify"), action("notify")))
    assert location == "step 'notify' (steps[1])"
    assert "The id notify is used twice" in message


def test_duplicate_id_inside_branch() -> None:
    path = {"id": "route", "branches": [
        {"name": "Québec", "conditions": [{"value": "{{ trigger.p }}", "operator": "exists"}],
         "steps": [action("notify")]},
    ]}
    location, message = only_issue(document(action("notify"), path))
    assert location == "step 'notify' (steps[1].branches[0].steps[0])"
    assert "used twice" in message


def test_duplicate_id_across_branches() -> None:
    condition = [{"value": "{{ trigger.p }}", "operator": "exists"}]
    path = {"id": "route",
            "branches": [{"name": "a", "conditions": condition, "steps": [action("send")]}],
            "otherwise": [action("send")]}
    location, _message = only_issue(document(path))
    assert location == "step 'send' (steps[0].otherwise[0])"


def test_step_id_trigger_is_reserved() -> None:
    _location, message = only_issue(document(action("trigger")))
    assert "used twice" in message


@pytest.mark.parametrize("bad_id", ["Notify", "1st", "send-mail", "", "a" * 65])
def test_bad_step_id_format(bad_id: str) -> None:
    location, message = only_issue(document(action(bad_id)))
    assert location.endswith("field id")
    assert f"The id {bad_id!r} is invalid" in message
    assert "create_contact" in message


def test_unknown_step_type() -> None:
    location, message = only_issue(document({"id": "loop_over", "type": "loop"}))
    assert location == "step 'loop_over' (steps[0])"
    assert "Unknown step type 'loop'" in message
    assert "action, search, filter or path" in message


def test_unknown_operator() -> None:
    step = {"id": "only_qc", "conditions": [
        {"value": "{{ trigger.p }}", "operator": "equalz", "compare_to": "QC"}]}
    location, message = only_issue(document(step))
    assert location == "step 'only_qc' (steps[0]), field conditions.0.operator"
    assert "Unknown operator 'equalz'" in message
    assert "equals" in message


def test_missing_compare_to() -> None:
    step = {"id": "only_qc", "conditions": [{"value": "{{ trigger.p }}", "operator": "equals"}]}
    location, message = only_issue(document(step))
    assert location == "step 'only_qc' (steps[0]), conditions[0]"
    assert "The operator equals needs compare_to" in message


def test_missing_compare_to_in_branch() -> None:
    path = {"id": "route", "branches": [
        {"name": "big", "conditions": [{"value": "{{ trigger.n }}", "operator": "greater_than"}]}]}
    location, _message = only_issue(document(path))
    assert location == "step 'route' (steps[0]), branch 'big', conditions[0]"


def test_unary_operator_without_compare() -> None:
    step = {"id": "has_email", "conditions": [{"value": "{{ trigger.email }}", "operator": "exists"}]}
    loaded = load_document(document(step))
    assert isinstance(loaded.steps[0], FilterStep)


def test_filter_type_from_conditions() -> None:
    step = {"id": "has_email", "conditions": [{"value": "{{ trigger.email }}", "operator": "exists"}]}
    loaded = load_document(document(step))
    assert loaded.steps[0].type == "filter"


def test_path_type_from_branches() -> None:
    path = {"id": "route", "branches": [
        {"name": "a", "conditions": [{"value": "{{ trigger.p }}", "operator": "exists"}]}]}
    loaded = load_document(document(path))
    assert isinstance(loaded.steps[0], PathStep)


def test_action_type_by_default() -> None:
    loaded = load_document(document(action()))
    assert isinstance(loaded.steps[0], ActionStep)


def test_missing_action_in_branch_step() -> None:
    branch_step = {"id": "send", "app": "http", "actin": "request"}
    path = {"id": "route", "branches": [
        {"name": "a", "conditions": [{"value": "{{ trigger.p }}", "operator": "exists"}],
         "steps": [branch_step]}]}
    locations = [issue.location for issue in issues_of(document(path))]
    assert "step 'send' (steps[0].branches[0].steps[0]), field action" in locations
    assert "step 'send' (steps[0].branches[0].steps[0]), field actin" in locations


def test_unknown_document_key() -> None:
    data = {**document(), "stepz": []}
    location, message = only_issue(data)
    assert location == "stepz"
    assert "Unknown field" in message


def test_missing_name_and_trigger() -> None:
    locations = {issue.location for issue in issues_of({"steps": []})}
    assert locations == {"name", "trigger"}


def test_document_not_a_mapping() -> None:
    location, message = only_issue(["not", "a", "mapping"])
    assert location == "document"
    assert "must be a mapping" in message


def test_every_problem_reported_at_once() -> None:
    data = document(action("notify", method="GTE", hedaers={}), action("notify"))
    assert len(issues_of(data)) == 3


def test_error_text_lists_issues() -> None:
    with pytest.raises(DocumentError) as caught:
        load_document(document(action(method="GTE")))
    text = caught.value.message.render("en")
    assert text.startswith("The automation is invalid:")
    assert "- step 'notify' (steps[0]), field input.method:" in text


def test_signature_needs_connection() -> None:
    trigger = {**TRIGGER, "input": {"signature_header": "X-Signature"}}
    location, message = only_issue(document(trigger=trigger))
    assert location == "trigger, field connection"
    assert "signing secret" in message


def test_valid_nested_paths_pass() -> None:
    exists = [{"value": "{{ trigger.email }}", "operator": "exists"}]
    inner = {"id": "by_language", "branches": [
        {"name": "fr", "conditions": [
            {"value": "{{ trigger.language }}", "operator": "equals", "compare_to": "fr"}],
         "steps": [action("send_fr")]},
    ], "otherwise": [action("send_en")]}
    outer = {"id": "route", "type": "path", "branches": [
        {"name": "Québec", "match": "any", "conditions": [
            {"value": "{{ trigger.province }}", "operator": "equals", "compare_to": "QC"},
            {"value": "{{ trigger.postal_code }}", "operator": "starts_with", "compare_to": "H"}],
         "steps": [inner]},
    ], "otherwise": [action("send_other", method="PUT", body_format="form")]}
    data = document({"id": "has_email", "conditions": exists}, outer, action("log", method="GET"))

    loaded = load_document(data)

    step_ids = [step.id for _location, step in loaded.iter_steps()]
    assert step_ids == ["has_email", "route", "by_language", "send_fr", "send_en", "send_other", "log"]
    locations = [location for location, _step in loaded.iter_steps()]
    assert locations[3] == "steps[1].branches[0].steps[0].branches[0].steps[0]"
    assert locations[4] == "steps[1].branches[0].steps[0].otherwise[0]"
