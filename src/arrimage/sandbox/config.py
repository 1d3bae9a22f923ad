"""Settings of one sandbox instance: accepted tokens, storage, seed data and emulated behaviour."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

from arrimage.sandbox.faults import FaultSettings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8466
DEFAULT_TOKEN = "sandbox-token"
DATABASE_FILE = "sandbox.db"

ErrorShape = Literal["message", "errors_list", "errors_object", "text"]
RELATION_TYPES = (
    "express-consent",
    "active-clients",
    "information-request",
    "business-card",
    "web-contacts",
    "purchased-list",
    "contest-participants",
    "mixed-list",
    "inactive-clients",
    "association-members",
    "employees",
    "partners",
)


class SandboxConfig(BaseModel):
    """Configuration of the Cyberimpact emulator.

    Fields marked "assumption" choose a behaviour that the public Cyberimpact documentation
    does not describe; the package docstring lists them.
    """

    tokens: list[str] = Field(
        default_factory=lambda: [DEFAULT_TOKEN],
        min_length=1,
        description="Bearer tokens accepted on every API route.",
    )
    data_dir: Path | None = Field(
        default=None,
        description="Folder for the SQLite file sandbox.db; None keeps data in memory.",
    )
    seed: Path | None = Field(
        default=None, description="JSON or YAML file loaded into empty storage and on each reset."
    )
    timezone: str = Field(default="America/Toronto", description="Zone of the dates returned.")

    account: str = "Boutique Sandbox"
    username: str = "Sandbox"
    account_email: str = "sandbox@example.com"

    error_shape: ErrorShape = Field(
        default="errors_list", description="Assumption: error body form."
    )
    validation_status: int = Field(default=422, ge=400, le=499, description="Assumption.")
    schema_error_status: int = Field(default=400, ge=400, le=499, description="Assumption.")
    duplicate_status: int = Field(default=409, ge=400, le=499, description="Assumption.")
    unknown_group: Literal["error", "ignore"] = Field(default="error", description="Assumption.")
    unsubscribed_readd: Literal["reject", "resubscribe"] = Field(
        default="reject",
        description="Assumption: POST /members and batches on an unsubscribed address.",
    )
    default_relation_type: str = Field(
        default="active-clients",
        description="Assumption: consent of members made by POST /members.",
    )
    group_change_updates_member: bool = Field(
        default=False, description="Assumption: whether group changes set the member's updatedOn."
    )
    max_page_size: int = Field(
        default=10_000, ge=1, le=10_000,
        description="Assumption: a larger limit is served as this many items, and the response's "
                    "limit says so. Cyberimpact documents 10 000 as the maximum.",
    )
    redirect_after_confirm: bool = Field(
        default=False,
        description="Send the browser to optinConfirmUrl after an opt-in confirmation.",
    )
    faults: FaultSettings = Field(default_factory=FaultSettings)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'America/Toronto'"
            ) from exc
        return value

    @field_validator("default_relation_type")
    @classmethod
    def _check_relation_type(cls, value: str) -> str:
        if value not in RELATION_TYPES:
            raise ValueError(
                f"invalid relation type {value!r}; choose one of {', '.join(RELATION_TYPES)}"
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        """Return the time zone of returned dates and of date filters."""
        return ZoneInfo(self.timezone)

    @property
    def database_path(self) -> str:
        """Return the sqlite3 path: the file in ``data_dir``, or ``:memory:``."""
        if self.data_dir is None:
            return ":memory:"
        return str(self.data_dir / DATABASE_FILE)
