"""Routes under ``/_sandbox`` for tests and demos: faults, reset and a dump of the state.

They take the same Bearer token as the API, so a sandbox exposed beyond 127.0.0.1 cannot be
wiped by anyone who can reach it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError

from arrimage.sandbox.deps import BodyDep, SandboxDep, require_token
from arrimage.sandbox.errors import ApiError
from arrimage.sandbox.faults import FaultSettings
from arrimage.sandbox.seed import seed_store
from arrimage.sandbox.validation import require_object

router = APIRouter(prefix="/_sandbox", dependencies=[Depends(require_token)])


def _settings(data: dict[str, Any]) -> FaultSettings:
    try:
        return FaultSettings.model_validate(data)
    except ValidationError as exc:
        details = [
            (".".join(str(part) for part in error["loc"]), error["msg"]) for error in exc.errors()
        ]
        raise ApiError("validation", "The fault settings are invalid.", details) from exc


@router.get("/faults")
def get_faults(sandbox: SandboxDep) -> dict[str, Any]:
    """Return the fault settings and the request counters."""
    return sandbox.faults.snapshot()


@router.put("/faults")
def replace_faults(body: BodyDep, sandbox: SandboxDep) -> dict[str, Any]:
    """Replace every fault setting (unsent ones take their defaults) and restart the counters."""
    sandbox.faults.replace(_settings(require_object(body)))
    return sandbox.faults.snapshot()


@router.patch("/faults")
def patch_faults(body: BodyDep, sandbox: SandboxDep) -> dict[str, Any]:
    """Change the fault settings sent and restart the counters."""
    current = sandbox.faults.settings.model_dump()
    sandbox.faults.replace(_settings({**current, **require_object(body)}))
    return sandbox.faults.snapshot()


@router.post("/reset")
def reset(sandbox: SandboxDep) -> dict[str, Any]:
    """Erase the account, load the seed again and restore the configured faults."""
    sandbox.store.clear()
    seed_store(sandbox.store, sandbox.config)
    sandbox.faults.reset()
    return {"reset": True}


@router.get("/state")
def state(sandbox: SandboxDep) -> dict[str, Any]:
    """Dump every table and the fault counters."""
    return {"tables": sandbox.store.dump(), "faults": sandbox.faults.snapshot()}
