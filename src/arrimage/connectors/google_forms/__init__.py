"""Google Forms: start an automation from a form response, sent at once or read by polling.

Two ways in, with the same trigger output (:mod:`.answers`):

- **new_response** (instant): an Apps Script that Arrimage generates (:mod:`.apps_script`) runs
  in the form and posts each response to the automation's webhook URL.
- **new_response_api** and **response_edited** (polling): :mod:`.client` reads the Forms API
  with a token from :mod:`.auth` (an access token, an OAuth refresh token or a service account).
"""

from __future__ import annotations

from typing import Any

import httpx

from arrimage.connectors.context import ConnectionData
from arrimage.connectors.declaration import (
    App,
    Field,
    FieldType,
    Operation,
    OperationKind,
    TriggerMode,
)
from arrimage.connectors.google_forms.auth import DEFAULT_TOKEN_URL, token_source
from arrimage.connectors.google_forms.client import DEFAULT_BASE_URL
from arrimage.connectors.google_forms.triggers import (
    parse_new_response,
    poll_new_response,
    poll_response_edited,
    sample_responses,
)
from arrimage.connectors.samples import load_sample
from arrimage.engine.errors import InvalidInputError
from arrimage.i18n import _l

FORM_ID = Field(
    key="form_id", label=_l("Form"), required=True,
    help=_l("The form's id, or its edit address: docs.google.com/forms/d/FORM_ID/edit."),
    placeholder="1FAIpQLSf…",
)

NEW_RESPONSE = Operation(
    key="new_response",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.INSTANT,
    noun=_l("response"),
    label=_l("New response"),
    description=_l(
        "Starts as soon as someone submits the form, through an Apps Script that Arrimage "
        "generates for the automation and that you paste into the form."),
    sample=load_sample(__file__, "new_response"),
    parse=parse_new_response,
)

NEW_RESPONSE_API = Operation(
    key="new_response_api",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.POLLING,
    noun=_l("response"),
    label=_l("New response (Forms API)"),
    description=_l(
        "Starts when a form has a new response, read every minute from the Forms API. An "
        "edited response does not start it again."),
    fields=(FORM_ID,),
    sample=load_sample(__file__, "new_response_api"),
    poll=poll_new_response,
    load_samples=sample_responses,
    needs_connection=True,
)

RESPONSE_EDITED = Operation(
    key="response_edited",
    kind=OperationKind.TRIGGER,
    mode=TriggerMode.POLLING,
    noun=_l("response"),
    label=_l("Response edited (Forms API)"),
    description=_l(
        "Starts when a respondent edits a response and submits it again, read every minute "
        "from the Forms API."),
    fields=(FORM_ID,),
    sample=load_sample(__file__, "response_edited"),
    poll=poll_response_edited,
    load_samples=sample_responses,
    needs_connection=True,
)


def check_connection(values: dict[str, Any]) -> str:
    """Check the connection: a service account or a refresh token must obtain a token.

    A pasted access token cannot be checked without a form, and a signing secret alone is
    checked by the first response. Returns the service account's email address, or "".
    """
    connection = ConnectionData(id="", app="google_forms", name="", config={}, secrets=dict(values))
    has_api_credentials = any(str(values.get(key) or "").strip()
                              for key in ("service_account_key", "refresh_token", "access_token"))
    if not has_api_credentials:
        if str(values.get("signing_secret") or "").strip():
            return ""
        raise InvalidInputError(_l(
            "Give a signing secret (for the Apps Script), or credentials for the Forms API: a "
            "service account key, an OAuth refresh token or an access token."))

    tokens = token_source(connection)
    if tokens.kind == "access_token":
        return ""
    with httpx.Client() as http:
        tokens.access_token(http)
    if tokens.kind == "service_account":
        return str(tokens.values["key"].get("client_email") or "")
    return ""


APP = App(
    key="google_forms",
    name=_l("Google Forms"),
    description=_l("Start automations from the responses to a Google form."),
    triggers=(NEW_RESPONSE, NEW_RESPONSE_API, RESPONSE_EDITED),
    connection_fields=(
        Field(
            key="signing_secret", label=_l("Signing secret"), type=FieldType.PASSWORD,
            help=_l("For the new response trigger: a long random text that the Apps Script "
                    "signs each response with. Generate the script again after changing it."),
        ),
        Field(
            key="service_account_key", label=_l("Service account key"), type=FieldType.PASSWORD,
            help=_l("For the Forms API triggers: the whole JSON key file of a Google Cloud "
                    "service account. Share the form with the service account's email address."),
        ),
        Field(
            key="refresh_token", label=_l("OAuth refresh token"), type=FieldType.PASSWORD,
            help=_l("For the Forms API triggers, instead of a service account: a refresh token "
                    "with the forms.body.readonly and forms.responses.readonly scopes."),
        ),
        Field(key="client_id", label=_l("OAuth client id"),
              help=_l("The OAuth client that issued the refresh token.")),
        Field(key="client_secret", label=_l("OAuth client secret"), type=FieldType.PASSWORD,
              help=_l("The secret of the OAuth client that issued the refresh token.")),
        Field(
            key="access_token", label=_l("Access token"), type=FieldType.PASSWORD,
            help=_l("For a quick test only: an OAuth access token expires after about an hour."),
        ),
        Field(
            key="api_base_url", label=_l("API address"), type=FieldType.URL, default=DEFAULT_BASE_URL,
            help=_l("Leave as is for Google. To try without Google, point it at the local "
                    "emulator: http://127.0.0.1:PORT."),
        ),
        Field(
            key="token_url", label=_l("Token endpoint"), type=FieldType.URL,
            help=_l("Where tokens are requested. Empty: the key file's token_uri, else {url}.",
                    url=DEFAULT_TOKEN_URL),
        ),
    ),
    check_connection=check_connection,
)
