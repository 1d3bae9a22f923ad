"""WooCommerce webhook → Cyberimpact contact, over real HTTP, with the recipe and the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from arrimage.connectors.cyberimpact import APP as CYBERIMPACT
from arrimage.connectors.woocommerce import APP as WOOCOMMERCE
from arrimage.emulators.woocommerce import WooCommerceStore
from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN
from tests.support.processes import in_process_server

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "woocommerce-order-to-cyberimpact.yaml"
SHOP_CUSTOMERS_GROUP = 102  # "Clients boutique" in the sandbox's starting data
SECRET = "wc-e2e-7a6b5c4d3e2f"
BUYER = "jerome.cote@exemple.ca"


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
def store(runtime: Runtime, sandbox: SandboxServer, admin: httpx.Client) -> Iterator[WooCommerceStore]:
    runtime.connections.create(CYBERIMPACT, "cyberimpact", {"token": TOKEN, "base_url": sandbox.base_url})
    runtime.connections.create(WOOCOMMERCE, "woocommerce", {"signing_secret": SECRET})
    document: dict[str, Any] = yaml.safe_load(RECIPE.read_text(encoding="utf-8"))
    document["trigger"]["input"] = {"consent_meta_key": "_newsletter_optin",
                                    "language_meta_key": "wpml_language"}
    saved = runtime.automations.save(document)
    runtime.automations.set_enabled(saved["id"], True)
    url_secret = runtime.automations.webhook_secret(saved["id"])
    # No consumer: each test executes its run itself, so the run is over when the test checks it.
    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        yield WooCommerceStore(delivery_url=f"{base_url}/hooks/{saved['id']}/{url_secret}",
                               secret=SECRET)


def run_delivery(runtime: Runtime, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    run_id = response.json()["events"][0]["run_id"]
    runtime.execute_run(run_id)
    run: dict[str, Any] = runtime.runs.get(run_id)
    return run


def group_ids(admin: httpx.Client, email: str) -> set[int]:
    response = admin.get(f"/members/{email}/groups", params={"limit": 100})
    response.raise_for_status()
    return {group["id"] for group in response.json()["groups"]}


def test_order_buyer_becomes_contact(runtime: Runtime, store: WooCommerceStore, admin: httpx.Client) -> None:
    assert store.ping().response.status_code == 200

    run = run_delivery(runtime, store.deliver_order(language="fr").response)

    assert run["status"] == "succeeded", run
    created = admin.get(f"/members/{BUYER}").json()
    assert created["firstname"] == "Jérôme"
    assert created["lastname"] == "Côté"
    assert created["language"] == "fr_ca"
    assert created["postalCode"] == "G1R 2B5"
    assert created["country"] == "CA"
    assert created["company"] == "Boulangerie Côté"
    assert group_ids(admin, BUYER) == {SHOP_CUSTOMERS_GROUP}
    consent = admin.get(f"/members/{BUYER}/consent").json()
    assert consent["relationType"] == "active-clients"
    assert consent["consentDate"].startswith("2024-12-04")
    assert consent["consentProof"] == (
        "Commande WooCommerce n° 4750 du 2024-12-04 sur https://boutique-erable.ca/")


def test_guest_order_english_buyer(runtime: Runtime, store: WooCommerceStore, admin: httpx.Client) -> None:
    run = run_delivery(runtime, store.deliver_order(guest=True, language="en", newsletter_optin=None,
                                                    email="sam.taylor@exemple.ca").response)

    assert run["status"] == "succeeded", run
    created = admin.get("/members/sam.taylor@exemple.ca").json()
    assert created["language"] == "en_ca"
    assert group_ids(admin, "sam.taylor@exemple.ca") == {SHOP_CUSTOMERS_GROUP}


@pytest.mark.parametrize("status", ["pending", "failed", "cancelled"])
def test_unpaid_order_skipped(runtime: Runtime, store: WooCommerceStore, admin: httpx.Client,
                              status: str) -> None:
    run = run_delivery(runtime, store.deliver_order(status=status).response)

    assert run["status"] == "filtered"
    assert admin.get(f"/members/{BUYER}").status_code == 404


def test_unsubscribed_buyer_skipped(runtime: Runtime, store: WooCommerceStore, admin: httpx.Client) -> None:
    run = run_delivery(runtime, store.deliver_order(newsletter_optin="unsubscribed").response)

    assert run["status"] == "filtered"
    assert admin.get(f"/members/{BUYER}").status_code == 404


def test_unticked_box_still_added(runtime: Runtime, store: WooCommerceStore, admin: httpx.Client) -> None:
    run = run_delivery(runtime, store.deliver_order(newsletter_optin="no").response)

    assert run["status"] == "succeeded", run
    assert admin.get(f"/members/{BUYER}").status_code == 200
