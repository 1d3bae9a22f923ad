"""Access tokens for the Forms API: a pasted token, an OAuth refresh token, or a service account.

A service account signs a JWT with its private key (RS256) and trades it at the token endpoint
for an access token (the JWT-bearer grant of RFC 7523, as Google's OAuth 2.0 for server-to-server
applications describes it). A refresh token is traded with the client id and secret. Tokens are
cached in the process until one minute before they expire, so each poll does not ask for one.
The token endpoint is the connection's ``token_url`` when set, else the key file's
``token_uri``, else Google's. Secrets and tokens never appear in logs or messages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from arrimage.connectors.context import ConnectionData
from arrimage.engine.errors import (
    AuthenticationError,
    ConnectError,
    RateLimitedError,
    ServerError,
    StepTimeoutError,
)
from arrimage.engine.json_errors import json_problem
from arrimage.engine.retry import parse_retry_after
from arrimage.i18n import _l

DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Read-only access to the form's questions and to its responses.
SCOPES = (
    "https://www.googleapis.com/auth/forms.body.readonly",
    "https://www.googleapis.com/auth/forms.responses.readonly",
)
# Google accepts assertions valid for at most one hour.
ASSERTION_LIFETIME_SECONDS = 3600
# A cached token is renewed this long before the expiry that the token endpoint returned.
EXPIRY_MARGIN_SECONDS = 60.0

_cache: dict[str, tuple[str, float]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class TokenSource:
    """A connection's source of access tokens. ``cache_key`` is None for a pasted token."""

    kind: str  # "access_token", "refresh_token" or "service_account"
    token_url: str
    values: dict[str, Any]
    cache_key: str | None

    def __repr__(self) -> str:
        # The values contain secrets, which tracebacks and debuggers would print.
        return f"TokenSource(kind={self.kind!r}, token_url={self.token_url!r})"

    def access_token(self, http: httpx.Client, timeout_seconds: float = 30.0) -> str:
        """Return a valid access token, from the cache when it has one."""
        if self.kind == "access_token":
            return str(self.values["access_token"]).strip()
        assert self.cache_key is not None
        with _cache_lock:
            cached = _cache.get(self.cache_key)
        if cached is not None and cached[1] > time.time():
            return cached[0]

        if self.kind == "service_account":
            form = {"grant_type": JWT_BEARER_GRANT, "assertion": service_account_assertion(
                self.values["key"], self.token_url)}
        else:
            form = {"grant_type": "refresh_token",
                    "refresh_token": str(self.values["refresh_token"]).strip(),
                    "client_id": str(self.values["client_id"]).strip(),
                    "client_secret": str(self.values["client_secret"]).strip()}
        body = _post_token_request(http, self.token_url, form, timeout_seconds)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthenticationError(_l(
                "Google's token endpoint returned no access token. Check the connection's "
                "credentials."))
        lifetime = _seconds(body.get("expires_in"), default=3600.0)
        with _cache_lock:
            _cache[self.cache_key] = (token, time.time() + max(0.0, lifetime - EXPIRY_MARGIN_SECONDS))
        return token

    def forget(self) -> None:
        """Drop the cached token, after the API rejected it."""
        if self.cache_key is not None:
            with _cache_lock:
                _cache.pop(self.cache_key, None)


def token_source(connection: ConnectionData | None) -> TokenSource:
    """Return how ``connection`` obtains tokens, or raise :class:`AuthenticationError`.

    A service-account key wins over a refresh token, which wins over a pasted access token.
    """
    def value(key: str) -> str:
        found = connection.value(key) if connection is not None else None
        return str(found).strip() if found is not None else ""

    configured_url = value("token_url")
    key_text = value("service_account_key")
    if key_text:
        key = parse_service_account_key(key_text)
        token_url = configured_url or str(key.get("token_uri") or "") or DEFAULT_TOKEN_URL
        return TokenSource("service_account", token_url, {"key": key},
                           _cache_key("sa", token_url, key["client_email"], key["private_key"]))

    refresh_token = value("refresh_token")
    if refresh_token:
        client_id, client_secret = value("client_id"), value("client_secret")
        if not client_id or not client_secret:
            raise AuthenticationError(_l(
                "A refresh token needs the OAuth client id and client secret it was issued to: "
                "add both to the Google Forms connection."))
        token_url = configured_url or DEFAULT_TOKEN_URL
        return TokenSource(
            "refresh_token", token_url,
            {"refresh_token": refresh_token, "client_id": client_id, "client_secret": client_secret},
            _cache_key("rt", token_url, client_id, refresh_token))

    access_token = value("access_token")
    if access_token:
        return TokenSource("access_token", configured_url or DEFAULT_TOKEN_URL,
                           {"access_token": access_token}, None)
    raise AuthenticationError(_l(
        "This Google Forms connection has no credentials for the Forms API. Add a service "
        "account key, an OAuth refresh token, or an access token."))


def parse_service_account_key(text: str) -> dict[str, Any]:
    """Read a service account's JSON key file; raise :class:`AuthenticationError` if unusable."""
    try:
        key = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AuthenticationError(_l(
            "The service account key is not valid JSON ({problem}). Paste the whole JSON key "
            "file that Google Cloud gave you.", problem=json_problem(exc))) from exc
    if not isinstance(key, dict) or not key.get("client_email") or not key.get("private_key"):
        raise AuthenticationError(_l(
            "The service account key lacks client_email or private_key. Create a JSON key for "
            "the service account in Google Cloud and paste the whole file."))
    return key


def service_account_assertion(key: dict[str, Any], token_url: str, now: float | None = None) -> str:
    """Return the signed JWT that a service account trades for an access token."""
    issued_at = int(now if now is not None else time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    if key.get("private_key_id"):
        header["kid"] = str(key["private_key_id"])
    claims = {
        "iss": key["client_email"],
        "scope": " ".join(SCOPES),
        "aud": token_url,
        "iat": issued_at,
        "exp": issued_at + ASSERTION_LIFETIME_SECONDS,
    }
    signing_input = f"{_b64_json(header)}.{_b64_json(claims)}".encode("ascii")
    try:
        private_key = serialization.load_pem_private_key(str(key["private_key"]).encode("utf-8"),
                                                         password=None)
    except (ValueError, TypeError) as exc:
        raise AuthenticationError(_l(
            "The service account key's private_key is not a readable PEM key. Paste the whole "
            "JSON key file again.")) from exc
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise AuthenticationError(_l(
            "The service account key's private_key is not an RSA key, which Google issues."))
    signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode('ascii')}.{b64url(signature)}"


def b64url(data: bytes) -> str:
    """Return base64url without padding, as JWTs use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _cache_key(*parts: str) -> str:
    # A digest, so the cache contains no secret in clear.
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _post_token_request(http: httpx.Client, token_url: str, form: dict[str, str],
                        timeout_seconds: float) -> dict[str, Any]:
    try:
        response = http.post(token_url, data=form, timeout=timeout_seconds,
                             headers={"Accept": "application/json"})
    except httpx.TimeoutException as exc:
        raise StepTimeoutError(_l(
            "Google's token endpoint did not respond within {seconds} s. Arrimage will try "
            "again.", seconds=timeout_seconds)) from exc
    except httpx.TransportError as exc:
        raise ConnectError(_l(
            "Arrimage could not reach Google's token endpoint at {url}: {problem}. Arrimage "
            "will try again.", url=token_url, problem=str(exc) or type(exc).__name__)) from exc

    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    status = response.status_code
    if status == 429:
        raise RateLimitedError(
            _l("Google's token endpoint limits the request rate (429). Arrimage will try again "
               "later."),
            status_code=status, retry_after=parse_retry_after(response.headers.get("retry-after")))
    if status >= 500:
        raise ServerError(_l("Google's token endpoint had a server error ({status}). Arrimage "
                             "will try again.", status=status), status_code=status)
    if status >= 400:
        reason = str(body.get("error_description") or body.get("error") or status)
        raise AuthenticationError(_l(
            "Google refused the connection's credentials: {reason}. Check the key or token, "
            "and that the Forms API is enabled for the project.", reason=reason),
            status_code=status)
    return body


def _seconds(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
