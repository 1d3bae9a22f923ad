"""A local emulator of the Cyberimpact REST API v4, with an outbox for opt-in emails.

``create_app(config)`` returns the ASGI application and ``run_sandbox(config, host, port)``
serves it with uvicorn (127.0.0.1:8466 by default). The emulator covers ping, members (lists,
look-up, create, PUT, PATCH, DELETE, unsubscribe, groups, consent), opt-ins, custom fields,
groups, batches and tokens, with Cyberimpact's field names, status codes, sort keys, filters
and date formats. Admin routes under ``/_sandbox`` set faults, reset the data and dump it.

Assumptions, where Cyberimpact's public documentation is silent (each has a setting in
:class:`SandboxConfig` where a choice is plausible):

- Error bodies are ``{"message", "errors": [{"field", "description"}]}`` (``error_shape``:
  ``message``, ``errors_list``, ``errors_object`` or ``text``).
- Invalid fields return 422 (``validation_status``). A body that is not JSON or breaks the
  batch schema returns 400 (``schema_error_status``). A duplicate member returns 409
  (``duplicate_status``). A 401 uses the same body shape with ``WWW-Authenticate: Bearer``.
- Unknown group ids are an error (``unknown_group="ignore"`` drops them); dynamic groups
  reject members and edits.
- ``POST /members`` and batch ``addMembers`` reject an unsubscribed address
  (``unsubscribed_readd="resubscribe"`` subscribes it again); a confirmed opt-in always
  resubscribes.
- Members made by ``POST /members`` get implied consent with relation ``active-clients`` dated
  today (``default_relation_type``). An opt-in confirmation gives ``express-consent``.
- ``PUT /members/{key}/consent`` returns 422 when an implied relation would replace an express
  consent. Implied consent expires after 24 months, or 6 for ``information-request``.
- Group changes leave ``updatedOn`` alone (``group_change_updates_member``).
- PATCH merges ``customFields`` per id and adds ``groups``; PUT replaces ``groups`` only
  when sent. An opt-in confirmation overwrites the fields it carries and keeps the others.
- With no ``sort`` a list is in id order. Bounced members stay in ``GET /members``.
- A ``limit`` above ``max_page_size`` (10 000 by default, Cyberimpact's documented maximum)
  is served as that many items, and the response's ``limit`` says so.
- ``dateReturnFormat=ISO8601`` uses PHP's ``Y-m-d\\TH:i:sO`` (offset without a colon);
  ``ATOM`` uses ``+hh:mm``.
- ``GET /batches/{id}`` without ``showErrorDetails=true`` lists errors by ``id`` only.
- Throttling happens only when faults ask for it (``faults.throttle_after`` or
  ``faults.throttle_every``), with a 429 response and ``Retry-After`` in seconds.
- Opt-in requests never expire, and nothing is visible in the account until confirmation.
"""

from __future__ import annotations

from arrimage.sandbox.app import create_app, run_sandbox
from arrimage.sandbox.config import DEFAULT_HOST, DEFAULT_PORT, SandboxConfig
from arrimage.sandbox.faults import FaultSettings

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "FaultSettings",
    "SandboxConfig",
    "create_app",
    "run_sandbox",
]
