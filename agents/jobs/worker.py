"""Workers: execute jobs with leases, retry transient failures, reap jobs of dead workers.

Delivery is at-least-once: huey hands a message to one worker, but a worker killed
mid-job loses it. So a worker *claims* the job record (status ``running``, a lease token
and an expiry) and renews the lease from a heartbeat thread; a reaper in every worker
re-dispatches jobs whose lease expired and queued jobs whose message was lost. Handlers
are idempotent, and every final write is conditional on the lease token, so the effect
is exactly once: one run id, one run directory, one set of artifacts.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from types import FrameType

from huey.consumer import Consumer

from agents.jobs.queue import EXECUTE_TASK, JobQueue, get_queue, on_task
from agents.jobs.records import JobRecord, JobStatus, utcnow
from agents.jobs.registry import Outcome, attempt_cancel, handler_for, is_transient
from kernel.errors import InputError, PmpilotError

log = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# --- state transitions (pure functions applied atomically by JobStore.update) ---------------


def claim(record: JobRecord, *, worker: str, token: str, now: datetime, lease: float) -> JobRecord | None:
    """Take a queued job, or a running one whose lease expired; None when someone else owns it."""
    expired = record.status == JobStatus.RUNNING and (
        record.lease_expires_at is None or record.lease_expires_at <= now
    )
    if record.status != JobStatus.QUEUED and not expired:
        return None
    return record.model_copy(update={
        "status": JobStatus.RUNNING,
        "attempts": record.attempts + 1,
        "worker": worker,
        "lease_token": token,
        "lease_expires_at": now + timedelta(seconds=lease),
    })


def _owned(record: JobRecord, token: str) -> bool:
    return record.status == JobStatus.RUNNING and record.lease_token == token


def renew(record: JobRecord, *, token: str, now: datetime, lease: float) -> JobRecord | None:
    """Extend the lease of an attempt we still own."""
    if not _owned(record, token):
        return None
    return record.model_copy(update={"lease_expires_at": now + timedelta(seconds=lease)})


def complete(record: JobRecord, *, token: str, outcome: Outcome) -> JobRecord | None:
    """Record success, only if this attempt still owns the job."""
    if not _owned(record, token):
        return None
    return record.model_copy(update={
        "status": JobStatus.COMPLETED,
        "run_id": outcome.run_id or record.run_id,
        "artifacts": outcome.artifacts,
        "result": outcome.result,
        "error": None,
        "lease_token": None,
        "lease_expires_at": None,
    })


def fail(record: JobRecord, *, token: str, error: str) -> JobRecord | None:
    """Record a final failure, only if this attempt still owns the job."""
    if not _owned(record, token):
        return None
    return record.model_copy(update={
        "status": JobStatus.FAILED, "error": error, "lease_token": None, "lease_expires_at": None,
    })


def requeue(record: JobRecord, *, token: str, error: str | None) -> JobRecord | None:
    """Give the job back to the queue (retry or hand-back), only if this attempt owns it."""
    if not _owned(record, token):
        return None
    return record.model_copy(update={
        "status": JobStatus.QUEUED, "error": error, "worker": None, "lease_token": None, "lease_expires_at": None,
    })


def reclaim_expired(record: JobRecord, *, now: datetime) -> JobRecord | None:
    """Reaper: a running job whose lease expired goes back to the queue (or fails if out of attempts)."""
    if record.status != JobStatus.RUNNING or (record.lease_expires_at and record.lease_expires_at > now):
        return None
    lost = f"worker {record.worker} stopped during attempt {record.attempts}"
    if record.attempts >= record.max_attempts:
        return record.model_copy(update={
            "status": JobStatus.FAILED,
            "error": f"{lost}; giving up after {record.attempts} attempts",
            "lease_token": None,
            "lease_expires_at": None,
        })
    return record.model_copy(update={
        "status": JobStatus.QUEUED, "error": lost, "worker": None, "lease_token": None, "lease_expires_at": None,
    })


# --- execution --------------------------------------------------------------------------------


class Leases:
    """The attempts this process is running, so the heartbeat can renew them and shutdown hand them back.

    Each attempt has a cancel event, set when the attempt loses its job (lease taken over, handed
    back at shutdown): a run then stops at its next step instead of racing the attempt that replaced it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[JobQueue, str, threading.Event]] = {}

    def hold(self, queue: JobQueue, job_id: str, token: str) -> threading.Event:
        """Start tracking an attempt; returns its cancel event."""
        cancel = threading.Event()
        with self._lock:
            self._held[job_id] = (queue, token, cancel)
        return cancel

    def drop(self, job_id: str, token: str) -> None:
        """Stop tracking an attempt (if it is still this one)."""
        with self._lock:
            held = self._held.get(job_id)
            if held is not None and held[1] == token:
                del self._held[job_id]

    def cancel(self, job_id: str, token: str) -> None:
        """Tell an attempt to stop (it lost its job)."""
        with self._lock:
            held = self._held.get(job_id)
            if held is not None and held[1] == token:
                held[2].set()

    def cancelled(self, job_id: str) -> bool:
        """Whether this process's attempt at ``job_id`` was told to stop."""
        with self._lock:
            held = self._held.get(job_id)
            return held is not None and held[2].is_set()

    def snapshot(self) -> list[tuple[str, JobQueue, str]]:
        """Currently held attempts."""
        with self._lock:
            return [(job_id, queue, token) for job_id, (queue, token, _) in self._held.items()]


LEASES = Leases()


def retry_delay(tuning_delay: float, attempts: int) -> float:
    """Exponential backoff: ``delay * 2**(attempts-1)``, capped at one hour."""
    return min(tuning_delay * (2.0 ** max(attempts - 1, 0)), 3600.0)


@on_task(EXECUTE_TASK)
def execute_job(queue: JobQueue, job_id: str) -> None:
    """Run one attempt of a job: claim, run the handler, record the result or schedule a retry."""
    tuning = queue.tuning
    token = uuid.uuid4().hex
    record = queue.store.update(
        job_id, lambda r: claim(r, worker=WORKER_ID, token=token, now=utcnow(), lease=tuning.lease_seconds)
    )
    if record is None:
        current = queue.store.get(job_id)
        log.info("job %s not claimable (%s); message dropped", job_id, current.status if current else "unknown")
        return
    cancel = LEASES.hold(queue, job_id, token)
    log.info("job %s (%s) attempt %d started by %s", job_id, record.kind, record.attempts, WORKER_ID)
    try:
        try:
            with attempt_cancel(cancel):
                outcome = handler_for(record.kind)(record, queue)
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded below
            _record_failure(queue, record, token, exc)
            return
        if queue.store.update(job_id, lambda r: complete(r, token=token, outcome=outcome)) is None:
            log.warning("job %s finished but its lease was taken over; result discarded", job_id)
        else:
            log.info("job %s completed", job_id)
    finally:
        LEASES.drop(job_id, token)


def _record_failure(queue: JobQueue, record: JobRecord, token: str, exc: Exception) -> None:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if is_transient(exc) and record.attempts < record.max_attempts:
        delay = retry_delay(queue.tuning.retry_delay, record.attempts)
        error = f"attempt {record.attempts} failed, retrying in {delay:g}s: {message}"
        if queue.store.update(record.job_id, lambda r: requeue(r, token=token, error=error)) is not None:
            log.warning("job %s: %s", record.job_id, error)
            queue.dispatch(record.job_id, delay=delay)
        return
    if is_transient(exc):
        error = f"failed after {record.attempts} attempts: {message}"
    elif isinstance(exc, PmpilotError):
        error = message
    else:
        log.exception("job %s crashed", record.job_id, exc_info=exc)
        error = f"internal error ({type(exc).__name__}): {message}"
    if queue.store.update(record.job_id, lambda r: fail(r, token=token, error=error)) is not None:
        log.warning("job %s failed: %s", record.job_id, error)


# --- maintenance: heartbeat and reaper ---------------------------------------------------------


def heartbeat(now: datetime | None = None) -> int:
    """Renew the lease of every attempt this process runs; returns how many were renewed."""
    now = now or utcnow()
    renewed = 0
    for job_id, queue, token in LEASES.snapshot():
        lease = queue.tuning.lease_seconds
        if queue.store.update(job_id, partial(renew, token=token, now=now, lease=lease)):
            renewed += 1
        else:
            log.warning("job %s: lease lost (taken over by another worker); stopping this attempt", job_id)
            LEASES.cancel(job_id, token)
    return renewed


def reap(queue: JobQueue, now: datetime | None = None) -> list[str]:
    """Re-dispatch jobs whose worker died (lease expired) and queued jobs whose message was lost."""
    now = now or utcnow()
    dispatched: list[str] = []
    active = queue.store.active()
    for record in active:
        if record.status != JobStatus.RUNNING:
            continue
        if record.lease_expires_at is not None and record.lease_expires_at > now:
            continue
        new = queue.store.update(record.job_id, lambda r: reclaim_expired(r, now=now))
        if new is not None and new.status == JobStatus.QUEUED:
            log.warning("job %s: %s; re-dispatching", record.job_id, new.error)
            queue.dispatch(record.job_id)
            dispatched.append(record.job_id)
    cutoff = now - timedelta(seconds=queue.tuning.orphan_grace)
    stale = [r for r in active if r.status == JobStatus.QUEUED and r.updated_at < cutoff]
    if stale:
        pending = queue.pending_job_ids()
        for record in stale:
            if record.job_id in pending:
                continue
            seen = record.updated_at

            def touch(r: JobRecord, seen: datetime = seen) -> JobRecord | None:
                return r if r.status == JobStatus.QUEUED and r.updated_at == seen else None

            if queue.store.update(record.job_id, touch) is not None:
                log.warning("job %s was queued without a message; re-dispatching", record.job_id)
                queue.dispatch(record.job_id)
                dispatched.append(record.job_id)
    return dispatched


def hand_back(queue: JobQueue) -> list[str]:
    """Return this process's running attempts to the queue (shutdown before they finished)."""
    returned = []
    for job_id, owner, token in LEASES.snapshot():
        if owner is not queue:
            continue
        error = f"handed back by {WORKER_ID} at shutdown"
        if queue.store.update(job_id, partial(requeue, token=token, error=error)) is not None:
            # Only once the job is no longer ours: a run still going stops at its next step (the next
            # worker resumes it from the checkpoint) and its "cancelled" cannot be recorded as the job's.
            LEASES.cancel(job_id, token)
            queue.dispatch(job_id)
            returned.append(job_id)
        LEASES.drop(job_id, token)
    return returned


class Maintenance(threading.Thread):
    """Heartbeat and reaper loop of one worker process."""

    def __init__(self, queue: JobQueue, stop: threading.Event) -> None:
        super().__init__(name="pmpilot-jobs-maintenance", daemon=True)
        self.queue = queue
        self.stop = stop

    def run(self) -> None:
        """Beat every lease/3 seconds, reap every ``reap_interval``; errors are logged and retried."""
        tuning = self.queue.tuning
        interval = min(tuning.heartbeat_interval, tuning.reap_interval)
        next_reap = 0.0
        while not self.stop.is_set():
            try:
                heartbeat()
                if time.monotonic() >= next_reap:
                    reap(self.queue)
                    next_reap = time.monotonic() + tuning.reap_interval
            except Exception:  # noqa: BLE001 - a store hiccup must not kill the heartbeat; next beat retries
                log.exception("queue maintenance failed; retrying in %.1fs", interval)
            self.stop.wait(interval)


# --- the worker process -----------------------------------------------------------------------


class _Consumer(Consumer):
    """huey's consumer, with signal handling left to :func:`run_worker`."""

    def _set_signal_handlers(self) -> None:
        return None


def run_worker(
    concurrency: int = 2,
    *,
    stop_event: threading.Event | None = None,
    periodic: bool = True,
    queue: JobQueue | None = None,
) -> None:
    """Run a worker until SIGTERM/SIGINT or ``stop_event``; blocks.

    ``concurrency`` threads execute jobs; the scheduler thread moves delayed retries into the
    queue and (``periodic``) fires the schedule file every minute. On the first signal the
    worker stops taking jobs and lets running ones finish for up to ``PMPILOT_JOB_SHUTDOWN_TIMEOUT``
    seconds; whatever is still running then (or after a second signal) is handed back to the queue.
    """
    if concurrency < 1:
        raise InputError("concurrency must be at least 1")
    queue = queue or get_queue()
    tuning = queue.tuning
    stop = stop_event or threading.Event()
    consumer = _Consumer(
        queue.huey,
        workers=concurrency,
        periodic=periodic,
        worker_type="thread",
        initial_delay=0.1,
        backoff=1.5,
        max_delay=1.0,
        shutdown_timeout=tuning.shutdown_timeout,
    )
    maintenance_stop = threading.Event()
    maintenance = Maintenance(queue, maintenance_stop)
    restore = _install_signal_handlers(stop)
    log.info("worker %s started: %d threads, %s queue", WORKER_ID, concurrency, queue.backend)
    consumer.start()
    maintenance.start()
    try:
        next_health = time.monotonic() + 10.0
        while not stop.wait(0.2):
            if time.monotonic() >= next_health:
                consumer.check_worker_health()
                next_health = time.monotonic() + 10.0
        consumer.stop(graceful=True)
    finally:
        consumer.stop_flag.set()
        returned = hand_back(queue)
        if returned:
            log.warning("handed back %d running job(s): %s", len(returned), ", ".join(returned))
        maintenance_stop.set()
        maintenance.join(timeout=5.0)
        restore()
        log.info("worker %s stopped", WORKER_ID)


def _install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    """First SIGTERM/SIGINT: graceful stop; a second one interrupts the wait (hand back now)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        log.info("received %s: finishing running jobs", signal.Signals(signum).name)
        stop.set()

    for sig in previous:
        signal.signal(sig, handle)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
