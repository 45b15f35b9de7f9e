"""The task queue: automated runs, ingestion, theme refreshes and retention, exactly once.

Every surface (CLI ``enqueue``/``jobs``/``worker``, MCP ``enqueue_run``, the Gradio app)
calls these functions. The backend follows settings: an embedded SQLite queue under
``PMPILOT_HOME`` by default, Redis when ``PMPILOT_QUEUE_URL`` is set. See docs/queue.md.
Importing the package registers the built-in job kinds (:mod:`agents.jobs.handlers`) on the
kind-agnostic queue (:mod:`agents.jobs.queue`, :mod:`agents.jobs.registry`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from agents.jobs import handlers
from agents.jobs.queue import get_queue
from agents.jobs.records import JobRecord, JobStatus, utcnow
from agents.jobs.schedule import load_schedule
from agents.jobs.schedule import tick as _tick
from agents.jobs.worker import run_worker as _run_worker
from kernel.errors import NotFoundError

__all__ = [
    "JobRecord",
    "JobStatus",
    "enqueue_ingest",
    "enqueue_refresh_themes",
    "enqueue_retention",
    "enqueue_run",
    "get_job",
    "list_jobs",
    "load_schedule",
    "run_worker",
    "tick",
]


def enqueue_run(goal: str, workspace: str, *, idempotency_key: str | None = None, **run_options: Any) -> JobRecord:
    """Queue a run of the agent graph; ``run_options`` are those of :func:`agents.runner.run_goal`.

    Options: deliverables, strategy, audience, repo, since, offline, review, out. The job's
    run id is derived from its job id. The same ``idempotency_key`` always yields the same job.
    """
    return handlers.enqueue_run(get_queue(), goal, workspace, idempotency_key=idempotency_key, **run_options)


def enqueue_ingest(
    paths: Sequence[Path],
    workspace: str,
    *,
    kind: str = "auto",
    mapping: dict[str, str] | None = None,
    idempotency_key: str | None = None,
) -> JobRecord:
    """Queue ingestion of files (paths are resolved now and must exist)."""
    return handlers.enqueue_ingest(
        get_queue(), paths, workspace, kind=kind, mapping=mapping, idempotency_key=idempotency_key
    )


def enqueue_refresh_themes(workspace: str, idempotency_key: str | None = None) -> JobRecord:
    """Queue a recomputation of the workspace's themes."""
    return handlers.enqueue_refresh_themes(get_queue(), workspace, idempotency_key=idempotency_key)


def enqueue_retention(
    workspace: str, *, as_of: datetime | None = None, idempotency_key: str | None = None
) -> JobRecord:
    """Queue a retention pass: expire the workspace's signals older than the configured retention."""
    return handlers.enqueue_retention(get_queue(), workspace, as_of=as_of, idempotency_key=idempotency_key)


def get_job(job_id: str) -> JobRecord:
    """One job; NotFoundError when unknown."""
    record = get_queue().store.get(job_id)
    if record is None:
        raise NotFoundError(f"no job {job_id!r}")
    return record


def list_jobs(workspace: str | None = None, limit: int = 50) -> list[JobRecord]:
    """Most recent jobs first, optionally of one workspace."""
    return get_queue().store.list(workspace, limit)


def run_worker(concurrency: int = 2, *, stop_event: threading.Event | None = None, periodic: bool = True) -> None:
    """Run a worker in this process until SIGTERM/SIGINT or ``stop_event`` (see :mod:`agents.jobs.worker`)."""
    _run_worker(concurrency, stop_event=stop_event, periodic=periodic)


def tick(now: datetime | None = None, schedule_file: Path | None = None) -> list[JobRecord]:
    """Fire the schedule entries due at ``now`` (default: the current time); workers call this every minute.

    ``now`` is the injectable clock; ``schedule_file`` overrides ``PMPILOT_SCHEDULE``.
    """
    return _tick(get_queue(), now or utcnow(), schedule_file)
