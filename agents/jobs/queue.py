"""The queue: a huey instance (SQLite or Redis) plus the job-record store, behind one object.

huey carries messages (``pmpilot.execute_job(job_id)``), delays retries in its durable
schedule and fires the periodic schedule tick; job records carry state. Enqueueing
writes the record first and then the message, so a crash in between leaves a queued
record that the reaper dispatches again (see :mod:`agents.jobs.worker`).

This is plumbing that knows no job kind: each kind's parameters are checked by what it
registered in :mod:`agents.jobs.registry`, and what the two huey tasks do is registered with
:func:`on_task` by :mod:`agents.jobs.worker` (execute a job) and :mod:`agents.jobs.schedule`
(the minute tick), so this module imports neither, nor any handler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from agents.jobs.config import QueueTuning, load_tuning
from agents.jobs.records import (
    JobRecord,
    JobStore,
    RedisJobStore,
    SqliteJobStore,
    dumps_params,
    job_id_for,
    run_id_for,
)
from agents.jobs.registry import drives_run, prepare_params
from kernel.errors import InputError
from kernel.settings import Settings, get_settings

log = logging.getLogger(__name__)

HUEY_NAME = "pmpilot"
EXECUTE_TASK = "pmpilot.execute_job"
TICK_TASK = "pmpilot.schedule_tick"

TaskHook = Callable[..., None]
_task_hooks: dict[str, TaskHook] = {}


def on_task(name: str) -> Callable[[TaskHook], TaskHook]:
    """Register what the queue's huey task ``name`` does: ``hook(queue, *args)``."""

    def decorator(hook: TaskHook) -> TaskHook:
        _task_hooks[name] = hook
        return hook

    return decorator


def _task_hook(name: str) -> TaskHook:
    try:
        return _task_hooks[name]
    except KeyError:
        raise RuntimeError(f"nothing registered for queue task {name!r}: import agents.jobs") from None



def create_huey(settings: Settings, name: str = HUEY_NAME) -> Huey:
    """RedisHuey when ``PMPILOT_QUEUE_URL`` is set, else SqliteHuey at ``PMPILOT_HOME/queue.sqlite``.

    Results are off: job records are the result store. Redis dequeues block (no polling).
    """
    if settings.queue_url:
        return RedisHuey(name, url=settings.queue_url, results=False, blocking=True, read_timeout=1)
    settings.ensure_home()
    return SqliteHuey(name, filename=str(settings.queue_path), results=False, timeout=30)


def create_store(settings: Settings, name: str = HUEY_NAME) -> JobStore:
    """Job records beside the queue: the same Redis (keys ``<name>:jobs:*``), or ``PMPILOT_HOME/jobs.sqlite``."""
    if settings.queue_url:
        return RedisJobStore(settings.queue_url, prefix=f"{name}:jobs")
    return SqliteJobStore(settings.home / "jobs.sqlite")


def schedule_path(settings: Settings) -> Path:
    """The schedule file: ``settings.schedule_file`` (``PMPILOT_SCHEDULE``) or ``PMPILOT_HOME/schedule.yaml``."""
    configured: Path | None = getattr(settings, "schedule_file", None)
    return Path(configured).expanduser() if configured else settings.home / "schedule.yaml"


class JobQueue:
    """One process's handle on the queue: huey, the record store, tuning and task wrappers."""

    def __init__(self, settings: Settings, tuning: QueueTuning | None = None) -> None:
        self.settings = settings
        self.tuning = tuning or load_tuning()
        self.huey = create_huey(settings, self.tuning.queue_name)
        self.store = create_store(settings, self.tuning.queue_name)
        self.schedule_file = schedule_path(settings)
        self.backend = "redis" if settings.queue_url else "sqlite"
        self._execute = self.huey.task(name=EXECUTE_TASK)(self._execute_job)
        self.huey.periodic_task(crontab(), name=TICK_TASK)(self._schedule_tick)

    def _execute_job(self, job_id: str) -> None:
        _task_hook(EXECUTE_TASK)(self, job_id)

    def _schedule_tick(self) -> None:
        _task_hook(TICK_TASK)(self)

    def dispatch(self, job_id: str, delay: float | None = None) -> None:
        """Put a message for ``job_id`` on the queue (after ``delay`` seconds, via huey's schedule)."""
        if delay:
            self._execute.schedule(args=(job_id,), delay=delay)
        else:
            self._execute(job_id)

    def pending_job_ids(self) -> set[str]:
        """Job ids that have a message waiting in the queue or in huey's delay schedule."""
        storage = self.huey.storage
        ids: set[str] = set()
        for raw in [*storage.enqueued_items(), *storage.scheduled_items()]:
            try:
                task = self.huey.deserialize_task(raw)
            except Exception:  # noqa: BLE001 - foreign or stale messages are not ours to judge
                log.debug("skipping a queue message that does not deserialize")
                continue
            if task.name == EXECUTE_TASK and task.args:
                ids.add(str(task.args[0]))
        return ids

    def submit(
        self,
        kind: str,
        workspace: str,
        params: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        schedule: str | None = None,
    ) -> JobRecord:
        """Store a job record and dispatch it; with a known idempotency key, return the existing job.

        ``params`` are checked and made JSON-safe by the kind's registered preparation, if any.
        """
        params = prepare_params(kind, params)
        if not workspace or not workspace.strip():
            raise InputError("a workspace is required")
        if idempotency_key is not None and not idempotency_key.strip():
            raise InputError("the idempotency key must not be empty")
        job_id = job_id_for(idempotency_key)
        record = JobRecord(
            job_id=job_id,
            kind=kind,
            workspace=workspace,
            params=dumps_params(params),
            max_attempts=self.tuning.max_attempts,
            run_id=run_id_for(job_id) if drives_run(kind) else None,
            idempotency_key=idempotency_key,
            schedule=schedule,
        )
        stored, created = self.store.create(record)
        if not created:
            if (stored.kind, stored.workspace, stored.params) != (record.kind, record.workspace, record.params):
                raise InputError(
                    f"idempotency key {idempotency_key!r} was already used for a different job ({stored.job_id})"
                )
            return stored
        self.dispatch(job_id)
        return stored

    def close(self) -> None:
        """Release storage connections."""
        self.store.close()
        self.huey.storage.close()


_queues: dict[tuple[str | None, str, str], JobQueue] = {}
_queues_lock = threading.Lock()


def get_queue(settings: Settings | None = None) -> JobQueue:
    """The process-wide queue for the current settings (one per queue URL / home / queue name)."""
    settings = settings or get_settings()
    tuning = load_tuning()
    key = (settings.queue_url, str(settings.home), tuning.queue_name)
    with _queues_lock:
        queue = _queues.get(key)
        if queue is None:
            queue = _queues[key] = JobQueue(settings, tuning)
        return queue


def reset_queues() -> None:
    """Close and forget cached queues (after settings change, e.g. between tests)."""
    with _queues_lock:
        for queue in _queues.values():
            queue.close()
        _queues.clear()
