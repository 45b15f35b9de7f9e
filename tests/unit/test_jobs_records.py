"""Job-record stores (SQLite and Redis) and the lease state machine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from agents.jobs.records import (
    JobRecord,
    JobStatus,
    JobStore,
    RedisJobStore,
    SqliteJobStore,
    job_id_for,
    run_id_for,
    utcnow,
)
from agents.jobs.registry import Outcome, is_transient
from agents.jobs.worker import claim, complete, fail, reclaim_expired, renew, requeue, retry_delay
from kernel.errors import InputError, TransientError
from tests.support.services import require_redis

REDIS_URL = "redis://127.0.0.1:6379/13"


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    if request.param == "sqlite":
        sqlite_store = SqliteJobStore(tmp_path / "jobs.sqlite")
        yield sqlite_store
        sqlite_store.close()
        return
    require_redis()
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    redis_store = RedisJobStore(REDIS_URL)
    yield redis_store
    redis_store.close()
    client.flushdb()
    client.close()


def _record(job_id: str = "j1", workspace: str = "acme", **extra: object) -> JobRecord:
    fields: dict[str, object] = {"params": {"paths": ["/x"]}, **extra}
    return JobRecord(job_id=job_id, kind="ingest", workspace=workspace, **fields)  # type: ignore[arg-type]


def test_create_is_idempotent_by_id(store: JobStore) -> None:
    first, created = store.create(_record())
    again, created_again = store.create(_record(params={"other": 1}))
    assert created and not created_again
    assert again.params == first.params == {"paths": ["/x"]}
    assert store.get("j1") == first
    assert store.get("missing") is None


def test_list_most_recent_first_and_by_workspace(store: JobStore) -> None:
    base = utcnow()
    for i, ws in enumerate(["a", "b", "a"]):
        store.create(_record(f"j{i}", ws, created_at=base + timedelta(seconds=i)))
    assert [r.job_id for r in store.list()] == ["j2", "j1", "j0"]
    assert [r.job_id for r in store.list("a")] == ["j2", "j0"]
    assert [r.job_id for r in store.list(limit=1)] == ["j2"]
    assert store.list("nobody") == []


def test_update_is_atomic_under_contention(store: JobStore) -> None:
    store.create(_record(attempts=0))
    winners: list[str] = []
    lock = threading.Lock()

    def grab(name: str) -> None:
        got = store.update("j1", lambda r: claim(r, worker=name, token=name, now=utcnow(), lease=60))
        if got is not None:
            with lock:
                winners.append(name)

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(winners) == 1
    stored = store.get("j1")
    assert stored is not None and stored.attempts == 1 and stored.lease_token == winners[0]


def test_active_tracks_non_terminal_jobs(store: JobStore) -> None:
    store.create(_record("a"))
    store.create(_record("b"))
    store.update("b", lambda r: r.model_copy(update={"status": JobStatus.COMPLETED}))
    assert [r.job_id for r in store.active()] == ["a"]


def test_seen_files_are_per_workspace(store: JobStore) -> None:
    assert store.unseen("acme", ["f1", "f2"]) == ["f1", "f2"]
    store.mark_seen("acme", ["f1"])
    store.mark_seen("acme", ["f1"])
    assert store.unseen("acme", ["f1", "f2"]) == ["f2"]
    assert store.unseen("other", ["f1"]) == ["f1"]


def test_ids_are_deterministic_for_keys() -> None:
    assert job_id_for("nightly") == job_id_for("nightly") != job_id_for("weekly")
    assert job_id_for(None) != job_id_for(None)
    assert run_id_for(job_id_for("k")) == run_id_for(job_id_for("k"))


def test_lease_state_machine() -> None:
    now = utcnow()
    record = _record()
    running = claim(record, worker="w1", token="t1", now=now, lease=10)
    assert running is not None and running.status == JobStatus.RUNNING and running.attempts == 1
    assert claim(running, worker="w2", token="t2", now=now + timedelta(seconds=5), lease=10) is None
    stolen = claim(running, worker="w2", token="t2", now=now + timedelta(seconds=11), lease=10)
    assert stolen is not None and stolen.attempts == 2 and stolen.lease_token == "t2"
    # The old owner can no longer renew, complete or fail.
    assert renew(stolen, token="t1", now=now, lease=10) is None
    assert complete(stolen, token="t1", outcome=Outcome()) is None
    assert fail(stolen, token="t1", error="x") is None
    done = complete(stolen, token="t2", outcome=Outcome(run_id="r", artifacts=[{"kind": "brief"}]))
    assert done is not None and done.status == JobStatus.COMPLETED and done.artifacts == [{"kind": "brief"}]
    assert claim(done, worker="w3", token="t3", now=now + timedelta(hours=1), lease=10) is None
    back = requeue(stolen, token="t2", error="retry")
    assert back is not None and back.status == JobStatus.QUEUED and back.lease_token is None


def test_reaper_transition_gives_up_after_max_attempts() -> None:
    now = utcnow()
    running = claim(_record(max_attempts=2), worker="w", token="t", now=now, lease=1)
    assert running is not None
    assert reclaim_expired(running, now=now) is None
    again = reclaim_expired(running, now=now + timedelta(seconds=2))
    assert again is not None and again.status == JobStatus.QUEUED and "stopped" in (again.error or "")
    second = claim(again, worker="w", token="t2", now=now, lease=1)
    assert second is not None
    dead = reclaim_expired(second, now=now + timedelta(seconds=5))
    assert dead is not None and dead.status == JobStatus.FAILED and "giving up after 2" in (dead.error or "")


def test_backoff_doubles() -> None:
    assert [retry_delay(2.0, n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert retry_delay(1000.0, 10) == 3600.0


def test_error_classification() -> None:
    import redis

    assert is_transient(TransientError("429"))
    assert is_transient(ConnectionResetError())
    assert is_transient(redis.ConnectionError("down"))
    assert not is_transient(InputError("bad file"))
    assert not is_transient(ValueError("bug"))
