"""Shopify deliveries over real HTTP, from the emulator to a running Arrimage intake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from arrimage.connectors.shopify import APP
from arrimage.emulators.shopify import ShopifyShop, customer_payload
from arrimage.runtime import Runtime
from tests.support.processes import in_process_server

SECRET = "shpss_5f4e3d2c1b0a99887766"
SHOPIFY_TIMEOUT_SECONDS = 5


@dataclass
class Intake:
    base_url: str
    runtime: Runtime

    def shop(self, event: str, **options: object) -> ShopifyShop:
        automation_id = f"shopify-{event.replace('_', '-')}"
        return ShopifyShop(url=self.url(automation_id), secret=SECRET, **options)  # type: ignore[arg-type]

    def url(self, automation_id: str) -> str:
        return f"{self.base_url}/hooks/{automation_id}/{self.runtime.automations.webhook_secret(automation_id)}"

    def events(self, event: str) -> list[dict[str, object]]:
        return list(self.runtime.events.list(f"shopify-{event.replace('_', '-')}", limit=100))

    def runs(self, event: str) -> list[dict[str, object]]:
        return list(self.runtime.runs.list(automation_id=f"shopify-{event.replace('_', '-')}", limit=100))


@pytest.fixture
def intake(runtime: Runtime) -> Iterator[Intake]:
    runtime.connections.create(APP, "boutique", {"signing_secret": SECRET})
    for event in ("new_customer", "new_order"):
        automation_id = f"shopify-{event.replace('_', '-')}"
        runtime.automations.save({
            "id": automation_id, "name": f"Shopify {event}",
            "trigger": {"app": "shopify", "event": event, "connection": "boutique"},
            "steps": [],
        })
        runtime.automations.set_enabled(automation_id, True)
    # No consumer: runs stay queued until the test runs them, so counts do not race workers.
    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        yield Intake(base_url, runtime)


def test_customer_stored_then_run(intake: Intake) -> None:
    delivery = intake.shop("new_customer").deliver_customer()

    assert delivery.response.status_code == 200
    assert delivery.response.elapsed.total_seconds() < SHOPIFY_TIMEOUT_SECONDS
    answer = delivery.response.json()
    assert answer["status"] == "accepted"
    stored = intake.runtime.events.get(answer["events"][0]["event_id"])
    assert stored["payload"]["contact"]["email"] == "eloise.damour@exemple.ca"
    assert stored["payload"]["webhook"]["event_id"] == delivery.headers["X-Shopify-Event-Id"]
    run_id = answer["events"][0]["run_id"]
    assert intake.runtime.runs.get(run_id)["status"] == "queued"
    assert intake.runtime.execute_run(run_id) == "succeeded"


def test_order_stored(intake: Intake) -> None:
    delivery = intake.shop("new_order").deliver_order(buyer_accepts_marketing=True)

    assert delivery.response.status_code == 200
    stored = intake.runtime.events.get(delivery.response.json()["events"][0]["event_id"])
    assert stored["payload"]["contact"]["marketing_consent"] == "yes"
    assert stored["payload"]["contact"]["locale"] == "fr-CA"


def test_guest_order_stored(intake: Intake) -> None:
    delivery = intake.shop("new_order").deliver_order(guest=True)

    assert delivery.response.status_code == 200
    stored = intake.runtime.events.get(delivery.response.json()["events"][0]["event_id"])
    contact = stored["payload"]["contact"]
    assert contact["guest"] is True
    assert contact["email"] == "jerome.cote@exemple.ca"
    assert contact["postal_code"] == "G1R 2B5"


@pytest.mark.parametrize("options", [
    pytest.param({"sign_with": "mauvais-secret"}, id="wrong-secret"),
    pytest.param({"unsigned": True}, id="missing"),
    pytest.param({"signature": "not base64 at all"}, id="garbage"),
    pytest.param({"signature": ""}, id="empty"),
])
def test_bad_signature_rejected(intake: Intake, options: dict[str, object]) -> None:
    delivery = intake.shop("new_customer").deliver_customer(**options)

    assert delivery.response.status_code == 401
    assert delivery.response.json()["error"]["code"] == "webhook_rejected"
    assert intake.events("new_customer") == []
    assert intake.runs("new_customer") == []


def test_retry_starts_one_run(intake: Intake) -> None:
    shop = intake.shop("new_customer")
    first = shop.deliver_customer()

    again = shop.redeliver(first)

    assert again.response.status_code == 200
    assert again.response.json()["status"] == "duplicate"
    assert len(intake.events("new_customer")) == 1
    assert len(intake.runs("new_customer")) == 1


def test_same_event_other_webhook_id_one_run(intake: Intake) -> None:
    shop = intake.shop("new_customer")
    first = shop.deliver_customer()

    second = shop.deliver_customer(event_id=first.headers["X-Shopify-Event-Id"])

    assert second.headers["X-Shopify-Webhook-Id"] != first.headers["X-Shopify-Webhook-Id"]
    assert second.response.json()["status"] == "duplicate"
    assert len(intake.runs("new_customer")) == 1


def test_two_customers_two_runs(intake: Intake) -> None:
    shop = intake.shop("new_customer")
    shop.deliver_customer()
    shop.deliver_customer(customer_id=820982911946154999, email="lea.gagnon@exemple.ca")

    assert len(intake.runs("new_customer")) == 2


def test_topic_mismatch_rejected(intake: Intake) -> None:
    shop = intake.shop("new_order")
    delivery = shop.deliver("customers/create", customer_payload())

    assert delivery.response.status_code == 422
    message = delivery.response.json()["error"]["message"]
    assert "customers/create" in message
    assert intake.events("new_order") == []


def test_topic_mismatch_message_in_english(intake: Intake) -> None:
    shop = intake.shop("new_order")
    url = shop.url
    shop.url = f"{url}?lang=en"

    delivery = shop.deliver("customers/create", customer_payload())

    assert "This automation starts on Shopify orders/create webhooks" in delivery.response.json()["error"]["message"]


def test_wrong_url_secret_rejected(intake: Intake) -> None:
    shop = intake.shop("new_customer")
    shop.url = f"{intake.base_url}/hooks/shopify-new-customer/faux"

    assert shop.deliver_customer().response.status_code == 401
    assert intake.events("new_customer") == []
