"""The private Cyberimpact accounts of a dry run: one sandbox per connection, seeded with a copy.

Each Cyberimpact connection that an automation's steps use gets a private in-memory sandbox,
seeded with a read-only copy of the account's groups and custom fields (same ids and titles)
and no contacts. Dry-run steps receive a connection to that sandbox instead of the real one.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from arrimage.connectors.context import ConnectionData, TriggerContext
from arrimage.engine.document import ActionStep, AutomationDocument, SearchStep
from arrimage.engine.dry_run_apps import DRY_RUN_TARGETS
from arrimage.engine.errors import ArrimageError
from arrimage.engine.lookups import check_connection
from arrimage.i18n import LazyText, _l
from arrimage.logs import ContextAdapter
from arrimage.sandbox.private import PrivateSandbox
from arrimage.sandbox.seed import SeedCustomField, SeedFile, SeedGroup

if TYPE_CHECKING:
    from arrimage.runtime import Runtime

logger = logging.getLogger(__name__)

CYBERIMPACT = "cyberimpact"
# The custom field types that Cyberimpact documents for GET /customfields.
CUSTOM_FIELD_TYPES = frozenset({"text", "date", "integer", "decimal number"})


@dataclass
class DryRunWarning:
    """A problem that changed how the dry run ran, such as an account that could not be copied."""

    code: str
    message: LazyText
    connection: str | None = None

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        """Return the warning as JSON-ready data, its message rendered in ``locale``."""
        return {"code": self.code, "connection": self.connection,
                "message": self.message.render(locale)}


@dataclass
class PrivateAccount:
    """The private sandbox that replaces the account of one Cyberimpact connection."""

    name: str
    sandbox: PrivateSandbox
    connection: ConnectionData


class PrivateAccounts:
    """The private accounts of one dry run, by connection reference (id or name, as written)."""

    def __init__(self) -> None:
        self.by_reference: dict[str, PrivateAccount] = {}
        # Why each reference that names no usable connection cannot be resolved.
        self.unresolved: dict[str, ArrimageError] = {}
        self.warnings: list[DryRunWarning] = []

    def connection(self, reference: str) -> ConnectionData:
        """Return the connection to the private sandbox of ``reference``.

        Raises the error that resolving the real connection raised, such as
        :class:`~arrimage.engine.errors.NotFoundError`, so the step fails as in a real run.
        """
        account = self.by_reference.get(reference)
        if account is None:
            raise self.unresolved[reference]
        return account.connection

    def accounts(self) -> list[PrivateAccount]:
        """Return each account once, in the order of the steps that first use it."""
        unique: dict[int, PrivateAccount] = {}
        for account in self.by_reference.values():
            unique.setdefault(id(account), account)
        return list(unique.values())

    def emails(self) -> list[dict[str, Any]]:
        """Return the opt-in emails of every outbox: ``connection``, ``to``, ``subject``,
        ``locale`` and the ``groups``' titles."""
        return [
            {"connection": account.name, "to": email.to, "subject": email.subject,
             "locale": email.locale, "groups": email.groups}
            for account in self.accounts()
            for email in account.sandbox.emails()
        ]

    def contacts(self) -> list[dict[str, Any]]:
        """Return the contacts of every account, each with its ``connection``."""
        return [
            {"connection": account.name, **contact}
            for account in self.accounts()
            for contact in account.sandbox.contacts()
        ]


def start_private_accounts(
    runtime: Runtime, document: AutomationDocument, stack: ExitStack, log: ContextAdapter,
) -> PrivateAccounts:
    """Start a private sandbox for each Cyberimpact connection of the steps, stopped by ``stack``.

    Two references to the same connection share one account. A reference that names no
    connection gets no account. An account that cannot be read gets an empty sandbox and a
    warning.
    """
    private = PrivateAccounts()
    by_connection_id: dict[str, PrivateAccount] = {}
    for reference in _cyberimpact_references(document):
        try:
            connection = runtime.connections.resolve(reference, CYBERIMPACT)
        except ArrimageError as exc:
            private.unresolved[reference] = exc
            continue
        if connection.id in by_connection_id:
            private.by_reference[reference] = by_connection_id[connection.id]
            continue

        try:
            seed = copy_account(runtime, connection)
        except ArrimageError as exc:
            log.warning("dry run: cannot copy the groups and custom fields of a Cyberimpact "
                        "connection (%s), so its account starts empty", exc.code,
                        extra={"connection_id": connection.id})
            private.warnings.append(DryRunWarning("dry_run.account_not_copied", _l(
                "The groups and custom fields of the connection {connection} could not be read, "
                "so the dry run used an empty Cyberimpact account. Reason: {reason}",
                connection=connection.name, reason=exc.message), connection.name))
            seed = None

        name = account_name(runtime, connection, readable=seed is not None, log=log)
        sandbox = stack.enter_context(PrivateSandbox(seed, account=name))
        account = PrivateAccount(connection.name, sandbox, ConnectionData(
            id=f"dry-run-{connection.id}", app=CYBERIMPACT, name=connection.name,
            config={"base_url": sandbox.base_url}, secrets={"token": sandbox.token}))
        private.by_reference[reference] = by_connection_id[connection.id] = account
    return private


def account_name(runtime: Runtime, connection: ConnectionData, *, readable: bool, log: ContextAdapter) -> str:
    """Return the name that the opt-in emails give the account, as Cyberimpact would.

    The name comes from the real account's ``GET /ping``, then from the last connection check
    stored, then from the connection's own name. An account that could not be copied
    (``readable`` false) is not called again, so an unreachable server delays the run once only.
    """
    if readable:
        try:
            name = check_connection(runtime, CYBERIMPACT, {**connection.config, **connection.secrets})
        except ArrimageError as exc:
            log.warning("dry run: cannot read the name of a Cyberimpact account (%s), so the opt-in "
                        "emails use the name of the last check or of the connection", exc.code,
                        extra={"connection_id": connection.id})
        else:
            if name:
                return name
    stored = runtime.connections.get(connection.id).get("account_name")
    return str(stored or connection.name)


def _cyberimpact_references(document: AutomationDocument) -> list[str]:
    """Return the connection references of the Cyberimpact steps, without repeats, in order."""
    references: list[str] = []
    for _location, step in document.iter_steps():
        if isinstance(step, ActionStep | SearchStep) and step.app in DRY_RUN_TARGETS:
            if step.connection and step.connection not in references:
                references.append(step.connection)
    return references


def copy_account(runtime: Runtime, connection: ConnectionData) -> SeedFile:
    """Read the groups and custom fields of a Cyberimpact account, as a sandbox seed.

    Reads through the app's choice sources and writes nothing. Raises the connector's error
    (an :class:`~arrimage.engine.errors.ArrimageError`) when the account cannot be read.
    """
    app = runtime.apps[CYBERIMPACT]
    context = TriggerContext(
        automation_id="", options={}, connection=connection, http=runtime.http,
        logger=ContextAdapter(logger, {"connection_id": connection.id}),
    )
    groups = app.choice_sources["groups"](context)
    custom_fields = app.choice_sources["custom_fields"](context)

    created_on = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return SeedFile(
        groups=[
            SeedGroup(id=int(group["value"]), title=str(group["label"]),
                      isPublic=bool(group.get("public")), isDynamic=bool(group.get("dynamic")),
                      createdOn=created_on)
            for group in groups if str(group["value"]).isdigit()
        ],
        customFields=[
            SeedCustomField(id=int(custom["value"]), name=str(custom["label"]),
                            type=_custom_field_type(custom.get("type")))
            for custom in custom_fields if str(custom["value"]).isdigit()
        ],
    )


def _custom_field_type(value: Any) -> Any:
    # A type outside the documented ones is copied as text, so that its values still reach
    # the contact instead of failing the whole copy.
    return value if value in CUSTOM_FIELD_TYPES else "text"
