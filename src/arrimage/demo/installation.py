"""Create the demo's connections and install the recipes as automations that are turned on.

The connections carry the names the recipes refer to, so the recipes need no change for
them: ``cyberimpact`` points at the sandbox, and the Google Forms, Shopify and WooCommerce
connections hold signing secrets that the demo picks at random and signs its deliveries with.
Each recipe's group ids are replaced by the ids of the sandbox's groups with the right titles.

As in the web app's gallery import, each automation takes its name and description in the
current locale from ``recipes/gallery.yaml``. The gallery's example event of its recipe becomes
its sample data, which the editor's test and dry run start from.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from arrimage.catalogue import webhook_url
from arrimage.connectors.cyberimpact.connection import client_for_connection
from arrimage.demo import recipes
from arrimage.engine.errors import ArrimageError
from arrimage.i18n import _l, current_locale
from arrimage.runtime import Runtime
from arrimage.web.editor.samples import Sample, save_sample
from arrimage.web.pages.recipes import in_locale, load_gallery

logger = logging.getLogger(__name__)

CYBERIMPACT_CONNECTION = "cyberimpact"
# App key and connection name of each app that signs its webhooks.
SIGNING_CONNECTIONS = {"google_forms": "google-forms", "shopify": "shopify",
                       "woocommerce": "woocommerce"}

NEWSLETTER_GROUP = "Infolettre"
SHOP_CUSTOMERS_GROUP = "Clients boutique"


@dataclass(frozen=True)
class InstalledAutomation:
    """An automation that is on, with the URL and secret its webhooks use."""

    id: str
    name: str
    webhook_url: str
    webhook_secret: str


@dataclass(frozen=True)
class Installation:
    """The demo's automations by id, signing secrets by app, and the sandbox's groups by title."""

    automations: dict[str, InstalledAutomation]
    signing_secrets: dict[str, str]
    groups: dict[str, int]
    # The automation of the web form recipe, which takes any JSON object with an email address.
    form_automation: str


def install(runtime: Runtime, sandbox_url: str, sandbox_token: str) -> Installation:
    """Create the connections, then save and turn on the demo's automations."""
    runtime.connections.create(runtime.apps["cyberimpact"], CYBERIMPACT_CONNECTION,
                               {"token": sandbox_token, "base_url": sandbox_url})
    signing_secrets = {}
    for app_key, name in SIGNING_CONNECTIONS.items():
        signing_secrets[app_key] = secrets.token_urlsafe(32)
        runtime.connections.create(runtime.apps[app_key], name,
                                   {"signing_secret": signing_secrets[app_key]})

    groups = sandbox_groups(runtime)
    automations = {}
    gallery = {str(entry["file"]): entry for entry in load_gallery(recipes.bundled_recipes_dir())
               if entry.get("file")}
    for recipe, document in demo_automations(groups):
        entry = gallery.get(recipe, {})
        document = localized(document, entry, current_locale())
        saved = runtime.automations.save(document)
        if isinstance(entry.get("sample"), dict):
            save_sample(runtime, saved["id"], Sample(entry["sample"], "recipe"))
        runtime.automations.set_enabled(saved["id"], True)
        automations[saved["id"]] = InstalledAutomation(
            id=saved["id"], name=saved["name"], webhook_url=webhook_url(runtime, saved["id"]) or "",
            webhook_secret=runtime.automations.webhook_secret(saved["id"]))
        logger.info("demo automation installed and turned on", extra={"automation_id": saved["id"]})
    form_automation = str(recipes.load_recipe(recipes.WEBHOOK_FORM_RECIPE)["id"])
    return Installation(automations=automations, signing_secrets=signing_secrets, groups=groups,
                        form_automation=form_automation)


def sandbox_groups(runtime: Runtime) -> dict[str, int]:
    """Return the sandbox's group ids by title, read through the Cyberimpact API."""
    connection = runtime.connections.resolve(CYBERIMPACT_CONNECTION, "cyberimpact")
    client = client_for_connection(connection, runtime.http, runtime.settings.http_timeout_seconds)
    groups = {str(group["title"]): int(group["id"]) for group in client.iter_groups()}
    for title in (NEWSLETTER_GROUP, SHOP_CUSTOMERS_GROUP):
        if title not in groups:
            raise ArrimageError(_l(
                "The sandbox has no group {title}, which the demo's recipes use. Its starting "
                "data may have changed.", title=title))
    return groups


def localized(document: dict[str, Any], entry: dict[str, Any], locale: str) -> dict[str, Any]:
    """Return ``document`` named and described in ``locale`` by its gallery ``entry``.

    A text the entry lacks stays as the document has it.
    """
    return {**document,
            "name": in_locale(entry.get("name") or {}, locale, str(document.get("name") or "")),
            "description": in_locale(entry.get("description") or {}, locale,
                                     str(document.get("description") or ""))}


def demo_automations(groups: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
    """Return ``(recipe, document)`` for each automation to install, with the sandbox's group ids.

    ``recipe`` is the recipe file's name without ``.yaml``. The HubSpot recipe is left out: it
    needs a HubSpot account, and the demo has none.
    """
    newsletter = [groups[NEWSLETTER_GROUP]]
    shop_customers = [groups[SHOP_CUSTOMERS_GROUP]]
    return [
        (recipes.GOOGLE_FORMS_RECIPE,
         recipes.with_groups(recipes.google_forms_optin(recipes.load_recipe(recipes.GOOGLE_FORMS_RECIPE)),
                             newsletter)),
        (recipes.WEBHOOK_FORM_RECIPE,
         recipes.with_groups(recipes.load_recipe(recipes.WEBHOOK_FORM_RECIPE), newsletter)),
        (recipes.SHOPIFY_CUSTOMER_RECIPE,
         recipes.with_groups(recipes.load_recipe(recipes.SHOPIFY_CUSTOMER_RECIPE), shop_customers)),
        (recipes.SHOPIFY_ORDER_RECIPE,
         recipes.with_groups(recipes.load_recipe(recipes.SHOPIFY_ORDER_RECIPE), shop_customers)),
        (recipes.WOOCOMMERCE_RECIPE,
         recipes.with_groups(recipes.woocommerce_order(recipes.load_recipe(recipes.WOOCOMMERCE_RECIPE)),
                             shop_customers)),
    ]
