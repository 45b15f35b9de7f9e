"""The task queue on Redis (127.0.0.1:6379, db 13, flushed around every test), with real workers.

Same flows as the embedded backend: retries, permanent failure, idempotency, concurrency, lost
messages, a scheduled job on an injected clock, and kill -9 of a worker process mid-run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

import agents.jobs as jobs
from agents.jobs.queue import get_queue, reset_queues
from agents.jobs.records import JobRecord, JobStatus
from agents.jobs.registry import Outcome, register
from kernel.errors import InputError, TransientError
from tests.support.services import require_redis

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "queue"
REDIS_URL = "redis://127.0.0.1:6379/13"
TIMEOUT = 45.0
#: Bound on a worker process starting (imports, model load) and running to a point: a guard against a
#: hang, never a speed assertion, so it is generous enough for a loaded 2-core machine.
STARTUP_S = 300.0
TUNING = {
    "PMPILOT_JOB_LEASE_SECONDS": "3",
    "PMPILOT_JOB_REAP_INTERVAL": "0.5",
    "PMPILOT_JOB_ORPHAN_GRACE": "1",
    "PMPILOT_JOB_RETRY_DELAY": "0.2",
    "PMPILOT_JOB_MAX_ATTEMPTS": "4",
    "PMPILOT_JOB_SHUTDOWN_TIMEOUT": "10",
}


def _redis() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)


@pytest.fixture(scope="module", autouse=True)
def _redis_up() -> None:
    """Fail in CI, skip elsewhere, when Redis does not answer on 127.0.0.1:6379."""
    require_redis()

_barriers: dict[str, threading.Barrier] = {}


@register("test_redis_flaky")
def _flaky(record: JobRecord, queue: object) -> Outcome:
    if record.attempts <= record.params["fail_times"]:
        raise TransientError(f"LLM endpoint returned 429 on attempt {record.attempts}")
    return Outcome(result={"succeeded_on": record.attempts})


@register("test_redis_bad_input")
def _bad_input(record: JobRecord, queue: object) -> Outcome:
    raise InputError(f"strategy file is empty: {record.params['strategy']}")


@register("test_redis_barrier")
def _barrier(record: JobRecord, queue: object) -> Outcome:
    _barriers[record.params["barrier"]].wait(timeout=20)
    return Outcome(result={"ok": True})


@pytest.fixture()
def redis_queue(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from kernel.settings import get_settings

    client = _redis()
    client.flushdb()
    monkeypatch.setenv("PMPILOT_QUEUE_URL", REDIS_URL)
    for name, value in TUNING.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    reset_queues()
    assert get_queue().backend == "redis"
    yield home
    reset_queues()
    get_settings.cache_clear()
    client.flushdb()
    client.close()


@contextmanager
def running_worker(concurrency: int = 2) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(
        target=jobs.run_worker, kwargs={"concurrency": concurrency, "stop_event": stop, "periodic": False},
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "worker did not stop"


def wait_for(job_id: str, done: Callable[[JobRecord], bool] | None = None, timeout: float = TIMEOUT) -> JobRecord:
    done = done or (lambda r: r.terminal)
    deadline = time.monotonic() + timeout
    while True:
        record = jobs.get_job(job_id)
        if done(record):
            return record
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {record.status}: {record.model_dump()}")
        time.sleep(0.1)


def submit(kind: str, params: dict, key: str | None = None) -> JobRecord:
    return get_queue().submit(kind, "acme", params, idempotency_key=key)


def test_records_live_in_redis(redis_queue: Path) -> None:
    job = submit("test_redis_flaky", {"fail_times": 0})
    client = _redis()
    assert client.hget(f"pmpilot:jobs:job:{job.job_id}", "status") == b"queued"
    assert not (redis_queue / "jobs.sqlite").exists()
    assert get_queue().pending_job_ids() == {job.job_id}


def test_transient_faults_are_retried_with_backoff(redis_queue: Path) -> None:
    job = submit("test_redis_flaky", {"fail_times": 2})
    with running_worker():
        done = wait_for(job.job_id)
    assert done.status == JobStatus.COMPLETED
    assert done.attempts == 3
    assert done.result == {"succeeded_on": 3}


def test_permanent_failure_is_recorded_once(redis_queue: Path) -> None:
    job = submit("test_redis_bad_input", {"strategy": "okrs.md"})
    with running_worker():
        wait_for(job.job_id)
        time.sleep(1.0)  # a wrongly scheduled retry would show up as a second attempt
    final = jobs.get_job(job.job_id)
    assert final.status == JobStatus.FAILED
    assert final.attempts == 1
    assert final.error == "strategy file is empty: okrs.md"
    assert get_queue().pending_job_ids() == set()


def test_idempotency_key(redis_queue: Path) -> None:
    first = submit("test_redis_flaky", {"fail_times": 0}, key="weekly-brief-2025-W02")
    again = submit("test_redis_flaky", {"fail_times": 0}, key="weekly-brief-2025-W02")
    assert first.job_id == again.job_id
    assert len(get_queue().pending_job_ids()) == 1
    with pytest.raises(InputError, match="already used"):
        submit("test_redis_flaky", {"fail_times": 1}, key="weekly-brief-2025-W02")
    with running_worker():
        done = wait_for(first.job_id)
    assert done.attempts == 1
    assert [j.job_id for j in jobs.list_jobs("acme")] == [first.job_id]


def test_two_workers_share_the_queue_and_run_concurrently(redis_queue: Path) -> None:
    _barriers["r4"] = threading.Barrier(4)
    ids = [submit("test_redis_barrier", {"barrier": "r4", "n": i}).job_id for i in range(4)]
    with running_worker(concurrency=2), running_worker(concurrency=2):
        results = [wait_for(job_id) for job_id in ids]
    assert {r.status for r in results} == {JobStatus.COMPLETED}
    assert {r.attempts for r in results} == {1}


def test_queued_job_without_message_is_redispatched(redis_queue: Path) -> None:
    queue = get_queue()
    queue.store.create(JobRecord(job_id="orphan-r", kind="test_redis_flaky", workspace="acme",
                                 params={"fail_times": 0}))
    with running_worker():
        done = wait_for("orphan-r")
    assert done.status == JobStatus.COMPLETED and done.attempts == 1


def test_scheduled_ingest_fires_once_across_workers(redis_queue: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "tickets_week2.csv").write_bytes((FIXTURES / "tickets_week2.csv").read_bytes())
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text(
        "jobs:\n"
        "  - name: nightly-import\n"
        "    kind: ingest\n"
        "    workspace: acme\n"
        "    cron: '0 2 * * *'\n"
        f"    folder: {inbox}\n"
    )
    now = datetime(2026, 3, 10, 2, 0, 30, tzinfo=UTC)
    # Three workers tick the same minute: one job.
    fired = [jobs.tick(now, schedule) for _ in range(3)]
    assert len({j.job_id for batch in fired for j in batch}) == 1
    job = fired[0][0]
    assert job.idempotency_key == "schedule:nightly-import:2026-03-10T02:00Z"
    assert len(get_queue().pending_job_ids()) == 1
    with running_worker():
        done = wait_for(job.job_id)
    assert done.status == JobStatus.COMPLETED, done.error
    assert done.result is not None and done.result["ingested"] == 3
    assert jobs.tick(now + timedelta(days=1), schedule) == []  # already ingested, unchanged


WORKER_SCRIPT = r"""
import json, os, time
from pathlib import Path
from agents.jobs import run_worker
from agents.jobs.registry import add_event_listener

marker = os.environ.get("QUEUE_TEST_BLOCK_MARKER")
if marker:
    seen_end = []

    def block_mid_run(job_id, event):
        if event.type == "node_end":
            seen_end.append(event.node)
        elif event.type == "node_start" and seen_end:
            Path(marker).write_text(json.dumps({"job_id": job_id, "after": seen_end, "in": event.node}))
            time.sleep(3600)

    add_event_listener(block_mid_run)
run_worker(concurrency=1, periodic=False)
"""


def _start(block_marker: Path | None = None) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("QUEUE_TEST_BLOCK_MARKER", None)
    if block_marker is not None:
        env["QUEUE_TEST_BLOCK_MARKER"] = str(block_marker)
    return subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _stop(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return (proc.stderr.read() if proc.stderr else b"").decode(errors="replace")[-3000:]


@pytest.mark.slow
def test_kill_9_mid_run_then_another_worker_finishes_exactly_once(redis_queue: Path, tmp_path: Path) -> None:
    tickets = tmp_path / "tickets_week1.csv"
    tickets.write_bytes((FIXTURES / "tickets_week1.csv").read_bytes())
    jobs.enqueue_ingest([tickets], "acme")
    job = jobs.enqueue_run("Brief leadership on what enterprise customers ask for", "acme",
                           deliverables=["brief"], audience="exec", offline=True)
    marker = tmp_path / "blocked.json"
    first = _start(block_marker=marker)
    try:
        deadline = time.monotonic() + STARTUP_S
        while not marker.exists():
            assert first.poll() is None, f"worker exited early: {_stop(first)}"
            assert not jobs.get_job(job.job_id).terminal, jobs.get_job(job.job_id).error
            assert time.monotonic() < deadline, "run never reached the middle"
            time.sleep(0.1)
        # The replacement worker runs in this process (heavy imports and the model loaded first), started
        # while the first worker is frozen mid-run: it can only get the job by reaping it after the kill.
        import agents.runner  # noqa: F401
        from memory.embeddings import get_embedder

        get_embedder().embed_query("warm up")
        with running_worker(concurrency=1):
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            frozen = jobs.get_job(job.job_id)
            assert frozen.status == JobStatus.RUNNING and frozen.attempts == 1
            done = wait_for(job.job_id, timeout=STARTUP_S)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    assert done.status == JobStatus.COMPLETED, done.error
    assert done.attempts == 2
    runs = redis_queue / "runs"
    assert [p.name for p in runs.iterdir()] == [done.run_id]
    run = json.loads((runs / str(done.run_id) / "run.json").read_text())
    assert run["status"] == "completed" and run["artifacts"] == done.artifacts
    assert [a["kind"] for a in done.artifacts] == ["brief"]
    for artifact in done.artifacts:
        assert Path(artifact["path_md"]).parent == runs / str(done.run_id)
        assert Path(artifact["path_json"]).is_file()
