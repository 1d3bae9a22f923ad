"""A private sandbox that one piece of code starts, reads in-process and stops, such as a dry run.

It keeps its data in memory, accepts one random token and listens on a free port of 127.0.0.1,
so nothing else shares its account. Its owner loads the account's starting data, points API
clients at :attr:`PrivateSandbox.base_url`, then reads the opt-in emails and the contacts it
contains without going through the API.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from types import TracebackType
from typing import Any, Self

from arrimage.emulators.serving import BackgroundServer
from arrimage.sandbox.app import create_app
from arrimage.sandbox.config import SandboxConfig
from arrimage.sandbox.deps import Sandbox
from arrimage.sandbox.outbox import OutboxEmail, outbox_emails
from arrimage.sandbox.seed import SeedFile, load_seed


class PrivateSandbox:
    """An in-memory sandbox served in a daemon thread; use it as a context manager.

    ``seed`` is loaded before the server starts. ``account`` is the account name that the
    opt-in emails show.
    """

    def __init__(self, seed: SeedFile | None = None, *, account: str | None = None) -> None:
        self.token = secrets.token_urlsafe(24)
        settings: dict[str, Any] = {"tokens": [self.token]}
        if account:
            settings["account"] = account
        self.config = SandboxConfig(**settings)
        app = create_app(self.config)
        self.sandbox: Sandbox = app.state.sandbox
        if seed is not None:
            try:
                load_seed(self.sandbox.store, self.config, seed, source="private sandbox seed")
            except BaseException:
                self.sandbox.store.close()
                raise
        self.server = BackgroundServer(app, name="private Cyberimpact sandbox")
        self.started = False

    @property
    def base_url(self) -> str:
        """Return the API address, ``http://127.0.0.1:<port>``."""
        return self.server.base_url

    def start(self) -> Self:
        """Start serving; raise RuntimeError if the server is not up within 10 seconds."""
        self.started = True
        try:
            self.server.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving and free the storage; the data is gone afterwards."""
        if self.started:
            self.server.stop()
        else:
            self.server.sock.close()
        # The application's shutdown closes the store too, unless the server never started.
        # Closing it twice is harmless.
        self.sandbox.store.close()

    def emails(self) -> list[OutboxEmail]:
        """Return the opt-in emails of the outbox, oldest first."""
        with self.sandbox.store.transaction() as conn:
            return list(reversed(outbox_emails(conn, self.config)))

    def contacts(self) -> list[dict[str, Any]]:
        """Return every contact in id order, with its groups, consent and custom fields."""
        with self.sandbox.store.transaction() as conn:
            return contact_summaries(conn)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def contact_summaries(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Return each member as Arrimage shows a contact: snake_case keys, groups with titles.

    ``consent`` contains the type (``express`` or ``implied``), the relation type, the date
    (``yyyy-mm-dd``) and the proof. ``unsubscribed`` is true when the member unsubscribed.
    """
    titles = {row["id"]: row["title"] for row in conn.execute("SELECT id, title FROM groups")}
    groups: dict[int, list[dict[str, Any]]] = {}
    for row in conn.execute("SELECT member_id, group_id FROM memberships ORDER BY group_id"):
        group_id = row["group_id"]
        groups.setdefault(row["member_id"], []).append(
            {"id": group_id, "title": titles.get(group_id, str(group_id))})

    return [
        {
            "id": row["id"],
            "email": row["email"],
            "first_name": row["firstname"],
            "last_name": row["lastname"],
            "company": row["company"],
            "gender": row["gender"],
            "language": row["language"],
            "birthdate": row["birthdate"],
            "postal_code": row["postal_code"],
            "country": row["country"],
            "custom_fields": json.loads(row["custom_fields"]),
            "groups": groups.get(row["id"], []),
            "consent": {
                "type": row["consent_type"],
                "relation_type": row["relation_type"],
                "date": row["consent_date"],
                "proof": row["consent_proof"],
            },
            "unsubscribed": row["unsubscribed_on"] is not None,
        }
        for row in conn.execute("SELECT * FROM members ORDER BY id")
    ]
