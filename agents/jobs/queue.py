"""The queue: a huey instance (SQLite or Redis) plus the job-record store, behind one object.

huey carries messages (``pmpilot.execute_job(job_id)``), delays retries in its durable
schedule and fires the periodic schedule tick; job records carry state. Enqueueing
writes the record first and then the message, so a crash in between leaves a queued
record that the reaper dispatches again (see :mod:`agents.jobs.worker`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import date, datetime
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
from kernel.errors import InputError
from kernel.settings import Settings, get_settings

log = logging.getLogger(__name__)

HUEY_NAME = "pmpilot"
EXECUTE_TASK = "pmpilot.execute_job"
TICK_TASK = "pmpilot.schedule_tick"

RUN_OPTIONS = frozenset({"deliverables", "strategy", "audience", "repo", "since", "until", "offline", "review",
                         "out"})
DELIVERABLES = frozenset({"requirements", "brief", "decision_memo", "status", "meeting_notes", "roadmap"})
AUDIENCES = frozenset({"exec", "eng", "sales"})
INGEST_KINDS = frozenset({
    "auto", "ticket", "review", "interview", "sales_call", "survey", "usage", "meeting", "commits", "issues",
})


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
        from agents.jobs.worker import execute_job

        execute_job(self, job_id)

    def _schedule_tick(self) -> None:
        from agents.jobs.records import utcnow
        from agents.jobs.schedule import tick

        try:
            tick(self, utcnow())
        except InputError as exc:
            # A broken schedule file must not spam tracebacks every minute; one line says what to fix.
            log.error("schedule not fired: %s", exc)

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
        """Store a job record and dispatch it; with a known idempotency key, return the existing job."""
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
            run_id=run_id_for(job_id) if kind == "run" else None,
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

    def enqueue_run(
        self, goal: str, workspace: str, *, idempotency_key: str | None = None, schedule: str | None = None,
        **run_options: Any,
    ) -> JobRecord:
        """Queue one run of the agent graph with ``run`` options."""
        if not goal or not goal.strip():
            raise InputError("a goal is required")
        params = {"goal": goal.strip(), "options": normalize_run_options(run_options)}
        return self.submit("run", workspace, params, idempotency_key=idempotency_key, schedule=schedule)

    def enqueue_ingest(
        self,
        paths: Sequence[Path | str],
        workspace: str,
        *,
        kind: str = "auto",
        mapping: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        schedule: str | None = None,
        fingerprints: Sequence[str] = (),
    ) -> JobRecord:
        """Queue ingestion of files; ``fingerprints`` are marked as seen once it completes."""
        if isinstance(paths, str | Path):
            paths = [paths]
        if not paths:
            raise InputError("no files given to ingest")
        if kind not in INGEST_KINDS:
            raise InputError(f"unknown kind {kind!r}; expected one of: {', '.join(sorted(INGEST_KINDS))}")
        resolved = []
        for path in paths:
            full = Path(path).expanduser().resolve()
            if not full.exists():
                raise InputError(f"file not found: {path}")
            resolved.append(str(full))
        params: dict[str, Any] = {"paths": resolved, "kind": kind, "mapping": dict(mapping) if mapping else None}
        if fingerprints:
            params["fingerprints"] = list(fingerprints)
        return self.submit("ingest", workspace, params, idempotency_key=idempotency_key, schedule=schedule)

    def enqueue_refresh_themes(
        self, workspace: str, *, idempotency_key: str | None = None, schedule: str | None = None
    ) -> JobRecord:
        """Queue a recomputation of the workspace's themes."""
        return self.submit("refresh_themes", workspace, {}, idempotency_key=idempotency_key, schedule=schedule)

    def enqueue_retention(
        self, workspace: str, *, as_of: datetime | None = None, idempotency_key: str | None = None,
        schedule: str | None = None,
    ) -> JobRecord:
        """Queue the retention pass of a workspace (``PMPILOT_RETENTION_DAYS`` / ``PMPILOT_RETENTION``).

        ``as_of`` (timezone-aware) is the time the ages are measured from; default: when it runs.
        """
        params: dict[str, Any] = {}
        if as_of is not None:
            if as_of.tzinfo is None:
                raise InputError("as_of must be timezone-aware")
            params["as_of"] = as_of.isoformat()
        return self.submit("retention", workspace, params, idempotency_key=idempotency_key, schedule=schedule)

    def close(self) -> None:
        """Release storage connections."""
        self.store.close()
        self.huey.storage.close()


def normalize_run_options(options: dict[str, Any]) -> dict[str, Any]:
    """Validate ``run`` options and make them JSON-safe (paths absolute, dates ISO)."""
    unknown = set(options) - RUN_OPTIONS
    if unknown:
        raise InputError(f"unknown run option(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for name, value in options.items():
        if value is None:
            continue
        if name == "deliverables":
            items = [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v) for v in value]
            items = [v for v in items if v]
            bad = [v for v in items if v not in DELIVERABLES]
            if bad:
                raise InputError(
                    f"unknown deliverable(s): {', '.join(bad)}; expected: {', '.join(sorted(DELIVERABLES))}"
                )
            if items:
                out[name] = items
        elif name == "audience":
            if value not in AUDIENCES:
                raise InputError(f"unknown audience {value!r}; expected one of: {', '.join(sorted(AUDIENCES))}")
            out[name] = value
        elif name in ("strategy", "repo", "out"):
            out[name] = str(Path(value).expanduser().resolve())
        elif name in ("since", "until"):
            out[name] = value.isoformat() if isinstance(value, date | datetime) else str(value)
        else:
            out[name] = bool(value)
    return out


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
