"""The editor's form model without a server: reading inputs back, structural changes, data paths,
and drafts in the validation."""

from __future__ import annotations

import pytest

from arrimage.connectors.registry import all_apps
from arrimage.engine.errors import DocumentError
from arrimage.engine.validation import load_document
from arrimage.i18n import use_locale
from arrimage.web.editor.form import apply_change, field_mode, iter_locations, new_step_id, read_form
from arrimage.web.editor.samples import data_paths

APPS = all_apps()


def optin_draft() -> dict:
    return {"name": "Essai", "trigger": {"app": "webhook", "event": "catch_hook"},
            "steps": [{"id": "send_optin", "type": "action", "app": "cyberimpact", "action": "send_optin",
                       "connection": "cyberimpact", "input": {"note": "gardée"}}]}


def test_inputs_absent_from_the_form_keep_their_values() -> None:
    read = read_form(optin_draft(), {"steps[0]::in::email": " {{ trigger.email }} "}, APPS)

    assert read.document["steps"][0]["input"] == {"note": "gardée", "email": "{{ trigger.email }}"}
    assert read.problems == {}


def test_fixed_boolean_and_integer_values() -> None:
    document = {"name": "x", "trigger": {"app": "webhook", "event": "catch_hook"},
                "steps": [{"id": "request", "type": "action", "app": "http", "action": "request", "input": {}}]}
    fields = {field.key: field for field in APPS["http"].operation("action", "request").fields}

    read = read_form(document, {"steps[0]::in::url": "http://127.0.0.1:9/", "steps[0]::in::headers": '{"X-A": "1"}'}, APPS)

    assert read.document["steps"][0]["input"] == {"url": "http://127.0.0.1:9/", "headers": {"X-A": "1"}}
    assert field_mode(fields["url"], "{{ trigger.url }}") == "mapped"


def test_clearing_the_connection() -> None:
    read = read_form(optin_draft(), {"steps[0]::connection": ""}, APPS)

    assert "connection" not in read.document["steps"][0]


def test_new_step_ids_are_unique() -> None:
    document = optin_draft()

    assert new_step_id(document, "send_optin") == "send_optin_2"
    assert new_step_id(document, "Trouver contact!") == "trouver_contact"
    assert new_step_id(document, "2fa") == "step_2fa"


def test_changes_on_nested_lists() -> None:
    document = optin_draft()
    with use_locale("en"):
        assert apply_change(document, "add:steps", {"add::steps": "path"}, APPS)
        assert apply_change(document, "add:steps[1].otherwise", {"add::steps[1].otherwise": "filter"}, APPS)
        assert apply_change(document, "add_branch:steps[1]", {}, APPS)

    assert [branch["name"] for branch in document["steps"][1]["branches"]] == ["Path A", "Path B"]
    assert [location for location, _step in iter_locations(document["steps"])] == [
        "steps[0]", "steps[1]", "steps[1].otherwise[0]"]
    assert not apply_change(document, "remove_condition:steps[1].otherwise[0]:0", {}, APPS)  # keeps one
    assert not apply_change(document, "add:steps", {"add::steps": "action:nope.nothing"}, APPS)
    assert not apply_change(document, "explode:steps[0]", {}, APPS)
    assert not apply_change(document, "down:steps[1]", {}, APPS)


def test_data_paths_quote_keys_that_are_not_names() -> None:
    paths = data_paths({"answers": {"Prénom": "Éloïse", "J'accepte": ["Oui"]}, "items": [{"sku": "A1"}]}, "trigger")

    assert [path.template for path in paths] == [
        "{{ trigger.answers['Prénom'] }}", '{{ trigger.answers["J\'accepte"] }}', "{{ trigger.items[0].sku }}"]
    assert paths[0].example == "Éloïse"


def test_draft_skips_only_missing_values() -> None:
    document = optin_draft()
    document["steps"][0]["input"]["email"] = "{{ trigger.email "

    with pytest.raises(DocumentError) as raised:
        load_document(document, APPS, draft=True)
    del document["steps"][0]["input"]["email"]
    draft = load_document(document, APPS, draft=True)

    assert "{{ trigger.email" in raised.value.issues[0].message.render("en")
    assert draft.steps[0].id == "send_optin"
    with pytest.raises(DocumentError):
        load_document(document, APPS)
