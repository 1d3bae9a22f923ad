"""Shopify webhook → Cyberimpact contact, over real HTTP, with the recipe and the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from arrimage.connectors.cyberimpact import APP as CYBERIMPACT
from arrimage.connectors.shopify import APP as SHOPIFY
from arrimage.emulators.shopify import ShopifyShop, customer_payload
from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN
from tests.support.processes import in_process_server

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
RECIPE = RECIPES / "shopify-customer-to-cyberimpact.yaml"
ORDER_RECIPE = RECIPES / "shopify-order-to-cyberimpact.yaml"
SHOP_CUSTOMERS_GROUP = 102  # "Clients boutique" in the sandbox's starting data
SECRET = "shpss_e2e_4c3b2a19f8e7"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[TOKEN], seed=SEED)).start()
    yield running
    running.stop()


@pytest.fixture
def admin(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=10) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


@pytest.fixture
def base_url(runtime: Runtime, sandbox: SandboxServer, admin: httpx.Client) -> Iterator[str]:
    runtime.connections.create(CYBERIMPACT, "cyberimpact", {"token": TOKEN, "base_url": sandbox.base_url})
    runtime.connections.create(SHOPIFY, "shopify", {"signing_secret": SECRET})
    # No consumer: each test executes its run itself, so the run is over when the test checks it.
    with in_process_server(runtime, consumer=False, scheduler=False) as url:
        yield url


def recipe() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(RECIPE.read_text(encoding="utf-8"))
    return document


def order_automation() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ORDER_RECIPE.read_text(encoding="utf-8"))
    return document


def shop_for(runtime: Runtime, base_url: str, document: dict[str, Any]) -> ShopifyShop:
    saved = runtime.automations.save(document)
    runtime.automations.set_enabled(saved["id"], True)
    url_secret = runtime.automations.webhook_secret(saved["id"])
    return ShopifyShop(url=f"{base_url}/hooks/{saved['id']}/{url_secret}", secret=SECRET,
                       api_version="2024-10")


def run_delivery(runtime: Runtime, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    run_id = response.json()["events"][0]["run_id"]
    runtime.execute_run(run_id)
    run: dict[str, Any] = runtime.runs.get(run_id)
    return run


def member(admin: httpx.Client, email: str) -> httpx.Response:
    return admin.get(f"/members/{email}")


def group_ids(admin: httpx.Client, email: str) -> set[int]:
    response = admin.get(f"/members/{email}/groups", params={"limit": 100})
    response.raise_for_status()
    return {group["id"] for group in response.json()["groups"]}


def test_new_customer_becomes_contact(runtime: Runtime, base_url: str, admin: httpx.Client) -> None:
    shop = shop_for(runtime, base_url, recipe())

    run = run_delivery(runtime, shop.deliver_customer(orders_count=1).response)

    assert run["status"] == "succeeded", run
    created = member(admin, "eloise.damour@exemple.ca").json()
    assert created["firstname"] == "Éloïse"
    assert created["lastname"] == "D'Amour-Gagné"
    assert created["company"] == "Fromagerie du Quartier"
    assert created["postalCode"] == "H2X 1K1"
    assert created["country"] == "CA"
    assert group_ids(admin, "eloise.damour@exemple.ca") == {SHOP_CUSTOMERS_GROUP}
    consent = admin.get("/members/eloise.damour@exemple.ca/consent").json()
    assert consent["relationType"] == "active-clients"
    assert consent["consentDate"].startswith("2024-12-04")
    assert "boutique-erable.myshopify.com" in consent["consentProof"]


def test_order_language_from_locale(runtime: Runtime, base_url: str, admin: httpx.Client) -> None:
    shop = shop_for(runtime, base_url, order_automation())

    run = run_delivery(runtime, shop.deliver_order(guest=True, customer_locale="fr-CA").response)

    assert run["status"] == "succeeded", run
    created = member(admin, "jerome.cote@exemple.ca").json()
    assert created["language"] == "fr_ca"
    assert created["postalCode"] == "G1R 2B5"
    assert created["country"] == "CA"
    assert created["company"] == "Boulangerie Côté"
    assert group_ids(admin, "jerome.cote@exemple.ca") == {SHOP_CUSTOMERS_GROUP}
    consent = admin.get("/members/jerome.cote@exemple.ca/consent").json()
    assert consent["relationType"] == "active-clients"
    assert consent["consentProof"].startswith("Commande Shopify #1001 de ")


def test_english_locale_gives_english(runtime: Runtime, base_url: str, admin: httpx.Client) -> None:
    shop = shop_for(runtime, base_url, order_automation())

    run = run_delivery(runtime, shop.deliver_order(customer_locale="en", email="sam.taylor@exemple.ca",
                                                   first_name="Sam", last_name="Taylor").response)

    assert run["status"] == "succeeded", run
    assert member(admin, "sam.taylor@exemple.ca").json()["language"] == "en_ca"


def test_buyer_with_unticked_box_still_added(runtime: Runtime, base_url: str,
                                             admin: httpx.Client) -> None:
    shop = shop_for(runtime, base_url, recipe())

    run = run_delivery(runtime, shop.deliver_customer(accepts_marketing=False, orders_count=2).response)

    assert run["status"] == "succeeded", run
    assert member(admin, "eloise.damour@exemple.ca").status_code == 200


def test_customer_without_basis_skipped(runtime: Runtime, base_url: str,
                                        admin: httpx.Client) -> None:
    shop = shop_for(runtime, base_url, recipe())

    run = run_delivery(runtime, shop.deliver_customer(accepts_marketing=False).response)

    assert run["status"] == "filtered", run
    assert [step["step_id"] for step in run["steps"]][-1] == "consent_basis"
    assert member(admin, "eloise.damour@exemple.ca").status_code == 404


def test_subscriber_without_purchase_gets_optin(runtime: Runtime, base_url: str,
                                                admin: httpx.Client) -> None:
    shop = shop_for(runtime, base_url, recipe())

    run = run_delivery(runtime, shop.deliver_customer(accepts_marketing=True).response)

    assert run["status"] == "succeeded", run
    optin_step = next(step for step in run["steps"] if step["step_id"] == "optin")
    assert optin_step["status"] == "succeeded"
    assert not any(step["step_id"] == "contact" for step in run["steps"])
    assert member(admin, "eloise.damour@exemple.ca").status_code == 404


def test_unsubscribed_customer_skipped(runtime: Runtime, base_url: str, admin: httpx.Client) -> None:
    shop = shop_for(runtime, base_url, recipe())
    payload = customer_payload("2024-10")
    payload["email_marketing_consent"]["state"] = "unsubscribed"

    run = run_delivery(runtime, shop.deliver("customers/create", payload).response)

    assert run["status"] == "filtered"
    assert member(admin, "eloise.damour@exemple.ca").status_code == 404


def test_test_notification_skipped(runtime: Runtime, base_url: str, admin: httpx.Client) -> None:
    shop = shop_for(runtime, base_url, recipe())

    run = run_delivery(runtime, shop.deliver_customer(test_notification=True).response)

    assert run["status"] == "filtered"
    assert member(admin, "eloise.damour@exemple.ca").status_code == 404


def test_existing_contact_only_grouped(runtime: Runtime, base_url: str, admin: httpx.Client) -> None:
    existing = "genevieve.tremblay@example.com"  # sandbox starting data, express consent
    shop = shop_for(runtime, base_url, recipe())

    run = run_delivery(runtime, shop.deliver_customer(email=existing, orders_count=3).response)

    assert run["status"] == "succeeded", run
    contact_step = next(step for step in run["steps"] if step["step_id"] == "contact")
    assert contact_step["output"]["outcome"] == "added_to_groups"
    assert SHOP_CUSTOMERS_GROUP in group_ids(admin, existing)
    assert admin.get(f"/members/{existing}/consent").json()["relationType"] == "express-consent"
