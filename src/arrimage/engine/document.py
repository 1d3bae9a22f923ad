"""The automation document: a trigger, then steps. YAML files, the REST API and the UI share it.

Example::

    name: Form to CRM
    trigger: {app: webhook, event: catch_hook}
    steps:
      - id: has_email
        type: filter
        conditions: [{value: "{{ trigger.email }}", operator: exists}]
      - id: notify
        type: action
        app: http
        action: request
        input: {url: "http://127.0.0.1:9000/hook", body: {email: "{{ trigger.email }}"}}

:func:`load_document` checks the shape (pydantic) and then the meaning against the connector
catalogue, and raises :class:`~arrimage.engine.errors.DocumentError` listing every problem with
its step and field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from arrimage.connectors.context import FormatSettings
from arrimage.engine.conditions import UNARY_OPERATORS, Operator
from arrimage.engine.errors import DocumentError, DocumentIssue
from arrimage.i18n import LazyText, _l

STEP_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
AUTOMATION_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
SCHEMA_VERSION = 1

# The values that the keys of a step's formats: block accept, listed in error messages. They
# must match the Literal types of Formats.
DATE_ORDERS = ("dmy", "mdy", "ymd")
CONTACT_LANGUAGES = ("fr_ca", "en_ca")
FORMAT_CHOICES = {"date_order": DATE_ORDERS, "default_language": CONTACT_LANGUAGES}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Condition(_Model):
    """``value`` (a template) tested with ``operator`` against ``compare_to``."""

    value: Any
    operator: Operator
    compare_to: Any = None
    case_sensitive: bool = False


class TriggerSpec(_Model):
    app: str
    event: str
    connection: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    # Polling triggers: minutes between two polls; None uses the trigger's own interval.
    poll_interval_minutes: Annotated[float, Field(ge=1, le=1440)] | None = None


class _StepBase(_Model):
    id: Annotated[str, Field(pattern=STEP_ID_PATTERN)]
    name: str | None = None


class Formats(_Model):
    """A step's settings for the conversions of its fields to the app's formats."""

    # Fields sent exactly as mapped (only trimmed), without their conversion.
    off: list[str] = Field(default_factory=list)
    # Order of all-numeric dates such as 04/12/1990.
    date_order: Literal["dmy", "mdy", "ymd"] = "dmy"
    # The contact language used for languages other than French and English.
    default_language: Literal["fr_ca", "en_ca"] | None = None
    # Read a province or state written as the country as its country (CA or US).
    province_implies_country: bool = False

    @model_validator(mode="before")
    @classmethod
    def _read_yaml_off_key(cls, data: Any) -> Any:
        # PyYAML follows YAML 1.1, which reads a bare off key as the boolean false.
        if isinstance(data, dict) and any(key is False for key in data) and "off" not in data:
            return {("off" if key is False else key): value for key, value in data.items()}
        return data

    @field_validator("off", mode="before")
    @classmethod
    def _one_field_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("date_order", "default_language", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @model_serializer(mode="wrap")
    def _without_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Stored and exported documents keep only the options that differ from the default.
        dumped: dict[str, Any] = handler(self)
        return {key: value for key, value in dumped.items() if value != FORMAT_DEFAULTS.get(key)}

    def settings(self) -> FormatSettings:
        """Return the block as connectors receive it in ``StepContext.formats``."""
        return FormatSettings(
            off=frozenset(self.off),
            date_order=self.date_order,
            default_language=self.default_language,
            province_implies_country=self.province_implies_country,
        )


# Each option of a formats: block with its default value.
FORMAT_DEFAULTS: dict[str, Any] = {
    name: info.get_default(call_default_factory=True) for name, info in Formats.model_fields.items()
}


class _OperationStep(_StepBase):
    """A step that calls one of an app's operations; ``action`` is the operation's key."""

    app: str
    action: str
    connection: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    formats: Formats | None = None

    def format_settings(self) -> FormatSettings:
        """Return the step's conversion settings, the defaults when it has no formats: block."""
        return self.formats.settings() if self.formats is not None else FormatSettings()


class ActionStep(_OperationStep):
    type: Literal["action"] = "action"


class SearchStep(_OperationStep):
    type: Literal["search"] = "search"


class FilterStep(_StepBase):
    """Continue only if the conditions hold (``all`` of them, or ``any``)."""

    type: Literal["filter"] = "filter"
    match: Literal["all", "any"] = "all"
    conditions: Annotated[list[Condition], Field(min_length=1)]


class Branch(_Model):
    name: str
    match: Literal["all", "any"] = "all"
    conditions: Annotated[list[Condition], Field(min_length=1)]
    steps: list[Step] = Field(default_factory=list)


class PathStep(_StepBase):
    """Run the steps of the first branch whose conditions hold, else the ``otherwise`` steps."""

    type: Literal["path"] = "path"
    branches: Annotated[list[Branch], Field(min_length=1)]
    otherwise: list[Step] = Field(default_factory=list)


def _step_type(value: Any) -> str:
    """Return a step's type; ``type`` may be left out where the keys make it obvious."""
    if isinstance(value, BaseModel):
        return str(getattr(value, "type"))
    if not isinstance(value, dict):
        return "action"
    if value.get("type"):
        return str(value["type"])
    if "branches" in value:
        return "path"
    if "conditions" in value:
        return "filter"
    return "action"


Step = Annotated[
    Annotated[ActionStep, Tag("action")]
    | Annotated[SearchStep, Tag("search")]
    | Annotated[FilterStep, Tag("filter")]
    | Annotated[PathStep, Tag("path")],
    Discriminator(_step_type),
]


class AutomationSettings(_Model):
    timezone: str = "America/Toronto"


class AutomationDocument(_Model):
    """An automation as written in YAML: a trigger, then steps."""

    id: Annotated[str | None, Field(pattern=AUTOMATION_ID_PATTERN)] = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str | None = None
    schema_version: int = SCHEMA_VERSION
    settings: AutomationSettings = Field(default_factory=AutomationSettings)
    trigger: TriggerSpec
    steps: list[Step] = Field(default_factory=list)

    def iter_steps(self) -> Iterator[tuple[str, ActionStep | SearchStep | FilterStep | PathStep]]:
        """Yield ``(location, step)`` for every step, branches included, in document order."""
        yield from _iter_steps(self.steps, "steps")


def _iter_steps(
    steps: list[Any], prefix: str
) -> Iterator[tuple[str, ActionStep | SearchStep | FilterStep | PathStep]]:
    for index, step in enumerate(steps):
        location = f"{prefix}[{index}]"
        yield location, step
        if isinstance(step, PathStep):
            for branch_index, branch in enumerate(step.branches):
                yield from _iter_steps(branch.steps, f"{location}.branches[{branch_index}].steps")
            yield from _iter_steps(step.otherwise, f"{location}.otherwise")


def parse_document(data: Any) -> AutomationDocument:
    """Check the document's shape only; raise DocumentError with every problem located."""
    if not isinstance(data, dict):
        raise DocumentError([_issue("document", _l("The automation must be a mapping with name, trigger and steps."))])
    try:
        return AutomationDocument.model_validate(data)
    except ValidationError as exc:
        raise DocumentError([_pydantic_issue(data, error) for error in exc.errors()]) from exc


def _issue(location: str, message: LazyText) -> DocumentIssue:
    return DocumentIssue(location, message)


def _pydantic_issue(data: dict[str, Any], error: Any) -> Any:
    """Turn a pydantic error into an issue that names the step by its id and the field."""
    loc = list(error["loc"])
    location = _describe_location(data, loc)
    kind = error["type"]
    if kind == "missing":
        return _issue(location, _l("This field is required."))
    if kind == "extra_forbidden":
        return _issue(location, _l("Unknown field: remove it or check its spelling."))
    if kind == "string_pattern_mismatch" and loc == ["id"]:
        return _issue(
            location,
            _l(
                "The automation id {value} is invalid: use lower-case letters, digits, - and _ "
                "(starting with a letter or a digit), such as form-to-crm.",
                value=repr(error.get("input")),
            ),
        )
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "id":
        value = error.get("input")
        return _issue(
            location,
            _l(
                "The id {value} is invalid: use lower-case letters, digits and _ (starting "
                "with a letter), such as create_contact.",
                value=repr(value),
            ),
        )
    if kind == "enum" and loc and loc[-1] == "operator":
        choices = ", ".join(operator.value for operator in Operator)
        return _issue(
            location,
            _l("Unknown operator {value}: use one of {choices}.", value=repr(error.get("input")),
               choices=choices),
        )
    in_formats = len(loc) >= 2 and loc[-2] == "formats"
    if kind == "literal_error" and in_formats and loc[-1] in FORMAT_CHOICES:
        return _issue(
            location,
            _l("{value} is not one of the choices: {choices}.", value=repr(error.get("input")),
               choices=", ".join(FORMAT_CHOICES[str(loc[-1])])),
        )
    if kind in ("bool_parsing", "bool_type"):
        value = repr(error.get("input"))
        return _issue(location, _l("Invalid value {value}: write true or false.", value=value))
    if kind == "union_tag_invalid":
        given = error.get("input")
        step_type = given.get("type") if isinstance(given, dict) else given
        return _issue(
            location,
            _l("Unknown step type {value}: use action, search, filter or path.",
               value=repr(step_type)),
        )
    return _issue(location, _l("Invalid value: {problem}", problem=error["msg"]))


def _describe_location(data: Any, loc: list[Any]) -> str:
    """Render a pydantic location with step ids: ``step 'notify' (steps[1]), field app``."""
    node = data
    path = ""
    step_label = ""
    remainder: list[str] = []
    for index, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("action", "search", "filter", "path") and isinstance(node, dict) and index and isinstance(loc[index - 1], int):
            # A discriminated-union tag inserted by pydantic, not a key of the document.
            continue
        else:
            path += f".{part}" if path else str(part)
        if isinstance(node, dict) and not isinstance(part, int):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
        if isinstance(node, dict) and isinstance(node.get("id"), str) and isinstance(part, int):
            step_label = f"step {node['id']!r} ({path})"
            remainder = []
        elif step_label:
            remainder.append(str(part))
    if step_label:
        return f"{step_label}, field {'.'.join(remainder)}" if remainder else step_label
    return path or "document"

__all__ = [
    "ActionStep",
    "AutomationDocument",
    "Branch",
    "Condition",
    "FilterStep",
    "Formats",
    "PathStep",
    "SearchStep",
    "TriggerSpec",
    "UNARY_OPERATORS",
    "parse_document",
]
