"""The part every app's API client shares: a bearer token, a base URL and a connection pool."""

from __future__ import annotations

from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx


class BearerClient:
    """A client of one account's API, authenticated with a bearer token.

    Pass ``http`` to share a connection pool; the client closes only a pool that it created.
    ``timeout_seconds`` applies to connecting, reading and writing each request. Raises
    ValueError for an empty token or a base URL that is not http(s), naming ``app_name`` and
    ``base_url_hint`` in the message.
    """

    app_name = "the app"
    base_url_hint = ""

    def __init__(
        self,
        token: str,
        base_url: str,
        http: httpx.Client | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        if not token.strip():
            raise ValueError(f"the {self.app_name} token is empty")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"invalid {self.app_name} base URL {base_url!r}: use {self.base_url_hint}")
        self._token = token.strip()
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self._owns_http = http is None
        self._http = http or httpx.Client()

    def __repr__(self) -> str:
        # The token stays out of the representation, which tracebacks and debuggers print.
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the connection pool if this client created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
