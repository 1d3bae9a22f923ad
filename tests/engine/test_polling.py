"""Polling triggers: seeding, new items only, cursor kept on failure, bounded seen ids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from arrimage.connectors.context import TriggerContext
from arrimage.connectors.declaration import (
    App,
    IncomingEvent,
    Operation,
    OperationKind,
    PollResult,
    PollState,
    TriggerMode,
)
from arrimage.connectors.registry import all_apps
from arrimage.engine.errors import ServerError
from arrimage.engine.polling import describe_poll_error
from arrimage.i18n import _l
from arrimage.runtime import Runtime
from arrimage.storage import trigger_states
from tests.support.sink import Sink


class FakeSource:
    """A list of items standing for an app's records, newest last."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = [{"id": "1", "email": "old@exemple.ca"}]
        self.failure: Exception | None = None
        self.cursors: list[Any] = []

    def poll(self, context: TriggerContext, state: PollState) -> PollResult:
        self.cursors.append(state.cursor)
        if self.failure is not None:
            raise self.failure
        events = [IncomingEvent(payload=item, dedup_key=item["id"]) for item in self.items]
        return PollResult(events=events, cursor={"count": len(self.items)})


@pytest.fixture
def source() -> Iterator[FakeSource]:
    current = FakeSource()
    app = App(
        key="fakepoll", name=_l("Fake source"), description=_l("Test source"),
        triggers=(Operation(
            key="new_item", kind=OperationKind.TRIGGER, mode=TriggerMode.POLLING,
            noun=_l("item"), label=_l("New item"), description=_l("New item"),
            sample={"id": "1", "email": "old@exemple.ca"}, poll=current.poll,
            poll_interval_seconds=60,
        ),),
    )
    apps = all_apps()
    apps["fakepoll"] = app
    yield current
    del apps["fakepoll"]


@pytest.fixture
def automation(runtime: Runtime, source: FakeSource, sink: Sink) -> str:
    runtime.automations.save({
        "id": "poll-to-sink", "name": "Poll to sink",
        "trigger": {"app": "fakepoll", "event": "new_item"},
        "steps": [{"id": "forward", "app": "http", "action": "request",
                   "input": {"url": f"{sink.url}/items", "body": {"email": "{{ trigger.email }}"}}}],
    })
    runtime.automations.set_enabled("poll-to-sink", True)
    return "poll-to-sink"


def test_first_poll_only_seeds(runtime: Runtime, automation: str, sink: Sink) -> None:
    run_ids = runtime.poll_trigger(automation)

    state = runtime.trigger_states.get(automation)
    assert run_ids == []
    assert state.seeded_at is not None
    assert state.seen_ids == ["1"]
    assert state.cursor == {"count": 1}
    assert runtime.events.list(automation) == []


def test_new_items_become_runs(runtime: Runtime, automation: str, source: FakeSource, sink: Sink) -> None:
    runtime.poll_trigger(automation)
    source.items += [{"id": "2", "email": "a@exemple.ca"}, {"id": "3", "email": "b@exemple.ca"}]

    run_ids = runtime.poll_trigger(automation)
    for run_id in run_ids:
        runtime.execute_run(run_id)

    assert len(run_ids) == 2
    assert sorted(request.json()["email"] for request in sink.requests) == ["a@exemple.ca", "b@exemple.ca"]
    assert runtime.trigger_states.get(automation).seen_ids == ["1", "2", "3"]


def test_poll_without_news_fires_nothing(runtime: Runtime, automation: str, source: FakeSource) -> None:
    runtime.poll_trigger(automation)
    source.items.append({"id": "2", "email": "a@exemple.ca"})
    runtime.poll_trigger(automation)

    assert runtime.poll_trigger(automation) == []
    assert len(runtime.events.list(automation)) == 1


def test_failed_poll_keeps_cursor(runtime: Runtime, automation: str, source: FakeSource) -> None:
    runtime.poll_trigger(automation)
    source.failure = RuntimeError("app unreachable")

    assert runtime.poll_trigger(automation) == []
    failed = runtime.trigger_states.get(automation)
    assert failed.cursor == {"count": 1}
    assert describe_poll_error(failed.error, "en") == "RuntimeError: app unreachable"

    source.failure = None
    source.items.append({"id": "2", "email": "a@exemple.ca"})
    assert len(runtime.poll_trigger(automation)) == 1
    assert runtime.trigger_states.get(automation).error is None
    assert source.cursors[-1] == {"count": 1}


def test_enabling_again_seeds_again(runtime: Runtime, automation: str, source: FakeSource) -> None:
    runtime.poll_trigger(automation)
    runtime.automations.set_enabled(automation, False)
    source.items.append({"id": "2", "email": "while-off@exemple.ca"})
    runtime.automations.set_enabled(automation, True)

    assert runtime.poll_trigger(automation) == []
    assert runtime.trigger_states.get(automation).seen_ids == ["1", "2"]


def test_seen_ids_stay_bounded(runtime: Runtime, automation: str, source: FakeSource,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trigger_states, "MAX_SEEN_IDS", 3)
    runtime.poll_trigger(automation)
    source.items += [{"id": str(number), "email": f"{number}@exemple.ca"} for number in range(2, 7)]

    runtime.poll_trigger(automation)

    assert runtime.trigger_states.get(automation).seen_ids == ["4", "5", "6"]


def test_scheduler_enqueues_due_polls(runtime: Runtime, automation: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    enqueued: list[str] = []
    monkeypatch.setattr(runtime, "enqueue_poll", enqueued.append)

    assert runtime.schedule_polls() == 1
    assert runtime.schedule_polls() == 0  # the interval (60 s) has not passed
    assert enqueued == [automation]


def test_app_poll_error_shows_message_only(runtime: Runtime, automation: str, source: FakeSource) -> None:
    runtime.poll_trigger(automation)
    source.failure = ServerError(_l("{url} answered {status}: a server error, Arrimage will try again.",
                                    url="http://127.0.0.1:9/items", status=503))

    runtime.poll_trigger(automation)
    stored = runtime.trigger_states.get(automation).error

    assert stored is not None and '"type": "ServerError"' in stored
    assert describe_poll_error(stored, "en") == (
        "http://127.0.0.1:9/items answered 503: a server error, Arrimage will try again.")
    assert describe_poll_error(stored, "fr_CA") == (
        "http://127.0.0.1:9/items a répondu 503 (erreur du serveur)\u00a0: Arrimage réessaiera.")
