"""Shared dependencies of the API routes."""

from __future__ import annotations

from fastapi import Request

from arrimage.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """Return the process's runtime, stored on the app at start."""
    runtime: Runtime = request.app.state.runtime
    return runtime
