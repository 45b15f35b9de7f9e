"""The task queue on its embedded backend (SQLite under PMPILOT_HOME), with real workers.

Flows: enqueue → worker → completed; retries with backoff on transient faults; a permanent
failure recorded once; idempotency keys; concurrency; lost messages; graceful hand-back;
a scheduled job firing on an injected clock; kill -9 of a worker mid-run → exactly one run.
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

import agents.jobs as jobs
from agents.jobs.queue import get_queue, reset_queues
from agents.jobs.records import JobRecord, JobStatus
from agents.jobs.registry import Outcome, register
from kernel.errors import InputError, TransientError

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "queue"
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

# --- test job kinds: real tasks whose behaviour is driven by their parameters -----------------

_gates: dict[str, threading.Event] = {}
_barriers: dict[str, threading.Barrier] = {}


@register("test_flaky")
def _flaky(record: JobRecord, queue: object) -> Outcome:
    """Transient failure on the first ``fail_times`` attempts, then success."""
    if record.attempts <= record.params["fail_times"]:
        raise TransientError(f"upstream 503 on attempt {record.attempts}")
    return Outcome(result={"succeeded_on": record.attempts})


@register("test_bad_input")
def _bad_input(record: JobRecord, queue: object) -> Outcome:
    raise InputError(f"unsupported file type: {record.params['name']}")


@register("test_barrier")
def _barrier(record: JobRecord, queue: object) -> Outcome:
    """Completes only when ``parties`` jobs of the same barrier run at the same time."""
    _barriers[record.params["barrier"]].wait(timeout=20)
    return Outcome(result={"ok": True})


@register("test_gate")
def _gate(record: JobRecord, queue: object) -> Outcome:
    """The first attempt blocks until the test opens the gate; later attempts complete at once."""
    if record.attempts == 1:
        _gates[record.params["gate"]].wait(timeout=30)
    return Outcome(result={"attempt": record.attempts})


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture()
def queue_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name, value in TUNING.items():
        monkeypatch.setenv(name, value)
    reset_queues()
    yield home
    reset_queues()


@contextmanager
def running_worker(concurrency: int = 2, periodic: bool = False) -> Iterator[threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(
        target=jobs.run_worker, kwargs={"concurrency": concurrency, "stop_event": stop, "periodic": periodic},
        daemon=True,
    )
    thread.start()
    try:
        yield thread
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


def submit(kind: str, params: dict, key: str | None = None, workspace: str = "acme") -> JobRecord:
    return get_queue().submit(kind, workspace, params, idempotency_key=key)


# --- mechanics ----------------------------------------------------------------------------------


def test_transient_faults_are_retried_with_backoff(queue_home: Path) -> None:
    job = submit("test_flaky", {"fail_times": 2})
    assert job.status == JobStatus.QUEUED and job.attempts == 0
    with running_worker():
        done = wait_for(job.job_id)
    assert done.status == JobStatus.COMPLETED
    assert done.attempts == 3
    assert done.result == {"succeeded_on": 3}
    assert done.error is None


def test_transient_faults_give_up_after_max_attempts(queue_home: Path) -> None:
    job = submit("test_flaky", {"fail_times": 99})
    with running_worker():
        done = wait_for(job.job_id)
    assert done.status == JobStatus.FAILED
    assert done.attempts == 4
    assert done.error == "failed after 4 attempts: upstream 503 on attempt 4"


def test_permanent_failure_is_recorded_once(queue_home: Path) -> None:
    job = submit("test_bad_input", {"name": "slides.key"})
    with running_worker():
        done = wait_for(job.job_id)
        time.sleep(1.0)  # give a wrongly scheduled retry the chance to show up
    final = jobs.get_job(job.job_id)
    assert final.status == JobStatus.FAILED
    assert final.attempts == 1
    assert final.error == "unsupported file type: slides.key"
    assert done.model_dump() == final.model_dump()


def test_idempotency_key_returns_the_same_job(queue_home: Path) -> None:
    first = submit("test_flaky", {"fail_times": 0}, key="nightly-2025-01-06")
    again = submit("test_flaky", {"fail_times": 0}, key="nightly-2025-01-06")
    other = submit("test_flaky", {"fail_times": 0}, key="nightly-2025-01-07")
    assert first.job_id == again.job_id != other.job_id
    with pytest.raises(InputError, match="already used for a different job"):
        submit("test_flaky", {"fail_times": 5}, key="nightly-2025-01-06")
    with running_worker():
        done = wait_for(first.job_id)
        wait_for(other.job_id)
    assert done.status == JobStatus.COMPLETED and done.attempts == 1
    assert submit("test_flaky", {"fail_times": 0}, key="nightly-2025-01-06").status == JobStatus.COMPLETED
    assert len(jobs.list_jobs()) == 2


def test_worker_runs_jobs_concurrently(queue_home: Path) -> None:
    _barriers["b3"] = threading.Barrier(3)
    ids = [submit("test_barrier", {"barrier": "b3", "n": i}).job_id for i in range(3)]
    with running_worker(concurrency=3):
        results = [wait_for(job_id) for job_id in ids]
    assert [r.status for r in results] == [JobStatus.COMPLETED] * 3
    assert not _barriers["b3"].broken


def test_queued_job_without_message_is_redispatched(queue_home: Path) -> None:
    queue = get_queue()
    record = JobRecord(job_id="orphan1", kind="test_flaky", workspace="acme", params={"fail_times": 0})
    queue.store.create(record)  # as if the enqueuer died between the record and the message
    assert "orphan1" not in queue.pending_job_ids()
    with running_worker():
        done = wait_for("orphan1")
    assert done.status == JobStatus.COMPLETED and done.attempts == 1


def test_graceful_stop_hands_back_a_running_job(queue_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMPILOT_JOB_SHUTDOWN_TIMEOUT", "0.5")
    reset_queues()
    _gates["g1"] = threading.Event()
    job = submit("test_gate", {"gate": "g1"})
    with running_worker():
        wait_for(job.job_id, lambda r: r.status == JobStatus.RUNNING)
    handed = jobs.get_job(job.job_id)
    assert handed.status == JobStatus.QUEUED
    assert "handed back" in (handed.error or "")
    _gates["g1"].set()  # the abandoned first attempt now finishes; its result must be refused
    with running_worker():
        done = wait_for(job.job_id)
    assert done.status == JobStatus.COMPLETED
    assert done.result == {"attempt": 2}


def test_get_job_unknown_is_not_found(queue_home: Path) -> None:
    from kernel.errors import NotFoundError

    with pytest.raises(NotFoundError):
        jobs.get_job("nope")


def test_enqueue_validates_input(queue_home: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        jobs.enqueue_ingest([tmp_path / "missing.csv"], "acme")
    with pytest.raises(InputError, match="goal"):
        jobs.enqueue_run("  ", "acme")
    with pytest.raises(InputError, match="unknown run option"):
        jobs.enqueue_run("Draft SSO requirements", "acme", colour="blue")
    with pytest.raises(InputError, match="workspace"):
        jobs.enqueue_refresh_themes("")
    assert jobs.list_jobs() == []


# --- real tasks: ingest, themes, runs, the schedule, kill -9 ------------------------------------

WORKER_SCRIPT = r"""
import json, os, sys, time
from pathlib import Path
from agents.jobs import run_worker
from agents.jobs.registry import Outcome, add_event_listener, register

marker = os.environ.get("QUEUE_TEST_BLOCK_MARKER")
if marker:
    seen_end = []

    def block_mid_run(job_id, event):
        # After the first node has finished (and been checkpointed), freeze inside the next one.
        if event.type == "node_end":
            seen_end.append(event.node)
        elif event.type == "node_start" and seen_end:
            Path(marker).write_text(json.dumps({"job_id": job_id, "after": seen_end, "in": event.node}))
            time.sleep(3600)

    add_event_listener(block_mid_run)


@register("test_block")
def _block(record, queue):
    Path(record.params["marker"]).write_text("started")
    time.sleep(3600)
    return Outcome()


run_worker(concurrency=1, periodic=False)
"""


def start_worker_process(block_marker: Path | None = None) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.pop("QUEUE_TEST_BLOCK_MARKER", None)
    if block_marker is not None:
        env["QUEUE_TEST_BLOCK_MARKER"] = str(block_marker)
    return subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop_worker_process(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return (proc.stderr.read() if proc.stderr else b"").decode(errors="replace")[-3000:]


def warm_up() -> None:
    """Load the heavy imports and the embedding model in this process (before a worker thread here takes a job)."""
    import agents.runner  # noqa: F401
    from memory.embeddings import get_embedder

    get_embedder().embed_query("warm up")


def wait_for_file(path: Path, proc: subprocess.Popen[bytes], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"worker exited early: {stop_worker_process(proc)}"
        assert time.monotonic() < deadline, f"{path.name} not written in {timeout}s"
        time.sleep(0.1)


def copy_fixture(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_bytes((FIXTURES / name).read_bytes())
    return target


def run_dirs(home: Path) -> list[Path]:
    runs = home / "runs"
    return sorted(p for p in runs.iterdir() if p.is_dir()) if runs.exists() else []


def assert_one_run_with_artifacts(home: Path, job: JobRecord) -> dict:
    assert job.status == JobStatus.COMPLETED, job.error
    assert job.run_id == f"job-{job.job_id[:20]}"
    assert [p.name for p in run_dirs(home)] == [job.run_id]
    run_dir = home / "runs" / job.run_id
    run = json.loads((run_dir / "run.json").read_text())
    assert run["run_id"] == job.run_id and run["status"] == "completed"
    assert job.artifacts and job.artifacts == run["artifacts"]
    for artifact in job.artifacts:
        for key in ("path_md", "path_json"):
            path = Path(artifact[key])
            assert path.is_file() and path.parent == run_dir
    kinds = [a["kind"] for a in job.artifacts]
    assert len(kinds) == len(set(kinds))
    assert len(list(run_dir.glob("*.md"))) == len(kinds)
    return run


def test_ingest_then_run_complete_with_artifacts(queue_home: Path, tmp_path: Path) -> None:
    tickets = copy_fixture("tickets_week1.csv", tmp_path / "inbox")
    ingest = jobs.enqueue_ingest([tickets], "acme", idempotency_key="seed-acme")
    with running_worker():
        ingested = wait_for(ingest.job_id)
        assert ingested.status == JobStatus.COMPLETED, ingested.error
        assert ingested.result is not None and ingested.result["ingested"] >= 12
        assert ingested.result["rejected"] == []
        run = jobs.enqueue_run("Should we build SSO before the mobile app? Draft a brief for leadership",
                               "acme", deliverables=["brief"], audience="exec", offline=True)
        assert run.run_id is not None and run.status == JobStatus.QUEUED
        done = wait_for(run.job_id, timeout=60)
    record = assert_one_run_with_artifacts(queue_home, done)
    assert record["mode"] == "offline"
    assert done.result is not None and done.result["status"] == "completed"
    assert [a["kind"] for a in done.artifacts] == ["brief"]
    listed = jobs.list_jobs("acme")
    assert [j.job_id for j in listed] == [run.job_id, ingest.job_id]
    assert {"job_id", "status", "run_id", "error", "attempts", "artifacts", "kind", "workspace",
            "created_at", "updated_at"} <= set(done.model_dump())


def test_run_on_an_empty_workspace_fails_once_with_a_clear_error(queue_home: Path) -> None:
    job = jobs.enqueue_run("Draft SSO requirements", "empty-ws", offline=True)
    with running_worker():
        done = wait_for(job.job_id)
    assert done.status == JobStatus.FAILED
    assert done.attempts == 1
    assert "no signals" in (done.error or "")


def test_scheduled_jobs_fire_on_an_injected_clock(queue_home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    copy_fixture("tickets_week1.csv", inbox)
    (inbox / "notes.txt").write_text("not matched by the pattern")
    schedule = queue_home / "schedule.yaml"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    schedule.write_text(
        "timezone: Europe/Berlin\n"
        "jobs:\n"
        "  - name: nightly-import\n"
        "    kind: ingest\n"
        "    workspace: acme\n"
        "    every: day 02:00\n"
        f"    folder: {inbox}\n"
        "    pattern: '*.csv'\n"
        "  - name: monday-themes\n"
        "    kind: refresh_themes\n"
        "    workspace: acme\n"
        "    cron: '30 8 * * mon'\n"
    )
    # 2026-03-09 is a Monday; 02:00 in Berlin (CET) is 01:00 UTC.
    first = datetime(2026, 3, 9, 1, 0, 20, tzinfo=UTC)
    assert jobs.tick(first - timedelta(minutes=5)) == []
    fired = jobs.tick(first)
    assert [j.kind for j in fired] == ["ingest"]
    assert fired[0].schedule == "nightly-import"
    assert fired[0].params["paths"] == [str((inbox / "tickets_week1.csv").resolve())]
    # Another worker's tick in the same or the next minute: the same job, nothing new.
    assert [j.job_id for j in jobs.tick(first + timedelta(seconds=30))] == [fired[0].job_id]
    assert [j.job_id for j in jobs.tick(first + timedelta(minutes=1))] == [fired[0].job_id]
    with running_worker():
        done = wait_for(fired[0].job_id)
        assert done.status == JobStatus.COMPLETED, done.error
        assert done.result is not None and done.result["ingested"] >= 12

        # Next night: only the file that is new since the last import.
        copy_fixture("tickets_week2.csv", inbox)
        second = jobs.tick(first + timedelta(days=1))
        assert len(second) == 1
        assert second[0].params["paths"] == [str((inbox / "tickets_week2.csv").resolve())]
        assert wait_for(second[0].job_id).status == JobStatus.COMPLETED
        # The night after: nothing new, no job.
        assert jobs.tick(first + timedelta(days=2)) == []

        themes = jobs.tick(datetime(2026, 3, 16, 7, 30, 5, tzinfo=UTC))  # Monday 08:30 CET
        assert [j.kind for j in themes] == ["refresh_themes"]
        refreshed = wait_for(themes[0].job_id)
    assert refreshed.status == JobStatus.COMPLETED, refreshed.error
    from memory import api

    snapshot = api.themes("acme")  # the refreshed snapshot, served from the cache
    assert refreshed.result == {"workspace": "acme", "themes": len(snapshot.themes),
                                "labels": [t.label for t in snapshot.themes[:20]],
                                "sentence_vectors": refreshed.result["sentence_vectors"]}
    # The job also kept the long signals' sentence vectors: a second fill finds nothing left to embed.
    assert refreshed.result["sentence_vectors"] > 0
    assert api.fill_sentence_vectors("acme") == 0
    assert len(jobs.list_jobs("acme")) == 3


def test_scheduled_retention_expires_old_signals_as_of_the_firing(queue_home: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from kernel.settings import get_settings
    from memory import api

    monkeypatch.setenv("PMPILOT_RETENTION_DAYS", "90")
    get_settings.cache_clear()
    old = tmp_path / "old_tickets.csv"
    old.write_text("id,created_at,user_id,text\n"
                   "old-1,2025-10-01T09:00:00Z,u-9,The legacy exporter crashes on large CSV files\n"
                   "old-2,2025-11-20T09:00:00Z,u-8,Printing a report cuts off the last column\n", encoding="utf-8")
    api.ingest([copy_fixture("tickets_week1.csv", tmp_path / "inbox"), old], "acme", kind="ticket")
    api.ingest([copy_fixture("tickets_week1.csv", tmp_path / "other")], "globex", kind="ticket")
    before, other_before = api.stats("acme").signals, api.stats("globex").signals
    schedule = queue_home / "schedule.yaml"
    schedule.write_text(
        "jobs:\n"
        "  - name: weekly-retention\n"
        "    kind: retention\n"
        "    workspace: acme\n"
        "    every: sunday 04:00\n"
    )
    # 2026-03-08 is a Sunday: 90 days before it is 2025-12-08, so old-1 and old-2 expire and the
    # tickets of 2026-03-02 stay, whatever the real date is when the test runs.
    sunday = datetime(2026, 3, 8, 4, 0, 15, tzinfo=UTC)
    assert jobs.tick(sunday - timedelta(minutes=3)) == []
    fired = jobs.tick(sunday)
    assert [(j.kind, j.schedule) for j in fired] == [("retention", "weekly-retention")]
    assert fired[0].params == {"as_of": "2026-03-08T04:00:00+00:00"}
    assert [j.job_id for j in jobs.tick(sunday + timedelta(minutes=1))] == [fired[0].job_id]
    with running_worker():
        done = wait_for(fired[0].job_id)
        assert done.status == JobStatus.COMPLETED, done.error
        assert done.result == {"workspace": "acme", "expired": 2, "as_of": "2026-03-08T04:00:00+00:00"}
        next_week = jobs.tick(sunday + timedelta(days=7))
        assert len(next_week) == 1 and next_week[0].job_id != done.job_id
        second = wait_for(next_week[0].job_id)
    assert second.status == JobStatus.COMPLETED and second.result is not None
    assert second.result["expired"] == 0
    assert api.stats("acme").signals == before - 2
    assert api.stats("globex").signals == other_before
    left = {h.external_id for h in api.search("exporter crashes printing report", "acme", limit=50)}
    assert not left & {"old-1", "old-2"}


@pytest.mark.slow
def test_an_attempt_that_loses_its_lease_stops_its_run_and_the_next_one_resumes(queue_home: Path,
                                                                                tmp_path: Path) -> None:
    from agents.jobs.registry import add_event_listener, remove_event_listener
    from agents.jobs.worker import LEASES
    from memory import api

    api.ingest([copy_fixture("tickets_week1.csv", tmp_path / "inbox")], "acme")
    job = jobs.enqueue_run("Draft requirements for SSO for enterprise customers", "acme",
                           deliverables=["requirements"], offline=True)
    blocked, release = threading.Event(), threading.Event()
    starts: list[str] = []

    def listener(job_id: str, event: object) -> None:
        if job_id != job.job_id or getattr(event, "type", "") != "node_start":
            return
        starts.append(event.node)  # type: ignore[attr-defined]
        if event.node == "scorer" and not blocked.is_set():  # type: ignore[attr-defined]
            blocked.set()
            release.wait(30)

    add_event_listener(listener)
    try:
        with running_worker():
            assert blocked.wait(60), "the run never reached the scorer"
            # Another worker takes the job over (as after a missed lease): this attempt's heartbeat
            # notices on its next beat and cancels the attempt.
            queue = get_queue()
            queue.store.update(job.job_id, lambda r: r.model_copy(update={"lease_token": "other", "worker": "w2"}))
            deadline = time.monotonic() + 30
            while not LEASES.cancelled(job.job_id):
                assert time.monotonic() < deadline, "the heartbeat never noticed the lost lease"
                time.sleep(0.05)
            release.set()
            run_json = queue_home / "runs" / str(job.run_id) / "run.json"
            while not run_json.exists():
                assert time.monotonic() < deadline + 30, "the cancelled attempt never stopped"
                time.sleep(0.05)
            stopped = json.loads(run_json.read_text())
            assert stopped["status"] == "failed" and stopped["error"] == "cancelled"
            assert starts == ["planner", "researcher", "scorer"]  # nothing ran after the running node
            assert sorted(p.name for p in run_json.parent.iterdir()) == ["request.json", "run.json"]
            taken = jobs.get_job(job.job_id)
            assert taken.status == JobStatus.RUNNING and taken.worker == "w2"  # its record was not touched
            # "w2" dies too: its lease expires, the reaper hands the job to this worker again.
            done = wait_for(job.job_id, timeout=60)
    finally:
        release.set()
        remove_event_listener(listener)
    assert done.attempts == 2
    assert starts[3:] == ["writer", "review", "validate", "publish", "human_review", "finalize"]
    assert_one_run_with_artifacts(queue_home, done)


@pytest.mark.slow
def test_kill_9_mid_run_then_another_worker_finishes_exactly_once(queue_home: Path, tmp_path: Path) -> None:
    tickets = copy_fixture("tickets_week1.csv", tmp_path / "inbox")
    seed = jobs.enqueue_ingest([tickets], "acme")
    job = jobs.enqueue_run("Draft requirements for SSO for enterprise customers", "acme",
                           deliverables=["requirements"], offline=True)
    marker = tmp_path / "blocked.json"
    first = start_worker_process(block_marker=marker)
    try:
        deadline = time.monotonic() + STARTUP_S
        while not marker.exists():
            assert first.poll() is None, f"worker exited early: {stop_worker_process(first)}"
            assert not jobs.get_job(job.job_id).terminal, jobs.get_job(job.job_id).error
            assert time.monotonic() < deadline, "run never reached the middle"
            time.sleep(0.1)
        # The replacement worker (in this process, its model loaded first) starts while the first one
        # is frozen mid-run; the queue is empty, so it can only get the job by reaping it after the kill.
        warm_up()
        with running_worker(concurrency=1):
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            assert jobs.get_job(seed.job_id).status == JobStatus.COMPLETED
            frozen = jobs.get_job(job.job_id)
            assert frozen.status == JobStatus.RUNNING and frozen.attempts == 1
            assert json.loads(marker.read_text())["job_id"] == job.job_id
            assert not (queue_home / "runs" / str(job.run_id) / "run.json").exists()
            done = wait_for(job.job_id, timeout=STARTUP_S)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    assert done.status == JobStatus.COMPLETED, done.error
    assert done.attempts == 2
    assert_one_run_with_artifacts(queue_home, done)
    assert [p.name for p in (queue_home / "run-index").iterdir()] == [f"{done.run_id}.json"]


def test_sigterm_hands_back_a_job_that_does_not_finish_in_time(queue_home: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMPILOT_JOB_SHUTDOWN_TIMEOUT", "1")
    marker = tmp_path / "started"
    job = submit("test_block", {"marker": str(marker)})
    proc = start_worker_process()
    try:
        wait_for_file(marker, proc)
        assert jobs.get_job(job.job_id).status == JobStatus.RUNNING
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    handed = jobs.get_job(job.job_id)
    assert handed.status == JobStatus.QUEUED
    assert handed.attempts == 1
    assert "handed back" in (handed.error or "")
    assert job.job_id in get_queue().pending_job_ids()
