"""The one small storage interface every vector-store backend implements.

Backends: the embedded Qdrant engine (``qdrant-edge-py``, default) and ``qdrant-client``
(a Qdrant server / cluster / Cloud, or ``:memory:`` in tests). The same contract test
suite (tests/unit/test_store_contract.py) runs against each. Tenant scoping is *not*
done here: it lives one layer up, in :mod:`memory.repository`, which every caller goes through.

Failures of the store itself (unreachable server, engine I/O error, full disk, lock held too long)
surface from every backend as a one-line :class:`~kernel.errors.TransientError` naming the store
(:class:`~kernel.errors.ConfigError` for an unusable location); anything else is a bug.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Match:
    """``payload[key] == value`` (or ``in values`` when ``any_of`` is given)."""

    key: str
    value: Scalar | None = None
    any_of: tuple[Scalar, ...] | None = None


@dataclass(frozen=True)
class Range:
    """``gte <= payload[key] <= lte`` on a numeric field (timestamps are stored as epoch seconds)."""

    key: str
    gte: float | None = None
    lte: float | None = None


Condition = Match | Range


@dataclass(frozen=True)
class Filter:
    """Conjunction of conditions, with optional exclusions."""

    must: tuple[Condition, ...] = ()
    must_not: tuple[Condition, ...] = ()

    def and_(self, *conditions: Condition) -> Filter:
        """A new filter with more required conditions."""
        return Filter(must=self.must + tuple(conditions), must_not=self.must_not)


@dataclass
class SparseVector:
    """A sparse (BM25-style) vector: term ids and weights."""

    indices: list[int]
    values: list[float]


@dataclass
class Point:
    """A point to upsert."""

    id: str
    vector: Sequence[float]
    payload: dict[str, Any]
    sparse: SparseVector | None = None


@dataclass
class Record:
    """A stored point (vector only when asked for)."""

    id: str
    payload: dict[str, Any]
    vector: list[float] | None = None
    score: float = 0.0


@dataclass(frozen=True)
class CollectionSpec:
    """Shape of a collection: vector size, payload indexes and the tenant field."""

    name: str
    dim: int
    keyword_fields: tuple[str, ...] = ()
    range_fields: tuple[str, ...] = ()
    tenant_field: str = "workspace"
    sparse: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class VectorStore(ABC):
    """Minimal vector-store API used by :mod:`memory.repository`."""

    @abstractmethod
    def ensure_collection(self, spec: CollectionSpec) -> None:
        """Create the collection and its payload indexes if missing (idempotent)."""

    @abstractmethod
    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        """Insert or replace points by id."""

    @abstractmethod
    def retrieve(self, collection: str, ids: Sequence[str], with_vectors: bool = False) -> list[Record]:
        """Points by id (missing ids are skipped)."""

    @abstractmethod
    def delete(self, collection: str, flt: Filter) -> int:
        """Delete every point matching ``flt``; return how many were deleted."""

    @abstractmethod
    def delete_ids(self, collection: str, ids: Sequence[str]) -> None:
        """Delete points by id."""

    @abstractmethod
    def search(
        self,
        collection: str,
        vector: Sequence[float] | None,
        flt: Filter,
        limit: int,
        sparse: SparseVector | None = None,
    ) -> list[Record]:
        """Top-``limit`` points matching ``flt``.

        Dense only, sparse only, or both fused with reciprocal rank fusion when both are given.
        """

    def search_many(
        self, collection: str, queries: Sequence[tuple[Sequence[float], Filter]], limit: int,
        fields: Sequence[str] | None = None,
    ) -> list[list[Record]]:
        """Dense :meth:`search` of several (vector, filter) pairs: one result list per pair, in order.

        Backends run them as one batch (one engine call, one request); this default runs them one by one.
        ``fields``: the payload keys the caller reads (a backend may return only those; None: all).
        """
        return [self.search(collection, vector, flt, limit) for vector, flt in queries]

    def generation(self, collection: str) -> tuple[int, int] | None:
        """A value that changes whenever ``collection`` may have changed (None: not tracked, never cache).

        A backend that tracks it returns a different value after any write or delete to the collection
        through it and whenever another process may have written in between (its lock was taken again).
        """
        return None

    @abstractmethod
    def scroll(
        self, collection: str, flt: Filter, batch: int = 512, with_vectors: bool = False
    ) -> Iterator[Record]:
        """Every point matching ``flt``."""

    @abstractmethod
    def count(self, collection: str, flt: Filter) -> int:
        """Number of points matching ``flt``."""

    @abstractmethod
    def has_collection(self, collection: str) -> bool:
        """Whether the collection exists."""

    @abstractmethod
    def collections(self) -> list[str]:
        """Names of every existing collection."""

    @abstractmethod
    def facet(self, collection: str, key: str, flt: Filter, limit: int = 100_000) -> dict[Scalar, int]:
        """Distinct values of a keyword field among points matching ``flt``, with their counts."""

    def hold(self) -> contextlib.AbstractContextManager[None]:
        """Keep exclusive access across several operations (a multi-collection cascade).

        A no-op for server backends; the embedded backend keeps its inter-process lock.
        """
        return contextlib.nullcontext()

    def deferred_flush(self) -> contextlib.AbstractContextManager[None]:
        """Within the block, writes may persist their segments later (a long ingest); flushed on exit.

        A no-op for server backends. The embedded backend still logs every write to its write-ahead
        log before returning, so a killed process loses nothing acknowledged (the next open replays
        the log); it flushes at most every ``flush_interval_s`` and when the block ends.
        """
        return contextlib.nullcontext()

    def optimize(self, collection: str) -> None:  # noqa: B027 - optional hook
        """Build indexes / merge segments after a large write (embedded backend)."""

    def flush(self) -> None:  # noqa: B027 - optional hook, a no-op for server backends
        """Persist pending writes (embedded backends)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""
