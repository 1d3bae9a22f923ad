"""HTTP request: call any URL as a step of an automation."""

from __future__ import annotations

from arrimage.connectors.declaration import (
    App,
    Choice,
    Field,
    FieldType,
    Operation,
    OperationKind,
)
from arrimage.connectors.http.actions import METHODS, perform_request
from arrimage.connectors.samples import load_sample
from arrimage.i18n import _l

REQUEST = Operation(
    key="request",
    kind=OperationKind.ACTION,
    noun=_l("request"),
    label=_l("Send an HTTP request"),
    description=_l("Sends a request to any URL and returns the status, headers and body."),
    fields=(
        Field(
            key="method",
            label=_l("Method"),
            type=FieldType.CHOICE,
            default="POST",
            choices=tuple(Choice(method, _l(method)) for method in METHODS),
        ),
        Field(key="url", label=_l("URL"), type=FieldType.URL, required=True,
              placeholder="https://example.com/hook"),
        Field(key="headers", label=_l("Headers"), type=FieldType.DICT,
              help=_l("Header names and values. Put secrets in the connection instead.")),
        Field(key="query", label=_l("Query parameters"), type=FieldType.DICT),
        Field(
            key="body_format",
            label=_l("Body format"),
            type=FieldType.CHOICE,
            default="json",
            choices=(
                Choice("json", _l("JSON")),
                Choice("form", _l("Form (URL-encoded)")),
                Choice("raw", _l("Raw text")),
                Choice("none", _l("No body")),
            ),
        ),
        Field(key="body", label=_l("Body"), type=FieldType.JSON,
              help=_l("For JSON, any value; for a form, names and values; for raw, text.")),
        Field(key="timeout_seconds", label=_l("Timeout (seconds)"), type=FieldType.NUMBER,
              help=_l("How long to wait for the answer. Default: the server's setting (30 s).")),
    ),
    sample=load_sample(__file__, "request"),
    perform=perform_request,
)

APP = App(
    key="http",
    name=_l("HTTP request"),
    description=_l("Call any web service that accepts HTTP requests."),
    actions=(REQUEST,),
    connection_fields=(
        Field(key="auth_header_name", label=_l("Authentication header"), default="Authorization"),
        Field(
            key="auth_header_value",
            label=_l("Authentication value"),
            type=FieldType.PASSWORD,
            help=_l("For example: Bearer followed by a token. Stored encrypted."),
        ),
    ),
)
