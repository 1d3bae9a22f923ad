"""Sign-in for the web app and the REST API: password hashing, sessions, CSRF and rate limits.

Browsers hold a random session token in an HttpOnly, SameSite=Lax cookie (Secure when
``ARRIMAGE_PUBLIC_URL`` is https); the database keeps only its SHA-256 digest. Every form
carries a CSRF token: the session's once signed in, else a random token also set as a cookie
(double-submit). Scripts call ``/api`` with ``Authorization: Bearer <API token>``.

While no user exists, ``/api`` stays open as before accounts existed (``serve`` listens on
127.0.0.1 by default). Once the first user is created, every ``/api`` request except the health
check, the echo route (``/api/echo``) and the API documentation needs a session or an API token.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Request

from arrimage.i18n import LazyText, _l
from arrimage.runtime import Runtime
from arrimage.storage.users import AttemptLimit, SessionInfo, UserInfo, normalize_email

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

SESSION_COOKIE = "arrimage_session"
FORM_TOKEN_COOKIE = "arrimage_form_token"
LANGUAGE_COOKIE = "arrimage_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# A session ends 14 days after sign-in, or after 24 hours without a request.
SESSION_LIFETIME = timedelta(days=14)
IDLE_TIMEOUT = timedelta(hours=24)
# The last-seen time is written at most this often, so reading pages does not write each time.
TOUCH_INTERVAL = timedelta(minutes=5)

# Five wrong passwords for one address within 15 minutes block that address for 15 minutes.
# Twenty from one client address block that client the same way.
EMAIL_LIMIT = AttemptLimit(max_failures=5, window=timedelta(minutes=15), block=timedelta(minutes=15))
CLIENT_LIMIT = AttemptLimit(max_failures=20, window=timedelta(minutes=15), block=timedelta(minutes=15))

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Return a hash verified when the address is unknown, so both responses take as long.

    Made on first use: hashing costs 64 MiB and about 0.3 s, which every command that imports
    this module (``worker``, ``import``, ``sandbox``…) would otherwise pay at start.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password`` (argon2-cffi's default parameters)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, confirmation: str | None = None) -> LazyText | None:
    """Return why a new password is not accepted, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("The password must have at least {count} characters.", count=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("The password must have at most {count} characters.", count=MAX_PASSWORD_LENGTH)
    if confirmation is not None and confirmation != password:
        return _l("The two passwords differ.")
    return None


def email_problem(email: str) -> LazyText | None:
    """Return why a sign-in address is not accepted, or None."""
    address = normalize_email(email)
    local, at, domain = address.partition("@")
    if not at or not local or "." not in domain or " " in address or len(address) > 320:
        return _l("Enter an email address such as name@example.com.")
    return None


@dataclass(frozen=True)
class SignInResult:
    """The outcome of a sign-in: the user, or why there is none."""

    user: UserInfo | None
    blocked_until: datetime | None = None


def sign_in(runtime: Runtime, email: str, password: str, client: str) -> SignInResult:
    """Check a sign-in, counting failures per address and per client for rate limiting."""
    address = normalize_email(email)
    email_key = f"email:{address}"
    client_key = f"client:{client}"
    blocked = runtime.users.blocked_until([email_key, client_key])
    if blocked is not None:
        return SignInResult(None, blocked)

    found = runtime.users.password_hash(address)
    if found is None:
        verify_password(_dummy_hash(), password)
        matched = False
    else:
        matched = verify_password(found[1], password)
    if not matched:
        runtime.users.record_failure(email_key, EMAIL_LIMIT)
        runtime.users.record_failure(client_key, CLIENT_LIMIT)
        return SignInResult(None, runtime.users.blocked_until([email_key, client_key]))

    user, stored_hash = found  # type: ignore[misc]
    if _hasher.check_needs_rehash(stored_hash):
        runtime.users.set_password_hash(user.id, hash_password(password))
    runtime.users.clear_failures(email_key)
    return SignInResult(user)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Compare two CSRF tokens in constant time; a missing one never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def cookie_is_secure(runtime: Runtime) -> bool:
    """Return whether cookies get the Secure flag: when the public URL is https."""
    return runtime.settings.base_url.startswith("https://")


def client_address(request: Request) -> str:
    """Return the client's address for rate limiting (the proxy's, behind a proxy)."""
    return request.client.host if request.client else "unknown"


def origin_allowed(request: Request) -> bool:
    """Return whether a state-changing request comes from this site, judged by ``Origin``.

    Browsers send ``Origin`` on form posts and fetches; a request without it (a script, an old
    browser) is left to the CSRF token alone.
    """
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    origin_host = urlsplit(origin).netloc
    allowed = {request.headers.get("host", ""), urlsplit(request.app.state.runtime.settings.base_url).netloc}
    return origin_host in allowed


def current_session(request: Request, runtime: Runtime) -> SessionInfo | None:
    """Return the request's valid session, refreshing its last-seen time now and then."""
    if hasattr(request.state, "arrimage_session"):
        cached: SessionInfo | None = request.state.arrimage_session
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    found = runtime.users.find_session(token, IDLE_TIMEOUT) if token else None
    if found is not None and token and datetime.now(found.last_seen_at.tzinfo) - found.last_seen_at > TOUCH_INTERVAL:
        runtime.users.touch_session(token)
    request.state.arrimage_session = found
    return found


class ApiAccessError(Exception):
    """A request to ``/api`` without valid credentials (401) or without its CSRF header (403)."""

    def __init__(self, status_code: int, code: str, message: LazyText) -> None:
        super().__init__(message.render("en"))
        self.status_code = status_code
        self.code = code
        self.message = message


def require_api_access(request: Request) -> None:
    """Let an ``/api`` request through when no user exists, or with a token or a session.

    A FastAPI dependency; a sync function, so FastAPI runs its database reads in a thread.
    """
    runtime: Runtime = request.app.state.runtime
    if not runtime.users.any_exist():
        return
    authorization = request.headers.get("authorization", "")
    scheme, _sep, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        if runtime.users.find_api_token(credentials.strip()) is None:
            raise ApiAccessError(401, "unauthorized", _l(
                "The API token is invalid or was revoked. Create one on the settings page."))
        return
    session = current_session(request, runtime)
    if session is None:
        raise ApiAccessError(401, "unauthorized", _l(
            "Sign in to the web app, or send an API token in the header Authorization: Bearer "
            "<token>. Create tokens on the settings page."))
    if request.method not in SAFE_METHODS and not tokens_match(
            session.csrf_token, request.headers.get(CSRF_HEADER)):
        raise ApiAccessError(403, "csrf_rejected", _l(
            "This request changes data, so it needs the header X-CSRF-Token with the token of "
            "the signed-in page."))
