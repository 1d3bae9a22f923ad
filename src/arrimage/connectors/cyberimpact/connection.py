"""Build a Cyberimpact API client from a saved connection."""

from __future__ import annotations

import httpx

from arrimage.connectors.context import ConnectionData
from arrimage.connectors.cyberimpact.client import DEFAULT_BASE_URL, CyberimpactClient
from arrimage.engine.errors import AuthenticationError, InvalidInputError
from arrimage.i18n import _l


def client_for_connection(
    connection: ConnectionData | None, http: httpx.Client | None, timeout_seconds: float = 30.0
) -> CyberimpactClient:
    """Return a client for ``connection``'s token and address, sharing ``http`` if given.

    Raises :class:`AuthenticationError` when there is no token and :class:`InvalidInputError`
    when the address is not an http(s) URL.
    """
    token = connection.value("token") if connection is not None else None
    if not isinstance(token, str) or not token.strip():
        raise AuthenticationError(_l(
            "This Cyberimpact step has no connection with an API token. Choose a Cyberimpact "
            "connection for the step, or add the token to its connection."))

    base_url = connection.value("base_url") if connection is not None else None
    try:
        return CyberimpactClient(
            token=token,
            base_url=str(base_url).strip() if base_url else DEFAULT_BASE_URL,
            http=http,
            timeout_seconds=timeout_seconds,
        )
    except ValueError as exc:
        raise InvalidInputError(_l(
            "The Cyberimpact connection's API address {url} is invalid. Use "
            "https://api.cyberimpact.com or the sandbox's address.", url=str(base_url))) from exc
