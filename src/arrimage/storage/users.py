"""Stored people and what signs them in: users, browser sessions, API tokens, sign-in attempts.

Also the settings changed in the web app (run retention), kept in ``stored_settings``.
Session and API tokens are random strings given to the client once. Only their SHA-256
digests are stored, so a copy of the database cannot be used to sign in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, select, update

from arrimage.engine.errors import ConflictError, NotFoundError
from arrimage.i18n import _l
from arrimage.ids import new_id
from arrimage.storage.database import Database
from arrimage.storage.models import ApiToken, LoginAttempt, StoredSetting, User, WebSession

API_TOKEN_PREFIX = "arr_"
RETENTION_KEY = "run_retention_days"


@dataclass(frozen=True)
class UserInfo:
    """The signed-in person's id, address and preferences."""

    id: str
    email: str
    locale: str | None
    time_zone: str | None


@dataclass(frozen=True)
class SessionInfo:
    """A valid browser session with its user and the CSRF token of its forms."""

    user: UserInfo
    csrf_token: str
    last_seen_at: datetime


@dataclass(frozen=True)
class AttemptLimit:
    """How many failed sign-ins a key may have within ``window`` before it is blocked."""

    max_failures: int
    window: timedelta
    block: timedelta


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest stored in place of a session or API token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    """Return the form of an address used for sign-in: trimmed and lower-case."""
    return email.strip().lower()


class UserRepository:
    """Users, their sessions and API tokens, sign-in attempts and stored settings."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Users are not deleted, so once one exists the result is cached. While none exists, every
        # call reads the database, because another process may create the first user.
        self._users_exist = False

    # -- users -------------------------------------------------------------------------------

    def any_exist(self) -> bool:
        """Return whether at least one user exists."""
        if self._users_exist:
            return True
        with self.db.read() as connection:
            found = connection.execute(select(User.id).limit(1)).first() is not None
        self._users_exist = found
        return found

    def create(self, email: str, password_hash: str, *, locale: str | None = None) -> UserInfo:
        """Store a new user; raise ConflictError when the address is taken."""
        address = normalize_email(email)
        now = _now()
        with self.db.session() as session:
            taken = session.scalar(select(User.id).where(User.email == address))
            if taken is not None:
                raise ConflictError(_l("A user with the address {email} already exists.", email=address))
            user = User(id=new_id("usr"), email=address, password_hash=password_hash, locale=locale,
                        time_zone=None, created_at=now, last_login_at=None)
            session.add(user)
        self._users_exist = True
        return _info(user)

    def create_first(self, email: str, password_hash: str, *, locale: str | None = None) -> UserInfo | None:
        """Store the first user, or return None if a user already exists (first start only)."""
        with self.db.session() as session:
            if session.scalar(select(User.id).limit(1)) is not None:
                self._users_exist = True
                return None
            user = User(id=new_id("usr"), email=normalize_email(email), password_hash=password_hash,
                        locale=locale, time_zone=None, created_at=_now(), last_login_at=None)
            session.add(user)
        self._users_exist = True
        return _info(user)

    def password_hash(self, email: str) -> tuple[UserInfo, str] | None:
        """Return the user with this address and its password hash, or None."""
        with self.db.read_session() as session:
            user = session.scalar(select(User).where(User.email == normalize_email(email)))
            return (_info(user), user.password_hash) if user else None

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        """Replace a user's password hash (after a rehash with newer parameters)."""
        with self.db.session() as session:
            session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))

    def get(self, user_id: str) -> UserInfo:
        """Return one user."""
        with self.db.read_session() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFoundError(_l("No user has the id {id}.", id=user_id))
            return _info(user)

    def update_preferences(self, user_id: str, *, locale: str | None = None,
                           time_zone: str | None = None) -> None:
        """Save the language and time zone a user chose (None leaves a value unchanged)."""
        values: dict[str, Any] = {}
        if locale is not None:
            values["locale"] = locale
        if time_zone is not None:
            values["time_zone"] = time_zone
        if values:
            with self.db.session() as session:
                session.execute(update(User).where(User.id == user_id).values(**values))

    # -- browser sessions --------------------------------------------------------------------

    def start_session(self, user_id: str, lifetime: timedelta) -> tuple[str, str]:
        """Create a session for ``user_id``; return its cookie token and its CSRF token."""
        token = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        now = _now()
        with self.db.session() as session:
            session.add(WebSession(token_hash=token_digest(token), user_id=user_id, csrf_token=csrf_token,
                                   created_at=now, last_seen_at=now, expires_at=now + lifetime))
            session.execute(update(User).where(User.id == user_id).values(last_login_at=now))
            # Sign-ins are rare, so expired sessions of every user are removed here.
            session.execute(delete(WebSession).where(WebSession.expires_at < now))
        return token, csrf_token

    def find_session(self, token: str, idle_timeout: timedelta) -> SessionInfo | None:
        """Return the session of a cookie token, or None when unknown, expired or idle too long."""
        now = _now()
        with self.db.read_session() as session:
            row = session.execute(
                select(WebSession, User).join(User, User.id == WebSession.user_id)
                .where(WebSession.token_hash == token_digest(token))
            ).first()
            if row is None:
                return None
            web_session, user = row
            if web_session.expires_at <= now or web_session.last_seen_at + idle_timeout <= now:
                return None
            return SessionInfo(_info(user), web_session.csrf_token, web_session.last_seen_at)

    def touch_session(self, token: str) -> None:
        """Record that a session was used now (the idle timeout counts from here)."""
        with self.db.session() as session:
            session.execute(update(WebSession).where(WebSession.token_hash == token_digest(token))
                            .values(last_seen_at=_now()))

    def end_session(self, token: str) -> None:
        """Delete a session (sign-out)."""
        with self.db.session() as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == token_digest(token)))

    # -- API tokens --------------------------------------------------------------------------

    def create_api_token(self, user_id: str, name: str) -> tuple[dict[str, Any], str]:
        """Create an API token; return its summary and the token itself, which is not stored."""
        token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(id=new_id("tok"), user_id=user_id, name=name.strip() or "API",
                       token_hash=token_digest(token), prefix=token[:10], created_at=_now(),
                       last_used_at=None)
        with self.db.session() as session:
            session.add(row)
        return _token_summary(row), token

    def list_api_tokens(self, user_id: str) -> list[dict[str, Any]]:
        """Return a user's API tokens (names and prefixes, never the tokens), newest first."""
        with self.db.read_session() as session:
            rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                   .order_by(ApiToken.created_at.desc()))
            return [_token_summary(row) for row in rows]

    def revoke_api_token(self, user_id: str, token_id: str) -> None:
        """Delete one of a user's API tokens."""
        with self.db.session() as session:
            deleted = session.execute(delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))
            if deleted.rowcount == 0:
                raise NotFoundError(_l("No API token has the id {id}.", id=token_id))

    def find_api_token(self, token: str) -> UserInfo | None:
        """Return the user of an API token and record its use, or None for an unknown token."""
        digest = token_digest(token)
        with self.db.read_session() as session:
            row = session.execute(
                select(ApiToken.id, ApiToken.last_used_at, User).join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == digest)
            ).first()
            if row is None:
                return None
            token_id, last_used_at, user = row
            info = _info(user)
        now = _now()
        # One write per minute at most, so a busy script does not turn every read into a write.
        if last_used_at is None or now - last_used_at > timedelta(minutes=1):
            with self.db.session() as session:
                session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        return info

    # -- sign-in attempts --------------------------------------------------------------------

    def blocked_until(self, keys: list[str]) -> datetime | None:
        """Return when the latest block among ``keys`` ends, or None when none is blocked."""
        now = _now()
        with self.db.read_session() as session:
            ends = [end for end in session.scalars(
                select(LoginAttempt.blocked_until).where(LoginAttempt.key.in_(keys))) if end and end > now]
        return max(ends) if ends else None

    def record_failure(self, key: str, limit: AttemptLimit) -> None:
        """Count a failed sign-in for ``key`` and block it once it reaches the limit."""
        now = _now()
        with self.db.session() as session:
            attempt = session.get(LoginAttempt, key)
            if attempt is None:
                attempt = LoginAttempt(key=key, failures=0, window_started_at=now, blocked_until=None)
                session.add(attempt)
            elif attempt.window_started_at + limit.window <= now:
                attempt.failures = 0
                attempt.window_started_at = now
                attempt.blocked_until = None
            attempt.failures += 1
            if attempt.failures >= limit.max_failures:
                attempt.blocked_until = now + limit.block

    def clear_failures(self, key: str) -> None:
        """Forget the failed sign-ins of ``key`` (after a successful one)."""
        with self.db.session() as session:
            session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))

    # -- stored settings ---------------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        """Return a stored setting, or ``default`` when it was never saved."""
        with self.db.read() as connection:
            value = connection.execute(select(StoredSetting.value).where(StoredSetting.key == key)).scalar()
        return default if value is None else value

    def save_setting(self, key: str, value: Any) -> None:
        """Store a setting, replacing its previous value."""
        with self.db.session() as session:
            stored = session.get(StoredSetting, key)
            if stored is None:
                session.add(StoredSetting(key=key, value=value, updated_at=_now()))
            else:
                stored.value = value
                stored.updated_at = _now()

    def run_retention_days(self, default: int) -> int:
        """Return the run retention chosen in the web app, else ``default`` (the server setting)."""
        value = self.setting(RETENTION_KEY)
        return int(value) if isinstance(value, int) and value >= 1 else default

    def count(self) -> int:
        """Return the number of users."""
        with self.db.read() as connection:
            return int(connection.execute(select(func.count()).select_from(User)).scalar() or 0)


def _info(user: User) -> UserInfo:
    return UserInfo(id=user.id, email=user.email, locale=user.locale, time_zone=user.time_zone)


def _token_summary(row: ApiToken) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "prefix": row.prefix, "created_at": row.created_at,
            "last_used_at": row.last_used_at}


def _now() -> datetime:
    return datetime.now(timezone.utc)
