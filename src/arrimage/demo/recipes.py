"""The recipes shipped inside the package, and the demo's in-memory changes to them.

``arrimage/recipes`` is package data. In a clone of the repository it is a link to the
top-level ``recipes/`` folder, so the demo, the web app and a pip-installed package read the
same files. The demo never writes them: it changes the loaded documents only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

import arrimage

RECIPES_DIR = Path(arrimage.__file__).resolve().parent / "recipes"

GOOGLE_FORMS_RECIPE = "google-forms-to-cyberimpact-optin"
WEBHOOK_FORM_RECIPE = "webhook-form-to-cyberimpact-optin"
SHOPIFY_CUSTOMER_RECIPE = "shopify-customer-to-cyberimpact"
SHOPIFY_ORDER_RECIPE = "shopify-order-to-cyberimpact"
WOOCOMMERCE_RECIPE = "woocommerce-order-to-cyberimpact"


def bundled_recipes_dir() -> Path:
    """Return the folder of the recipes shipped with this version of Arrimage."""
    return RECIPES_DIR


def load_recipe(name: str) -> dict[str, Any]:
    """Return the automation document of ``recipes/<name>.yaml``, as a new dict."""
    path = RECIPES_DIR / f"{name}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"the recipe {path} is not an automation document")
    return document


def with_groups(document: dict[str, Any], group_ids: list[int]) -> dict[str, Any]:
    """Return ``document`` with every Cyberimpact step's ``groups`` set to ``group_ids``.

    Steps inside a path's branches are changed too.
    """
    changed = copy.deepcopy(document)
    for step in _all_steps(changed.get("steps", [])):
        if step.get("app") == "cyberimpact" and "groups" in step.get("input", {}):
            step["input"]["groups"] = list(group_ids)
    return changed


def _all_steps(steps: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for step in steps:
        yield step
        for branch in step.get("branches", []):
            yield from _all_steps(branch.get("steps", []))
        yield from _all_steps(step.get("otherwise", []))


def google_forms_optin(document: dict[str, Any]) -> dict[str, Any]:
    """Return the Google Forms recipe mapping the demo form's extra questions.

    The recipe maps the questions every newsletter form has. The demo's form also has the
    questions « Genre », « Date de naissance » and « Pays », whose answers Arrimage converts to
    Cyberimpact's codes, so the opt-in request carries them too.
    """
    changed = copy.deepcopy(document)
    optin = _step(changed, "optin")
    optin["input"].update({
        "gender": "{{ trigger.answers.Genre | default('') }}",
        "birthdate": "{{ trigger.answers['Date de naissance'] | default('') }}",
        "country": "{{ trigger.answers.Pays | default('') }}",
    })
    return changed


def woocommerce_order(document: dict[str, Any]) -> dict[str, Any]:
    """Return the WooCommerce recipe reading the demo store's meta keys, as its comment explains.

    The demo store runs WPML (``wpml_language``) and a newsletter checkbox plugin
    (``_newsletter_optin``).
    """
    changed = copy.deepcopy(document)
    changed["trigger"]["input"] = {"consent_meta_key": "_newsletter_optin",
                                   "language_meta_key": "wpml_language"}
    return changed


def _step(document: dict[str, Any], step_id: str) -> dict[str, Any]:
    for step in document.get("steps", []):
        if step.get("id") == step_id:
            step.setdefault("input", {})
            return step  # type: ignore[no-any-return]
    raise ValueError(f"the automation {document.get('id')} has no step {step_id!r}")
