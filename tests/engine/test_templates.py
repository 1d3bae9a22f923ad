"""Mapping templates: native values, text rendering, missing keys and the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from arrimage.engine.errors import TemplateError
from arrimage.engine.templates import TemplateRenderer, default_filters
from arrimage.normalize import Message

LOCATION = "step 'notify', field 'body'"


@pytest.fixture
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


@pytest.fixture
def data() -> dict[str, Any]:
    return {
        "trigger": {
            "email": "eloise@exemple.ca",
            "groups": [3, 7],
            "count": 42,
            "answers": {"email": "eloise@exemple.ca", "consent": "oui"},
            "items": ["a", "b"],
            "keys": "valeur",
            "zero": 0,
        },
        "steps": {"find": {"id": 12, "tags": ["vip"]}},
    }


def render_error(renderer: TemplateRenderer, template: Any, data: dict[str, Any]) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        renderer.render(template, data, LOCATION)
    return caught.value


def english(error: TemplateError) -> str:
    return error.message.render("en")


def test_single_expression_keeps_list(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    assert renderer.render("{{ trigger.groups }}", data, LOCATION) == [3, 7]


def test_single_expression_keeps_int(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    result = renderer.render("  {{ trigger.count }} ", data, LOCATION)
    assert result == 42
    assert isinstance(result, int)


def test_single_expression_keeps_dict(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    assert renderer.render("{{ steps.find }}", data, LOCATION) == {"id": 12, "tags": ["vip"]}


def test_mixed_text_renders_string(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    assert renderer.render("Total: {{ trigger.count }}", data, LOCATION) == "Total: 42"


def test_two_expressions_render_text(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    result = renderer.render("{{ trigger.count }}{{ steps.find.id }}", data, LOCATION)
    assert result == "4212"


def test_statement_block_renders_text(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    template = "{% for group in trigger.groups %}{{ group }};{% endfor %}"
    assert renderer.render(template, data, LOCATION) == "3;7;"


def test_plain_text_unchanged(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    assert renderer.render("no template here", data, LOCATION) == "no template here"


def test_non_string_values_unchanged(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    assert renderer.render(5, data, LOCATION) == 5
    assert renderer.render(None, data, LOCATION) is None
    assert renderer.render(True, data, LOCATION) is True


def test_nested_dict_and_list_inputs(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    value = {
        "contact": {"email": "{{ trigger.email | upper }}", "groups": "{{ trigger.groups }}"},
        "tags": ["fixed", "{{ steps.find.tags[0] }}", {"n": "{{ trigger.count }}"}],
    }
    result = renderer.render(value, data, LOCATION)
    assert result == {
        "contact": {"email": "ELOISE@EXEMPLE.CA", "groups": [3, 7]},
        "tags": ["fixed", "vip", {"n": 42}],
    }


def test_dict_key_items_beats_method(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    assert renderer.render("{{ trigger.items }}", data, LOCATION) == ["a", "b"]


def test_dict_key_keys_beats_method(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    assert renderer.render("{{ trigger.keys }}", data, LOCATION) == "valeur"


def test_default_filter_on_missing(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    assert renderer.render("{{ trigger.phone | default('') }}", data, LOCATION) == ""
    assert renderer.render("{{ trigger.answers.phone | default('none') }}", data, LOCATION) == "none"


def test_default_filter_in_text(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    result = renderer.render("Tel: {{ trigger.phone | default('-') }}", data, LOCATION)
    assert result == "Tel: -"


def test_is_defined_test_on_missing(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    assert renderer.render("{{ trigger.phone is defined }}", data, LOCATION) is False


def test_missing_key_names_parent_path(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{{ trigger.answers.emial }}", data)
    message = english(error)
    assert "trigger.answers has no key 'emial'" in message
    assert "{{ trigger.answers.emial }}" in message
    assert LOCATION in message
    assert error.details["missing"] == "trigger.answers.emial"
    assert error.details["location"] == LOCATION
    assert error.details["template"] == "{{ trigger.answers.emial }}"


def test_missing_key_in_text_template(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "Hello {{ trigger.answers.emial }}", data)
    assert "trigger.answers has no key 'emial'" in english(error)


def test_missing_key_location_in_nested_dict(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, {"contact": {"email": "{{ trigger.emial }}"}}, data)
    assert error.details["location"] == f"{LOCATION}.contact.email"
    assert "trigger has no key 'emial'" in english(error)


def test_missing_step_output(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{{ steps.create_contact.id }}", data)
    assert "steps has no key 'create_contact'" in english(error)
    assert error.details["missing"] == "steps.create_contact"


def test_missing_key_of_step_output(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{{ steps.find.name }}", data)
    assert "steps.find has no key 'name'" in english(error)


def test_list_index_out_of_range(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{{ trigger.groups[5] }}", data)
    assert "trigger.groups has no key 5" in english(error)
    assert error.details["missing"] == "trigger.groups.5"


def test_syntax_error_names_template(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{{ trigger.email }", data)
    message = english(error)
    assert "{{ trigger.email }" in message
    assert LOCATION in message
    assert "invalid" in message
    assert "missing" not in error.details


def test_unclosed_block_is_syntax_error(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{% if trigger.email %}yes", data)
    assert "invalid" in english(error)


def test_check_reports_syntax_errors(renderer: TemplateRenderer) -> None:
    problems = renderer.check({"a": "{{ ok }}", "b": ["{{ broken }", "plain"]})
    assert len(problems) == 1
    assert problems[0][0] == "{{ broken }"
    assert "a “{{” is not closed by “}}”" in problems[0][1].render("en")


def check_message(renderer: TemplateRenderer, template: str, locale: str = "en") -> str:
    problems = renderer.check(template)
    assert len(problems) == 1, f"{template!r} gave {len(problems)} problems"
    return problems[0][1].render(locale)


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ trigger.email",
     "The template “{{ trigger.email” is invalid: a “{{” is not closed by “}}”. "
     "Add “}}” at its end, as in “{{ trigger.email }}”."),
    ("{{ trigger.email }}}",
     "The template “{{ trigger.email }}}” is invalid: there is an extra “}” after “}}”. Remove the extra “}”."),
    ("{% if %}",
     "The template “{% if %}” is invalid: the tag “{% if %}” is incomplete. "
     "Complete it, as in “{% if trigger.email %}”."),
    ("{{ trigger.email } }}",
     "The template “{{ trigger.email } }}” is invalid: unexpected “}”. Remove it: a value ends with “}}”."),
    ("{% if trigger.email %}oui",
     "The template “{% if trigger.email %}oui” is invalid: the “{% if %}” block is not closed. "
     "Add “{% endif %}” where the block ends."),
    ("{% for x in y %}{% endif %}",
     "The template “{% for x in y %}{% endif %}” is invalid: “{% endif %}” does not belong to the open "
     "“{% for %}” block. Close the “{% for %}” block with “{% endfor %}” first, or remove “{% endif %}”."),
    ("{% endif %}{{ x }}",
     "The template “{% endif %}{{ x }}” is invalid: “{% endif %}” has no “{% if … %}” before it. "
     "Remove it, or add the “{% if … %}” that it belongs to before it."),
    ("{% iff x %}{{ x }}",
     "The template “{% iff x %}{{ x }}” is invalid: “{% iff %}” is not a known tag. "
     "Check its spelling: did you mean “{% if %}”?"),
    ("{{ }}",
     "The template “{{ }}” is invalid: nothing is written between “{{” and “}}”. "
     "Write the name of a value there, as in “{{ trigger.email }}”, or remove them."),
    ("{{ trigger.email | }}",
     "The template “{{ trigger.email | }}” is invalid: the expression stops before it is complete. "
     "Complete it, or remove the operator or “|” that ends it."),
    ("{{ 'abc }}",
     "The template “{{ 'abc }}” is invalid: a text in quotes has no closing “'”. Add “'” at the end of the text."),
    ("{{ trigger['a' }}",
     "The template “{{ trigger['a' }}” is invalid: a “[” is not closed by “]”. Add the missing “]”."),
    ("{{ trigger..email }}",
     "The template “{{ trigger..email }}” is invalid: a name is missing after a dot. "
     "Write the key after the dot, or remove the extra dot, as in “trigger.email”."),
    ("{% if a = b %}x{% endif %}",
     "The template “{% if a = b %}x{% endif %}” is invalid: a single “=” cannot compare two values. "
     "Write “==” to compare, as in “{% if trigger.province == 'QC' %}”."),
    ("{{ trigger.email@ }}",
     "The template “{{ trigger.email@ }}” is invalid: the character “@” cannot be used there. To read a key "
     "that contains it, write the key in brackets and quotes, as in “trigger['key@name']”."),
])
def test_check_explains_syntax_error(renderer: TemplateRenderer, template: str, expected: str) -> None:
    assert check_message(renderer, template) == expected


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ trigger.email",
     "Le modèle «\u00a0{{ trigger.email\u00a0» n’est pas valide\u00a0: un «\u00a0{{\u00a0» n’est pas fermé par "
     "«\u00a0}}\u00a0». Ajoutez «\u00a0}}\u00a0» à la fin, comme dans «\u00a0{{ trigger.email }}\u00a0»."),
    ("{{ trigger.email }}}",
     "Le modèle «\u00a0{{ trigger.email }}}\u00a0» n’est pas valide\u00a0: il y a un «\u00a0}\u00a0» de trop après "
     "«\u00a0}}\u00a0». Retirez le «\u00a0}\u00a0» de trop."),
    ("{% if %}",
     "Le modèle «\u00a0{% if %}\u00a0» n’est pas valide\u00a0: la balise «\u00a0{% if %}\u00a0» est incomplète. "
     "Complétez-la, comme dans «\u00a0{% if trigger.email %}\u00a0»."),
    ("{{ trigger.email } }}",
     "Le modèle «\u00a0{{ trigger.email } }}\u00a0» n’est pas valide\u00a0: «\u00a0}\u00a0» inattendu. "
     "Retirez-le\u00a0: une valeur se termine par «\u00a0}}\u00a0»."),
])
def test_check_explains_syntax_error_in_french(renderer: TemplateRenderer, template: str, expected: str) -> None:
    assert check_message(renderer, template, "fr_CA") == expected


def test_check_accepts_brace_closing_json_text(renderer: TemplateRenderer) -> None:
    assert renderer.check('{"email": {{ trigger.email | tojson }}}') == []
    assert renderer.check("{% raw %}}}}{% endraw %}{{ trigger.email }}") == []


def test_check_names_line_of_long_text(renderer: TemplateRenderer) -> None:
    template = "Bonjour {{ trigger.prenom }},\nvotre commande {{ trigger.order.id }\nMerci"

    message = check_message(renderer, template)

    assert message.startswith("The template “votre commande {{ trigger.order.id }” is invalid on line 2: ")
    assert "Bonjour" not in message


def test_check_cuts_long_template(renderer: TemplateRenderer) -> None:
    template = "x" * 200 + " {{ trigger.email"

    message = check_message(renderer, template)

    excerpt = message.split("”")[0].removeprefix("The template “")
    assert excerpt.startswith("…")
    assert excerpt.endswith("{{ trigger.email")
    assert len(excerpt) <= 61


def test_unknown_filter_suggests_name(data: dict[str, Any]) -> None:
    renderer = TemplateRenderer(default_filters())

    error = render_error(renderer, "{{ trigger.email | lowr }}", data)

    assert english(error) == (f"{LOCATION}: The template “{{{{ trigger.email | lowr }}}}” is invalid: there is no "
                              "filter named “lowr”. Check its spelling: did you mean “lower”?")
    assert "No filter named" not in error.message.render("fr_CA")


def test_sandbox_blocks_class_access(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{{ trigger.__class__ }}", data)
    assert "unsafe" in english(error)
    assert "missing" not in error.details


def test_sandbox_blocks_subclasses(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{{ ''.__class__.__mro__[1].__subclasses__() }}", data)
    assert "unsafe" in english(error)


def test_sandbox_blocks_in_text(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "x {{ trigger.email.__class__ }}", data)
    assert "unsafe" in english(error)


def test_division_by_zero_is_template_error(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{{ trigger.count / trigger.zero }}", data)
    message = english(error)
    assert "division by zero" in message
    assert LOCATION in message


def test_type_error_is_template_error(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{{ trigger.email + trigger.count }}", data)
    assert "{{ trigger.email + trigger.count }}" in english(error)


def test_error_is_permanent(renderer: TemplateRenderer, data: dict[str, Any]) -> None:
    error = render_error(renderer, "{{ trigger.nope }}", data)
    assert error.transient is False
    assert error.code == "template_error"


def test_custom_filter_is_available(data: dict[str, Any]) -> None:
    renderer = TemplateRenderer({"shout": lambda text: f"{text}!"})
    assert renderer.render("{{ trigger.keys | shout }}", data, LOCATION) == "valeur!"


@pytest.fixture
def formats() -> TemplateRenderer:
    return TemplateRenderer(default_filters())


COUNTRY_DATA = {"trigger": {"pays": "Québec", "vide": "", "canada": "Canada"}}


def test_format_filter_in_text_keeps_value(formats: TemplateRenderer) -> None:
    rendered = formats.render("Pays : {{ trigger.pays | country }}", COUNTRY_DATA, LOCATION)
    assert rendered == "Pays : Québec"


def test_format_filter_in_text_empty_value(formats: TemplateRenderer) -> None:
    rendered = formats.render("Pays : {{ trigger.vide | country }}.", COUNTRY_DATA, LOCATION)
    assert rendered == "Pays : ."


def test_format_filter_in_text_converts(formats: TemplateRenderer) -> None:
    rendered = formats.render("Pays : {{ trigger.canada | country }}", COUNTRY_DATA, LOCATION)
    assert rendered == "Pays : CA"


def test_format_filter_alone_gives_none(formats: TemplateRenderer) -> None:
    assert formats.render("{{ trigger.pays | country }}", COUNTRY_DATA, LOCATION) is None


def test_unconverted_value_is_false_in_text(formats: TemplateRenderer) -> None:
    template = "{% if trigger.pays | country %}pays{% else %}aucun{% endif %}"
    assert formats.render(template, COUNTRY_DATA, LOCATION) == "aucun"


def test_format_filter_messages_collected(formats: TemplateRenderer) -> None:
    in_text: list[Message] = []
    alone: list[Message] = []

    formats.render("Pays : {{ trigger.pays | country }}", COUNTRY_DATA, LOCATION, filter_messages=in_text)
    formats.render("{{ trigger.pays | country }}", COUNTRY_DATA, LOCATION, filter_messages=alone)

    assert [message.code for message in in_text] == ["country.province_not_country"]
    assert "keeps it as it was" in in_text[0].render("en")
    assert "Québec" in in_text[0].render("en")
    assert [message.code for message in alone] == ["country.province_not_country"]
    assert "keeps it as it was" not in alone[0].render("en")
