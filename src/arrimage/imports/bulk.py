"""The batch path: new contacts go to Cyberimpact in ``addMembers`` batches, polled until done.

Cyberimpact's ``addMembers`` updates a contact that already exists, and Cyberimpact and CASL
forbid changing a contact's details without the contact's confirmation. So the import first
reads every address of the account (subscribed, unsubscribed and bounced) into the progress
file, and only addresses absent from it go into batches:

- an existing contact is only added to the row's groups with ``POST /members/{email}/groups``
  (status ``updated``), and its details and consent stay as they are. It is left alone
  (status ``skipped``) when the row has no groups or the automation's action is "create
  contact";
- an unsubscribed contact is skipped, because only a confirmed opt-in may subscribe it again;
- an address seen on an earlier row of the file is skipped.

A batch is stored in the progress file before it is sent and its id after, so a resumed
import polls the batches already created instead of sending them again. The requests about
batches run on a :class:`~arrimage.imports.batches.BatchSender` thread, so that rows are
converted while Cyberimpact processes the batches already sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from arrimage.connectors.context import FormatSettings
from arrimage.connectors.cyberimpact.client import CyberimpactClient
from arrimage.connectors.cyberimpact.errors import CyberimpactRejectedError
from arrimage.engine.errors import ArrimageError, TransientStepError
from arrimage.engine.retry import retry_delay
from arrimage.i18n import LazyText, _, _l
from arrimage.imports.batches import BatchEvent, BatchSender
from arrimage.imports.contacts import (
    ConsentFallback,
    MemberBuilder,
    MemberRow,
    RowRejected,
    email_key,
)
from arrimage.imports.reading import SourceRow
from arrimage.imports.state import ImportState, Outcome, stored_warnings

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 500
MAX_CHUNK_SIZE = 10_000
# Batches sent but not yet done. The sandbox processes one batch at a time, so more would only
# wait in its queue. With fewer, Cyberimpact would wait idle while the next batch is sent.
MAX_BATCHES_IN_FLIGHT = 3
# Batches stored and queued for sending beyond those: the conversion of rows runs this far
# ahead of Cyberimpact, then waits.
BATCHES_AHEAD = 2
SNAPSHOT_PAGE_SIZE = 5_000
MAX_ATTEMPTS = 8
RETRY_BASE_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0
COMMIT_EVERY_ROWS = 500

# "create": an existing contact is left alone (the "create contact" action).
# "find_or_create": an existing contact is added to the groups (the "find or create" action).
EXISTING_POLICIES = ("create", "find_or_create")

T = TypeVar("T")


@dataclass
class BulkSettings:
    """Settings that turn rows into contacts: the source of their values and their consent."""

    client: CyberimpactClient
    values_of: Callable[[SourceRow], dict[str, Any]]
    formats: FormatSettings = field(default_factory=FormatSettings)
    fallback: ConsentFallback = field(default_factory=ConsentFallback)
    extra_groups: tuple[int, ...] = ()
    existing_policy: str = "find_or_create"
    chunk_size: int = DEFAULT_CHUNK_SIZE


class BulkImport:
    """Send rows to Cyberimpact in batches, recording each row's outcome in ``state``."""

    def __init__(
        self,
        settings: BulkSettings,
        state: ImportState,
        notify: Callable[[str], None] = lambda text: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if settings.existing_policy not in EXISTING_POLICIES:
            raise ValueError(f"unknown existing_policy {settings.existing_policy!r}")
        self.settings = settings
        self.client = settings.client
        self.state = state
        self.notify = notify
        self.sleep = sleep
        self._groups: dict[str, int] = {}
        self._group_titles: dict[int, str] = {}
        self._builder = MemberBuilder(settings.formats, self._resolve_group, settings.fallback,
                                      settings.extra_groups)
        self._buffers: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._sender: BatchSender | None = None
        self._uncommitted = 0

    # Start and end

    def prepare(self) -> None:
        """Read the account's groups and addresses, then resume what an earlier run left."""
        for group in self._call(lambda: list(self.client.iter_groups(page_size=1000))):
            group_id = int(group["id"])
            title = str(group.get("title", "")).strip()
            self._groups[str(group_id)] = group_id
            self._groups.setdefault(title.casefold(), group_id)
            self._group_titles[group_id] = title
        unknown = [group for group in self.settings.extra_groups if str(group) not in self._groups]
        if unknown:
            raise ArrimageError(_l(
                "The group {group} does not exist in this Cyberimpact account. Check the "
                "group ids with: arrimage connections choices CONNECTION groups.",
                group=unknown[0]))

        count = self._call(lambda: self.state.replace_existing(self._account_addresses()))
        self.state.commit()
        logger.info("read %d addresses of the Cyberimpact account", count)

        in_flight: list[tuple[int, int]] = []
        unsent = []
        for chunk in self.state.open_chunks():
            if chunk.batch_id is not None:
                in_flight.append((chunk.id, chunk.batch_id))
            elif not self._added_before_interruption(chunk.id):
                unsent.append(chunk)
        self._sender = BatchSender(self.client, self._call, MAX_BATCHES_IN_FLIGHT, in_flight)
        for chunk in unsent:
            # NOTE: the earlier run stopped between sending this batch and recording the id
            # Cyberimpact gave it. When Cyberimpact has not processed that batch yet, its
            # contacts are not in the account, so the batch is sent again and addMembers
            # writes the same values a second time.
            self._sender.submit(chunk.id, chunk.body)
        for number, batch_key, member in self.state.pending_rows():
            self._buffers.setdefault(batch_key, []).append((number, member))

    def _added_before_interruption(self, chunk_id: int) -> bool:
        """Finish a batch whose contacts are all in the account already; return whether it was.

        Only new addresses go into batches, so when every one of them is now in the account,
        the earlier run's batch was created and processed, and sending it again is not needed.
        """
        rows = self.state.chunk_rows(chunk_id)
        if not rows or any(self.state.existing_kind(email_key(email)) is None for _n, email in rows):
            return False
        detail = _l("Added by a batch sent just before the interruption.")
        self.state.finish_chunk(chunk_id, {number: Outcome("created", detail) for number, _e in rows})
        self.state.commit()
        logger.info("batch of chunk %s was processed before the interruption; not sent again",
                    chunk_id)
        return True

    def finish(self) -> None:
        """Send the rows still waiting and wait for every batch."""
        for batch_key in list(self._buffers):
            self._flush(batch_key)
        sender = self._batch_sender()
        self._record_batch_events(until_below=1)
        sender.close()
        self.state.commit()

    def save_progress(self) -> None:
        """Record what the sender reported so far, without waiting, and commit.

        Call it when the import stops early, so that a resumed import finds the ids of the
        batches already sent in the progress file.
        """
        if self._sender is not None:
            for event in self._sender.events(wait=False):
                if event.kind != "failed":
                    self._record_batch_event(event)
        self.state.commit()

    # Rows

    def handle(self, row: SourceRow) -> None:
        """Convert one row, then record it, send it to its contact, or queue it for a batch."""
        warnings = list(row.warnings)
        if row.is_empty:
            self._record(row.number, None, Outcome("skipped", _l("Empty row.")))
            return
        try:
            member = self._builder.build(self.settings.values_of(row))
        except RowRejected as exc:
            email = row.values.get("email") or None
            self._record(row.number, email,
                         Outcome("failed", exc.reason, stored_warnings(warnings)))
            return
        except ArrimageError as exc:  # a template of the automation failed on this row
            self._record(row.number, row.values.get("email") or None,
                         Outcome("failed", exc.message, stored_warnings(warnings)))
            return
        warnings.extend(member.warnings)

        key = email_key(member.email)
        earlier = self.state.first_seen(key, row.number)
        if earlier is not None:
            self._record(row.number, member.email, Outcome(
                "skipped", _l("Same email address as row {row}.", row=earlier),
                stored_warnings(warnings)))
            return
        kind = self.state.existing_kind(key)
        if kind is not None:
            self._record(row.number, member.email, self._existing(member, kind, warnings))
            return

        self.state.add_pending(row.number, member.email, member.batch_key, member.member,
                               stored_warnings(warnings))
        buffer = self._buffers.setdefault(member.batch_key, [])
        buffer.append((row.number, member.member))
        if len(buffer) >= self.settings.chunk_size:
            # The batch is stored with its rows, which are then written once, as sent.
            self._flush(member.batch_key)
        else:
            self._count_change()

    def _existing(self, member: MemberRow, kind: str, warnings: list[LazyText]) -> Outcome:
        if kind == "unsubscribed":
            return Outcome("skipped", _l(
                "This contact unsubscribed. Only an opt-in request that the contact confirms "
                "can subscribe them again."), stored_warnings(warnings))
        if self.settings.existing_policy == "create":
            return Outcome("skipped", _l(
                "Already in Cyberimpact: the contact is left as it is, as the create contact "
                "action does."), stored_warnings(warnings))
        if not member.groups:
            return Outcome("skipped", _l(
                "Already in Cyberimpact, and no group to add: the contact is left as it is."),
                stored_warnings(warnings))
        try:
            self._call(lambda: self.client.add_member_groups(member.email, member.groups))
        except CyberimpactRejectedError as exc:
            return Outcome("failed", exc.message, stored_warnings(warnings))
        return Outcome("updated", _l(
            "Already in Cyberimpact: added to the groups {groups} only. Their details were not "
            "changed, because Cyberimpact requires the contact's confirmation for that.",
            groups=self._group_names(member.groups)), stored_warnings(warnings))

    def _group_names(self, groups: tuple[int, ...]) -> str:
        """Return the groups as "Title (id)", or the bare id of a group without a title."""
        names = []
        for group in groups:
            title = self._group_titles.get(group)
            names.append(f"{title} ({group})" if title else str(group))
        return ", ".join(names)

    def _record(self, number: int, email: str | None, outcome: Outcome) -> None:
        self.state.record(number, email, outcome)
        self._count_change()

    def _count_change(self) -> None:
        self._uncommitted += 1
        if self._uncommitted >= COMMIT_EVERY_ROWS:
            self.state.commit()
            self._uncommitted = 0

    # Batches

    def _flush(self, batch_key: str) -> None:
        rows = self._buffers.pop(batch_key, [])
        if not rows:
            return
        relation_type, _separator, groups = batch_key.partition("|")
        body: dict[str, Any] = {
            "batchType": "addMembers",
            "relationType": relation_type,
            "groups": [int(group) for group in groups.split(",") if group],
            "members": [member for _number, member in rows],
        }
        fallback = self.settings.fallback
        if fallback.consent_date is not None:
            body["defaultConsentDate"] = fallback.consent_date.isoformat()
        if fallback.consent_proof:
            body["defaultConsentProof"] = fallback.consent_proof

        chunk_id = self.state.new_chunk(body, [number for number, _member in rows])
        # The batch and its rows are on disk before Cyberimpact receives the batch.
        self.state.commit()
        self._uncommitted = 0
        self._batch_sender().submit(chunk_id, body)
        self._record_batch_events(until_below=MAX_BATCHES_IN_FLIGHT + BATCHES_AHEAD)

    def _batch_sender(self) -> BatchSender:
        if self._sender is None:
            self._sender = BatchSender(self.client, self._call, MAX_BATCHES_IN_FLIGHT)
        return self._sender

    def _record_batch_events(self, until_below: int) -> None:
        """Record what the sender reported; wait while ``until_below`` or more batches are open."""
        sender = self._batch_sender()
        wait = False
        while True:
            events = sender.events(wait=wait)
            for event in events:
                self._record_batch_event(event)
            if events:
                self.state.commit()
            if sender.outstanding < until_below:
                return
            wait = True

    def _record_batch_event(self, event: BatchEvent) -> None:
        if event.kind == "failed":
            assert event.error is not None
            raise event.error
        if event.kind == "sent":
            self.state.chunk_sent(event.chunk_id, event.batch_id)
        elif event.kind == "rejected":
            rows = self.state.chunk_rows(event.chunk_id)
            self.state.finish_chunk(event.chunk_id, {
                number: Outcome("failed", _error_text(event.error)) for number, _email in rows})
        else:
            self.state.finish_chunk(event.chunk_id, self._outcomes(
                event.chunk_id, event.batch_id, event.result or {}))

    def _outcomes(self, chunk_id: int, batch_id: int, result: dict[str, Any]) -> dict[int, Outcome]:
        successes = {email_key(str(key)) for key in result.get("successes") or []}
        errors: dict[str, str] = {}
        for error in result.get("errors") or []:
            if isinstance(error, dict):
                errors.setdefault(email_key(str(error.get("id", ""))), str(error.get("description", "")))

        created = Outcome("created", _l("Added to Cyberimpact."))
        unreported = Outcome("failed", _l(
            "Cyberimpact did not report this contact in the result of batch {batch}. "
            "Check the contact in Cyberimpact.", batch=batch_id))
        outcomes: dict[int, Outcome] = {}
        for number, email in self.state.chunk_rows(chunk_id):
            key = email_key(email)
            if key in errors:
                outcomes[number] = Outcome("failed", _l(
                    "Cyberimpact rejected the contact: {reason}", reason=errors[key] or "-"))
            elif key in successes:
                outcomes[number] = created
            else:
                outcomes[number] = unreported
        return outcomes

    # Account data and retries

    def _account_addresses(self) -> Iterator[tuple[str, str]]:
        page = SNAPSHOT_PAGE_SIZE
        for member in self.client.iter_members(page_size=page, status="all"):
            yield email_key(str(member.get("email", ""))), "subscribed"
        for member in self.client.iter_bounced_members(page_size=page):
            yield email_key(str(member.get("email", ""))), "bounced"
        for member in self.client.iter_unsubscribed_members(page_size=page):
            yield email_key(str(member.get("email", ""))), "unsubscribed"

    def _resolve_group(self, text: str) -> int | None:
        return self._groups.get(text.strip().casefold()) or self._groups.get(text.strip())

    def _call(self, request: Callable[[], T]) -> T:
        """Run a request, waiting and trying again after a transient error (429, 5xx, timeout)."""
        attempt = 1
        while True:
            try:
                return request()
            except TransientStepError as exc:
                if attempt >= MAX_ATTEMPTS:
                    raise
                delay = retry_delay(attempt, base_seconds=RETRY_BASE_SECONDS,
                                    max_seconds=RETRY_MAX_SECONDS, retry_after=exc.retry_after)
                logger.warning("Cyberimpact request failed (%s), attempt %d of %d; retry in %.1f s",
                               exc.code, attempt, MAX_ATTEMPTS, delay)
                seconds = round(delay)
                self.notify(_("{problem} Waiting {seconds} s.", problem=str(exc), seconds=seconds))
                self.sleep(delay)
                attempt += 1


def _error_text(error: BaseException | None) -> LazyText | str:
    return error.message if isinstance(error, ArrimageError) else str(error)
