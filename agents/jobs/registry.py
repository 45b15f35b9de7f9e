"""The job-kind registry: how a kind plugs into the queue, and what an attempt may know about itself.

A kind registers its handler with :func:`register` (and, optionally, how a new job's parameters are
checked); the queue and the worker look kinds up here and import no handler. The built-in kinds
(run, ingest, theme refresh, retention) register in :mod:`agents.jobs.handlers`, which
``agents.jobs`` imports, so they are known wherever the queue is used.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel.errors import PmpilotError, TransientError

if TYPE_CHECKING:
    from agents.jobs.queue import JobQueue
    from agents.jobs.records import JobRecord


@dataclass
class Outcome:
    """What a finished job produced."""

    run_id: str | None = None
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


class JobFailed(PmpilotError):
    """The task ran to the end but its result is a failure (e.g. a run whose status is ``failed``)."""


Handler = Callable[["JobRecord", "JobQueue"], Outcome]
Prepare = Callable[[dict[str, Any]], dict[str, Any]]
EventListener = Callable[[str, Any], None]

_handlers: dict[str, Handler] = {}
_prepares: dict[str, Prepare] = {}
_run_kinds: set[str] = set()
_listeners: list[EventListener] = []
_listeners_lock = threading.Lock()
_attempt = threading.local()


def register(kind: str, *, prepare: Prepare | None = None, run: bool = False) -> Callable[[Handler], Handler]:
    """Register the handler of a job kind.

    ``prepare`` checks a new job's parameters and makes them JSON-safe (raising ``InputError``).
    ``run``: the job drives one agent run whose id is derived from the job id, so every attempt
    (a retry, a takeover after a worker died) resumes the same run instead of starting another.
    """

    def decorator(fn: Handler) -> Handler:
        _handlers[kind] = fn
        if prepare is not None:
            _prepares[kind] = prepare
        if run:
            _run_kinds.add(kind)
        return fn

    return decorator


def prepare_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` of a new ``kind`` job as its registered preparation returns them (unchanged without one)."""
    prepare = _prepares.get(kind)
    return prepare(dict(params)) if prepare is not None else dict(params)


def drives_run(kind: str) -> bool:
    """Whether ``kind`` registered as driving an agent run (its record carries the derived run id)."""
    return kind in _run_kinds


def handler_for(kind: str) -> Handler:
    """The handler of ``kind``; an unknown kind is a permanent error."""
    try:
        return _handlers[kind]
    except KeyError:
        raise JobFailed(f"unknown job kind {kind!r}") from None


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


def add_event_listener(listener: EventListener) -> None:
    """Observe the events handlers emit in this worker process: ``listener(job_id, event)`` (metrics, progress).

    Called on the job's thread, inside the handler (for a run: every ``RunEvent``; the runner logs,
    never propagates, a listener's error).
    """
    with _listeners_lock:
        _listeners.append(listener)


def remove_event_listener(listener: EventListener) -> None:
    """Stop observing."""
    with _listeners_lock:
        if listener in _listeners:
            _listeners.remove(listener)


def emit(job_id: str, event: Any) -> None:
    """Pass a handler's progress event for ``job_id`` to every listener."""
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
