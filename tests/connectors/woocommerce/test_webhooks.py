"""WooCommerce requests over real HTTP, from the emulator to a running Arrimage intake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from arrimage.connectors.woocommerce import APP
from arrimage.emulators.woocommerce import WooCommerceStore, customer_payload
from arrimage.runtime import Runtime
from tests.support.processes import in_process_server

SECRET = "wc-9f8e7d6c5b4a3f2e1d0c"
ORDER_AUTOMATION = "woocommerce-new-order"


@dataclass
class Intake:
    base_url: str
    runtime: Runtime

    def store(self) -> WooCommerceStore:
        url_secret = self.runtime.automations.webhook_secret(ORDER_AUTOMATION)
        return WooCommerceStore(delivery_url=f"{self.base_url}/hooks/{ORDER_AUTOMATION}/{url_secret}",
                                secret=SECRET)

    def events(self) -> list[dict[str, object]]:
        return list(self.runtime.events.list(ORDER_AUTOMATION, limit=100))

    def runs(self) -> list[dict[str, object]]:
        return list(self.runtime.runs.list(automation_id=ORDER_AUTOMATION, limit=100))


@pytest.fixture
def intake(runtime: Runtime) -> Iterator[Intake]:
    runtime.connections.create(APP, "boutique", {"signing_secret": SECRET})
    runtime.automations.save({
        "id": ORDER_AUTOMATION, "name": "Commandes WooCommerce",
        "trigger": {"app": "woocommerce", "event": "new_order", "connection": "boutique",
                    "input": {"consent_meta_key": "_newsletter_optin"}},
        "steps": [],
    })
    runtime.automations.set_enabled(ORDER_AUTOMATION, True)
    # No consumer: runs stay queued until the test runs them, so counts do not race workers.
    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        yield Intake(base_url, runtime)


def test_order_stored_then_run(intake: Intake) -> None:
    delivery = intake.store().deliver_order()

    assert delivery.response.status_code == 200
    answer = delivery.response.json()
    assert answer["status"] == "accepted"
    stored = intake.runtime.events.get(answer["events"][0]["event_id"])
    payload = stored["payload"]
    assert payload["contact"]["first_name"] == "Jérôme"
    assert payload["contact"]["marketing_consent"] == "yes"
    assert payload["meta"]["_newsletter_optin"] == "yes"
    assert payload["date_created_gmt"] == "2024-12-04T19:05:40"
    assert intake.runtime.execute_run(answer["events"][0]["run_id"]) == "succeeded"


def test_ping_answered_without_run(intake: Intake) -> None:
    delivery = intake.store().ping()

    assert delivery.response.status_code == 200
    assert delivery.response.json() == {"status": "accepted", "events": []}
    assert intake.events() == []
    assert intake.runs() == []


def test_guest_order_stored(intake: Intake) -> None:
    delivery = intake.store().deliver_order(guest=True, newsletter_optin=None)

    assert delivery.response.status_code == 200
    stored = intake.runtime.events.get(delivery.response.json()["events"][0]["event_id"])
    assert stored["payload"]["contact"]["guest"] is True
    assert stored["payload"]["contact"]["marketing_consent"] == "unknown"


@pytest.mark.parametrize("options", [
    pytest.param({"sign_with": "mauvais-secret"}, id="wrong-secret"),
    pytest.param({"unsigned": True}, id="missing"),
    pytest.param({"signature": "AAAA"}, id="garbage"),
])
def test_bad_signature_rejected(intake: Intake, options: dict[str, object]) -> None:
    delivery = intake.store().deliver_order(**options)

    assert delivery.response.status_code == 401
    assert intake.events() == []
    assert intake.runs() == []


def test_repeated_delivery_one_run(intake: Intake) -> None:
    store = intake.store()
    first = store.deliver_order()

    again = store.redeliver(first)

    assert again.response.json()["status"] == "duplicate"
    assert len(intake.runs()) == 1


def test_same_second_orders_both_run(intake: Intake) -> None:
    store = intake.store()

    first = store.deliver_order(order_id=4750, delivery_id="c4ca4238a0b923820dcc509a6f75849b")
    second = store.deliver_order(order_id=4751, delivery_id="c4ca4238a0b923820dcc509a6f75849b")

    assert first.response.json()["status"] == "accepted"
    assert second.response.json()["status"] == "accepted"
    assert len(intake.runs()) == 2


@pytest.mark.parametrize("topic", ["customer.created", "order.updated", "order.deleted"])
def test_topic_mismatch_rejected(intake: Intake, topic: str) -> None:
    payload = customer_payload() if topic.startswith("customer") else {"id": 4750}
    delivery = intake.store().deliver(topic, payload)

    assert delivery.response.status_code == 422
    assert topic in delivery.response.json()["error"]["message"]
    assert intake.events() == []
