"""The Google Forms triggers: a response posted by the Apps Script, or read from the Forms API.

Polling reads ``forms.responses.list`` with ``timestamp >= since - OVERLAP``, where ``since`` is
the latest ``lastSubmittedTime`` seen. The cursor keeps the ids of the responses read in that
window with their ``lastSubmittedTime``, so a response read again by the overlap is skipped, and
a known response with a later ``lastSubmittedTime`` is an edit, not a new response. A response
created before the window that shows up again was edited after earlier polls: also an edit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from arrimage.connectors.context import TriggerContext, WebhookRequest
from arrimage.connectors.declaration import IncomingEvent, PollResult, PollState
from arrimage.connectors.google_forms.answers import (
    Question,
    form_questions,
    format_time,
    parse_time,
    response_payload,
)
from arrimage.connectors.google_forms.auth import token_source
from arrimage.connectors.google_forms.client import DEFAULT_BASE_URL, FormsClient
from arrimage.connectors.webhook.triggers import decode_body
from arrimage.engine.errors import InvalidInputError, WebhookRejectedError
from arrimage.i18n import _l

SIGNATURE_HEADER = "x-arrimage-signature"
SIGNATURE_PREFIX = "sha256="
# Responses are read again for this long before the latest one seen, in case the API lists a
# response a little after a later one.
# NOTE: a guess. Google does not document how soon a response appears in forms.responses.list.
OVERLAP = timedelta(minutes=5)
FORM_URL = re.compile(r"/forms/d/(e/)?([A-Za-z0-9_-]{10,})")
FORM_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")


# Instant: the Apps Script posts each response.

def parse_new_response(context: TriggerContext, request: WebhookRequest) -> list[IncomingEvent]:
    """Check the signature when the trigger has a connection, then return the response.

    The response id is the de-duplication key, so the same response sent twice (an edited
    response submitted again, or a retried delivery) starts one run.
    """
    if context.connection is not None:
        verify_signature(context, request)
    body = decode_body(request)
    if not isinstance(body, dict):
        raise WebhookRejectedError(400, _l(
            "The body is not a JSON object: send one response per request, as the generated "
            "Apps Script does."))
    payload = normalize_script_payload(body)
    return [IncomingEvent(payload=payload, dedup_key=f"response:{payload['response_id']}")]


def verify_signature(context: TriggerContext, request: WebhookRequest) -> None:
    """Compare ``X-Arrimage-Signature`` with the HMAC-SHA256 of the body, in constant time."""
    assert context.connection is not None
    secret = context.connection.value("signing_secret")
    if not secret:
        raise WebhookRejectedError(401, _l(
            "This automation's Google Forms connection has no signing secret, so no response "
            "can be checked. Add a signing secret to the connection, then generate the Apps "
            "Script again."))
    received = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not received:
        raise WebhookRejectedError(401, _l(
            "The X-Arrimage-Signature header is missing. Generate the Apps Script again and "
            "paste it into the form's script editor."))
    if received.startswith(SIGNATURE_PREFIX):
        received = received[len(SIGNATURE_PREFIX):]
    expected = hmac.new(str(secret).encode("utf-8"), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), received.lower().encode("ascii", "replace")):
        raise WebhookRejectedError(401, _l(
            "The X-Arrimage-Signature header does not match the body. The Apps Script and the "
            "connection have different signing secrets: generate the script again."))


def normalize_script_payload(body: dict[str, Any]) -> dict[str, Any]:
    """Return the trigger output from the Apps Script's body, or raise a 400 naming the field."""
    response_id = body.get("response_id")
    if not isinstance(response_id, str) or not response_id.strip():
        raise WebhookRejectedError(400, _l(
            "The body has no response_id: it was not sent by the Apps Script that Arrimage "
            "generates."))
    payload: dict[str, Any] = {"response_id": response_id.strip()}
    for key in ("form_id", "form_title", "create_time", "last_submitted_time", "respondent_email"):
        value = body.get(key)
        payload[key] = value.strip() if isinstance(value, str) else ""
    for key in ("answers", "answers_by_id"):
        value = body.get(key, {})
        if not isinstance(value, dict):
            raise WebhookRejectedError(400, _l(
                "The field {field} must be a JSON object of answers.", field=key))
        payload[key] = {str(name): _answer(answer) for name, answer in value.items()}
    payload["source"] = "apps_script"
    return payload


def _answer(value: Any) -> Any:
    """Return an answer with empty values as ``""``: strings, lists of strings, or grids."""
    if value is None:
        return ""
    if isinstance(value, list):
        return [_answer(entry) for entry in value]
    if isinstance(value, dict):
        return {str(row): _answer(entry) for row, entry in value.items()}
    return value if isinstance(value, str) else str(value)


# Polling: the Forms API.

def poll_new_response(context: TriggerContext, state: PollState) -> PollResult:
    """Return the responses submitted since the previous poll, without the edited ones."""
    return _poll(context, state, want="new")


def poll_response_edited(context: TriggerContext, state: PollState) -> PollResult:
    """Return the responses whose respondent edited and submitted them again."""
    return _poll(context, state, want="edited")


def sample_responses(context: TriggerContext, limit: int) -> list[dict[str, Any]]:
    """Return the most recently submitted responses of the form, newest first."""
    client = forms_client(context)
    form_id = chosen_form_id(context.options.get("form_id"))
    # NOTE: reads every response, because the API documents no order and no way to ask for the
    # newest ones first.
    responses = sorted(client.iter_responses(form_id), key=_submitted_key, reverse=True)[:limit]
    if not responses:
        return []
    form = client.get_form(form_id)
    questions = form_questions(form)
    return [response_payload(form, questions, response) for response in responses]


def _poll(context: TriggerContext, state: PollState, want: str) -> PollResult:
    client = forms_client(context)
    form_id = chosen_form_id(context.options.get("form_id"))
    cursor = state.cursor or {}
    now = datetime.now(timezone.utc)

    seeding = cursor.get("form") != form_id
    since = (None if seeding else parse_time(cursor.get("since"))) or now
    window_start = since - OVERLAP
    known: dict[str, str] = {} if seeding else dict(cursor.get("known") or {})

    new: list[dict[str, Any]] = []
    edited: list[dict[str, Any]] = []
    latest = since
    for response in client.iter_responses(form_id, since=window_start):
        response_id = str(response.get("responseId") or "")
        submitted = parse_time(response.get("lastSubmittedTime"))
        if not response_id or submitted is None:
            continue
        latest = max(latest, submitted)
        previous = parse_time(known.get(response_id))
        if previous is not None and submitted <= previous:
            continue
        known[response_id] = str(response["lastSubmittedTime"])
        created = parse_time(response.get("createTime"))
        if previous is None and (created is None or created >= window_start):
            new.append(response)
        else:
            edited.append(response)

    next_start = latest - OVERLAP
    kept = {response_id: submitted for response_id, submitted in known.items()
            if (parse_time(submitted) or now) >= next_start}
    next_cursor = {"form": form_id, "since": format_time(latest), "known": kept}
    if seeding:
        return PollResult(events=[], cursor=next_cursor)

    chosen = new if want == "new" else edited
    if not chosen:
        return PollResult(events=[], cursor=next_cursor)
    form = client.get_form(form_id)
    questions: list[Question] = form_questions(form)
    events = []
    for response in sorted(chosen, key=_submitted_key):
        payload = response_payload(form, questions, response)
        key = f"response:{payload['response_id']}"
        if want == "edited":
            key += f":edited:{payload['last_submitted_time']}"
        events.append(IncomingEvent(payload=payload, dedup_key=key))
    return PollResult(events=events, cursor=next_cursor)


def forms_client(context: TriggerContext) -> FormsClient:
    """Return a Forms API client for the trigger's connection."""
    connection = context.connection
    tokens = token_source(connection)
    base_url = str(connection.value("api_base_url") or "").strip() if connection else ""
    if context.http is None:
        raise RuntimeError("polling Google Forms needs the runtime's HTTP client")
    try:
        return FormsClient(tokens, context.http, base_url=base_url or DEFAULT_BASE_URL)
    except ValueError as exc:
        raise InvalidInputError(_l(
            "The Google Forms connection's API address {url} is invalid. Leave it empty for "
            "Google, or give the emulator's http://127.0.0.1:PORT address.", url=base_url)) from exc


def chosen_form_id(value: Any) -> str:
    """Return the form id from the trigger's ``form_id``: an id, or the form's edit address."""
    text = str(value or "").strip()
    match = FORM_URL.search(text)
    if match and match.group(1):
        raise InvalidInputError(_l(
            "This is the form's public address (/forms/d/e/…), whose id the Forms API does not "
            "accept. Open the form in edit mode and copy the address with /forms/d/FORM_ID/edit."))
    if match:
        return match.group(2)
    if not FORM_ID.match(text):
        raise InvalidInputError(_l(
            "Set the trigger's field form_id to the form's id, from its edit address "
            "docs.google.com/forms/d/FORM_ID/edit."))
    return text


def _submitted_key(response: dict[str, Any]) -> str:
    submitted = parse_time(response.get("lastSubmittedTime"))
    return submitted.isoformat() if submitted else ""
