"""Webhook: start an automation when any app posts to Arrimage's webhook URL."""

from __future__ import annotations

from arrimage.connectors.declaration import (
    App,
    Choice,
    Field,
    FieldType,
    Operation,
    OperationKind,
    TriggerMode,
)
from arrimage.connectors.samples import load_sample
from arrimage.connectors.webhook.triggers import parse_catch_hook
from arrimage.i18n import _l

CATCH_HOOK = Operation(
    key="catch_hook",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.INSTANT,
    noun=_l("request"),
    label=_l("Catch a webhook"),
    description=_l(
        "Starts when an app sends a JSON object, an array of objects or a form to the "
        "automation's webhook URL."
    ),
    fields=(
        Field(
            key="signature_header",
            label=_l("Signature header"),
            help=_l(
                "Header that carries an HMAC-SHA256 signature of the body, such as "
                "X-Signature. Leave empty to accept unsigned requests. The secret comes from "
                "the connection."
            ),
            placeholder="X-Signature",
        ),
        Field(
            key="signature_encoding",
            label=_l("Signature encoding"),
            type=FieldType.CHOICE,
            default="hex",
            choices=(Choice("hex", _l("Hexadecimal")), Choice("base64", _l("Base64"))),
        ),
        Field(
            key="signature_prefix",
            label=_l("Signature prefix"),
            help=_l("Text before the signature in the header, such as sha256=."),
            placeholder="sha256=",
        ),
        Field(
            key="event_id_header",
            label=_l("Event id header"),
            help=_l(
                "Header whose value identifies a delivery, so a repeated delivery starts no "
                "second run. Without it, Arrimage compares the bodies."
            ),
            placeholder="X-Event-Id",
        ),
    ),
    sample=load_sample(__file__, "catch_hook"),
    parse=parse_catch_hook,
    event_id_headers=("idempotency-key", "x-event-id", "x-request-id"),
)

APP = App(
    key="webhook",
    name=_l("Webhook"),
    description=_l("Receive data from any app that can send an HTTP request."),
    triggers=(CATCH_HOOK,),
    connection_fields=(
        Field(
            key="signing_secret",
            label=_l("Signing secret"),
            type=FieldType.PASSWORD,
            required=True,
            help=_l("The secret the sending app uses to sign its requests."),
        ),
    ),
)
