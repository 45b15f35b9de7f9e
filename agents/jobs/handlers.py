"""What each job kind does: thin calls into the service APIs (runner, memory).

Each handler takes the job record and returns an :class:`Outcome`. Handlers must be
idempotent — a job may run again after a worker died — and they are: runs resume by
their derived run id, ingestion deduplicates by deterministic signal ids, a theme
refresh recomputes a snapshot, retention deletes what is already past its age (a second
pass finds nothing more).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kernel.errors import PmpilotError, TransientError

if TYPE_CHECKING:
    from agents.jobs.queue import JobQueue
    from agents.jobs.records import JobRecord

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What a finished job produced."""

    run_id: str | None = None
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


class JobFailed(PmpilotError):
    """The task ran to the end but its result is a failure (e.g. a run whose status is ``failed``)."""


Handler = Callable[["JobRecord", "JobQueue"], Outcome]
EventListener = Callable[[str, Any], None]

_handlers: dict[str, Handler] = {}
_listeners: list[EventListener] = []
_listeners_lock = threading.Lock()
_attempt = threading.local()


@contextmanager
def attempt_cancel(event: threading.Event) -> Iterator[None]:
    """Make ``event`` the cancel signal of the attempt running on this thread (set by the worker)."""
    _attempt.cancel = event
    try:
        yield
    finally:
        _attempt.cancel = None


def cancel_event() -> threading.Event | None:
    """The cancel signal of the attempt on this thread: set when the worker lost the job or hands it back.

    Handlers of long tasks pass it on (a run stops at its next step); short ones may ignore it.
    """
    event: threading.Event | None = getattr(_attempt, "cancel", None)
    return event


def register(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler of a job kind (built-ins below; extensions may add kinds)."""

    def decorator(fn: Handler) -> Handler:
        _handlers[kind] = fn
        return fn

    return decorator


def handler_for(kind: str) -> Handler:
    """The handler of ``kind``; an unknown kind is a permanent error."""
    try:
        return _handlers[kind]
    except KeyError:
        raise JobFailed(f"unknown job kind {kind!r}") from None


def add_event_listener(listener: EventListener) -> None:
    """Observe run events in this worker process: ``listener(job_id, RunEvent)`` (metrics, progress).

    Called on the job's thread, inside the run; the runner logs (never propagates) listener errors.
    """
    with _listeners_lock:
        _listeners.append(listener)


def remove_event_listener(listener: EventListener) -> None:
    """Stop observing."""
    with _listeners_lock:
        if listener in _listeners:
            _listeners.remove(listener)


def _emit(job_id: str, event: Any) -> None:
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(job_id, event)


def is_transient(exc: BaseException) -> bool:
    """True for failures a retry may fix: declared transient errors and lost connections/locks."""
    if isinstance(exc, TransientError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return True
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is a dependency
        return False
    return isinstance(exc, redis.ConnectionError | redis.TimeoutError)


@register("run")
def run_job(record: JobRecord, queue: JobQueue) -> Outcome:
    """Run (or resume, or return) the agent-graph run whose id is derived from the job id."""
    from agents.runner import run_goal

    options: dict[str, Any] = dict(record.params.get("options") or {})
    for name in ("strategy", "repo", "out"):
        if options.get(name):
            options[name] = Path(options[name])

    def on_event(event: Any) -> None:
        _emit(record.job_id, event)

    run = run_goal(
        record.params["goal"], record.workspace, run_id=record.run_id, on_event=on_event, cancel=cancel_event(),
        **options,
    )
    status = run.get("status")
    if status == "failed":
        raise JobFailed(str(run.get("error") or f"run {run.get('run_id')} failed"))
    return Outcome(
        run_id=run.get("run_id", record.run_id),
        artifacts=list(run.get("artifacts") or []),
        result={
            key: run[key] for key in ("status", "mode", "traceability", "llm") if key in run
        },
    )


@register("ingest")
def ingest_job(record: JobRecord, queue: JobQueue) -> Outcome:
    """Ingest files; remember scheduled-folder files as seen once stored."""
    from memory import api

    paths = [Path(p) for p in record.params["paths"]]
    report = api.ingest(
        paths, record.workspace, kind=record.params.get("kind", "auto"), mapping=record.params.get("mapping")
    )
    fingerprints = record.params.get("fingerprints") or []
    if fingerprints:
        queue.store.mark_seen(record.workspace, fingerprints)
    return Outcome(result=report.model_dump(mode="json"))


@register("refresh_themes")
def refresh_themes_job(record: JobRecord, queue: JobQueue) -> Outcome:
    """Recompute and store the workspace's theme snapshot."""
    from memory import api

    report = api.themes(record.workspace, refresh=True)
    return Outcome(
        result={
            "workspace": report.workspace,
            "themes": len(report.themes),
            "labels": [theme.label for theme in report.themes[:20]],
        }
    )


@register("retention")
def retention_job(record: JobRecord, queue: JobQueue) -> Outcome:
    """Expire the workspace's signals older than the retention settings, as of ``params["as_of"]``.

    A scheduled firing passes its minute as ``as_of``, so the outcome does not depend on how
    long the job waited in the queue; without it the worker's clock is used.
    """
    from memory import api

    as_of = record.params.get("as_of")
    now = datetime.fromisoformat(as_of) if as_of else None
    expired = api.apply_retention(record.workspace, now=now)
    return Outcome(result={"workspace": record.workspace, "expired": expired, "as_of": as_of})
