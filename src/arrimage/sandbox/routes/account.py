"""Account-wide routes: ping, custom-field definitions and API tokens."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Depends

from arrimage.sandbox.dates import add_months, to_db, utc_now
from arrimage.sandbox.deps import DatesDep, SandboxDep, require_token

router = APIRouter(dependencies=[Depends(require_token)])

TOKEN_LIFETIME_MONTHS = 120  # Cyberimpact API tokens are valid for 10 years


@router.get("/ping")
def ping(sandbox: SandboxDep) -> dict[str, str]:
    """Check the token and name the account."""
    config = sandbox.config
    return {
        "ping": "success",
        "username": config.username,
        "email": config.account_email,
        "account": config.account,
    }


@router.get("/customfields")
def list_custom_fields(sandbox: SandboxDep) -> dict[str, list[dict[str, Any]]]:
    """List the custom-field definitions (not paginated)."""
    with sandbox.store.transaction() as conn:
        rows = conn.execute("SELECT id, name, type FROM custom_fields ORDER BY id").fetchall()
    return {"customFields": [dict(row) for row in rows]}


@router.post("/tokens")
def create_token(sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Mint a token that this sandbox accepts from now on (until a reset)."""
    now = utc_now()
    expiration = now + (add_months(now.date(), TOKEN_LIFETIME_MONTHS) - now.date())
    unique_id = str(uuid.uuid4())
    # Not a signed JWT: only its shape (three dot-separated base64url parts) imitates one.
    token = ".".join(secrets.token_urlsafe(size) for size in (12, 48, 32))
    with sandbox.store.transaction() as conn:
        conn.execute(
            "INSERT INTO tokens (unique_id, token, expiration) VALUES (?, ?, ?)",
            (unique_id, token, to_db(expiration)),
        )
    return {
        "tokenUniqueId": unique_id,
        "token": token,
        "expiration": dates.instant(expiration, fraction=False),
    }
