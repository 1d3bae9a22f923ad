"""Injected failures: throttling (429 with ``Retry-After``), server errors, latency, slow batches.

Cyberimpact publishes no rate-limit numbers, headers or 429 body. Its reference only states that
``POST /members`` and ``POST /members/optins`` are throttled, so every number here is a test knob,
not an imitation of the real limits.
"""

from __future__ import annotations

import math
from fnmatch import fnmatchcase
import threading
import time
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field


class FaultSettings(BaseModel):
    """Failures the sandbox injects into API requests (the outbox and admin routes are exempt)."""

    throttle_after: int | None = Field(
        default=None,
        ge=1,
        description="Serve this many requests per window, then respond with 429.",
    )
    throttle_window_seconds: float = Field(default=60.0, gt=0, description="Length of that window.")
    throttle_every: int | None = Field(
        default=None, ge=1, description="Respond with 429 to every Nth request (1 throttles all)."
    )
    retry_after_seconds: int = Field(
        default=1, ge=0, description="Retry-After sent with throttle_every, in seconds."
    )
    throttle_routes: list[str] = Field(
        default_factory=list,
        description=(
            "Limit throttling to these routes, as 'POST /members' or a bare path, where * "
            "matches any text ('PUT /members/*/consent'); empty: all."
        ),
    )
    fail_next: int = Field(
        default=0, ge=0, description="Respond with fail_status to the next N requests."
    )
    fail_status: int = Field(default=500, ge=500, le=599)
    latency_ms: int = Field(default=0, ge=0, le=60_000, description="Delay added to each request.")
    batch_delay_ms: int = Field(
        default=0,
        ge=0,
        le=600_000,
        description="Time a batch stays PROCESSING before it completes.",
    )


@dataclass(frozen=True)
class Fault:
    """An injected error response: its status, message and extra headers."""

    status: int
    message: str
    headers: dict[str, str]


class FaultInjector:
    """Apply :class:`FaultSettings` to a stream of requests; safe to share between threads."""

    def __init__(self, settings: FaultSettings) -> None:
        self._lock = threading.Lock()
        self._initial = settings
        self.settings = settings.model_copy(deep=True)
        self._reset_counters()

    def _reset_counters(self) -> None:
        self.requests_seen = 0
        self.faults_sent = 0
        self._matching_seen = 0
        self._window_start: float | None = None
        self._window_count = 0

    def reset(self) -> None:
        """Restore the settings the sandbox started with and zero the counters."""
        with self._lock:
            self.settings = self._initial.model_copy(deep=True)
            self._reset_counters()

    def replace(self, settings: FaultSettings) -> None:
        """Use ``settings`` from now on; counters restart so ``throttle_after`` counts afresh."""
        with self._lock:
            self.settings = settings
            self._reset_counters()

    def snapshot(self) -> dict[str, Any]:
        """Return the settings and counters, for the admin routes."""
        with self._lock:
            return {
                "settings": self.settings.model_dump(),
                "requestsSeen": self.requests_seen,
                "faultsSent": self.faults_sent,
                "failNextRemaining": self.settings.fail_next,
            }

    def check(self, method: str, path: str) -> Fault | None:
        """Count one request and return the fault to respond with, or None to serve it."""
        with self._lock:
            self.requests_seen += 1
            fault = self._server_error() or self._throttle(method, path)
            if fault is not None:
                self.faults_sent += 1
            return fault

    def _server_error(self) -> Fault | None:
        if self.settings.fail_next <= 0:
            return None
        self.settings.fail_next -= 1
        return Fault(self.settings.fail_status, "Injected server error", {})

    def _matches(self, method: str, path: str) -> bool:
        routes = self.settings.throttle_routes
        request = f"{method.upper()} {path}"
        return not routes or any(
            fnmatchcase(request, route) or fnmatchcase(path, route) for route in routes
        )

    def _throttle(self, method: str, path: str) -> Fault | None:
        if not self._matches(method, path):
            return None
        settings = self.settings
        self._matching_seen += 1
        if settings.throttle_every and self._matching_seen % settings.throttle_every == 0:
            return self._too_many(settings.retry_after_seconds)
        if settings.throttle_after is None:
            return None

        now = time.monotonic()
        window = settings.throttle_window_seconds
        if self._window_start is None or now - self._window_start >= window:
            self._window_start = now
            self._window_count = 0
        if self._window_count >= settings.throttle_after:
            return self._too_many(math.ceil(self._window_start + window - now))
        self._window_count += 1
        return None

    @staticmethod
    def _too_many(retry_after: int) -> Fault:
        # RFC 9110 section 10.2.3: Retry-After as delay-seconds, a non-negative integer.
        return Fault(429, "Too many requests", {"Retry-After": str(max(retry_after, 0))})
