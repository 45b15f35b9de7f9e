"""The data-access layer of user memory: every read and write is scoped to one workspace here.

Callers get a :class:`WorkspaceMemory` for a validated workspace name and can only pass
typed filters (user, account, segment, kind, signal type, time range); the workspace
condition is added by this module to every query, so no caller can forget it or override it.

Collections are named per embedding model and dimension (``signals__<model>__<dim>``,
``claims__…``, ``decisions__…``) so vectors of two models are never mixed; a small ``meta``
collection holds theme snapshots.

The workspace view is assembled from parts, each in its own module: :mod:`memory.scoped` (filters,
names, ids), :mod:`memory.claim_store`, :mod:`memory.batches` (ingest writes and the redo record),
:mod:`memory.snapshots` (themes, decisions) and :mod:`memory.erasure`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from kernel.errors import InputError
from kernel.schemas import SearchHit, Signal, SignalKind, SignalType, Stats
from kernel.settings import Settings, get_settings
from memory.embeddings import Embedder, get_embedder
from memory.erasure import Erasure
from memory.scoped import (
    META,
    SUBJECT_TYPES,
    THEME_HISTORY_KEEP,
    FilterValue,
    _check_limit,
    _chunks,
    _is_uuid,
    claim_id,
    model_slug,
    validate_workspace,
)
from memory.sparse import query_sparse
from memory.store import open_store
from memory.store.base import CollectionSpec, Filter, Record, VectorStore

__all__ = [
    "META",
    "SUBJECT_TYPES",
    "THEME_HISTORY_KEEP",
    "FilterValue",
    "MemoryStore",
    "WorkspaceMemory",
    "claim_id",
    "get_memory",
    "model_slug",
    "reset_memory",
    "validate_workspace",
]


class MemoryStore:
    """Owns the vector-store backend and the embedder; hands out workspace-scoped views."""

    def __init__(self, store: VectorStore, embedder: Embedder) -> None:
        """Wrap an opened backend and an embedder (collections are created on first use)."""
        self.store = store
        self.embedder = embedder
        self._lock = threading.RLock()
        self._ready = False

    @classmethod
    def open(cls, settings: Settings | None = None) -> MemoryStore:
        """The configured backend (server or embedded) with the configured embedder."""
        settings = settings or get_settings()
        if not settings.qdrant_url:
            settings.ensure_home()
        return cls(open_store(settings), get_embedder(settings))

    @property
    def suffix(self) -> str:
        """``<model-slug>__<dim>``: the part of collection names tied to the embedder."""
        return f"{model_slug(self.embedder.name)}__{self.embedder.dim}"

    @property
    def signals(self) -> str:
        """Signals collection of the current embedder."""
        return f"signals__{self.suffix}"

    @property
    def claims(self) -> str:
        """Profile claims collection of the current embedder."""
        return f"claims__{self.suffix}"

    @property
    def decisions(self) -> str:
        """Decision log collection of the current embedder."""
        return f"decisions__{self.suffix}"

    def ensure(self) -> None:
        """Create the collections and payload indexes once per process."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            dim = self.embedder.dim
            self.store.ensure_collection(
                CollectionSpec(
                    name=self.signals,
                    dim=dim,
                    keyword_fields=(
                        "workspace",
                        "user_id",
                        "account_id",
                        "segment",
                        "kind",
                        "signal_type",
                        "source",
                        "external_id",
                    ),
                    range_fields=("created_ts",),
                )
            )
            self.store.ensure_collection(
                CollectionSpec(
                    name=self.claims,
                    dim=dim,
                    keyword_fields=(
                        "workspace",
                        "subject_type",
                        "subject",
                        "type",
                        "status",
                        "evidence",
                        "contradicted_by",
                    ),
                    range_fields=("last_seen_ts",),
                )
            )
            self.store.ensure_collection(
                CollectionSpec(
                    name=self.decisions,
                    dim=dim,
                    keyword_fields=("workspace", "run_id", "citations"),
                    range_fields=("created_ts",),
                )
            )
            self.store.ensure_collection(
                CollectionSpec(
                    name=META, dim=1, keyword_fields=("workspace", "doc"), range_fields=("created_ts",), sparse=False
                )
            )
            self._ready = True

    def all_collections(self, prefix: str) -> list[str]:
        """Every collection of one kind, for every embedding model ever used (for erasure)."""
        return [c for c in self.store.collections() if c.startswith(prefix + "__")]

    def workspace(self, name: str) -> WorkspaceMemory:
        """The memory of one workspace (the name is validated)."""
        return WorkspaceMemory(self, validate_workspace(name))

    def workspaces(self) -> list[str]:
        """Names of the workspaces holding signals or claims."""
        self.ensure()
        names: set[str] = set()
        for collection in (self.signals, self.claims):
            names.update(str(v) for v in self.store.facet(collection, "workspace", Filter()))
        return sorted(names)

    def optimize(self) -> None:
        """Build the signals collection's HNSW index (embedded store; slow, so never implicit).

        Measured at 100k points (docs/storage.md): 2.5x faster workspace-wide search, no gain for
        selective (user-filtered) queries, about 200 s of CPU on two cores.
        """
        self.ensure()
        with self._lock:
            self.store.optimize(self.signals)

    def close(self) -> None:
        """Flush and release the backend."""
        with self._lock:
            self.store.close()


class WorkspaceMemory(Erasure):
    """Signals, claims, theme snapshots and decisions of one workspace; nothing else is reachable."""

    # -- signals (reads) ----------------------------------------------------------------------

    def get_signals(self, ids: Sequence[str]) -> list[Signal]:
        """Signals by id, in the order given; unknown ids and other workspaces' ids are skipped."""
        wanted = [i for i in dict.fromkeys(ids) if _is_uuid(i)]
        out: list[Signal] = []
        for chunk in _chunks(wanted, 1024):
            out.extend(
                Signal.model_validate(r.payload)
                for r in self._own(self._store.retrieve(self._memory.signals, list(chunk)))
            )
        return out

    def search(
        self,
        query: str,
        *,
        user_id: FilterValue = None,
        account_id: FilterValue = None,
        segment: FilterValue = None,
        kind: FilterValue = None,
        signal_type: FilterValue = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 10,
    ) -> list[SearchHit]:
        """Hybrid search: dense (semantic) and sparse (keyword) rankings fused with RRF."""
        if not query or not query.strip():
            raise InputError("search query is empty")
        _check_limit(limit)
        flt = self._signal_filter(user_id, account_id, segment, kind, signal_type, since, until)
        vector = self.embedder.embed_query(query)
        records = self._store.search(self._memory.signals, vector.tolist(), flt, limit, sparse=query_sparse(query))
        return [_hit(r) for r in self._own(records)]

    def signal_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored dense vectors of signals of this workspace, by id (unknown ids are skipped)."""
        wanted = [i for i in dict.fromkeys(ids) if _is_uuid(i)]
        found: dict[str, np.ndarray] = {}
        for chunk in _chunks(wanted, 1024):
            for record in self._own(self._store.retrieve(self._memory.signals, list(chunk), with_vectors=True)):
                if record.vector:
                    found[record.id] = np.asarray(record.vector, dtype=np.float32)
        return found

    def sample_signals(self, limit: int = 512) -> tuple[list[str], np.ndarray]:
        """Texts and dense vectors of up to ``limit`` signals: a background sample of the workspace.

        Points are scrolled in id order; ids are content hashes, so the first ``limit`` are an
        unbiased sample (the same one while the workspace is unchanged).
        """
        _check_limit(limit)
        texts: list[str] = []
        vectors: list[list[float]] = []
        for record in self._store.scroll(self._memory.signals, self._tenant(), batch=limit, with_vectors=True):
            if record.payload.get("workspace") != self.workspace or not record.vector:
                continue
            texts.append(str(record.payload.get("text") or ""))
            vectors.append(record.vector)
            if len(texts) >= limit:
                break
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), self.embedder.dim)
        return texts, matrix

    def search_vector(
        self,
        vector: np.ndarray,
        *,
        user_id: FilterValue = None,
        account_id: FilterValue = None,
        segment: FilterValue = None,
        kind: FilterValue = None,
        signal_type: FilterValue = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 10,
    ) -> list[tuple[Signal, float]]:
        """Nearest signals to a dense vector (cosine similarity), with the same filters."""
        _check_limit(limit)
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.embedder.dim:
            raise InputError(f"query vector has dimension {query.shape[0]}, expected {self.embedder.dim}")
        flt = self._signal_filter(user_id, account_id, segment, kind, signal_type, since, until)
        records = self._store.search(self._memory.signals, query.tolist(), flt, limit)
        return [(Signal.model_validate(r.payload), r.score) for r in self._own(records)]

    def iter_signals(
        self,
        *,
        user_id: FilterValue = None,
        account_id: FilterValue = None,
        segment: FilterValue = None,
        kind: FilterValue = None,
        signal_type: FilterValue = None,
        since: datetime | None = None,
        until: datetime | None = None,
        with_vectors: bool = False,
    ) -> Iterator[tuple[Signal, np.ndarray | None]]:
        """Every matching signal (and its dense vector when asked), in storage order."""
        flt = self._signal_filter(user_id, account_id, segment, kind, signal_type, since, until)
        for record in self._store.scroll(self._memory.signals, flt, with_vectors=with_vectors):
            if record.payload.get("workspace") != self.workspace:
                continue
            vector = np.asarray(record.vector, dtype=np.float32) if with_vectors and record.vector else None
            yield Signal.model_validate(record.payload), vector

    def count(
        self,
        *,
        user_id: FilterValue = None,
        account_id: FilterValue = None,
        segment: FilterValue = None,
        kind: FilterValue = None,
        signal_type: FilterValue = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """Number of matching signals."""
        flt = self._signal_filter(user_id, account_id, segment, kind, signal_type, since, until)
        return self._store.count(self._memory.signals, flt)

    def stats(self) -> Stats:
        """Signals, distinct users and accounts, signals per kind and themes in the latest snapshot."""
        flt = self._tenant()
        collection = self._memory.signals
        sources = {str(k): v for k, v in sorted(self._store.facet(collection, "kind", flt).items())}
        themes = self.load_themes()
        return Stats(
            workspace=self.workspace,
            signals=self._store.count(collection, flt),
            users=len(self._store.facet(collection, "user_id", flt)),
            accounts=len(self._store.facet(collection, "account_id", flt)),
            themes=len(themes.themes) if themes else 0,
            sources=sources,
        )


def _hit(record: Record) -> SearchHit:
    p = record.payload
    return SearchHit(
        signal_id=record.id,
        external_id=str(p["external_id"]),
        score=record.score,
        text=str(p["text"]),
        source=str(p["source"]),
        kind=SignalKind(p["kind"]),
        user_id=p.get("user_id"),
        account_id=p.get("account_id"),
        created_at=p["created_at"],
        segment=p.get("segment"),
        signal_type=SignalType(p["signal_type"]) if p.get("signal_type") else None,
    )


_MEMORY: MemoryStore | None = None
_MEMORY_KEY: tuple[Any, ...] | None = None
_MEMORY_LOCK = threading.Lock()


def _settings_key(settings: Settings) -> tuple[Any, ...]:
    return (
        settings.qdrant_url,
        str(settings.store_dir),
        settings.embeddings,
        settings.embedding_model if settings.embeddings == "openai" else None,
        settings.embedding_base_url or settings.openai_base_url if settings.embeddings == "openai" else None,
    )


def get_memory() -> MemoryStore:
    """The process-wide memory for the current settings (reopened if the settings changed)."""
    global _MEMORY, _MEMORY_KEY
    settings = get_settings()
    key = _settings_key(settings)
    with _MEMORY_LOCK:
        if _MEMORY is None or key != _MEMORY_KEY:
            if _MEMORY is not None:
                _MEMORY.close()
            _MEMORY = MemoryStore.open(settings)
            _MEMORY_KEY = key
        return _MEMORY


def reset_memory() -> None:
    """Close and forget the process-wide memory (tests, or after changing settings)."""
    global _MEMORY, _MEMORY_KEY
    with _MEMORY_LOCK:
        if _MEMORY is not None:
            _MEMORY.close()
        _MEMORY = None
        _MEMORY_KEY = None
