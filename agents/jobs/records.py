"""Durable job records: what was asked, where it stands, what it produced.

The queue library (huey) moves messages; these records are the source of truth for a
job's state, its lease and its idempotency key. Two stores implement one small
interface: SQLite under ``PMPILOT_HOME`` (embedded) and Redis hashes (distributed).
Every state change goes through :meth:`JobStore.update`, an atomic read-modify-write,
so concurrent workers and reapers never both win the same transition.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from redis.typing import EncodableT, FieldT

_KEY_NAMESPACE = uuid.UUID("6f4b7e0c-52a1-4c8e-9d0e-3a1f2b7c9d10")


class JobStatus(StrEnum):
    """Lifecycle of a job; ``completed`` and ``failed`` are terminal."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED})


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the records use."""
    return datetime.now(UTC)


def job_id_for(idempotency_key: str | None) -> str:
    """A new random job id, or the one id a given idempotency key always maps to."""
    if idempotency_key is None:
        return uuid.uuid4().hex
    return uuid.uuid5(_KEY_NAMESPACE, idempotency_key).hex


def run_id_for(job_id: str) -> str:
    """The run id of a ``run`` job: derived from the job id, so every attempt resumes the same run."""
    return f"job-{job_id[:20]}"


class JobRecord(BaseModel):
    """One job as users see it (``pmpilot jobs``) and as workers coordinate on it."""

    job_id: str
    kind: str = Field(description="run, ingest, refresh_themes or retention.")
    workspace: str
    params: dict[str, Any] = Field(default_factory=dict, description="JSON-safe arguments of the task.")
    status: JobStatus = JobStatus.QUEUED
    attempts: int = Field(default=0, description="Times a worker started this job.")
    max_attempts: int = 5
    run_id: str | None = None
    artifacts: list[dict[str, Any]] = Field(default_factory=list)
    result: dict[str, Any] | None = Field(default=None, description="Summary returned by the task.")
    error: str | None = None
    idempotency_key: str | None = None
    schedule: str | None = Field(default=None, description="Name of the schedule entry that created it.")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    worker: str | None = Field(default=None, description="Worker that owns the current attempt.")
    lease_token: str | None = Field(default=None, description="Owner token of the current attempt.")
    lease_expires_at: datetime | None = None

    @property
    def terminal(self) -> bool:
        """True once the job is completed or failed."""
        return self.status in TERMINAL

    def to_json(self) -> str:
        """Serialized form stored in both backends."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, raw: str | bytes) -> JobRecord:
        """Inverse of :meth:`to_json`."""
        return cls.model_validate_json(raw)


Mutation = Callable[[JobRecord], JobRecord | None]


class JobStore(ABC):
    """Durable job records with atomic updates and a record of files already ingested."""

    @abstractmethod
    def create(self, record: JobRecord) -> tuple[JobRecord, bool]:
        """Insert ``record`` unless its id exists; return the stored record and whether it is new."""

    @abstractmethod
    def get(self, job_id: str) -> JobRecord | None:
        """The record, or None."""

    @abstractmethod
    def list(self, workspace: str | None = None, limit: int = 50) -> list[JobRecord]:
        """Most recent first, optionally one workspace only."""

    @abstractmethod
    def update(self, job_id: str, mutate: Mutation) -> JobRecord | None:
        """Atomically apply ``mutate`` to the current record.

        ``mutate`` returns the new record, or None to leave it unchanged; the stored
        result is returned (None when unchanged or unknown).
        """

    @abstractmethod
    def active(self) -> builtins.list[JobRecord]:
        """All queued or running jobs (what the reaper inspects)."""

    @abstractmethod
    def unseen(self, workspace: str, fingerprints: Sequence[str]) -> builtins.list[str]:
        """The fingerprints (path, mtime, size) not yet marked as ingested for ``workspace``."""

    @abstractmethod
    def mark_seen(self, workspace: str, fingerprints: Iterable[str]) -> None:
        """Remember files as ingested so scheduled folder ingestion skips them."""

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold no handle
        """Release connections."""


class SqliteJobStore(JobStore):
    """Job records in a SQLite file (WAL, one short transaction per call)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._tx() as db:
            db.execute(
                "create table if not exists jobs (job_id text primary key, workspace text not null,"
                " status text not null, created_at real not null, record text not null)"
            )
            db.execute("create index if not exists jobs_ws_created on jobs (workspace, created_at)")
            db.execute("create index if not exists jobs_status on jobs (status)")
            db.execute(
                "create table if not exists seen_files (workspace text not null, fingerprint text not null,"
                " seen_at real not null, primary key (workspace, fingerprint))"
            )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.execute("pragma journal_mode=wal")
            conn.execute("pragma synchronous=normal")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: the write lock is taken up front, so read-modify-write is atomic."""
        conn = self._conn()
        conn.execute("begin immediate")
        try:
            yield conn
        except BaseException:
            conn.execute("rollback")
            raise
        conn.execute("commit")

    @staticmethod
    def _write(db: sqlite3.Connection, record: JobRecord) -> None:
        db.execute(
            "insert or replace into jobs (job_id, workspace, status, created_at, record) values (?, ?, ?, ?, ?)",
            (record.job_id, record.workspace, record.status.value, record.created_at.timestamp(),
             record.to_json()),
        )

    def create(self, record: JobRecord) -> tuple[JobRecord, bool]:
        """Insert unless present (idempotent enqueue)."""
        with self._tx() as db:
            row = db.execute("select record from jobs where job_id = ?", (record.job_id,)).fetchone()
            if row is not None:
                return JobRecord.from_json(row[0]), False
            self._write(db, record)
        return record, True

    def get(self, job_id: str) -> JobRecord | None:
        """The record, or None."""
        row = self._conn().execute("select record from jobs where job_id = ?", (job_id,)).fetchone()
        return JobRecord.from_json(row[0]) if row else None

    def list(self, workspace: str | None = None, limit: int = 50) -> list[JobRecord]:
        """Most recent first."""
        if workspace is None:
            rows = self._conn().execute(
                "select record from jobs order by created_at desc limit ?", (limit,)
            ).fetchall()
        else:
            rows = self._conn().execute(
                "select record from jobs where workspace = ? order by created_at desc limit ?",
                (workspace, limit),
            ).fetchall()
        return [JobRecord.from_json(r[0]) for r in rows]

    def update(self, job_id: str, mutate: Mutation) -> JobRecord | None:
        """Read-modify-write inside one IMMEDIATE transaction."""
        with self._tx() as db:
            row = db.execute("select record from jobs where job_id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            new = mutate(JobRecord.from_json(row[0]))
            if new is None:
                return None
            new = new.model_copy(update={"updated_at": utcnow()})
            self._write(db, new)
        return new

    def active(self) -> builtins.list[JobRecord]:
        """Queued or running jobs."""
        rows = self._conn().execute(
            "select record from jobs where status in (?, ?)", (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
        ).fetchall()
        return [JobRecord.from_json(r[0]) for r in rows]

    def unseen(self, workspace: str, fingerprints: Sequence[str]) -> builtins.list[str]:
        """Fingerprints not in ``seen_files``."""
        conn = self._conn()
        return [
            fp for fp in fingerprints
            if conn.execute(
                "select 1 from seen_files where workspace = ? and fingerprint = ?", (workspace, fp)
            ).fetchone() is None
        ]

    def mark_seen(self, workspace: str, fingerprints: Iterable[str]) -> None:
        """Insert fingerprints (duplicates ignored)."""
        now = utcnow().timestamp()
        with self._tx() as db:
            db.executemany(
                "insert or ignore into seen_files (workspace, fingerprint, seen_at) values (?, ?, ?)",
                [(workspace, fp, now) for fp in fingerprints],
            )

    def close(self) -> None:
        """Close this thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class RedisJobStore(JobStore):
    """Job records as Redis hashes, with sorted-set indexes; atomic updates via WATCH/MULTI.

    Keys (``prefix`` defaults to ``pmpilot:jobs``): ``{prefix}:job:{id}`` hash with one
    ``record`` field plus ``status``/``workspace`` for inspection with redis-cli;
    ``{prefix}:index`` and ``{prefix}:ws:{workspace}`` sorted by creation time;
    ``{prefix}:active`` set of non-terminal ids; ``{prefix}:seen:{workspace}`` ingested files.
    """

    def __init__(self, url: str, prefix: str = "pmpilot:jobs") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._watch_error = redis.WatchError
        self.prefix = prefix

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def _fields(self, record: JobRecord) -> dict[FieldT, EncodableT]:
        return {"record": record.to_json(), "status": record.status.value, "workspace": record.workspace}

    def _index(self, pipe: Any, record: JobRecord) -> None:
        if record.terminal:
            pipe.srem(f"{self.prefix}:active", record.job_id)
        else:
            pipe.sadd(f"{self.prefix}:active", record.job_id)

    def create(self, record: JobRecord) -> tuple[JobRecord, bool]:
        """HSET guarded by WATCH on the job key: the first writer wins, later ones read its record."""
        key = self._key(record.job_id)
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.hget(key, "record")
                    if raw is not None:
                        pipe.unwatch()
                        return JobRecord.from_json(raw), False
                    created = record.created_at.timestamp()
                    pipe.multi()
                    pipe.hset(key, mapping=self._fields(record))
                    pipe.zadd(f"{self.prefix}:index", {record.job_id: created})
                    pipe.zadd(f"{self.prefix}:ws:{record.workspace}", {record.job_id: created})
                    self._index(pipe, record)
                    pipe.execute()
                    return record, True
                except self._watch_error:
                    continue

    def get(self, job_id: str) -> JobRecord | None:
        """The record, or None."""
        raw = self._redis.hget(self._key(job_id), "record")
        return JobRecord.from_json(raw) if raw is not None else None

    def _many(self, ids: Sequence[bytes | str]) -> builtins.list[JobRecord]:
        if not ids:
            return []
        with self._redis.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.hget(self._key(job_id.decode() if isinstance(job_id, bytes) else job_id), "record")
            raws = pipe.execute()
        return [JobRecord.from_json(raw) for raw in raws if raw is not None]

    def list(self, workspace: str | None = None, limit: int = 50) -> list[JobRecord]:
        """Most recent first."""
        index = f"{self.prefix}:index" if workspace is None else f"{self.prefix}:ws:{workspace}"
        ids = self._redis.zrevrange(index, 0, max(limit, 1) - 1)
        return self._many(ids)  # type: ignore[arg-type]

    def update(self, job_id: str, mutate: Mutation) -> JobRecord | None:
        """Optimistic transaction: retried when another client changed the job meanwhile."""
        key = self._key(job_id)
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.hget(key, "record")
                    if raw is None:
                        pipe.unwatch()
                        return None
                    new = mutate(JobRecord.from_json(raw))
                    if new is None:
                        pipe.unwatch()
                        return None
                    new = new.model_copy(update={"updated_at": utcnow()})
                    pipe.multi()
                    pipe.hset(key, mapping=self._fields(new))
                    self._index(pipe, new)
                    pipe.execute()
                    return new
                except self._watch_error:
                    continue

    def active(self) -> builtins.list[JobRecord]:
        """Queued or running jobs."""
        ids = sorted(self._redis.smembers(f"{self.prefix}:active"))
        return [r for r in self._many(ids) if not r.terminal]

    def unseen(self, workspace: str, fingerprints: Sequence[str]) -> builtins.list[str]:
        """Fingerprints not in the workspace's seen set."""
        if not fingerprints:
            return []
        flags = self._redis.smismember(f"{self.prefix}:seen:{workspace}", list(fingerprints))
        return [fp for fp, seen in zip(fingerprints, flags, strict=True) if not seen]

    def mark_seen(self, workspace: str, fingerprints: Iterable[str]) -> None:
        """SADD the fingerprints."""
        items = list(fingerprints)
        if items:
            self._redis.sadd(f"{self.prefix}:seen:{workspace}", *items)

    def close(self) -> None:
        """Close the connection pool."""
        self._redis.close()


def dumps_params(params: dict[str, Any]) -> dict[str, Any]:
    """Round-trip params through JSON so what is stored is exactly what a worker will read."""
    stored: dict[str, Any] = json.loads(json.dumps(params, default=str))
    return stored
