"""Build a HubSpot client from a saved connection, check a connection, and shape contacts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from arrimage.connectors.context import ConnectionData
from arrimage.connectors.hubspot.client import DEFAULT_BASE_URL, HubSpotClient
from arrimage.engine.errors import AuthenticationError, InvalidInputError
from arrimage.i18n import _l

# Contact properties that every read requests, besides those a step or trigger adds.
DEFAULT_PROPERTIES = (
    "email", "firstname", "lastname", "company", "phone", "lifecyclestage", "hs_language",
    "createdate", "lastmodifieddate",
)
# Keys of a contact's output that a flattened property never replaces.
RESERVED_KEYS = frozenset({"id", "properties", "createdAt", "updatedAt", "archived"})


def client_for_connection(
    connection: ConnectionData | None, http: httpx.Client | None, timeout_seconds: float = 30.0
) -> HubSpotClient:
    """Return a client for ``connection``'s token and address, sharing ``http`` if given.

    Raises :class:`AuthenticationError` when there is no token and :class:`InvalidInputError`
    when the address is not an http(s) URL.
    """
    token = connection.value("token") if connection is not None else None
    if not isinstance(token, str) or not token.strip():
        raise AuthenticationError(_l(
            "This HubSpot step or trigger has no connection with an access token. Choose a "
            "HubSpot connection, or add the private app's token to its connection."))
    base_url = connection.value("base_url") if connection is not None else None
    return _client(token, base_url, http, timeout_seconds)


def check_connection(values: dict[str, Any]) -> str:
    """Check the token with two cheap calls and return ``HubSpot portal <id>``.

    ``GET /account-info/v3/details`` gives the portal (account) id, and a one-contact list
    checks that the private app may read contacts.
    """
    token = values.get("token")
    if not isinstance(token, str) or not token.strip():
        raise AuthenticationError(_l(
            "The HubSpot access token is missing. Create a private app in HubSpot (Settings > "
            "Integrations > Private Apps) and paste its access token in the connection."))
    with _client(token, values.get("base_url"), None, 30.0) as client:
        account = client.get_account_details()
        client.list_contacts(limit=1)
    portal = account.get("portalId")
    return f"HubSpot portal {portal}" if portal is not None else "HubSpot"


def contact_output(contact: dict[str, Any]) -> dict[str, Any]:
    """Return a contact as steps read it: HubSpot's object with its properties also at the top.

    ``{{ trigger.email }}`` then works as well as ``{{ trigger.properties.email }}``.
    """
    properties = contact.get("properties") if isinstance(contact.get("properties"), dict) else {}
    output: dict[str, Any] = {
        key: value for key, value in properties.items() if key not in RESERVED_KEYS
    }
    output.update({
        "id": str(contact.get("id", "")),
        "properties": properties,
        "createdAt": contact.get("createdAt"),
        "updatedAt": contact.get("updatedAt"),
        "archived": bool(contact.get("archived", False)),
    })
    return output


def property_names(value: Any) -> list[str]:
    """Return the property names of a field given as a list or as comma-separated text."""
    if value is None:
        return []
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        return []
    names = [str(item).strip().lower() for item in items if str(item).strip()]
    return list(dict.fromkeys(names))


def _client(token: str, base_url: Any, http: httpx.Client | None, timeout: float) -> HubSpotClient:
    address = str(base_url).strip() if base_url else DEFAULT_BASE_URL
    try:
        return HubSpotClient(token=token, base_url=address, http=http, timeout_seconds=timeout)
    except ValueError as exc:
        raise InvalidInputError(_l(
            "The HubSpot connection's API address {url} is invalid. Use https://api.hubapi.com, "
            "or the address of the local HubSpot emulator.", url=address)) from exc
