"""``/api/connections``: saved credentials. Secrets go in and never come back out."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from arrimage.engine.errors import NotFoundError
from arrimage.engine.lookups import check_connection, check_stored_connection
from arrimage.i18n import _l
from arrimage.runtime import Runtime
from arrimage.storage.listings import record_connection_check
from arrimage.web.api.deps import get_runtime

router = APIRouter(prefix="/connections", tags=["connections"])


class NewConnection(BaseModel):
    app: str
    name: str = Field(min_length=1, max_length=200)
    values: dict[str, Any] = Field(default_factory=dict)
    check: bool = Field(default=True, description="Check the credentials with the app first; "
                                                  "a failed check stores nothing.")


class ConnectionChange(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    values: dict[str, Any] | None = None


@router.get("", summary="List connections (without secrets)")
async def list_connections(app: str | None = None, runtime: Runtime = Depends(get_runtime)) -> list[dict[str, Any]]:
    return await anyio.to_thread.run_sync(runtime.connections.list, app)


@router.post("", status_code=201, summary="Create a connection")
async def create_connection(body: NewConnection, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    app = runtime.apps.get(body.app)
    if app is None:
        raise NotFoundError(_l("Unknown app {app}. Known: {known}.", app=repr(body.app), known=", ".join(runtime.apps)))
    def check_then_create() -> dict[str, Any]:
        # A taken name is a 409 before any request to the app.
        runtime.connections.check_name_free(app, body.name)
        account = check_connection(runtime, app.key, body.values) if body.check else None
        created = runtime.connections.create(app, body.name, body.values)
        if account is not None:
            record_connection_check(runtime.db, created["id"], account)
            created = runtime.connections.get(created["id"])
        return {**created, "account": account}

    return await anyio.to_thread.run_sync(check_then_create)


@router.post("/{connection_id}/check", summary="Check a connection's credentials with its app")
async def check(connection_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    def check_and_record() -> dict[str, Any]:
        result = check_stored_connection(runtime, connection_id)
        record_connection_check(runtime.db, result["id"], result["account"])
        return result

    return await anyio.to_thread.run_sync(check_and_record)


@router.get("/{connection_id}", summary="Get a connection (without secrets)")
async def get_connection(connection_id: str, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    return await anyio.to_thread.run_sync(runtime.connections.get, connection_id)


@router.patch("/{connection_id}", summary="Rename a connection or replace some of its values")
async def update_connection(connection_id: str, body: ConnectionChange,
                            runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    current = await anyio.to_thread.run_sync(runtime.connections.get, connection_id)
    app = runtime.apps[current["app"]]
    return await anyio.to_thread.run_sync(
        lambda: runtime.connections.update(connection_id, app, name=body.name, values=body.values))


@router.delete("/{connection_id}", status_code=204, summary="Delete a connection no automation uses")
async def delete_connection(connection_id: str, runtime: Runtime = Depends(get_runtime)) -> None:
    await anyio.to_thread.run_sync(runtime.connections.delete, connection_id)
