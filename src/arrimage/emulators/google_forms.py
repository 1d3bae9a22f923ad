"""A local emulator of Google Forms: the Forms API, its token endpoint, and the Apps Script.

Built from Google's public reference of the Forms API v1 (``forms.get``,
``forms.responses.list``) and of OAuth 2.0 for service accounts. It serves, on 127.0.0.1 only:

- ``GET /v1/forms/{formId}`` and ``GET /v1/forms/{formId}/responses`` (``filter``, ``pageSize``,
  ``pageToken``) with Google's JSON shapes and error bodies, behind ``Authorization: Bearer``;
- ``POST /token``: the JWT-bearer grant (an RS256 assertion signed with a service account key
  that :meth:`FormsState.service_account_key` creates) and the refresh-token grant;
- ``/_emulator/…`` routes to add responses and edit them, for demonstrations.

:meth:`FormsState.deliver_response` posts a response to a webhook URL as the Apps Script that
Arrimage generates would: same body bytes, same headers. :meth:`FormsState.apps_script_view`
gives what ``FormApp`` shows that script, so a test can run the real script on the same data.

Run it alone with ``python -m arrimage.emulators.google_forms [--port 8468]``.

NOTE: Google does not document these behaviours, so the emulator guesses them:

- ``timestamp`` filters compare ``lastSubmittedTime``, and the list is ordered by it;
- an Apps Script response id equals the API's ``responseId``;
- an Apps Script item id is the API's hexadecimal ``itemId`` read as a number.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from arrimage.emulators.serving import BackgroundServer

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
RESPONSES_SCOPE = "https://www.googleapis.com/auth/forms.responses.readonly"
MAX_PAGE_SIZE = 5000
TOKEN_LIFETIME_SECONDS = 3599
DRIVE_FILE_URL = "https://drive.google.com/open?id="
# The example form of ``main``, with a fixed id so automations written against it keep working.
DEMO_FORM_ID = "1ArrimageDemoInscriptionInfolettre"
FILTER = re.compile(r"^\s*timestamp\s*(>=|>)\s*(\S+)\s*$")
LAYOUT_KINDS = {"section"}
# The question kinds of :meth:`FormsState.add_form`, with their Apps Script item types.
SCRIPT_TYPES = {
    "text": "TEXT", "paragraph": "PARAGRAPH_TEXT", "radio": "MULTIPLE_CHOICE",
    "checkbox": "CHECKBOX", "dropdown": "LIST", "date": "DATE", "time": "TIME",
    "scale": "SCALE", "file_upload": "FILE_UPLOAD", "grid": "GRID",
    "checkbox_grid": "CHECKBOX_GRID", "section": "SECTION_HEADER",
}
CHOICE_TYPES = {"radio": "RADIO", "checkbox": "CHECKBOX", "dropdown": "DROP_DOWN"}


class GoogleError(Exception):
    """An error returned with Google's body ``{"error": {"code", "message", "status"}}``."""

    def __init__(self, code: int, status: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code, self.status, self.message = code, status, message
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {"error": {"code": self.code, "message": self.message, "status": self.status}}
        return JSONResponse(body, status_code=self.code, headers=self.headers)


@dataclass
class Question:
    item_id: str
    question_ids: list[str]  # one per grid row; one for other questions; none for layout items
    title: str
    kind: str
    options: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    required: bool = False
    # The title, with " (2)"… when an earlier question has the same: the key of its answer.
    key: str = ""

    @property
    def script_id(self) -> int:
        return int(self.item_id, 16)


@dataclass
class Form:
    form_id: str
    title: str
    questions: list[Question]
    shared_with: set[str] = field(default_factory=set)
    responses: list[dict[str, Any]] = field(default_factory=list)


class FormsState:
    """The emulator's data and faults, shared by the HTTP routes and the test's own calls."""

    def __init__(self, tokens: tuple[str, ...] = ("emulator-token",), max_page_size: int = MAX_PAGE_SIZE):
        self.lock = threading.Lock()
        self.base_url = ""
        self.forms: dict[str, Form] = {}
        # Tokens with the owner's access to every form.
        self.owner_tokens = set(tokens)
        # Issued token -> (principal email, expiry as a Unix time).
        self.issued: dict[str, tuple[str, float]] = {}
        self.service_accounts: dict[str, rsa.RSAPublicKey] = {}
        self.refresh_tokens: dict[str, tuple[str, str]] = {}
        self.max_page_size = max_page_size
        self.throttle_next = 0
        self.retry_after_seconds = 1
        self.fail_next = 0
        self.token_requests = 0
        self.requests: list[str] = []

    # Forms and responses

    def add_form(self, title: str, questions: list[dict[str, Any]], form_id: str | None = None) -> str:
        """Create a form from ``{"title", "kind", "options"?, "rows"?, "required"?}`` questions."""
        built = []
        keys: set[str] = set()
        for spec in questions:
            kind = spec["kind"]
            if kind not in SCRIPT_TYPES:
                raise ValueError(f"unknown question kind {kind!r}; known: {sorted(SCRIPT_TYPES)}")
            rows = list(spec.get("rows") or [])
            if kind in LAYOUT_KINDS:
                count = 0
            elif kind.endswith("grid"):
                count = len(rows)
            else:
                count = 1
            built.append(Question(
                item_id=_hex_id(), question_ids=[_hex_id() for _ in range(count)],
                title=spec["title"], kind=kind, options=list(spec.get("options") or []), rows=rows,
                required=bool(spec.get("required"))))
            built[-1].key = _unique_title(built[-1].title, built[-1].item_id, keys)
        form_id = form_id or "1" + secrets.token_urlsafe(30).replace("-", "x").replace("_", "y")
        with self.lock:
            self.forms[form_id] = Form(form_id, title, built)
        return form_id

    def share(self, form_id: str, email: str) -> None:
        """Give ``email`` (such as a service account's) read access to the form."""
        with self.lock:
            self.forms[form_id].shared_with.add(email)

    def submit(self, form_id: str, answers: dict[str, Any], respondent_email: str | None = None,
               create_time: datetime | None = None) -> dict[str, Any]:
        """Add a response: ``answers`` by question title (str, list, or dict of grid rows).

        A second question with the same title is ``Title (2)``, as in the trigger output.
        """
        when = create_time or datetime.now(timezone.utc)
        with self.lock:
            form = self.forms[form_id]
            unknown = set(answers) - {question.key for question in form.questions}
            if unknown:
                raise ValueError(f"no question titled {sorted(unknown)} in form {form_id}")
            response = {
                "responseId": "ACYDBN" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y"),
                "createTime": _rfc3339(when, digits=3),
                "lastSubmittedTime": _rfc3339(when, digits=6),
                "respondentEmail": respondent_email,
                "by_title": dict(answers),
            }
            form.responses.append(response)
            return _public(response)

    def edit(self, form_id: str, response_id: str, answers: dict[str, Any],
             submitted: datetime | None = None) -> dict[str, Any]:
        """Change some answers of a response and submit it again: a later lastSubmittedTime."""
        with self.lock:
            response = self._response(form_id, response_id)
            response["by_title"].update(answers)
            previous = _parse_time(response["lastSubmittedTime"])
            when = submitted or max(datetime.now(timezone.utc), previous + timedelta(milliseconds=1))
            response["lastSubmittedTime"] = _rfc3339(when, digits=6)
            return _public(response)

    # Apps Script

    def apps_script_view(self, form_id: str, response_id: str) -> dict[str, Any]:
        """Return what FormApp shows a script: the form's items and one response's item responses.

        Unanswered questions have no item response, as in Apps Script. Grid answers are a list
        per row (None for an unanswered row), file uploads a list of Drive file ids.
        """
        with self.lock:
            form = self.forms[form_id]
            response = self._response(form_id, response_id)
            items = [{"id": question.script_id, "type": SCRIPT_TYPES[question.kind],
                      "title": question.title, "rows": question.rows}
                     for question in form.questions]
            item_responses = []
            for question in form.questions:
                value = response["by_title"].get(question.key)
                if question.kind in LAYOUT_KINDS or _is_empty(value):
                    continue
                if question.kind.endswith("grid"):
                    value = [value.get(row) or None for row in question.rows]
                item_responses.append({"item_id": question.script_id, "response": value})
            return {
                "form": {"id": form.form_id, "title": form.title, "items": items},
                "response": {
                    "id": response["responseId"],
                    "timestamp": _rfc3339(_parse_time(response["lastSubmittedTime"]), digits=3),
                    "respondent_email": response.get("respondentEmail") or "",
                    "item_responses": item_responses,
                },
            }

    def apps_script_payload(self, form_id: str, response_id: str) -> dict[str, Any]:
        """Return the payload that the generated Apps Script builds for a response."""
        view = self.apps_script_view(form_id, response_id)
        submitted = {entry["item_id"]: entry["response"] for entry in view["response"]["item_responses"]}
        answers: dict[str, Any] = {}
        answers_by_id: dict[str, Any] = {}
        used: set[str] = set()
        for item in view["form"]["items"]:
            if item["type"] == "SECTION_HEADER":
                continue
            value = _script_value(item, submitted.get(item["id"]))
            answers[_unique_title(item["title"], str(item["id"]), used)] = value
            answers_by_id[str(item["id"])] = value
        timestamp = view["response"]["timestamp"]
        return {
            "response_id": view["response"]["id"], "form_id": view["form"]["id"],
            "form_title": view["form"]["title"], "create_time": timestamp,
            "last_submitted_time": timestamp,
            "respondent_email": view["response"]["respondent_email"],
            "answers": answers, "answers_by_id": answers_by_id, "source": "apps_script",
        }

    def deliver_response(self, form_id: str, response_id: str, webhook_url: str, webhook_secret: str,
                         signing_secret: str = "", timeout: float = 10.0) -> httpx.Response:
        """POST a response to Arrimage exactly as the generated Apps Script sends it."""
        body = encode_script_body(self.apps_script_payload(form_id, response_id))
        headers = {"Content-Type": "application/json", "X-Arrimage-Secret": webhook_secret}
        if signing_secret:
            digest = hmac.new(signing_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers["X-Arrimage-Signature"] = "sha256=" + digest
        return httpx.post(webhook_url, content=body, headers=headers, timeout=timeout)

    # Credentials

    def service_account_key(self, email: str = "arrimage@emulator-project.iam.gserviceaccount.com") -> dict[str, Any]:
        """Create a service account and return its JSON key file, pointing at this emulator."""
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode("ascii")
        with self.lock:
            self.service_accounts[email] = private_key.public_key()
        return {
            "type": "service_account", "project_id": "emulator-project",
            "private_key_id": secrets.token_hex(20), "private_key": pem, "client_email": email,
            "client_id": str(secrets.randbelow(10**20)), "token_uri": f"{self.base_url}/token",
        }

    def add_refresh_token(self, refresh_token: str, client_id: str, client_secret: str) -> None:
        """Accept ``refresh_token`` from that OAuth client, with the owner's access."""
        with self.lock:
            self.refresh_tokens[refresh_token] = (client_id, client_secret)

    # Faults

    def throttle(self, count: int, retry_after_seconds: int = 1) -> None:
        """Answer the next ``count`` API requests with 429 and ``Retry-After``."""
        with self.lock:
            self.throttle_next, self.retry_after_seconds = count, retry_after_seconds

    # Internals used by the routes

    def _response(self, form_id: str, response_id: str) -> dict[str, Any]:
        for response in self.forms[form_id].responses:
            if response["responseId"] == response_id:
                return response
        raise KeyError(response_id)

    def authorize(self, request: Request, form_id: str) -> Form:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        with self.lock:
            self.requests.append(f"{request.method} {request.url.path}?{request.url.query}")
            if self.throttle_next > 0:
                self.throttle_next -= 1
                raise GoogleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric "
                                  "'Read requests' of service 'forms.googleapis.com'.",
                                  {"Retry-After": str(self.retry_after_seconds)})
            if self.fail_next > 0:
                self.fail_next -= 1
                raise GoogleError(500, "INTERNAL", "Internal error encountered.")
            principal = None
            if token in self.owner_tokens:
                principal = "owner"
            elif token in self.issued and self.issued[token][1] > time.time():
                principal = self.issued[token][0]
            if principal is None:
                raise GoogleError(401, "UNAUTHENTICATED", "Request had invalid authentication "
                                  "credentials. Expected OAuth 2 access token.")
            form = self.forms.get(form_id)
            if form is None:
                raise GoogleError(404, "NOT_FOUND", "Requested entity was not found.")
            if principal != "owner" and principal not in form.shared_with:
                raise GoogleError(403, "PERMISSION_DENIED", "The caller does not have permission")
            return form

    def issue_token(self, form_data: dict[str, str]) -> dict[str, Any]:
        grant = form_data.get("grant_type", "")
        with self.lock:
            self.token_requests += 1
        if grant == JWT_BEARER_GRANT:
            principal = self._check_assertion(form_data.get("assertion", ""))
        elif grant == "refresh_token":
            client = self.refresh_tokens.get(form_data.get("refresh_token", ""))
            if client is None:
                raise _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            if client != (form_data.get("client_id"), form_data.get("client_secret")):
                raise _oauth_error(401, "invalid_client", "The OAuth client was not found.")
            principal = "owner"
        else:
            raise _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
        token = "ya29.emulator-" + secrets.token_urlsafe(24)
        with self.lock:
            self.issued[token] = (principal, time.time() + TOKEN_LIFETIME_SECONDS)
        return {"access_token": token, "expires_in": TOKEN_LIFETIME_SECONDS, "token_type": "Bearer"}

    def _check_assertion(self, assertion: str) -> str:
        try:
            header_part, claims_part, signature_part = assertion.split(".")
            header = json.loads(_b64url_decode(header_part))
            claims = json.loads(_b64url_decode(claims_part))
            signature = _b64url_decode(signature_part)
        except ValueError as exc:
            raise _oauth_error(400, "invalid_grant", "Invalid JWT: cannot read it.") from exc
        if header.get("alg") != "RS256":
            raise _oauth_error(400, "invalid_grant", "Invalid JWT: the algorithm must be RS256.")
        public_key = self.service_accounts.get(str(claims.get("iss")))
        if public_key is None:
            raise _oauth_error(401, "invalid_client", "The service account was not found.")
        try:
            public_key.verify(signature, f"{header_part}.{claims_part}".encode("ascii"),
                              padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise _oauth_error(400, "invalid_grant", "Invalid JWT Signature.") from exc
        now = time.time()
        if claims.get("aud") != f"{self.base_url}/token":
            raise _oauth_error(400, "invalid_grant", "Invalid JWT: the audience is not the token URL.")
        if not (int(claims.get("iat", 0)) - 300 <= now < int(claims.get("exp", 0))):
            raise _oauth_error(400, "invalid_grant", "Invalid JWT: Token must be a short-lived "
                               "token (60 minutes) and in a reasonable timeframe.")
        if RESPONSES_SCOPE not in str(claims.get("scope", "")).split():
            raise _oauth_error(400, "invalid_scope", "The forms.responses.readonly scope is missing.")
        return str(claims["iss"])

    def list_responses(self, form: Form, query: dict[str, str]) -> dict[str, Any]:
        text_filter = query.get("filter", "")
        threshold: tuple[str, datetime] | None = None
        if text_filter:
            match = FILTER.match(text_filter)
            moment = _parse_time(match.group(2)) if match else None
            if match is None or moment is None:
                raise GoogleError(400, "INVALID_ARGUMENT", f"Invalid filter: {text_filter}")
            threshold = (match.group(1), moment)
        try:
            size = int(query.get("pageSize") or MAX_PAGE_SIZE)
        except ValueError as exc:
            raise GoogleError(400, "INVALID_ARGUMENT", "Invalid pageSize") from exc
        size = max(1, min(size, MAX_PAGE_SIZE, self.max_page_size))
        offset = 0
        if query.get("pageToken"):
            try:
                token = json.loads(_b64url_decode(query["pageToken"]))
                offset = int(token["offset"])
            except (ValueError, KeyError, TypeError) as exc:
                raise GoogleError(400, "INVALID_ARGUMENT", "Invalid page token") from exc
            if token.get("filter") != text_filter:
                raise GoogleError(400, "INVALID_ARGUMENT", "The filter changed between pages.")

        with self.lock:
            matching = [response for response in form.responses
                        if threshold is None or _passes(response, *threshold)]
            matching.sort(key=lambda response: _parse_time(response["lastSubmittedTime"]))
            page = [_api_response(form, response) for response in matching[offset:offset + size]]
        body: dict[str, Any] = {"responses": page} if page else {}
        if offset + size < len(matching):
            next_token = json.dumps({"offset": offset + size, "filter": text_filter})
            body["nextPageToken"] = base64.urlsafe_b64encode(next_token.encode()).decode().rstrip("=")
        return body


def encode_script_body(payload: dict[str, Any]) -> bytes:
    """Return the body bytes the Apps Script sends: compact JSON, non-ASCII escaped as \\uXXXX.

    Keys are in JavaScript's order, so the bytes (and their signature) are the script's.
    """
    return json.dumps(_javascript_order(payload), ensure_ascii=True,
                      separators=(",", ":")).encode("ascii")


def _javascript_order(value: Any) -> Any:
    """Order object keys as JSON.stringify does: array-index keys ascending, then the others."""
    if isinstance(value, list):
        return [_javascript_order(entry) for entry in value]
    if not isinstance(value, dict):
        return value
    indexes = sorted((key for key in value if _is_array_index(key)), key=int)
    others = [key for key in value if not _is_array_index(key)]
    return {key: _javascript_order(value[key]) for key in [*indexes, *others]}


def _is_array_index(key: str) -> bool:
    # ECMAScript: a canonical decimal integer below 2**32 - 1.
    return key.isdigit() and str(int(key)) == key and int(key) < 2**32 - 1


def create_app(state: FormsState) -> FastAPI:
    """Return the emulator's ASGI app serving ``state``."""
    app = FastAPI(title="Google Forms emulator", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(GoogleError)
    async def google_error(_request: Request, error: GoogleError) -> JSONResponse:
        return error.response()

    @app.get("/v1/forms/{form_id}")
    def get_form(form_id: str, request: Request) -> dict[str, Any]:
        return _api_form(state.authorize(request, form_id))

    @app.get("/v1/forms/{form_id}/responses")
    def list_responses(form_id: str, request: Request) -> dict[str, Any]:
        form = state.authorize(request, form_id)
        return state.list_responses(form, dict(request.query_params))

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        # Parsed here because Starlette's form parser needs python-multipart.
        fields = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        try:
            body = state.issue_token(fields)
        except _OAuthError as error:
            return JSONResponse(error.body, status_code=error.code)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @app.post("/_emulator/forms/{form_id}/responses")
    async def submit(form_id: str, request: Request) -> dict[str, Any]:
        body = await request.json()
        return state.submit(form_id, body.get("answers") or {}, body.get("respondent_email"))

    @app.patch("/_emulator/forms/{form_id}/responses/{response_id}")
    async def edit(form_id: str, response_id: str, request: Request) -> dict[str, Any]:
        body = await request.json()
        return state.edit(form_id, response_id, body.get("answers") or {})

    @app.post("/_emulator/service-accounts")
    def new_service_account() -> dict[str, Any]:
        return state.service_account_key()

    return app


class GoogleFormsEmulator(BackgroundServer):
    """The emulator served by uvicorn on 127.0.0.1 in a daemon thread."""

    def __init__(self, state: FormsState | None = None, port: int = 0) -> None:
        self.state = state or FormsState()
        super().__init__(create_app(self.state), name="the Google Forms emulator", port=port,
                         lifespan="off")
        self.state.base_url = self.base_url


# Conversions between the stored responses and Google's shapes

class _OAuthError(Exception):
    def __init__(self, code: int, body: dict[str, str]) -> None:
        super().__init__(body["error"])
        self.code, self.body = code, body


def _oauth_error(code: int, error: str, description: str) -> _OAuthError:
    return _OAuthError(code, {"error": error, "error_description": description})


def _api_form(form: Form) -> dict[str, Any]:
    items = []
    for question in form.questions:
        item: dict[str, Any] = {"itemId": question.item_id, "title": question.title}
        options = [{"value": option} for option in question.options]
        if question.kind == "section":
            item["textItem"] = {}
        elif question.kind.endswith("grid"):
            column_type = "CHECKBOX" if question.kind == "checkbox_grid" else "RADIO"
            item["questionGroupItem"] = {
                "questions": [{"questionId": question_id, "required": question.required,
                               "rowQuestion": {"title": row}}
                              for question_id, row in zip(question.question_ids, question.rows)],
                "grid": {"columns": {"type": column_type, "options": options}},
            }
        else:
            body: dict[str, Any] = {"questionId": question.question_ids[0], "required": question.required}
            if question.kind in CHOICE_TYPES:
                body["choiceQuestion"] = {"type": CHOICE_TYPES[question.kind], "options": options}
            elif question.kind == "file_upload":
                body["fileUploadQuestion"] = {"folderId": "0B-emulator", "maxFiles": 5}
            elif question.kind == "date":
                body["dateQuestion"] = {"includeYear": True}
            elif question.kind == "time":
                body["timeQuestion"] = {}
            elif question.kind == "scale":
                body["scaleQuestion"] = {"low": 1, "high": 5}
            else:
                body["textQuestion"] = {"paragraph": question.kind == "paragraph"}
            item["questionItem"] = {"question": body}
        items.append(item)
    return {"formId": form.form_id, "info": {"title": form.title, "documentTitle": form.title},
            "revisionId": "00000001", "items": items,
            "responderUri": f"https://docs.google.com/forms/d/e/{form.form_id}/viewform"}


def _api_response(form: Form, response: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in form.questions:
        value = response["by_title"].get(question.key)
        if question.kind in LAYOUT_KINDS or _is_empty(value):
            continue
        if question.kind.endswith("grid"):
            for question_id, row in zip(question.question_ids, question.rows):
                if not _is_empty(value.get(row)):
                    answers[question_id] = _text_answer(question_id, value[row])
        elif question.kind == "file_upload":
            answers[question.question_ids[0]] = {
                "questionId": question.question_ids[0],
                "fileUploadAnswers": {"answers": [
                    {"fileId": file_id, "fileName": f"{file_id}.pdf", "mimeType": "application/pdf"}
                    for file_id in value]},
            }
        else:
            answers[question.question_ids[0]] = _text_answer(question.question_ids[0], value)
    public = _public(response)
    public["answers"] = answers
    return public


def _text_answer(question_id: str, value: Any) -> dict[str, Any]:
    values = value if isinstance(value, list) else [value]
    return {"questionId": question_id,
            "textAnswers": {"answers": [{"value": str(entry)} for entry in values]}}


def _public(response: dict[str, Any]) -> dict[str, Any]:
    public = {key: response[key] for key in ("responseId", "createTime", "lastSubmittedTime")}
    if response.get("respondentEmail"):
        public["respondentEmail"] = response["respondentEmail"]
    return public


def _script_value(item: dict[str, Any], raw: Any) -> Any:
    kind = item["type"]
    if kind == "CHECKBOX":
        return [str(value) for value in raw] if raw else []
    if kind == "FILE_UPLOAD":
        return [DRIVE_FILE_URL + str(value) for value in raw] if raw else []
    if kind in ("GRID", "CHECKBOX_GRID"):
        grid: dict[str, Any] = {}
        for index, row in enumerate(item["rows"]):
            cell = raw[index] if raw else None
            if kind == "GRID":
                grid[row] = "" if cell is None else str(cell)
            else:
                grid[row] = [str(value) for value in cell] if cell else []
        return grid
    return "" if raw is None else str(raw)


def _unique_title(title: str, fallback: str, used: set[str]) -> str:
    base = title.strip() or fallback
    candidate, number = base, 2
    while candidate in used:
        candidate = f"{base} ({number})"
        number += 1
    used.add(candidate)
    return candidate


def _passes(response: dict[str, Any], operator: str, moment: datetime) -> bool:
    submitted = _parse_time(response["lastSubmittedTime"])
    return submitted >= moment if operator == ">=" else submitted > moment


def _is_empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_is_empty(entry) for entry in value.values())
    return value is None or value == "" or value == []


def _hex_id() -> str:
    return f"{secrets.randbelow(0x7FFFFFFF - 0x10000000) + 0x10000000:08x}"


def _rfc3339(moment: datetime, digits: int) -> str:
    moment = moment.astimezone(timezone.utc)
    fraction = f"{moment.microsecond:06d}"[:digits]
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + fraction + "Z"


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main() -> None:
    """Serve an emulator with one example form until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Local Google Forms emulator (127.0.0.1 only).")
    parser.add_argument("--port", type=int, default=8468, help="TCP port (default 8468)")
    parser.add_argument("--token", default="emulator-token", help="access token with the owner's access")
    arguments = parser.parse_args()
    emulator = GoogleFormsEmulator(FormsState(tokens=(arguments.token,)), port=arguments.port).start()
    form_id = emulator.state.add_form("Inscription à l'infolettre", [
        {"title": "Courriel", "kind": "text", "required": True},
        {"title": "Prénom", "kind": "text"},
        {"title": "Sujets qui vous intéressent", "kind": "checkbox",
         "options": ["Infolettre", "Promotions", "Événements"]},
    ], form_id=DEMO_FORM_ID)
    print(f"Google Forms emulator on {emulator.base_url}, token {arguments.token}, form {form_id}")
    print(f"Add a response: curl -X POST {emulator.base_url}/_emulator/forms/{form_id}/responses "
          "-H 'Content-Type: application/json' -d '{\"answers\": {\"Courriel\": \"a@exemple.ca\"}}'")
    try:
        while emulator.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        emulator.stop()


if __name__ == "__main__":
    main()
