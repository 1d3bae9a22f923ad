"""The runtime: one object that wires settings, storage, the queue and the executor together.

The web app, the embedded consumer, ``arrimage worker`` and the CLI each build one
:class:`Runtime` from the same settings, so every process runs the same code path; only the
storage and queue backends change with the configuration.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from typing import Any

import httpx
from huey.api import Huey, TaskWrapper

from arrimage.config import ConfigurationError, Settings
from arrimage.connectors.declaration import App
from arrimage.connectors.registry import all_apps
from arrimage.engine.executor import Executor, RetryPolicy, RunPlan
from arrimage.engine.records import RunOutcome, RunStatus, StepRecord
from arrimage.engine.templates import TemplateRenderer, default_filters
from arrimage.i18n import _l
from arrimage.queue import create_huey
from arrimage.queue.scheduler import Scheduler
from arrimage.storage.automations import AutomationRepository, parsed_version
from arrimage.storage.connections import ConnectionRepository
from arrimage.storage.database import Database
from arrimage.storage.events import EventRepository
from arrimage.storage.runs import LeaseLostError, RunRepository
from arrimage.storage.secrets import SecretBox, holds_encrypted_secrets
from arrimage.storage.trigger_states import TriggerStateRepository
from arrimage.storage.users import UserRepository

logger = logging.getLogger(__name__)

_SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# The maximum number of messages (waiting plus scheduled) that the recovery sweep reads to
# learn which runs still have a message. Each message is a small JSON document.
MAX_QUEUE_SCAN = 50_000


class Runtime:
    """Arrimage's services for one process. Create with :meth:`from_settings`."""

    def __init__(self, settings: Settings, *, migrate: bool = True) -> None:
        self.settings = settings
        self.db = Database(settings.resolved_database_url)
        if migrate:
            self.db.migrate()
        try:
            # A missing key is created only while no stored value needs the old one.
            key = settings.fernet_key(may_create=lambda: not holds_encrypted_secrets(self.db))
        except ConfigurationError:
            self.db.dispose()
            raise
        self.box = SecretBox(key)
        self.apps: dict[str, App] = all_apps()
        self.connections = ConnectionRepository(self.db, self.box)
        self.automations = AutomationRepository(self.db, self.box, self.connections)
        self.events = EventRepository(self.db)
        self.runs = RunRepository(self.db, settings.run_lease_seconds)
        self.trigger_states = TriggerStateRepository(self.db)
        self.users = UserRepository(self.db)
        self.renderer = TemplateRenderer(default_filters())
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self._http: httpx.Client | None = None
        self._http_lock = threading.Lock()
        self._executor: Executor | None = None
        self.huey: Huey = create_huey(settings, settings.queue_name)
        self.execute_run_task: TaskWrapper = self.huey.task(name="execute_run")(self.execute_run)
        self.poll_trigger_task: TaskWrapper = self.huey.task(name="poll_trigger")(self.poll_trigger)
        self.consumer: Any = None
        self.scheduler: Scheduler | None = None

    @property
    def http(self) -> httpx.Client:
        """Return the process's shared HTTP client (connection pooling across steps)."""
        with self._http_lock:
            if self._http is None:
                self._http = httpx.Client(
                    timeout=self.settings.http_timeout_seconds,
                    limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                    headers={"User-Agent": "Arrimage"},
                )
            return self._http

    @property
    def executor(self) -> Executor:
        """Return the process's executor (built once, shared by every worker thread)."""
        if self._executor is not None:
            return self._executor
        self._executor = Executor(
            apps=self.apps,
            renderer=self.renderer,
            resolve_connection=self.connections.resolve,
            http=self.http,
            retry=RetryPolicy(
                max_attempts=self.settings.max_attempts,
                base_seconds=self.settings.retry_base_seconds,
                max_seconds=self.settings.retry_max_seconds,
            ),
            timeout_seconds=self.settings.http_timeout_seconds,
        )
        return self._executor

    # -- queue -------------------------------------------------------------------------------

    def enqueue_run(self, run_id: str, delay: float | None = None) -> None:
        """Put ``run_id`` on the queue; a failure is logged, and the recovery sweep retries."""
        try:
            if delay:
                self.execute_run_task.schedule(args=(run_id,), delay=delay)
            else:
                self.execute_run_task(run_id)
        except Exception:
            logger.exception("could not enqueue run; the scheduler will enqueue it again",
                             extra={"run_id": run_id})

    def execute_run(self, run_id: str) -> str | None:
        """Claim and execute one run; returns its status after this pass, or None if not claimed."""
        claimed = self.runs.claim(run_id, self.worker_id)
        if claimed is None:
            return None

        log_ids = {"automation_id": claimed.automation_id, "run_id": run_id}
        try:
            document = parsed_version(claimed.automation_id, claimed.automation_version, claimed.document)
            plan = RunPlan(
                run_id=run_id, automation_id=claimed.automation_id, document=document,
                trigger_output=claimed.trigger_output, event=claimed.event, records=claimed.records,
            )
            outcome = self.executor.execute(plan, _DatabaseRecorder(self.runs, run_id, self.worker_id))
        except LeaseLostError:
            logger.warning("run taken over by another worker; stopping this pass", extra=log_ids)
            return None
        except Exception as exc:
            logger.exception("run failed outside of its steps", extra=log_ids)
            outcome = RunOutcome(RunStatus.FAILED, {
                "code": "internal_error",
                "message": _l("Arrimage failed while running this automation: {problem}. Replay the "
                              "run once the cause is fixed.", problem=f"{type(exc).__name__}: {exc}").as_dict(),
            })

        if not self.runs.finish(run_id, self.worker_id, outcome):
            logger.warning("run taken over before it could be finished", extra=log_ids)
            return None
        logger.info("run %s", outcome.status.value, extra=log_ids)
        if outcome.status is RunStatus.WAITING_RETRY:
            self.enqueue_run(run_id, delay=outcome.retry_in_seconds)
        return outcome.status.value

    def enqueue_poll(self, automation_id: str) -> None:
        """Put a poll of ``automation_id``'s trigger on the queue."""
        try:
            self.poll_trigger_task(automation_id)
        except Exception:
            logger.exception("could not enqueue a poll", extra={"automation_id": automation_id})

    def poll_trigger(self, automation_id: str) -> list[str]:
        """Poll ``automation_id``'s trigger once; return the ids of the runs it queued."""
        from arrimage.engine.polling import poll_automation

        return poll_automation(self, automation_id)

    def schedule_polls(self) -> int:
        """Enqueue the polls that are due (a scheduler job)."""
        from arrimage.engine.polling import schedule_polls

        return schedule_polls(self)

    def recover_runs(self) -> int:
        """Enqueue again the runs that a lost message or a dead worker left behind.

        A queued run whose message is still in the queue is only waiting its turn in a
        backlog, so it is left alone. When the queue is longer than
        ``MAX_QUEUE_SCAN`` messages, no queued run is enqueued again in this sweep: the
        workers are busy, and a later sweep, once the backlog is shorter, finds the runs whose
        message was lost.
        """
        run_ids = self.runs.due_for_recovery(self.settings.queued_grace_seconds,
                                             in_queue=self.run_ids_in_queue)
        for run_id in run_ids:
            logger.warning("resuming a run that was not picked up or whose worker stopped",
                           extra={"run_id": run_id})
            self.enqueue_run(run_id)
        return len(run_ids)

    def run_ids_in_queue(self) -> frozenset[str] | None:
        """Return the ids of the runs that have a message in the queue or its schedule.

        Returns None when the queue and the schedule hold more than ``MAX_QUEUE_SCAN``
        messages, to bound the cost of one sweep.
        """
        storage = self.huey.storage
        if storage.queue_size() + storage.schedule_size() > MAX_QUEUE_SCAN:
            return None
        run_ids: set[str] = set()
        for data in [*storage.enqueued_items(), *storage.scheduled_items()]:
            message = self.huey.serializer.deserialize(data)
            if getattr(message, "name", None) and message.args:
                run_ids.add(str(message.args[0]))
        return frozenset(run_ids)

    def purge_old_runs(self) -> int:
        """Delete finished runs older than the retention period.

        The period chosen on the web app's settings page wins over ``run_retention_days``; it is
        read at each purge, so a change needs no restart.
        """
        days = self.users.run_retention_days(self.settings.run_retention_days)
        count = self.runs.purge(days)
        if count:
            logger.info("purged %d runs older than %d days", count, days)
        return count

    # -- embedded consumer and scheduler ------------------------------------------------------

    def start_consumer(self, workers: int | None = None) -> None:
        """Start queue workers as threads of this process (``serve`` and ``worker`` use this)."""
        self.consumer = self.huey.create_consumer(
            workers=workers or self.settings.workers,
            worker_type="thread",
            periodic=False,
            initial_delay=self.settings.queue_poll_seconds,
            backoff=1.5,
            max_delay=max(self.settings.queue_poll_seconds, 0.5),
            check_worker_health=True,
        )
        # Huey's start() installs its own signal handlers; the host process (uvicorn, or the
        # worker command) owns shutdown, so its handlers are put back.
        saved = {signum: signal.getsignal(signum) for signum in _SHUTDOWN_SIGNALS}
        self.consumer.start()
        if threading.current_thread() is threading.main_thread():
            for signum, handler in saved.items():
                signal.signal(signum, handler)
        logger.info("queue consumer started with %d worker threads (%s queue)",
                    workers or self.settings.workers, self.settings.queue_backend)

    def start_scheduler(self) -> None:
        """Start the scheduler thread; only the lease holder among all processes acts."""
        interval = self.settings.scheduler_interval_seconds
        self.scheduler = Scheduler(
            self.db,
            jobs=[
                ("recover_runs", interval, self.recover_runs),
                ("schedule_polls", interval, self.schedule_polls),
                ("purge_old_runs", 3600.0, self.purge_old_runs),
            ],
            interval_seconds=interval,
        )
        self.scheduler.start()

    def close(self) -> None:
        """Stop the consumer and scheduler, and close connections."""
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
        if self.consumer is not None:
            self.consumer.stop(graceful=True)
            self.consumer = None
        if self._http is not None:
            self._http.close()
            self._http = None
            self._executor = None
        self.db.dispose()


class _DatabaseRecorder:
    def __init__(self, runs: RunRepository, run_id: str, worker: str) -> None:
        self.runs = runs
        self.run_id = run_id
        self.worker = worker

    def save_step(self, record: StepRecord) -> None:
        self.runs.save_step(self.run_id, self.worker, record)
