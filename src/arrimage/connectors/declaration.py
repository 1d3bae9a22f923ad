"""Connector declarations: an app with its triggers, actions and searches, as data.

The engine validates automation documents against these declarations, the CLI and the web UI
list and render them, and each operation's ``perform`` (or ``parse``/``poll`` for triggers)
does the work. Labels and help texts are :class:`~arrimage.i18n.LazyText` so they render in
the reader's language.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from arrimage.i18n import LazyText

if TYPE_CHECKING:
    from arrimage.connectors.context import StepContext, TriggerContext, WebhookRequest


class FieldType(enum.StrEnum):
    """The closed set of field types that the UI can edit."""

    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    EMAIL = "email"
    URL = "url"
    CHOICE = "choice"
    MULTICHOICE = "multichoice"
    DICT = "dict"  # string keys to template values, such as HTTP headers
    JSON = "json"  # any JSON value
    PASSWORD = "password"  # a secret: stored encrypted, never shown back


@dataclass(frozen=True)
class Choice:
    value: str
    label: LazyText


@dataclass(frozen=True)
class Field:
    """One input of an operation or of a connection."""

    key: str
    label: LazyText
    type: FieldType = FieldType.STRING
    required: bool = False
    default: Any = None
    choices: tuple[Choice, ...] = ()
    help: LazyText | None = None
    placeholder: str | None = None
    # A field whose choices come from the account (e.g. groups) needs a connection first.
    depends_on: tuple[str, ...] = ()
    # Name of the app's choice source (see App.choice_sources) that lists this field's choices.
    choices_from: str | None = None
    # Kind of arrimage.normalize converter that the connector applies to this field's value
    # ("email", "gender", "text"…), or None when the value is sent as mapped. A step's
    # ``formats: {off: [...]}`` turns it off for that step.
    normalizer: str | None = None

    def __post_init__(self) -> None:
        if not self.key.isidentifier():
            raise ValueError(f"field key {self.key!r} must be a Python identifier")
        if self.type in (FieldType.CHOICE, FieldType.MULTICHOICE) and not (
            self.choices or self.depends_on
        ):
            raise ValueError(f"field {self.key!r}: a choice field needs choices or depends_on")
        if self.default is not None and self.choices:
            values = {choice.value for choice in self.choices}
            defaults = self.default if isinstance(self.default, list) else [self.default]
            if not set(defaults) <= values:
                raise ValueError(f"field {self.key!r}: default {self.default!r} is not a choice")


class OperationKind(enum.StrEnum):
    TRIGGER = "trigger"
    ACTION = "action"
    SEARCH = "search"


class TriggerMode(enum.StrEnum):
    INSTANT = "instant"  # the app posts to Arrimage's webhook URL
    POLLING = "polling"  # Arrimage requests new items from the app on a schedule


PerformFunction = Callable[["StepContext", dict[str, Any]], Any]
ParseFunction = Callable[["TriggerContext", "WebhookRequest"], list["IncomingEvent"]]
PollFunction = Callable[["TriggerContext", "PollState"], "PollResult"]
# Return an event's payload completed with what the app's notification leaves out.
EnrichFunction = Callable[["StepContext", dict[str, Any]], dict[str, Any]]
# Return up to ``limit`` recent items of a trigger, newest first, as its events' payloads.
SampleFunction = Callable[["TriggerContext", int], list[dict[str, Any]]]
# Return the choices of a field for one connection: ``{"value", "label"}`` dicts.
ChoiceSource = Callable[["TriggerContext"], list[dict[str, Any]]]


@dataclass(frozen=True)
class IncomingEvent:
    """One event a trigger produced. ``dedup_key`` None means "hash the payload"."""

    payload: dict[str, Any]
    dedup_key: str | None = None


@dataclass
class PollState:
    """The state a polling trigger kept from its last poll."""

    cursor: dict[str, Any] | None
    seen_ids: list[str]


@dataclass(frozen=True)
class PollResult:
    """New events (each with its source id as ``dedup_key``) and the cursor to keep."""

    events: list[IncomingEvent]
    cursor: dict[str, Any] | None


@dataclass(frozen=True)
class Operation:
    """A trigger, action or search: its fields, sample output and the function that runs it.

    ``label`` reads "New response", "Create contact", "Find contact" (2 to 64 characters).
    Every operation ships a ``sample``: the UI offers it as sample data and the docs show it.
    """

    key: str
    kind: OperationKind
    noun: LazyText
    label: LazyText
    description: LazyText
    fields: tuple[Field, ...] = ()
    sample: Mapping[str, Any] = field(default_factory=dict)
    perform: PerformFunction | None = None
    # Triggers only.
    mode: TriggerMode | None = None
    parse: ParseFunction | None = None
    poll: PollFunction | None = None
    # Header names whose value identifies a delivery, checked in order (instant triggers).
    event_id_headers: tuple[str, ...] = ()
    needs_connection: bool = False
    # Polling triggers: seconds between two polls of one automation, unless the automation
    # sets its own interval.
    poll_interval_seconds: float = 60.0
    # Triggers: fetch recent real items for "load sample data"; None offers only ``sample``.
    load_samples: SampleFunction | None = None
    # Triggers: complete the payload at the start of each run, as the recorded step
    # "trigger_details" with the steps' retries (e.g. read the properties a webhook leaves out).
    enrich: EnrichFunction | None = None

    def __post_init__(self) -> None:
        if not self.key.isidentifier():
            raise ValueError(f"operation key {self.key!r} must be a Python identifier")
        english = self.label.render("en")
        if not 2 <= len(english) <= 64:
            raise ValueError(f"operation {self.key!r}: label must have 2 to 64 characters")
        if not self.sample:
            raise ValueError(f"operation {self.key!r} has no sample output")
        keys = [f.key for f in self.fields]
        if len(keys) != len(set(keys)):
            raise ValueError(f"operation {self.key!r} declares a field key twice")
        if self.kind is OperationKind.TRIGGER:
            if self.mode is TriggerMode.INSTANT and self.parse is None:
                raise ValueError(f"instant trigger {self.key!r} needs a parse function")
            if self.mode is TriggerMode.POLLING and self.poll is None:
                raise ValueError(f"polling trigger {self.key!r} needs a poll function")
            if self.mode is None:
                raise ValueError(f"trigger {self.key!r} needs a mode")
        elif self.perform is None:
            raise ValueError(f"{self.kind} {self.key!r} needs a perform function")

    def field(self, key: str) -> Field | None:
        """Return the field named ``key``, or None."""
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        return None


@dataclass(frozen=True)
class App:
    """A connector: the app's name, how to connect to an account, and its operations."""

    key: str
    name: LazyText
    description: LazyText
    triggers: tuple[Operation, ...] = ()
    actions: tuple[Operation, ...] = ()
    searches: tuple[Operation, ...] = ()
    connection_fields: tuple[Field, ...] = ()
    # Check a connection's credentials; returns the account's display name.
    check_connection: Callable[[dict[str, Any]], str] | None = None
    # Choice lists loaded from the account, by name (e.g. "groups"); fields name them in
    # ``choices_from``.
    choice_sources: Mapping[str, ChoiceSource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind, operations in (
            (OperationKind.TRIGGER, self.triggers),
            (OperationKind.ACTION, self.actions),
            (OperationKind.SEARCH, self.searches),
        ):
            for operation in operations:
                if operation.kind is not kind:
                    raise ValueError(f"{self.key}.{operation.key} is declared as {kind}")
            keys = [operation.key for operation in operations]
            if len(keys) != len(set(keys)):
                raise ValueError(f"app {self.key!r} declares a {kind} key twice")
            for operation in operations:
                for declared in operation.fields:
                    if declared.choices_from and declared.choices_from not in self.choice_sources:
                        raise ValueError(
                            f"{self.key}.{operation.key}: field {declared.key!r} names the "
                            f"unknown choice source {declared.choices_from!r}"
                        )

    def operations(self, kind: OperationKind) -> tuple[Operation, ...]:
        """Return the triggers, actions or searches."""
        return {
            OperationKind.TRIGGER: self.triggers,
            OperationKind.ACTION: self.actions,
            OperationKind.SEARCH: self.searches,
        }[kind]

    def operation(self, kind: OperationKind, key: str) -> Operation | None:
        """Return the operation of ``kind`` named ``key``, or None."""
        for operation in self.operations(kind):
            if operation.key == key:
                return operation
        return None
