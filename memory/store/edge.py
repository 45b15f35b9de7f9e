"""Embedded vector store on Qdrant Edge (``qdrant-edge-py``): one ``EdgeShard`` per collection.

The engine is single-writer: a shard's write-ahead log is locked exclusively by the process that
opened it, and a second process fails at once with ``Can't init WAL: WouldBlock``. So every
operation here runs under an inter-process ``fcntl`` lock on ``<root>/.lock``. The lock is taken
on first use and released as soon as the store is idle for ``linger_s`` or another process is
waiting for it (waiters announce themselves with a shared lock on ``<root>/.waiters``), so a CLI
command, the UI and a queue worker can share one store directory. A process that cannot get the
lock within ``lock_timeout_s`` gets a :class:`~kernel.errors.TransientError` naming the holder.

Faults: the engine raises a bare ``Exception`` ("Service runtime error: … (os error N)") when its
files fail; such errors (and ``OSError``) become a one-line ``TransientError`` naming the store,
and the shards are dropped so the next operation reloads them from disk (WAL replay). On a full
disk the engine does not fail cleanly — it writes through memory maps and the process dies with
SIGBUS — so writes are refused while the store's file system has less than ``min_free_bytes``
(plus an estimate of the write) available.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import qdrant_edge as qe

from kernel.errors import ConfigError, InputError, TransientError, one_line
from memory.store.base import (
    CollectionSpec,
    Filter,
    Point,
    Record,
    Scalar,
    SparseVector,
    VectorStore,
)
from memory.store.edge_convert import DENSE, SPARSE, _engine_failure, _record, to_edge_filter

logger = logging.getLogger(__name__)

RRF_K = 60
_CONFIG_FILE = "edge_config.json"
_UPSERT_BATCH = 512

#: Longest time a write inside :meth:`EdgeStore.deferred_flush` stays unflushed (only in the WAL).
FLUSH_INTERVAL_S = 10.0
#: Default wait for a store held by another process before giving up.
LOCK_TIMEOUT_S = 60.0
#: Default free space a write must leave on the store's file system (a full disk is SIGBUS).
MIN_FREE_BYTES = 64 * 1024 * 1024
_MIB = 1024 * 1024


class EdgeStore(VectorStore):
    """Collections as Qdrant Edge shards under ``root``, safe across threads and processes."""

    _instances: weakref.WeakSet[EdgeStore] = weakref.WeakSet()

    def __init__(
        self,
        root: Path,
        *,
        lock_timeout_s: float | None = None,
        linger_s: float = 5.0,
        min_free_bytes: int | None = None,
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        """Open (lazily) the store directory ``root``.

        Args:
            root: Directory holding one sub-directory per collection.
            lock_timeout_s: How long to wait for another process holding the store
                (default :data:`LOCK_TIMEOUT_S`).
            linger_s: Idle time after which shards are closed and the lock released even if no
                other process waits (a waiting process gets the lock as soon as this one is idle).
            min_free_bytes: Free space every write must leave on the file system
                (default :data:`MIN_FREE_BYTES`; 0 turns the check off).
            flush_interval_s: Inside :meth:`deferred_flush`, how long a write may stay in the
                write-ahead log only before the shards are flushed.

        Raises:
            ConfigError: ``root`` cannot be created.
        """
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the vector store directory {self.root}: {one_line(exc)}") from None
        self.lock_timeout_s = LOCK_TIMEOUT_S if lock_timeout_s is None else lock_timeout_s
        self.min_free_bytes = MIN_FREE_BYTES if min_free_bytes is None else min_free_bytes
        self.linger_s = linger_s
        self.flush_interval_s = flush_interval_s
        self._mu = threading.RLock()
        self._deferring = 0
        self._dirty: set[str] = set()
        self._flushed_at = time.monotonic()
        self._shards: dict[str, qe.EdgeShard] = {}
        self._lock_file: IO[str] | None = None
        self._holds = 0
        self._last_used = time.monotonic()
        self._watcher: threading.Thread | None = None
        self._closed = False
        self._yield_until = 0.0
        #: :meth:`generation`: bumped each time the lock is taken (another process may have written
        #: while we did not hold it) or the shards are dropped, and per collection on each write.
        self._epoch = 0
        self._writes: dict[str, int] = {}
        EdgeStore._instances.add(self)

    # -- inter-process lock -------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        """Whether this process currently holds the store's inter-process lock."""
        return self._lock_file is not None

    def _acquire(self) -> None:
        """Take the inter-process lock (caller holds ``_mu``), waiting up to ``lock_timeout_s``."""
        if self._closed:
            raise TransientError(f"vector store {self.root} is closed")
        if self._lock_file is not None:
            return
        pause = self._yield_until - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # we just handed the lock to a waiter: let it take it before we retry
        handle = open(self.root / ".lock", "a+")  # noqa: SIM115 - kept open while the lock is held
        deadline = time.monotonic() + self.lock_timeout_s
        waiting: IO[str] | None = None
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if waiting is None:
                        waiting = open(self.root / ".waiters", "a+")  # noqa: SIM115
                        fcntl.flock(waiting, fcntl.LOCK_SH)
                    if time.monotonic() >= deadline:
                        handle.seek(0)
                        holder = handle.read().strip() or "unknown"
                        raise TransientError(
                            f"vector store {self.root} is in use by another process (pid {holder}) "
                            f"for more than {self.lock_timeout_s:g}s; retry later"
                        ) from None
                    time.sleep(0.02)
        except BaseException:
            handle.close()
            raise
        finally:
            if waiting is not None:
                waiting.close()
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        except OSError:
            # The pid only names the holder in other processes' timeout message ("pid unknown"
            # then); a full disk must not stop us from taking a lock we already hold.
            logger.debug("could not record the lock holder's pid in %s", self.root, exc_info=True)
        self._lock_file = handle
        self._epoch += 1
        self._last_used = time.monotonic()
        self._watcher = threading.Thread(target=self._watch, name="edge-store-lock", daemon=True)
        self._watcher.start()

    def _others_waiting(self) -> bool:
        if not self.root.exists():
            return True  # the directory was removed under us (tests' tmp dirs): let go of everything
        with open(self.root / ".waiters", "a+") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(probe, fcntl.LOCK_UN)
            return False

    def _release(self) -> None:
        """Flush and close every shard, then drop the inter-process lock (caller holds ``_mu``)."""
        for name in sorted(self._shards, key=lambda n: (n == "meta", n)):  # meta last: see _flush_dirty
            self._shards[name].flush()
            self._shards[name].close()
        self._shards.clear()
        self._dirty.clear()
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _drop_handles(self) -> None:
        self._shards.clear()
        self._dirty.clear()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _watch(self) -> None:
        """Release the lock once idle for ``linger_s`` or as soon as another process waits."""
        while True:
            time.sleep(0.05)
            with self._mu:
                if self._lock_file is None or threading.current_thread() is not self._watcher:
                    return
                if self._holds:
                    continue
                idle = time.monotonic() - self._last_used
                waiting = self._others_waiting()
                if waiting or idle >= self.linger_s:
                    if waiting:
                        self._yield_until = time.monotonic() + 0.1
                    try:
                        self._release()
                    except Exception:
                        # No caller to raise to in this thread: log, and drop the handles so the
                        # lock is not held forever (every acknowledged write is in its shard's write-ahead log).
                        logger.exception("closing the vector store at %s failed", self.root)
                        self._drop_handles()
                    return

    @contextlib.contextmanager
    def _faults(self) -> Iterator[None]:
        """Turn the engine or the OS failing into one ``TransientError`` line (caller holds ``_mu``).

        The shards are dropped, never reused: an engine that failed mid-write may hold a state
        its files do not; the next operation reloads them from disk (WAL replay).
        """
        try:
            yield
        except Exception as exc:
            if not _engine_failure(exc):
                raise
            self._discard_shards()
            raise TransientError(f"vector store {self.root} failed: {one_line(exc)}") from exc

    def _discard_shards(self) -> None:
        for name, shard in list(self._shards.items()):
            try:
                shard.close()
            except Exception:  # already failing: dropping the handle releases its files anyway
                logger.debug("closing shard %s after a failure failed", name, exc_info=True)
        self._shards.clear()
        self._dirty.clear()
        self._epoch += 1

    def _check_space(self, points: int = 0, dim: int = 0) -> None:
        """Refuse a write that would leave less than ``min_free_bytes`` free (caller holds ``_mu``).

        Checked before the write because the engine cannot report a full disk: it writes through
        memory maps, and a page that cannot be backed kills the process with SIGBUS.
        """
        if self.min_free_bytes <= 0:
            return
        stat = os.statvfs(self.root)
        free = stat.f_bavail * stat.f_frsize
        # WAL record + segment copy + index entries, with room for a large payload per point.
        need = self.min_free_bytes + points * (dim * 4 * 3 + 8192)
        if free < need:
            raise TransientError(
                f"vector store {self.root}: only {free / _MIB:.0f} MiB free on its disk, "
                f"{need / _MIB:.0f} MiB needed to write safely; free some space and retry"
            )

    @contextlib.contextmanager
    def _op(self, *, write: bool = False, points: int = 0, dim: int = 0) -> Iterator[None]:
        with self._mu, self._faults():
            self._acquire()
            if write:
                self._check_space(points, dim)
            try:
                yield
            finally:
                self._last_used = time.monotonic()

    @contextlib.contextmanager
    def deferred_flush(self) -> Iterator[None]:
        """Let writes skip their flush for the block (at most ``flush_interval_s``); flush on exit.

        Each shard flush waits for the disk (~0.2 s here) while holding the GIL, so an ingest that
        flushed its three writes per batch stalled the embedder thread for that long each time.
        Every write is still in the shard's write-ahead log when :meth:`upsert` returns, and a
        killed process's log is replayed on the next open, so what was acknowledged survives a kill
        (tested by the ingest resume tests); a power cut may lose the last interval's writes.
        """
        with self._mu:
            if not self._deferring:
                self._flushed_at = time.monotonic()
            self._deferring += 1
        try:
            yield
        finally:
            with self._mu:
                self._deferring -= 1
                if not self._deferring:
                    self._flush_dirty()

    def _flush_dirty(self) -> None:
        """Flush every shard written since its last flush (caller holds ``_mu``).

        The ``meta`` shard (which holds an ingest batch's redo record) is flushed last: on a power cut
        between two flushes, a batch's signals and claims reach the disk before its redo record is
        seen deleted, so a half-persisted batch still has the record that finishes it.
        """
        with self._faults():
            for name in sorted(self._dirty, key=lambda n: (n == "meta", n)):
                shard = self._shards.get(name)
                if shard is not None:
                    shard.flush()
            self._dirty.clear()
            self._flushed_at = time.monotonic()

    def _written(self, collection: str) -> None:
        """Flush after a write, unless flushes are deferred and the last one is recent (caller holds ``_mu``)."""
        self._dirty.add(collection)
        if not self._deferring or time.monotonic() - self._flushed_at >= self.flush_interval_s:
            self._flush_dirty()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Keep the inter-process lock for the whole block (e.g. a forget cascade)."""
        with self._mu, self._faults():
            self._acquire()
            self._holds += 1
        try:
            yield
        finally:
            with self._mu:
                self._holds -= 1
                self._last_used = time.monotonic()

    # -- shards -------------------------------------------------------------------------------

    def _path(self, collection: str) -> Path:
        if not collection or "/" in collection or collection.startswith("."):
            raise InputError(f"invalid collection name {collection!r}")
        return self.root / collection

    def _shard(self, collection: str) -> qe.EdgeShard:
        shard = self._shards.get(collection)
        if shard is None:
            path = self._path(collection)
            if not (path / _CONFIG_FILE).exists():
                raise InputError(f"collection {collection!r} does not exist")
            shard = qe.EdgeShard.load(str(path))
            self._shards[collection] = shard
        return shard

    def has_collection(self, collection: str) -> bool:
        """Whether the collection's shard exists on disk."""
        return (self._path(collection) / _CONFIG_FILE).exists()

    def collections(self) -> list[str]:
        """Every shard directory under ``root``."""
        return sorted(p.name for p in self.root.iterdir() if (p / _CONFIG_FILE).exists())

    def ensure_collection(self, spec: CollectionSpec) -> None:
        """Create the shard with dense (cosine) and sparse (IDF) vectors and payload indexes.

        Writes (and needs free space) only when something is missing, so opening an existing
        store on a full disk still serves reads.
        """
        with self._op():
            path = self._path(spec.name)
            if (path / _CONFIG_FILE).exists():
                dim = self._stored_dim(path)
                if dim is not None and dim != spec.dim:
                    raise InputError(f"collection {spec.name!r} holds {dim}-d vectors, not {spec.dim}-d")
                shard = self._shard(spec.name)
                have = set(shard.info().payload_schema)
                created = False
            else:
                self._check_space()
                if path.exists():
                    shutil.rmtree(path)  # a half-created shard from a crash holds no data
                sparse = {SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)} if spec.sparse else None
                config = qe.EdgeConfig(
                    vectors={DENSE: qe.EdgeVectorParams(size=spec.dim, distance=qe.Distance.Cosine)},
                    sparse_vectors=sparse,
                )
                shard = qe.EdgeShard.create(str(path), config)
                self._shards[spec.name] = shard
                have, created = set(), True
            keyword = [name for name in spec.keyword_fields if name not in have]
            ranges = [name for name in spec.range_fields if name not in have]
            if not created and not keyword and not ranges:
                return
            if not created:
                self._check_space()
            for name in keyword:
                params = qe.KeywordIndexParams(is_tenant=name == spec.tenant_field or None)
                shard.update(qe.UpdateOperation.create_field_index(name, params))
            for name in ranges:
                shard.update(qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Float))
            shard.flush()

    @staticmethod
    def _stored_dim(path: Path) -> int | None:
        try:
            config = json.loads((path / _CONFIG_FILE).read_text())
            return int(config["vectors"][DENSE]["size"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    # -- writes -------------------------------------------------------------------------------

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        """Insert or replace points in batches, flushing once at the end (one durable batch).

        Inside :meth:`deferred_flush` the flush may wait (the points are in the write-ahead log).
        """
        if not points:
            return
        with self._op(write=True, points=len(points), dim=len(points[0].vector)):
            shard = self._shard(collection)
            self._writes[collection] = self._writes.get(collection, 0) + 1
            for start in range(0, len(points), _UPSERT_BATCH):
                batch = []
                for p in points[start : start + _UPSERT_BATCH]:
                    dense = p.vector if type(p.vector) is list else [float(x) for x in p.vector]
                    vector: dict[str, Any] = {DENSE: dense}
                    if p.sparse is not None and p.sparse.indices:
                        vector[SPARSE] = qe.SparseVector(list(p.sparse.indices), list(p.sparse.values))
                    batch.append(qe.Point(p.id, vector, p.payload))
                shard.update(qe.UpdateOperation.upsert_points(batch))
            self._written(collection)

    def delete(self, collection: str, flt: Filter) -> int:
        """Delete matching points; returns how many there were."""
        with self._op():
            shard = self._shard(collection)
            edge_filter = to_edge_filter(flt)
            n = shard.count(qe.CountRequest(exact=True, filter=edge_filter))
            if n:
                self._check_space()
                self._writes[collection] = self._writes.get(collection, 0) + 1
                if edge_filter is None:
                    ids = [r.id for r in self.scroll(collection, flt)]
                    shard.update(qe.UpdateOperation.delete_points(ids))
                else:
                    shard.update(qe.UpdateOperation.delete_points_by_filter(edge_filter))
                shard.flush()
            return int(n)

    def delete_ids(self, collection: str, ids: Sequence[str]) -> None:
        """Delete points by id."""
        if not ids:
            return
        with self._op(write=True):
            shard = self._shard(collection)
            self._writes[collection] = self._writes.get(collection, 0) + 1
            shard.update(qe.UpdateOperation.delete_points(list(ids)))
            self._written(collection)

    def optimize(self, collection: str) -> None:
        """Merge segments and build the HNSW / payload indexes (blocking)."""
        with self._op(write=True):
            self._shard(collection).optimize()

    # -- reads --------------------------------------------------------------------------------

    def generation(self, collection: str) -> tuple[int, int] | None:
        """(lock epoch, writes to ``collection`` through this store): changes whenever the collection may have.

        Taken with the lock held (taken here if it was let go, which starts a new epoch): no other process
        writes while it is held, and this process's writes all count.
        """
        with self._op():
            return (self._epoch, self._writes.get(collection, 0))

    def retrieve(self, collection: str, ids: Sequence[str], with_vectors: bool = False) -> list[Record]:
        """Points by id, in the order asked; missing ids are skipped."""
        if not ids:
            return []
        with self._op():
            found = self._shard(collection).retrieve(list(ids), with_payload=True, with_vector=with_vectors)
        by_id = {str(p.id): _record(p, with_vectors) for p in found}
        return [by_id[i] for i in ids if i in by_id]

    def search(
        self,
        collection: str,
        vector: Sequence[float] | None,
        flt: Filter,
        limit: int,
        sparse: SparseVector | None = None,
    ) -> list[Record]:
        """Dense, sparse, or both fused natively with reciprocal rank fusion (k=60)."""
        edge_filter = to_edge_filter(flt)
        queries: list[Any] = []
        if vector is not None:
            queries.append(qe.Query.Nearest([float(x) for x in vector], using=DENSE))
        if sparse is not None and sparse.indices:
            queries.append(qe.Query.Nearest(qe.SparseVector(sparse.indices, sparse.values), using=SPARSE))
        if not queries:
            return []
        if len(queries) == 1:
            request = qe.QueryRequest(limit=limit, query=queries[0], filter=edge_filter, with_payload=True)
        else:
            depth = max(limit * 4, 50)
            request = qe.QueryRequest(
                limit=limit,
                prefetches=[qe.Prefetch(limit=depth, query=q, filter=edge_filter) for q in queries],
                query=qe.Fusion.Rrf(k=RRF_K),
                filter=edge_filter,
                with_payload=True,
            )
        with self._op():
            found = self._shard(collection).query(request)
        return [_record(p, False, p.score) for p in found]

    def search_many(
        self, collection: str, queries: Sequence[tuple[Sequence[float], Filter]], limit: int,
        fields: Sequence[str] | None = None,
    ) -> list[list[Record]]:
        """Dense searches as one engine call (``query_batch``): one result list per (vector, filter), in order.

        ``fields``: only these payload keys are returned (converting whole payloads was half the cost
        of an ingest's claim searches, which read only the ids and the workspace).
        """
        if not queries:
            return []
        with_payload: Any = True if fields is None else qe.PayloadSelector.Include(list(fields))
        requests = [
            qe.QueryRequest(limit=limit, query=qe.Query.Nearest(list(vector), using=DENSE),
                            filter=to_edge_filter(flt), with_payload=with_payload)
            for vector, flt in queries
        ]
        with self._op():
            found = self._shard(collection).query_batch(qe.QueryBatchRequest(requests))
        return [[_record(p, False, p.score) for p in points] for points in found]

    def scroll(self, collection: str, flt: Filter, batch: int = 512, with_vectors: bool = False) -> Iterator[Record]:
        """Every matching point, one locked batch at a time."""
        edge_filter = to_edge_filter(flt)
        offset: Any = None
        while True:
            request = qe.ScrollRequest(
                offset=offset, limit=batch, filter=edge_filter, with_payload=True, with_vector=with_vectors
            )
            with self._op():
                records, offset = self._shard(collection).scroll(request)
            for point in records:
                yield _record(point, with_vectors)
            if offset is None:
                return

    def count(self, collection: str, flt: Filter) -> int:
        """Exact number of matching points."""
        with self._op():
            return int(self._shard(collection).count(qe.CountRequest(exact=True, filter=to_edge_filter(flt))))

    def facet(self, collection: str, key: str, flt: Filter, limit: int = 100_000) -> dict[Scalar, int]:
        """Distinct values of ``key`` with counts (exact)."""
        request = qe.FacetRequest(key=key, limit=limit, exact=True, filter=to_edge_filter(flt))
        with self._op():
            response = self._shard(collection).facet(request)
        return {hit.value: int(hit.count) for hit in response.hits}

    # -- lifecycle ----------------------------------------------------------------------------

    def flush(self) -> None:
        """Persist pending writes of every open shard."""
        with self._mu, self._faults():
            for shard in self._shards.values():
                shard.flush()
            self._dirty.clear()
            self._flushed_at = time.monotonic()

    def close(self) -> None:
        """Flush, close every shard and release the inter-process lock (released even if flushing fails)."""
        with self._mu:
            self._closed = True
            try:
                with self._faults():
                    self._release()
            finally:
                self._drop_handles()

    def _forget_after_fork(self) -> None:
        """In a forked child: drop (never close) the parent's shards and lock handle."""
        self._mu = threading.RLock()
        self._epoch += 1
        self._orphans = list(self._shards.values())
        self._shards = {}
        self._lock_file = None
        self._watcher = None
        self._holds = 0


def _after_fork_in_child() -> None:
    for store in list(EdgeStore._instances):
        store._forget_after_fork()


def _close_all_at_exit() -> None:
    """Close shards cleanly at interpreter exit (each write was already flushed)."""
    for store in list(EdgeStore._instances):
        if not store._closed:
            try:
                store.close()
            except Exception as exc:  # nobody to report to at exit; the data was flushed by each write
                logger.warning("could not close the vector store at %s at exit: %s", store.root, exc)


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_close_all_at_exit)
