"""The HubSpot new-contact triggers: signed webhook batches through the real intake, and polling."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from arrimage.config import Settings
from arrimage.connectors.context import TriggerContext, WebhookRequest
from arrimage.connectors.declaration import PollState
from arrimage.connectors.hubspot import APP, triggers
from arrimage.connectors.hubspot.triggers import (
    parse_new_contact_webhook,
    poll_new_contact,
    sample_new_contacts,
)
from arrimage.emulators.hubspot import (
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TOKEN,
    EmulatorServer,
    HubSpotEmulator,
    creation_event,
    send_webhook_batch,
    sign_v3,
)
from arrimage.engine.errors import WebhookRejectedError
from arrimage.runtime import Runtime
from tests.support.processes import in_process_server

from .conftest import hubspot_connection

AUTOMATION_ID = "hubspot-nouveaux"
PUBLIC_URL = "https://arrimage.exemple.ca"


@dataclass
class Hook:
    base_url: str
    secret: str
    runtime: Runtime

    @property
    def path(self) -> str:
        return f"/hooks/{AUTOMATION_ID}/{self.secret}"

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def runs(self) -> list[dict[str, Any]]:
        return self.runtime.runs.list(automation_id=AUTOMATION_ID, limit=500)

    def payloads(self) -> list[dict[str, Any]]:
        events = self.runtime.events.list(AUTOMATION_ID, limit=500)
        return [self.runtime.events.get(event["id"])["payload"] for event in events]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_url": PUBLIC_URL})


@pytest.fixture
def hook(runtime: Runtime, emulator_server: EmulatorServer,
         emulator: HubSpotEmulator) -> Iterator[Hook]:
    connection = runtime.connections.create(APP, "CRM", {
        "token": DEFAULT_TOKEN, "client_secret": DEFAULT_CLIENT_SECRET,
        "base_url": emulator_server.base_url})
    runtime.automations.save({
        "id": AUTOMATION_ID, "name": "Nouveaux contacts HubSpot",
        "trigger": {"app": "hubspot", "event": "new_contact_instant",
                    "connection": connection["id"]},
        "steps": [],
    })
    runtime.automations.set_enabled(AUTOMATION_ID, True)
    secret = runtime.automations.webhook_secret(AUTOMATION_ID)
    # No consumer: runs stay queued, so counting them does not race with workers.
    with in_process_server(runtime, consumer=False, scheduler=False) as base_url:
        yield Hook(base_url, secret, runtime)


# Instant trigger, over HTTP

def test_batch_starts_one_run_per_creation(hook: Hook) -> None:
    events = [creation_event(201), creation_event(202), creation_event(203),
              creation_event(201, subscription_type="contact.propertyChange")]

    answer = send_webhook_batch(hook.url, events)

    assert answer.status_code == 200
    assert len(hook.runs()) == 3
    assert sorted(payload["contact_id"] for payload in hook.payloads()) == ["201", "202", "203"]
    assert {payload["subscription_type"] for payload in hook.payloads()} == {"contact.creation"}


def test_bad_signature_rejected(hook: Hook) -> None:
    answer = send_webhook_batch(hook.url, [creation_event(201)], "autre-secret")

    assert answer.status_code == 401
    assert hook.payloads() == []
    assert hook.runs() == []


def test_stale_timestamp_rejected(hook: Hook) -> None:
    six_minutes_ago = int(time.time() * 1000) - 6 * 60 * 1000

    answer = send_webhook_batch(hook.url, [creation_event(201)], timestamp_ms=six_minutes_ago)

    assert answer.status_code == 401
    assert "5 minutes" in answer.text
    assert hook.payloads() == []


def test_duplicate_delivery_no_second_run(hook: Hook) -> None:
    events = [creation_event(201), creation_event(202)]

    first = send_webhook_batch(hook.url, events)
    again = send_webhook_batch(hook.url, [{**event, "attemptNumber": 1} for event in events])

    assert first.status_code == 200
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert len(hook.runs()) == 2


def test_signature_over_public_url_accepted(hook: Hook) -> None:
    # A proxy at PUBLIC_URL forwards to Arrimage: HubSpot signed the public URL.
    answer = send_webhook_batch(hook.url, [creation_event(204)], signed_url=PUBLIC_URL + hook.path)

    assert answer.status_code == 200
    assert len(hook.runs()) == 1


def test_missing_signature_rejected(hook: Hook) -> None:
    answer = httpx.post(hook.url, json=[creation_event(201)], timeout=10)

    assert answer.status_code == 401
    assert hook.payloads() == []


# Instant trigger, parse alone

def webhook_request(body: bytes, secret: str, url: str = "https://hooks.exemple.ca/hubspot",
                    timestamp: int | None = None) -> WebhookRequest:
    stamp = timestamp if timestamp is not None else int(time.time() * 1000)
    return WebhookRequest(
        body=body, url=url, published_url=url,
        headers={"content-type": "application/json",
                 "x-hubspot-request-timestamp": str(stamp),
                 "x-hubspot-signature-v3": sign_v3(secret, "POST", url, body, stamp)})


def test_parse_without_client_secret_rejects(emulator_server: EmulatorServer) -> None:
    context = TriggerContext(automation_id="a", options={},
                             connection=hubspot_connection(emulator_server.base_url, client_secret=None))
    request = webhook_request(b'[{"eventId":1,"subscriptionType":"contact.creation","objectId":5}]',
                              DEFAULT_CLIENT_SECRET)

    with pytest.raises(WebhookRejectedError) as caught:
        parse_new_contact_webhook(context, request)

    assert caught.value.status_code == 401


def test_parse_checks_published_vector() -> None:
    # The example of HubSpot's v3 signature: secret, URI, body and timestamp, and its result.
    body = b'[{"eventId":1,"subscriptionType":"contact.creation","objectId":123}]'
    context = TriggerContext(automation_id="a", options={}, connection=hubspot_connection(
        "http://127.0.0.1:9", client_secret="hs_client_secret_test"))
    request = WebhookRequest(
        body=body, url="https://hooks.exemple.ca/hubspot",
        headers={"x-hubspot-request-timestamp": "1733340000000",
                 "x-hubspot-signature-v3": "AXNT311E+yGMTIKHLdHqG43RXptdkaJZiYW92DdhNBY="})

    triggers.verify_signature_v3(context, request, now_ms=1733340000000 + 60_000)


def test_parse_rejects_non_array(emulator_server: EmulatorServer) -> None:
    context = TriggerContext(automation_id="a", options={},
                             connection=hubspot_connection(emulator_server.base_url))

    with pytest.raises(WebhookRejectedError) as caught:
        parse_new_contact_webhook(context, webhook_request(b'"texte"', DEFAULT_CLIENT_SECRET))

    assert caught.value.status_code == 400


# Polling trigger

def poll(context: TriggerContext, cursor: dict[str, Any] | None) -> tuple[list[str], dict[str, Any]]:
    result = poll_new_contact(context, PollState(cursor=cursor, seen_ids=[]))
    assert result.cursor is not None
    return [event.payload["email"] for event in result.events], result.cursor


def ago(minutes: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes)


def test_poll_seeds_then_returns_new(trigger_context: TriggerContext,
                                     emulator: HubSpotEmulator) -> None:
    emulator.add_contact({"email": "ancienne@exemple.ca"}, ago(60))
    emulator.add_contact({"email": "recente@exemple.ca"}, ago(30))

    seeded, cursor = poll(trigger_context, None)
    emulator.add_contact({"email": "nouvelle@exemple.ca"})
    fresh, cursor = poll(trigger_context, cursor)
    repeat, cursor = poll(trigger_context, cursor)

    assert seeded == []
    assert fresh == ["nouvelle@exemple.ca"]
    assert repeat == []


def test_poll_reads_across_pages(trigger_context: TriggerContext, emulator: HubSpotEmulator,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triggers, "POLL_PAGE_SIZE", 3)
    emulator.add_contact({"email": "ancienne@exemple.ca"}, ago(60))
    _, cursor = poll(trigger_context, None)
    for index in range(8):
        emulator.add_contact({"email": f"page{index}@exemple.ca"}, ago(10 - index))

    fresh, cursor = poll(trigger_context, cursor)
    repeat, _ = poll(trigger_context, cursor)

    assert fresh == [f"page{index}@exemple.ca" for index in range(8)]
    assert repeat == []
    searches = [line for line in emulator.request_log if line.endswith("/search")]
    # Seed, then 8 contacts in 3 pages, then the 6 created in the 5-minute look-back in 2 pages.
    assert len(searches) == 1 + 3 + 2


def test_poll_catches_late_indexed_contact(trigger_context: TriggerContext,
                                           emulator: HubSpotEmulator) -> None:
    emulator.add_contact({"email": "ancienne@exemple.ca"}, ago(60))
    _, cursor = poll(trigger_context, None)
    emulator.add_contact({"email": "b@exemple.ca"}, ago(1))
    first, cursor = poll(trigger_context, cursor)
    # Created before b but visible in the search only now (the index lags behind writes).
    emulator.add_contact({"email": "a@exemple.ca"}, ago(2))

    late, cursor = poll(trigger_context, cursor)

    assert first == ["b@exemple.ca"]
    assert late == ["a@exemple.ca"]


def test_poll_cut_pages_move_on(trigger_context: TriggerContext, emulator: HubSpotEmulator,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triggers, "POLL_PAGE_SIZE", 2)
    monkeypatch.setattr(triggers, "MAX_POLL_PAGES", 2)
    emulator.add_contact({"email": "ancienne@exemple.ca"}, ago(60))
    _, cursor = poll(trigger_context, None)
    for index in range(7):
        emulator.add_contact({"email": f"lot{index}@exemple.ca"}, ago(3 - index * 0.1))

    polls = []
    for _ in range(4):
        fresh, cursor = poll(trigger_context, cursor)
        polls.append(fresh)

    # Each poll reads 4 contacts; the first one it reads was returned by the previous poll.
    assert [len(fresh) for fresh in polls] == [3, 3, 1, 0]
    assert sorted(sum(polls, [])) == sorted(f"lot{index}@exemple.ca" for index in range(7))


def test_poll_of_empty_account_seeds(trigger_context: TriggerContext,
                                     emulator: HubSpotEmulator) -> None:
    seeded, cursor = poll(trigger_context, None)
    emulator.add_contact({"email": "premiere@exemple.ca"})

    fresh, _ = poll(trigger_context, cursor)

    assert seeded == []
    assert fresh == ["premiere@exemple.ca"]


def test_samples_newest_first(trigger_context: TriggerContext, emulator: HubSpotEmulator) -> None:
    for index in range(4):
        emulator.add_contact({"email": f"s{index}@exemple.ca", "city": "Gaspé"}, ago(10 - index))
    trigger_context.options["properties"] = "city"

    samples = sample_new_contacts(trigger_context, 3)

    assert [sample["email"] for sample in samples] == ["s3@exemple.ca", "s2@exemple.ca", "s1@exemple.ca"]
    assert samples[0]["city"] == "Gaspé"
    assert set(samples[0]) >= set(APP.triggers[0].sample)


def test_engine_polls_without_repeats(runtime: Runtime, emulator_server: EmulatorServer,
                                      emulator: HubSpotEmulator) -> None:
    connection = runtime.connections.create(APP, "CRM", {
        "token": DEFAULT_TOKEN, "base_url": emulator_server.base_url})
    runtime.automations.save({
        "id": "hubspot-sondage", "name": "Nouveaux contacts HubSpot",
        "trigger": {"app": "hubspot", "event": "new_contact", "connection": connection["id"]},
        "steps": [],
    })
    runtime.automations.set_enabled("hubspot-sondage", True)
    emulator.add_contact({"email": "avant@exemple.ca"}, ago(5))

    seeded = runtime.poll_trigger("hubspot-sondage")
    emulator.add_contact({"email": "apres@exemple.ca"})
    fresh = runtime.poll_trigger("hubspot-sondage")
    repeat = runtime.poll_trigger("hubspot-sondage")

    assert seeded == []
    assert len(fresh) == 1
    assert repeat == []
    event_id = runtime.runs.get(fresh[0])["event_id"]
    assert runtime.events.get(event_id)["payload"]["email"] == "apres@exemple.ca"
    assert runtime.trigger_states.get("hubspot-sondage").error is None
