"""Locations in error messages: built in English, their words rendered in the reader's language."""

from __future__ import annotations

import pytest

from arrimage.engine.errors import DocumentIssue, localize_location
from arrimage.engine.templates import TemplateRenderer
from arrimage.engine.errors import TemplateError
from arrimage.i18n import _l


@pytest.mark.parametrize(
    ("location", "french"),
    [
        ("step 'notify' (steps[1]), field input.url", "étape 'notify' (steps[1]), champ input.url"),
        ("trigger, field app", "déclencheur, champ app"),
        ("step 'route' (steps[2]), branch 'fr'", "étape 'route' (steps[2]), branche 'fr'"),
        ("step 'forward', field 'body'.email", "étape 'forward', champ 'body'.email"),
        ("document", "document"),
    ],
)
def test_location_in_french(location: str, french: str) -> None:
    assert localize_location(location, "fr_CA") == french
    assert localize_location(location, "en") == location


def test_issue_renders_location_words() -> None:
    issue = DocumentIssue("trigger, field app", _l("This field is required."))

    assert issue.render("en") == "trigger, field app: This field is required."
    assert issue.render("fr_CA").startswith("déclencheur, champ app")


def test_template_error_location_in_french() -> None:
    renderer = TemplateRenderer()
    with pytest.raises(TemplateError) as caught:
        renderer.render("{{ trigger.email }}", {"trigger": {}}, "step 'forward', field 'email'")

    assert "étape 'forward', champ 'email'" in caught.value.message.render("fr_CA")
    assert "step 'forward', field 'email'" in caught.value.message.render("en")
