"""Batch routes: submit a batch and read its status and result."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from arrimage.sandbox.batches import check_batch, create_batch
from arrimage.sandbox.deps import BodyDep, DatesDep, SandboxDep, require_token
from arrimage.sandbox.errors import not_found
from arrimage.sandbox.serialize import batch_json

router = APIRouter(dependencies=[Depends(require_token)])


@router.post("/batches", status_code=201)
def submit_batch(body: BodyDep, sandbox: SandboxDep, dates: DatesDep) -> dict[str, Any]:
    """Check and store a batch, queue it for the worker and return it as ``NEW``."""
    with sandbox.store.transaction() as conn:
        row = create_batch(conn, check_batch(conn, sandbox.config, body))
    sandbox.batches.submit(row["id"])
    return batch_json(row, dates)


@router.get("/batches/{batch_id}")
def get_batch(
    batch_id: int,
    sandbox: SandboxDep,
    dates: DatesDep,
    showErrorDetails: bool = False,
) -> dict[str, Any]:
    """Return a batch; ``result`` stays null until it is ``COMPLETED``."""
    with sandbox.store.transaction() as conn:
        row = conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
    if row is None:
        raise not_found("Batch", batch_id)
    return batch_json(row, dates, error_details=showErrorDetails)
