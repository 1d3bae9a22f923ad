"""The run executor: walks an automation's steps for one event and records each step.

Contract with the recorder: :meth:`Recorder.save_step` commits the step's record before the
next step starts. A run executed again (after a crash, a retry or a replay) skips every step
recorded as succeeded, reusing its output, so a write that succeeded is never repeated. A path
step's record keeps the branch it chose, so a resumed run takes the same branch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

import httpx

from arrimage.connectors.context import ConnectionData, StepContext
from arrimage.connectors.declaration import App, OperationKind
from arrimage.engine import conditions as cond
from arrimage.engine.document import (
    ActionStep,
    AutomationDocument,
    Condition,
    FilterStep,
    PathStep,
    SearchStep,
)
from arrimage.engine.errors import (
    ArrimageError,
    InvalidInputError,
    PermanentStepError,
    StepError,
    TransientStepError,
    after_last_attempt,
)
from arrimage.engine.records import RunOutcome, RunStatus, StepRecord, StepStatus
from arrimage.engine.retry import retry_delay
from arrimage.engine.templates import TemplateRenderer
from arrimage.i18n import _l
from arrimage.logs import ContextAdapter
from arrimage.normalize.result import Message

logger = logging.getLogger(__name__)

AnyStep = ActionStep | SearchStep | FilterStep | PathStep
ConnectionResolver = Callable[[str, str], ConnectionData]


class Recorder(Protocol):
    """The destination of step records: the database, or memory for a test run."""

    def save_step(self, record: StepRecord) -> None:
        """Store ``record`` durably before returning; replace an earlier record of the step."""


@dataclass
class RunPlan:
    """Everything the executor needs for one pass over a run."""

    run_id: str
    automation_id: str
    document: AutomationDocument
    trigger_output: dict[str, Any]
    event: dict[str, Any]
    records: dict[str, StepRecord] = field(default_factory=dict)


@dataclass
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 2.0
    max_seconds: float = 300.0


# Id of the step record that contains a trigger's completed payload (see Operation.enrich).
TRIGGER_DETAILS = "trigger_details"


class _Stop(Exception):
    """Ends the walk over the steps with an outcome."""

    def __init__(self, outcome: RunOutcome) -> None:
        self.outcome = outcome


class Executor:
    """Runs automations' steps; one executor serves every worker thread of a process."""

    def __init__(
        self,
        *,
        apps: dict[str, App],
        renderer: TemplateRenderer,
        resolve_connection: ConnectionResolver,
        http: httpx.Client,
        retry: RetryPolicy,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.apps = apps
        self.renderer = renderer
        self.resolve_connection = resolve_connection
        self.http = http
        self.retry = retry
        self.timeout_seconds = timeout_seconds

    def execute(self, plan: RunPlan, recorder: Recorder) -> RunOutcome:
        """Run every step not yet succeeded, in order, and return how the run ended."""
        walk = _Walk(plan, recorder, self)
        try:
            walk.enrich_trigger()
            walk.run_steps(plan.document.steps)
        except _Stop as stop:
            return stop.outcome
        return RunOutcome(RunStatus.SUCCEEDED)


class _Walk:
    """One pass over a run's steps."""

    def __init__(self, plan: RunPlan, recorder: Recorder, executor: Executor) -> None:
        self.plan = plan
        self.recorder = recorder
        self.executor = executor
        self.outputs: dict[str, Any] = {
            step_id: record.output
            for step_id, record in plan.records.items()
            if record.status is StepStatus.SUCCEEDED and step_id not in ("trigger", TRIGGER_DETAILS)
        }
        self.next_position = max((record.position for record in plan.records.values()), default=0) + 1
        self.log = ContextAdapter(
            logger, {"automation_id": plan.automation_id, "run_id": plan.run_id}
        )

    @property
    def data(self) -> dict[str, Any]:
        """Return what templates see: ``trigger``, ``steps`` and ``event``."""
        return template_data(self.plan.trigger_output, self.outputs, self.plan.event)

    def run_steps(self, steps: list[Any]) -> None:
        for step in steps:
            previous = self.plan.records.get(step.id)
            if previous is not None and previous.status is StepStatus.SUCCEEDED:
                self.outputs[step.id] = previous.output
                if isinstance(step, PathStep):
                    self.run_steps(_chosen_steps(step, previous.output))
                continue
            if isinstance(step, FilterStep):
                self.run_filter(step, previous)
            elif isinstance(step, PathStep):
                self.run_path(step, previous)
            else:
                self.run_operation(step, previous)

    def run_filter(self, step: FilterStep, previous: StepRecord | None) -> None:
        record = self._new_record(step, previous, "filter")
        try:
            passed, details = self._test(step.conditions, step.match, step.id)
        except ArrimageError as exc:
            self._fail(record, exc)
        record.input = {"match": step.match, "conditions": details}
        record.output = {"passed": passed}
        if passed:
            self._succeed(record)
            self.outputs[step.id] = record.output
            return
        record.status = StepStatus.FILTERED
        self._save(record)
        self.log.info("run stopped by filter %s", step.id, extra={"step_id": step.id})
        raise _Stop(RunOutcome(RunStatus.FILTERED))

    def run_path(self, step: PathStep, previous: StepRecord | None) -> None:
        record = self._new_record(step, previous, "path")
        chosen: dict[str, Any] = {"branch": None, "index": None}
        tested = []
        try:
            for index, branch in enumerate(step.branches):
                passed, details = self._test(branch.conditions, branch.match, f"{step.id}.{branch.name}")
                tested.append({"branch": branch.name, "passed": passed, "conditions": details})
                if passed:
                    chosen = {"branch": branch.name, "index": index}
                    break
        except ArrimageError as exc:
            self._fail(record, exc)
        record.input = {"branches": tested}
        record.output = chosen
        self._succeed(record)
        self.outputs[step.id] = chosen
        self.run_steps(_chosen_steps(step, chosen))

    def enrich_trigger(self) -> None:
        """Complete the trigger's payload when its operation has ``enrich``, once per run."""
        spec = self.plan.document.trigger
        app = self.executor.apps.get(spec.app)
        operation = app.operation(OperationKind.TRIGGER, spec.event) if app else None
        if operation is None or operation.enrich is None:
            return
        previous = self.plan.records.get(TRIGGER_DETAILS)
        if previous is not None and previous.status is StepStatus.SUCCEEDED:
            self.plan.trigger_output = previous.output
            return

        position = previous.position if previous else self._take_position()
        record = StepRecord(
            step_id=TRIGGER_DETAILS, position=position, kind="trigger", status=StepStatus.SUCCEEDED,
            app=spec.app, operation=spec.event, input=self.plan.trigger_output,
            attempts=(previous.attempts if previous else 0) + 1, started_at=_now(),
        )
        step_log = ContextAdapter(logger, {"automation_id": self.plan.automation_id,
                                           "run_id": self.plan.run_id, "step_id": TRIGGER_DETAILS})
        try:
            connection = (
                self.executor.resolve_connection(spec.connection, spec.app) if spec.connection else None
            )
            context = StepContext(
                automation_id=self.plan.automation_id, run_id=self.plan.run_id,
                step_id=TRIGGER_DETAILS, attempt=record.attempts, connection=connection,
                http=self.executor.http, timeout_seconds=self.executor.timeout_seconds,
                logger=step_log,
            )
            record.output = operation.enrich(context, dict(self.plan.trigger_output))
        except StepError as exc:
            self._fail_or_wait(record, exc)
        except ArrimageError as exc:
            self._fail(record, exc)
        except Exception as exc:  # a connector bug must not lose the run: record it, replay later
            step_log.exception("reading the trigger's details crashed")
            self._fail(record, PermanentStepError(_l(
                "Unexpected error in {app}.{operation}: {problem}. The run can be replayed once "
                "the cause is fixed.", app=spec.app, operation=spec.event,
                problem=f"{type(exc).__name__}: {exc}")))

        self._succeed(record)
        self.plan.trigger_output = record.output

    def run_operation(self, step: ActionStep | SearchStep, previous: StepRecord | None) -> None:
        kind = OperationKind.ACTION if isinstance(step, ActionStep) else OperationKind.SEARCH
        record = self._new_record(step, previous, str(kind))
        record.app, record.operation = step.app, step.action
        record.attempts = (previous.attempts if previous else 0) + 1
        step_log = ContextAdapter(
            logger,
            {"automation_id": self.plan.automation_id, "run_id": self.plan.run_id, "step_id": step.id},
        )

        context: StepContext | None = None
        try:
            app = self.executor.apps.get(step.app)
            operation = app.operation(kind, step.action) if app else None
            if operation is None or operation.perform is None:
                raise PermanentStepError(_l(
                    "The app {app} has no {kind} {operation} in this version of Arrimage.",
                    app=step.app, kind=str(kind), operation=step.action))
            values, filter_warnings = self._mapped_input(step, operation)
            record.input = values
            # Recorded now, so a step that fails still shows why a filter kept or dropped a value.
            record.warnings = filter_warnings
            connection = (
                self.executor.resolve_connection(step.connection, step.app) if step.connection else None
            )
            context = StepContext(
                automation_id=self.plan.automation_id,
                run_id=self.plan.run_id,
                step_id=step.id,
                attempt=record.attempts,
                connection=connection,
                http=self.executor.http,
                timeout_seconds=self.executor.timeout_seconds,
                logger=step_log,
                formats=step.format_settings(),
                progress=_progress_of(previous),
            )
            record.output = operation.perform(context, values)
            record.warnings = filter_warnings + context.warnings
        except StepError as exc:
            if context is not None and context.progress:
                record.output = {"progress": context.progress}
            self._fail_or_wait(record, exc)
        except ArrimageError as exc:
            self._fail(record, exc)
        except Exception as exc:  # a connector bug must not lose the run: record it, replay later
            step_log.exception("step %s crashed", step.id)
            self._fail(record, PermanentStepError(_l(
                "Unexpected error in {app}.{operation}: {problem}. The run can be replayed once "
                "the cause is fixed.", app=step.app, operation=step.action,
                problem=f"{type(exc).__name__}: {exc}")))

        self._succeed(record)
        self.outputs[step.id] = record.output

    def _mapped_input(
        self, step: ActionStep | SearchStep, operation: Any
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Render the step's input, and return it with the warnings of the format filters.

        A format filter that cannot convert a value does not fail the template, because the
        normalizers return a message instead of raising on input. The message becomes a warning
        ``{"field", "code", "message"}`` of the step, as a connector's does.
        """
        values: dict[str, Any] = {}
        warnings: list[dict[str, Any]] = []
        for field in operation.fields:
            if field.key in step.input:
                messages: list[Message] = []
                values[field.key] = self.executor.renderer.render(
                    step.input[field.key], self.data, field_location(step.id, field.key),
                    filter_messages=messages)
                warnings += [filter_warning(field.key, message) for message in messages]
            elif field.default is not None:
                values[field.key] = field.default
        for field in operation.fields:
            if field.required and is_blank(values.get(field.key)):
                raise empty_field_error(step.id, field.key)
        return values, warnings

    def _test(self, conditions: list[Condition], match: str, where: str) -> tuple[bool, list[dict[str, Any]]]:
        return evaluate_conditions(
            self.executor.renderer, conditions, match, where, self.data,
            self.plan.document.settings.timezone,
        )

    def _new_record(self, step: AnyStep, previous: StepRecord | None, kind: str) -> StepRecord:
        position = previous.position if previous else self._take_position()
        return StepRecord(
            step_id=step.id, position=position, kind=kind, status=StepStatus.SUCCEEDED,
            attempts=previous.attempts if previous else 0, started_at=_now(),
        )

    def _take_position(self) -> int:
        position = self.next_position
        self.next_position += 1
        return position

    def _succeed(self, record: StepRecord) -> None:
        record.status = StepStatus.SUCCEEDED
        record.error = None
        self._save(record)

    def _fail_or_wait(self, record: StepRecord, error: StepError) -> None:
        policy = self.executor.retry
        if isinstance(error, TransientStepError) and record.attempts < policy.max_attempts:
            delay = retry_delay(
                record.attempts, base_seconds=policy.base_seconds,
                max_seconds=policy.max_seconds, retry_after=error.retry_after,
            )
            record.status = StepStatus.WAITING_RETRY
            record.error = error.to_record()
            self._save(record)
            self.log.warning(
                "step %s failed with a transient error (attempt %d of %d), retry in %.1f s: %s",
                record.step_id, record.attempts, policy.max_attempts, delay, error.code,
                extra={"step_id": record.step_id},
            )
            raise _Stop(RunOutcome(RunStatus.WAITING_RETRY, record.error, delay))
        self._fail(record, error)

    def _fail(self, record: StepRecord, error: ArrimageError) -> None:
        record.status = StepStatus.FAILED
        record.error = error.to_record()
        if isinstance(error, TransientStepError):
            record.error["attempts_exhausted"] = True
            record.error["message"] = after_last_attempt(error.message, record.attempts).as_dict()
        self._save(record)
        self.log.warning("step %s failed: %s", record.step_id, error.code, extra={"step_id": record.step_id})
        raise _Stop(RunOutcome(RunStatus.FAILED, {"step_id": record.step_id, **record.error}))

    def _save(self, record: StepRecord) -> None:
        record.finished_at = _now()
        if record.started_at is not None:
            record.duration_ms = round((record.finished_at - record.started_at).total_seconds() * 1000, 3)
        self.recorder.save_step(record)
        self.plan.records[record.step_id] = record


def template_data(
    trigger_output: Any, outputs: dict[str, Any], event: dict[str, Any]
) -> dict[str, Any]:
    """Return what templates see: ``trigger``, ``steps`` (earlier outputs) and ``event``."""
    return {"trigger": trigger_output, "steps": outputs, "event": event}


def field_location(step_id: str, field_key: str) -> str:
    """Return the location that template errors name for one field of a step."""
    return f"step {step_id!r}, field {field_key!r}"


def filter_warning(field_key: str, message: Message) -> dict[str, Any]:
    """Return a format filter's message as a step record's warning, in every language."""
    return {"field": field_key, "code": message.code, "message": message.text.as_dict()}


def is_blank(value: Any) -> bool:
    """Return whether a mapped value leaves a required field empty."""
    return value is None or (isinstance(value, str) and not value.strip())


def empty_field_error(step_id: str, field_key: str) -> InvalidInputError:
    """Return the error of a required field that is empty after mapping."""
    return InvalidInputError(_l(
        "The field {field} of step {step_id} is empty after mapping: map it to a "
        "value that the trigger always has, or set a fixed value.",
        field=field_key, step_id=step_id))


def evaluate_conditions(
    renderer: TemplateRenderer,
    conditions: list[Condition],
    match: str,
    where: str,
    data: dict[str, Any],
    timezone_name: str,
) -> tuple[bool, list[dict[str, Any]]]:
    """Evaluate conditions against ``data``, and return whether they hold with each resolved value.

    Raises :class:`ArrimageError` when a template fails for another reason than a missing key,
    or when an operator cannot compare the values.
    """
    details = []
    results = []
    for index, condition in enumerate(conditions):
        location = f"step {where!r}, conditions[{index}]"
        value = cond.resolve(renderer, condition.value, data, location)
        compare_to = cond.resolve(renderer, condition.compare_to, data, location)
        passed = cond.evaluate(
            condition.operator, value, compare_to,
            case_sensitive=condition.case_sensitive, timezone=timezone_name, location=location,
        )
        results.append(passed)
        details.append({
            "value": None if value is cond.ABSENT else value,
            "absent": value is cond.ABSENT,
            "operator": condition.operator.value,
            "compare_to": None if compare_to is cond.ABSENT else compare_to,
            "passed": passed,
        })
    passed_all = all(results) if match == "all" else any(results)
    return passed_all, details


def _chosen_steps(step: PathStep, output: Any) -> list[Any]:
    index = output.get("index") if isinstance(output, dict) else None
    if index is None:
        return list(step.otherwise)
    return list(step.branches[index].steps)


def _progress_of(previous: StepRecord | None) -> dict[str, Any]:
    """Return the progress that the step's previous attempt recorded before it failed, else ``{}``.

    A failed step's progress also reaches its replay, so the replay finishes the work too.
    """
    # A replay turns the failed record into a pending one, output included.
    if previous is None or previous.status is StepStatus.SUCCEEDED:
        return {}
    output = previous.output if isinstance(previous.output, dict) else {}
    progress = output.get("progress")
    return dict(progress) if isinstance(progress, dict) else {}


def _now() -> datetime:
    return datetime.now(timezone.utc)
