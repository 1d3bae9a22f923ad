"""Editor view models: each step as a card, each field with its value and preview.

:func:`build_views` turns a document (a plain dict, possibly a draft) into :class:`StepCard`
trees. It reads the account's choices (groups…) through the step's connection once per
request, and attaches the preview of the value that would be sent and the problems found,
both keyed by ``(location, field key)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from arrimage.connectors.declaration import App, Field, FieldType, Operation
from arrimage.engine.document import FORMAT_DEFAULTS
from arrimage.engine.errors import ArrimageError, DocumentIssue
from arrimage.engine.lookups import load_choices
from arrimage.engine.preview import AutomationPreview, FieldPreview
from arrimage.i18n import LazyText, _l
from arrimage.runtime import Runtime
from arrimage.web.editor.form import (
    FIXED,
    converted_fields,
    field_mode,
    format_options,
    input_name,
    offers_fixed,
    operation_of,
    step_kind,
    text_of,
)

# "step 'optin' (steps[1]), field input.email" → ("steps[1]", "email").
_ISSUE_STEP = re.compile(r"^step '[^']*' \((?P<location>[^)]+)\)(?:, (?:branch '[^']*'|field (?:input\.)?(?P<field>[^,]+)))?")
_ISSUE_TRIGGER = re.compile(r"^trigger(?:, field (?:input\.)?(?P<field>[^,]+))?")


@dataclass
class ChoiceView:
    value: str
    label: str
    selected: bool = False


@dataclass
class FieldView:
    """One field of a step card, with the names of its inputs."""

    field: Field
    location: str
    mode: str
    text: str
    choices: list[ChoiceView] = field(default_factory=list)
    choices_error: str | None = None
    preview: FieldPreview | None = None
    problems: list[Any] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.field.key

    @property
    def offers_fixed(self) -> bool:
        return offers_fixed(self.field) and (bool(self.choices) or self.field.type is FieldType.BOOLEAN)

    @property
    def multiple(self) -> bool:
        return self.field.type is FieldType.MULTICHOICE

    @property
    def long_text(self) -> bool:
        return self.field.type in (FieldType.TEXT, FieldType.DICT, FieldType.JSON)

    def name(self, part: str, *more: str) -> str:
        return input_name(self.location, part, self.key, *more)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-zA-Z0-9_-]", "-", f"f-{self.location}-{self.key}")


@dataclass
class FormatOptionsView:
    """The "Format options" section of a step card: its formats: block as form inputs.

    ``options`` lists the block's options that apply to the step's fields (see
    :func:`~arrimage.web.editor.form.format_options`). ``off`` is the set of field keys sent as
    mapped. ``problems`` are the validation messages about the block.
    """

    location: str
    options: list[str]
    fields: list[Field]
    date_order: str
    default_language: str
    province_implies_country: bool
    off: set[str]
    problems: list[Any] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether any option differs from its default, which the collapsed section shows."""
        return (self.date_order != FORMAT_DEFAULTS["date_order"] or bool(self.default_language)
                or self.province_implies_country or bool(self.off))

    def name(self, *parts: str) -> str:
        return input_name(self.location, "formats", *parts)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-zA-Z0-9_-]", "-", f"formats-{self.location}")


@dataclass
class ConditionView:
    index: int
    value: str
    operator: str
    compare_to: str


@dataclass
class BranchView:
    index: int
    name: str
    match: str
    conditions: list[ConditionView]
    steps: list[StepCard]
    list_location: str
    holder: str


@dataclass
class StepCard:
    """A trigger or step as the editor shows it."""

    location: str
    kind: str
    step: dict[str, Any]
    app: App | None = None
    operation: Operation | None = None
    fields: list[FieldView] = field(default_factory=list)
    connections: list[dict[str, Any]] = field(default_factory=list)
    conditions: list[ConditionView] = field(default_factory=list)
    branches: list[BranchView] = field(default_factory=list)
    otherwise: list[StepCard] = field(default_factory=list)
    problems: list[Any] = field(default_factory=list)
    status: str | None = None
    formats: FormatOptionsView | None = None

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-zA-Z0-9_-]", "-", f"s-{self.location}")

    def name(self, part: str) -> str:
        return input_name(self.location, part)


@dataclass
class EditorViews:
    trigger: StepCard
    steps: list[StepCard]
    # Problems that no field shows, rendered at the top of the page.
    general: list[Any]


class _Builder:
    def __init__(self, runtime: Runtime, preview: AutomationPreview | None,
                 issues: list[DocumentIssue], problems: dict[str, LazyText]) -> None:
        self.runtime = runtime
        self.apps = runtime.apps
        self.previews: dict[tuple[str, str], FieldPreview] = {}
        self.statuses: dict[str, str] = {}
        if preview is not None:
            for step in preview.steps:
                self.statuses[step.location] = step.status
                for entry in step.fields:
                    self.previews[(step.location, entry.key)] = entry
        self.field_problems: dict[tuple[str, str], list[Any]] = {}
        self.step_problems: dict[str, list[Any]] = {}
        self.general: list[Any] = []
        for issue in issues:
            self._place(issue)
        for name, message in problems.items():
            location, _, rest = name.partition("::")
            if location == "document":
                self.general.append(message)
                continue
            key = rest.split("::")[-1]
            self.field_problems.setdefault((location, key), []).append(message)
        self._choices: dict[tuple[str, str, str], tuple[list[dict[str, Any]], str | None]] = {}
        self._connections: dict[str, list[dict[str, Any]]] = {}

    def _place(self, issue: DocumentIssue) -> None:
        match = _ISSUE_STEP.match(issue.location)
        if match:
            location, key = match["location"], match["field"]
        else:
            match = _ISSUE_TRIGGER.match(issue.location)
            location, key = ("trigger", match["field"]) if match else (None, None)
        if location is None:
            self.general.append(issue.message)
        elif key:
            self.field_problems.setdefault((location, key.strip()), []).append(issue.message)
        else:
            self.step_problems.setdefault(location, []).append(issue.message)

    def connections(self, app_key: str) -> list[dict[str, Any]]:
        if app_key not in self._connections:
            self._connections[app_key] = self.runtime.connections.list(app_key)
        return self._connections[app_key]

    def choices(self, app_key: str, source: str, connection: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Return the account's choices for a field, or the reason they cannot be read."""
        if not connection:
            return [], None
        key = (app_key, source, connection)
        if key not in self._choices:
            try:
                self._choices[key] = (load_choices(self.runtime, app_key, source, connection), None)
            except ArrimageError as error:
                self._choices[key] = ([], error.message.render())
        return self._choices[key]

    def card(self, location: str, step: dict[str, Any], kind: str) -> StepCard:
        card = StepCard(location, kind, step, problems=list(self.step_problems.get(location, [])),
                        status=self.statuses.get(location))
        if kind in ("trigger", "action", "search"):
            app_key = str(step.get("app"))
            key = str(step.get("event") if kind == "trigger" else step.get("action"))
            card.app = self.apps.get(app_key)
            card.operation = operation_of(self.apps, app_key, kind, key)
            card.connections = self.connections(app_key)
            if card.operation is not None:
                card.fields = [self.field_view(location, step, declared) for declared in card.operation.fields]
                if kind != "trigger":
                    card.formats = self.format_view(location, step, card.operation)
            card.problems += self.field_problems.get((location, "connection"), [])
        elif kind == "filter":
            card.conditions = _conditions(step)
        elif kind == "path":
            for index, branch in enumerate(step.get("branches") or []):
                list_location = f"{location}.branches[{index}].steps"
                card.branches.append(BranchView(
                    index=index, name=str(branch.get("name") or ""), match=str(branch.get("match") or "all"),
                    conditions=_conditions(branch),
                    steps=self.cards(branch.get("steps") or [], list_location),
                    list_location=list_location, holder=f"{location}::branch[{index}]"))
            card.otherwise = self.cards(step.get("otherwise") or [], f"{location}.otherwise")
        return card

    def cards(self, steps: list[dict[str, Any]], prefix: str) -> list[StepCard]:
        return [self.card(f"{prefix}[{index}]", step, step_kind(step)) for index, step in enumerate(steps)]

    def format_view(self, location: str, step: dict[str, Any], operation: Operation) -> FormatOptionsView | None:
        """Return the step's format options, or None when no field of the step is converted."""
        fields = converted_fields(operation)
        if not fields:
            return None
        block = step.get("formats") or {}
        off = block.get("off") or []
        problems = [message for (where, key), messages in self.field_problems.items()
                    if where == location and (key == "formats" or key.startswith("formats."))
                    for message in messages]
        return FormatOptionsView(
            location=location, options=format_options(operation), fields=fields,
            date_order=str(block.get("date_order") or FORMAT_DEFAULTS["date_order"]),
            default_language=str(block.get("default_language") or ""),
            province_implies_country=block.get("province_implies_country") is True,
            off={off} if isinstance(off, str) else {str(key) for key in off},
            problems=problems)

    def field_view(self, location: str, step: dict[str, Any], declared: Field) -> FieldView:
        value = (step.get("input") or {}).get(declared.key)
        mode = field_mode(declared, value)
        view = FieldView(declared, location, mode, "" if mode == FIXED and declared.choices_from else text_of(value),
                         preview=self.previews.get((location, declared.key)),
                         problems=list(self.field_problems.get((location, declared.key), [])))
        chosen = {str(item) for item in value} if isinstance(value, list) else {text_of(value)}
        if declared.choices:
            view.choices = [ChoiceView(choice.value, choice.label.render(), choice.value in chosen)
                            for choice in declared.choices]
        elif declared.choices_from:
            loaded, error = self.choices(str(step.get("app")), declared.choices_from, step.get("connection"))
            view.choices = [ChoiceView(str(item["value"]), str(item.get("label") or item["value"]),
                                       str(item["value"]) in chosen) for item in loaded]
            view.choices_error = error
            if mode == FIXED and not view.choices:
                # No list to choose from (no connection yet, or it cannot be read): type ids.
                view.mode, view.text = "mapped", text_of(value)
        if mode == FIXED and declared.type is FieldType.BOOLEAN:
            view.choices = []
        return view


def _conditions(holder: dict[str, Any]) -> list[ConditionView]:
    return [ConditionView(index, text_of(condition.get("value")), str(condition.get("operator") or "exists"),
                          text_of(condition.get("compare_to")))
            for index, condition in enumerate(holder.get("conditions") or [])]


def build_views(runtime: Runtime, document: dict[str, Any], preview: AutomationPreview | None,
                issues: list[DocumentIssue], problems: dict[str, LazyText]) -> EditorViews:
    """Return the editor's cards for ``document`` with previews and problems attached."""
    builder = _Builder(runtime, preview, issues, problems)
    trigger = builder.card("trigger", document["trigger"], "trigger")
    steps = builder.cards(document.get("steps") or [], "steps")
    return EditorViews(trigger, steps, builder.general)


# What the condition rows show for each operator.
OPERATOR_LABELS: dict[str, LazyText] = {
    "equals": _l("is equal to"),
    "not_equals": _l("is not equal to"),
    "contains": _l("contains"),
    "not_contains": _l("does not contain"),
    "starts_with": _l("starts with"),
    "ends_with": _l("ends with"),
    "exists": _l("exists"),
    "not_exists": _l("does not exist"),
    "is_empty": _l("is empty"),
    "is_not_empty": _l("is not empty"),
    "greater_than": _l("is greater than"),
    "greater_or_equal": _l("is greater than or equal to"),
    "less_than": _l("is less than"),
    "less_or_equal": _l("is less than or equal to"),
    "date_before": _l("is a date before"),
    "date_after": _l("is a date after"),
    "is_true": _l("is true"),
    "is_false": _l("is false"),
    "matches": _l("matches the pattern"),
}
