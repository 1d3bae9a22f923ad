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


def contact_draft(formats: dict | None = None) -> dict:
    step = {"id": "contact", "type": "action", "app": "cyberimpact", "action": "create_contact",
            "input": {"email": "{{ trigger.email }}"}}
    if formats is not None:
        step["formats"] = formats
    return {"name": "Essai", "trigger": {"app": "webhook", "event": "catch_hook"}, "steps": [step]}


FORMATS_DEFAULTS = {"steps[0]::formats::shown": "1", "steps[0]::formats::date_order": "dmy",
                    "steps[0]::formats::default_language": ""}


def test_formats_read_from_the_form() -> None:
    form = {**FORMATS_DEFAULTS, "steps[0]::formats::date_order": "mdy",
            "steps[0]::formats::default_language": "fr_ca",
            "steps[0]::formats::province_implies_country": "yes",
            "steps[0]::formats::off::note": "yes", "steps[0]::formats::off::birthdate": "yes"}

    read = read_form(contact_draft(), form, APPS)

    assert read.document["steps"][0]["formats"] == {
        "date_order": "mdy", "default_language": "fr_ca", "province_implies_country": True,
        "off": ["birthdate", "note"]}
    assert read.problems == {}
    parsed = load_document(read.document, APPS, draft=True).steps[0]
    assert parsed.format_settings().off == frozenset({"birthdate", "note"})


def test_formats_only_changed_options_kept() -> None:
    read = read_form(contact_draft(), {**FORMATS_DEFAULTS, "steps[0]::formats::date_order": "ymd"}, APPS)

    assert read.document["steps"][0]["formats"] == {"date_order": "ymd"}


def test_formats_at_defaults_removed() -> None:
    stored = contact_draft({"off": ["note"], "date_order": "mdy", "province_implies_country": True})

    read = read_form(stored, FORMATS_DEFAULTS, APPS)

    assert "formats" not in read.document["steps"][0]


def test_formats_absent_from_form_kept() -> None:
    stored = contact_draft({"off": ["note"], "date_order": "mdy"})

    read = read_form(stored, {"steps[0]::in::first_name": "{{ trigger.prenom }}"}, APPS)

    assert read.document["steps"][0]["formats"] == {"off": ["note"], "date_order": "mdy"}


def test_formats_options_not_shown_kept() -> None:
    # "Find contact" converts only the email address, so its card offers no date order.
    stored = {"name": "Essai", "trigger": {"app": "webhook", "event": "catch_hook"},
              "steps": [{"id": "find", "type": "search", "app": "cyberimpact", "action": "find_contact",
                         "input": {}, "formats": {"date_order": "mdy"}}]}

    read = read_form(stored, {"steps[0]::formats::shown": "1", "steps[0]::formats::off::email": "yes"}, APPS)

    assert read.document["steps"][0]["formats"] == {"date_order": "mdy", "off": ["email"]}


def test_formats_invalid_choice_left_to_validation() -> None:
    read = read_form(contact_draft(), {**FORMATS_DEFAULTS, "steps[0]::formats::date_order": "dym"}, APPS)

    with pytest.raises(DocumentError) as raised:
        load_document(read.document, APPS, draft=True)
    assert raised.value.issues[0].location == "step 'contact' (steps[0]), field formats.date_order"
