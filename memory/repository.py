"""The data-access layer of user memory: every read and write is scoped to one workspace here.

Callers get a :class:`WorkspaceMemory` for a validated workspace name and can only pass
typed filters (user, account, segment, kind, signal type, time range); the workspace
condition is added by this module to every query, so no caller can forget it or override it.

Collections are named per embedding model and dimension (``signals__<model>__<dim>``,
``claims__…``, ``decisions__…``) so vectors of two models are never mixed; a small ``meta``
collection holds theme snapshots.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import numpy as np

from kernel.errors import InputError
from kernel.schemas import (
    ID_NAMESPACE,
    Claim,
    ForgetReceipt,
    SearchHit,
    Signal,
    SignalKind,
    SignalType,
    Stats,
    ThemeReport,
    utcnow,
)
from kernel.settings import Settings, get_settings
from memory.embeddings import Embedder, get_embedder
from memory.sparse import doc_sparse, query_sparse
from memory.store import open_store
from memory.store.base import CollectionSpec, Condition, Filter, Match, Point, Range, Record, VectorStore

_WORKSPACE_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
SUBJECT_TYPES = ("user", "account", "segment")
META = "meta"
#: Theme snapshots kept per workspace (older ones are pruned on save).
THEME_HISTORY_KEEP = 50
_CHUNK = 256

FilterValue = str | Enum | Sequence[str | Enum] | None


def validate_workspace(name: str) -> str:
    """Return ``name`` if it is a valid workspace name, else raise InputError."""
    if not isinstance(name, str) or not _WORKSPACE_RE.fullmatch(name):
        raise InputError(f"invalid workspace name {name!r}: use 1-64 letters, digits, '_', '.' or '-'")
    return name


def model_slug(name: str) -> str:
    """Collection-safe slug of an embedding model name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:48] or "model"


def claim_id(workspace: str, subject_type: str, subject: str, claim_type: str, text: str) -> str:
    """Deterministic id of a claim: same subject, type and (normalised) text → same point."""
    norm = " ".join(text.lower().split())
    key = f"claim\x1f{workspace}\x1f{subject_type}\x1f{subject}\x1f{claim_type}\x1f{norm}"
    return str(uuid.uuid5(ID_NAMESPACE, key))


def _epoch(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _plain(value: str | Enum) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def _match(key: str, value: FilterValue) -> Condition | None:
    if value is None:
        return None
    if isinstance(value, str | Enum):
        return Match(key, _plain(value))
    values = tuple(_plain(v) for v in value)
    if not values:
        raise InputError(f"empty list given for filter {key!r}")
    return Match(key, any_of=values)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


class WorkspaceMemory:
    """Signals, claims, theme snapshots and decisions of one workspace; nothing else is reachable."""

    def __init__(self, memory: MemoryStore, workspace: str) -> None:
        """Use :meth:`MemoryStore.workspace` rather than this constructor."""
        self._memory = memory
        self._store = memory.store
        self._lock = memory._lock
        self.workspace = validate_workspace(workspace)
        self.embedder = memory.embedder
        memory.ensure()

    # -- filters ------------------------------------------------------------------------------

    def _tenant(self, *conditions: Condition | None) -> Filter:
        must: list[Condition] = [Match("workspace", self.workspace)]
        must.extend(c for c in conditions if c is not None)
        return Filter(must=tuple(must))

    def _signal_filter(
        self,
        user_id: FilterValue = None,
        account_id: FilterValue = None,
        segment: FilterValue = None,
        kind: FilterValue = None,
        signal_type: FilterValue = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Filter:
        when = None
        if since is not None or until is not None:
            when = Range(
                "created_ts",
                gte=_epoch(since) if since is not None else None,
                lte=_epoch(until) if until is not None else None,
            )
        return self._tenant(
            _match("user_id", user_id),
            _match("account_id", account_id),
            _match("segment", segment),
            _match("kind", kind),
            _match("signal_type", signal_type),
            when,
        )

    def _own(self, records: Iterable[Record]) -> list[Record]:
        """Drop any record of another workspace (ids are global; the tenant check is not)."""
        return [r for r in records if r.payload.get("workspace") == self.workspace]

    # -- signals ------------------------------------------------------------------------------

    def existing(self, ids: Sequence[str]) -> dict[str, str]:
        """Stored content hash of each of ``ids`` that is already in this workspace."""
        wanted = [i for i in dict.fromkeys(ids) if _is_uuid(i)]
        found: dict[str, str] = {}
        for chunk in _chunks(wanted, 1024):
            for record in self._own(self._store.retrieve(self._memory.signals, list(chunk))):
                found[record.id] = str(record.payload.get("content_hash", ""))
        return found

    def upsert_signals(self, signals: Sequence[Signal], vectors: np.ndarray) -> None:
        """Store signals with their dense vectors and BM25 sparse vectors (all or nothing)."""
        points = self._signal_points(signals, vectors)
        if points:
            with self._lock:
                self._store.upsert(self._memory.signals, points)

    def _signal_points(self, signals: Sequence[Signal], vectors: np.ndarray) -> list[Point]:
        matrix = np.asarray(vectors, dtype=np.float32)
        if len(signals) == 0:
            return []
        if matrix.ndim != 2 or matrix.shape[0] != len(signals) or matrix.shape[1] != self.embedder.dim:
            raise InputError(
                f"expected {len(signals)} vectors of dimension {self.embedder.dim}, got shape {matrix.shape}"
            )
        points: list[Point] = []
        for signal, vector in zip(signals, matrix, strict=True):
            if signal.workspace != self.workspace:
                raise InputError(
                    f"signal {signal.id} belongs to workspace {signal.workspace!r}, not {self.workspace!r}"
                )
            if not _is_uuid(signal.id):
                raise InputError(f"signal id {signal.id!r} is not a UUID (use kernel.schemas.signal_id)")
            payload = signal.model_dump(mode="json")
            payload["created_ts"] = _epoch(signal.created_at)
            points.append(Point(id=signal.id, vector=vector.tolist(), payload=payload, sparse=doc_sparse(signal.text)))
        return points

    # -- ingest batches -----------------------------------------------------------------------

    def commit_batch(
        self,
        signals: Sequence[Signal],
        signal_vectors: np.ndarray,
        claims: Sequence[tuple[str, str, Claim]],
        claim_vectors: Sequence[np.ndarray],
    ) -> None:
        """Store one ingest batch — its signals and the profile claims they changed — as one unit.

        Neither backend writes two collections atomically, nor even one large upsert (the embedded
        engine applies it in 512-point operations, the server client sends 256-point requests), so
        a process killed mid-batch could leave some claims updated and others not, or the signals
        stored without their claims (a re-run then sees duplicates and never rebuilds them). So
        the batch's final points are first written as one redo record (a single point in ``meta``,
        one write), then the claims, then the signals. :meth:`recover` replays a record whose
        signals are not all stored; replaying is idempotent (the same final points are written).
        The store is held for the whole write, so another process never sees a batch half-written
        nor replays a batch that is still being written.
        """
        signal_points = self._signal_points(signals, signal_vectors)
        claim_points = self._claim_points(claims, claim_vectors)
        if not signal_points and not claim_points:
            return
        record = {
            "workspace": self.workspace,
            "doc": _JOURNAL_DOC,
            "created_ts": utcnow().timestamp(),
            "signals": [_journal_entry(p) for p in signal_points],
            "claims": [_journal_entry(p) for p in claim_points],
        }
        with self._lock, self._store.hold():
            self._store.upsert(META, [Point(id=self._journal_id(), vector=[1.0], payload=record)])
            self._store.upsert(self._memory.claims, claim_points)
            self._store.upsert(self._memory.signals, signal_points)

    def deferred_flush(self) -> contextlib.AbstractContextManager[None]:
        """Writes in the block may be persisted later, as :meth:`VectorStore.deferred_flush` says (an ingest)."""
        return self._store.deferred_flush()

    def _journal_id(self) -> str:
        return str(uuid.uuid5(ID_NAMESPACE, f"{_JOURNAL_DOC}\x1f{self.workspace}"))

    def recover(self) -> int:
        """Finish a batch a killed or failed ingest left half-written, and drop its redo record.

        Returns:
            The number of signals of that batch that were not stored yet (0 when nothing was pending).
        """
        with self._lock, self._store.hold():
            return self._recover_locked()

    def _recover_locked(self) -> int:
        records = self._own(self._store.retrieve(META, [self._journal_id()]))
        if not records:
            return 0
        payload = records[0].payload
        signals = [_journal_point(e) for e in payload.get("signals", [])]
        stored = self.existing([p.id for p in signals])
        missing = sum(1 for p in signals if stored.get(p.id) != p.payload.get("content_hash"))
        if missing:
            claims = [_journal_point(e) for e in payload.get("claims", [])]
            self._store.upsert(self._memory.claims, claims)
            self._store.upsert(self._memory.signals, signals)
        self._store.delete_ids(META, [records[0].id])
        return missing

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

    # -- claims -------------------------------------------------------------------------------

    def upsert_claims(
        self, claims: Sequence[tuple[str, str, Claim]], vectors: Sequence[np.ndarray] | None = None
    ) -> None:
        """Store profile claims (subject_type, subject, claim) with their dense vectors.

        A claim keeps its ``id`` when it already has a UUID one (an update of a stored claim);
        otherwise its id is derived from (workspace, subject, type, text). ``vectors`` (one per
        claim) are the vectors of the claim texts; without them the texts are embedded here.
        """
        points = self._claim_points(claims, vectors)
        if points:
            with self._lock:
                self._store.upsert(self._memory.claims, points)

    def _claim_points(
        self, claims: Sequence[tuple[str, str, Claim]], vectors: Sequence[np.ndarray] | None
    ) -> list[Point]:
        if not claims:
            return []
        if vectors is not None and len(vectors) != len(claims):
            raise InputError(f"expected {len(claims)} claim vectors, got {len(vectors)}")
        rows: list[tuple[str, str, str, Claim]] = []
        for subject_type, subject, claim in claims:
            if subject_type not in SUBJECT_TYPES:
                raise InputError(f"unknown subject type {subject_type!r}; expected user, account or segment")
            if not subject:
                raise InputError("claim subject is empty")
            if not claim.text.strip():
                raise InputError("claim text is empty")
            cid = (
                claim.id
                if _is_uuid(claim.id)
                else claim_id(self.workspace, subject_type, subject, _plain(claim.type), claim.text)
            )
            rows.append((cid, subject_type, subject, claim))
        matrix = np.asarray(
            self.embedder.embed([c.text for _, _, _, c in rows]) if vectors is None else list(vectors),
            dtype=np.float32,
        )
        if matrix.ndim != 2 or matrix.shape[1] != self.embedder.dim:
            raise InputError(f"claim vectors must have dimension {self.embedder.dim}, got shape {matrix.shape}")
        return [
            Point(id=cid, vector=vec.tolist(), payload=self._claim_payload(cid, st, subj, c), sparse=doc_sparse(c.text))
            for (cid, st, subj, c), vec in zip(rows, matrix, strict=True)
        ]

    def _claim_payload(self, cid: str, subject_type: str, subject: str, claim: Claim) -> dict[str, Any]:
        payload = claim.model_dump(mode="json")
        payload.update(
            id=cid,
            workspace=self.workspace,
            subject_type=subject_type,
            subject=subject,
            last_seen_ts=_epoch(claim.last_seen),
        )
        return payload

    def list_claims(self, subject_type: str, subject: str) -> list[Claim]:
        """Every claim about one subject, best supported and most recent first."""
        return self.claims_by_subject([(subject_type, subject)])[(subject_type, subject)]

    def claims_by_subject(self, subjects: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[Claim]]:
        """:meth:`list_claims` of many subjects at once (one query per subject type and 1,024 subjects)."""
        out: dict[tuple[str, str], list[Claim]] = {key: [] for key in subjects}
        names: dict[str, list[str]] = {}
        for subject_type, subject in out:
            names.setdefault(subject_type, []).append(subject)
        for subject_type, wanted in names.items():
            for chunk in _chunks(sorted(wanted), 1024):
                flt = self._tenant(Match("subject_type", subject_type), Match("subject", any_of=tuple(chunk)))
                for record in self._own(self._store.scroll(self._memory.claims, flt)):
                    key = (subject_type, str(record.payload.get("subject")))
                    if key in out:
                        out[key].append(Claim.model_validate(record.payload))
        for claims in out.values():
            claims.sort(key=lambda c: (-c.support, -_epoch(c.last_seen), c.id))
        return out

    def claim_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored dense vectors of claims of this workspace, by id (unknown ids are skipped)."""
        wanted = [i for i in dict.fromkeys(ids) if _is_uuid(i)]
        found: dict[str, np.ndarray] = {}
        for chunk in _chunks(wanted, 1024):
            for record in self._own(self._store.retrieve(self._memory.claims, list(chunk), with_vectors=True)):
                if record.vector:
                    found[record.id] = np.asarray(record.vector, dtype=np.float32)
        return found

    def similar_claims(
        self, subject_type: str, subject: str, text: str, limit: int = 5, *, vector: np.ndarray | None = None
    ) -> list[tuple[Claim, float]]:
        """Claims about one subject closest in meaning to ``text`` (cosine similarity).

        ``vector`` is the vector of ``text`` when the caller has it already (it is embedded otherwise).
        """
        _check_limit(limit)
        flt = self._tenant(Match("subject_type", subject_type), Match("subject", subject))
        query = self.embedder.embed_query(text) if vector is None else np.asarray(vector, dtype=np.float32)
        records = self._own(self._store.search(self._memory.claims, query.tolist(), flt, limit))
        return [(Claim.model_validate(r.payload), r.score) for r in records]

    def delete_claims(self, ids: Sequence[str]) -> None:
        """Delete claims of this workspace by id (ids of other workspaces are ignored)."""
        wanted = [i for i in dict.fromkeys(ids) if _is_uuid(i)]
        with self._lock:
            for chunk in _chunks(wanted, 1024):
                own = [r.id for r in self._own(self._store.retrieve(self._memory.claims, list(chunk)))]
                self._store.delete_ids(self._memory.claims, own)

    def iter_claims(self) -> Iterator[tuple[str, str, Claim]]:
        """Every claim of the workspace as (subject_type, subject, claim)."""
        for record in self._store.scroll(self._memory.claims, self._tenant()):
            yield (
                str(record.payload["subject_type"]),
                str(record.payload["subject"]),
                Claim.model_validate(record.payload),
            )

    # -- theme snapshots ----------------------------------------------------------------------

    def save_themes(self, report: ThemeReport) -> None:
        """Save a theme snapshot (the latest one is what ``load_themes`` returns)."""
        if report.workspace != self.workspace:
            raise InputError(f"theme report is for workspace {report.workspace!r}, not {self.workspace!r}")
        now = utcnow()
        snapshots = self._theme_records()
        created = now.timestamp()
        if snapshots and created <= float(snapshots[0].payload["created_ts"]):
            created = float(snapshots[0].payload["created_ts"]) + 1e-3  # strictly newer than the latest
        sid = str(uuid.uuid5(ID_NAMESPACE, f"themes\x1f{self.workspace}\x1f{created!r}"))
        payload = {
            "workspace": self.workspace,
            "doc": "themes",
            "created_ts": created,
            "created_at": datetime.fromtimestamp(created, UTC).isoformat(),
            "report": report.model_dump(mode="json"),
        }
        with self._lock:
            self._store.upsert(META, [Point(id=sid, vector=[1.0], payload=payload)])
            stale = [r.id for r in snapshots[THEME_HISTORY_KEEP - 1 :]]
            self._store.delete_ids(META, stale)

    def _theme_records(self) -> list[Record]:
        flt = self._tenant(Match("doc", "themes"))
        records = self._own(self._store.scroll(META, flt))
        return sorted(records, key=lambda r: -float(r.payload["created_ts"]))

    def load_themes(self) -> ThemeReport | None:
        """The latest theme snapshot, or None if themes were never saved."""
        history = self.theme_history(limit=1)
        return history[0] if history else None

    def theme_history(self, limit: int = 10) -> list[ThemeReport]:
        """Theme snapshots, newest first (for trends between analyses)."""
        return [ThemeReport.model_validate(r.payload["report"]) for r in self._theme_records()[:limit]]

    # -- decision log -------------------------------------------------------------------------

    def log_decision(
        self, run_id: str, question: str, recommendation: str, rationale: str, citations: list[str]
    ) -> None:
        """Record a decision of a run (re-logging the same run and question replaces it)."""
        if not run_id or not question.strip():
            raise InputError("a decision needs a run id and a question")
        now = utcnow()
        did = str(uuid.uuid5(ID_NAMESPACE, f"decision\x1f{self.workspace}\x1f{run_id}\x1f{question}"))
        text = f"{question}\n{recommendation}\n{rationale}"
        payload = {
            "workspace": self.workspace,
            "run_id": run_id,
            "question": question,
            "recommendation": recommendation,
            "rationale": rationale,
            "citations": list(citations),
            "created_at": now.isoformat(),
            "created_ts": now.timestamp(),
        }
        vector = self.embedder.embed_query(text)
        with self._lock:
            self._store.upsert(
                self._memory.decisions,
                [Point(id=did, vector=vector.tolist(), payload=payload, sparse=doc_sparse(text))],
            )

    def search_decisions(self, query: str, limit: int = 5) -> list[dict[str, Any]]:
        """Past decisions closest to ``query`` (hybrid search)."""
        if not query or not query.strip():
            raise InputError("search query is empty")
        _check_limit(limit)
        vector = self.embedder.embed_query(query)
        records = self._own(
            self._store.search(
                self._memory.decisions, vector.tolist(), self._tenant(), limit, sparse=query_sparse(query)
            )
        )
        keys = ("run_id", "question", "recommendation", "rationale", "citations", "created_at")
        return [{**{k: r.payload.get(k) for k in keys}, "score": r.score} for r in records]

    # -- erasure ------------------------------------------------------------------------------

    def forget_user(self, user_id: str) -> ForgetReceipt:
        """Erase a person from this workspace: signals, claims, theme snapshots, decision citations.

        Covers the collections of every embedding model ever used. The receipt is a hash over
        the workspace, the counts and the time: it holds no personal data.
        """
        if not user_id or not user_id.strip():
            raise InputError("user id is empty")
        with self._lock, self._store.hold():
            self._recover_locked()  # a pending batch must not bring the person back when replayed later
            deleted = self._delete_user_signals(user_id)
            deleted_claims = self._scrub_claims(user_id, deleted)
            self._scrub_themes(deleted)
            self._scrub_decisions(deleted)
        at = utcnow().isoformat()
        digest = hashlib.sha256(
            json.dumps(
                {
                    "workspace": self.workspace,
                    "deleted_signals": len(deleted),
                    "deleted_claims": deleted_claims,
                    "at": at,
                },
                sort_keys=True,
            ).encode()
        ).hexdigest()
        return ForgetReceipt(deleted_signals=len(deleted), deleted_claims=deleted_claims, receipt=f"sha256:{digest}")

    def expire(self, older_than: datetime, kind: FilterValue = None) -> int:
        """Delete signals created at or before ``older_than`` (optionally of some kinds); retention.

        Every reference goes with them, as in :meth:`forget_user`: claims lose that evidence (and
        are deleted when none is left), theme snapshots and decision citations drop the ids.

        Returns:
            The number of signals deleted.
        """
        flt = self._signal_filter(kind=kind, until=older_than)
        deleted: set[str] = set()
        with self._lock, self._store.hold():
            self._recover_locked()
            for collection in self._memory.all_collections("signals"):
                deleted.update(r.id for r in self._store.scroll(collection, flt))
                self._store.delete(collection, flt)
            if deleted:
                self._scrub_claims(None, deleted)
                self._scrub_themes(deleted)
                self._scrub_decisions(deleted)
        return len(deleted)

    def _delete_user_signals(self, user_id: str) -> set[str]:
        flt = self._tenant(Match("user_id", user_id))
        deleted: set[str] = set()
        for collection in self._memory.all_collections("signals"):
            deleted.update(r.id for r in self._store.scroll(collection, flt))
            self._store.delete(collection, flt)
        return deleted

    def _scrub_claims(self, user_id: str | None, deleted: set[str]) -> int:
        removed: set[str] = set()
        ids = sorted(deleted)
        for collection in self._memory.all_collections("claims"):
            if user_id is not None:
                own = self._tenant(Match("subject_type", "user"), Match("subject", user_id))
                removed.update(r.id for r in self._store.scroll(collection, own))
                self._store.delete(collection, own)
            touched: dict[str, Record] = {}
            for chunk in _chunks(ids):
                for key in ("evidence", "contradicted_by"):
                    flt = self._tenant(Match(key, any_of=tuple(chunk)))
                    for record in self._store.scroll(collection, flt, with_vectors=True):
                        touched[record.id] = record
            updates: list[Point] = []
            for record in touched.values():
                claim = Claim.model_validate(record.payload)
                evidence = [e for e in claim.evidence if e not in deleted]
                if not evidence:
                    removed.add(record.id)
                    self._store.delete_ids(collection, [record.id])
                    continue
                dropped = len(claim.evidence) - len(evidence)
                claim = claim.model_copy(
                    update={
                        "evidence": evidence,
                        "support": max(len(evidence), claim.support - dropped),
                        "contradicted_by": [e for e in claim.contradicted_by if e not in deleted],
                    }
                )
                payload = {**record.payload, **claim.model_dump(mode="json")}
                updates.append(
                    Point(id=record.id, vector=record.vector or [], payload=payload, sparse=doc_sparse(claim.text))
                )
            self._store.upsert(collection, updates)
        return len(removed)

    def _scrub_themes(self, deleted: set[str]) -> None:
        if not deleted:
            return
        updates: list[Point] = []
        for record in self._theme_records():
            report = ThemeReport.model_validate(record.payload["report"])
            changed = False
            themes = []
            for theme in report.themes:
                members = [m for m in theme.members if m.signal_id not in deleted]
                quotes = [q for q in theme.quotes if q.signal_id not in deleted]
                hit = len(members) != len(theme.members) or len(quotes) != len(theme.quotes)
                if not hit:
                    themes.append(theme)
                    continue
                changed = True
                size = max(0, theme.size - (len(theme.members) - len(members)))
                if size == 0 or (theme.members and not members):
                    continue
                themes.append(
                    theme.model_copy(
                        update={"members": members, "quotes": quotes, "size": size, "users": max(0, theme.users - 1)}
                    )
                )
            if changed:
                payload = {
                    **record.payload,
                    "report": report.model_copy(update={"themes": themes}).model_dump(mode="json"),
                }
                updates.append(Point(id=record.id, vector=[1.0], payload=payload))
        self._store.upsert(META, updates)

    def _scrub_decisions(self, deleted: set[str]) -> None:
        ids = sorted(deleted)
        for collection in self._memory.all_collections("decisions"):
            touched: dict[str, Record] = {}
            for chunk in _chunks(ids):
                flt = self._tenant(Match("citations", any_of=tuple(chunk)))
                for record in self._store.scroll(collection, flt, with_vectors=True):
                    touched[record.id] = record
            updates = []
            for record in touched.values():
                payload = dict(record.payload)
                payload["citations"] = [c for c in payload.get("citations", []) if c not in deleted]
                text = "\n".join(str(payload.get(k, "")) for k in ("question", "recommendation", "rationale"))
                updates.append(
                    Point(id=record.id, vector=record.vector or [], payload=payload, sparse=doc_sparse(text))
                )
            self._store.upsert(collection, updates)


_JOURNAL_DOC = "ingest-journal"


def _journal_entry(point: Point) -> dict[str, Any]:
    """A point as stored in a redo record: payload and the exact float32 vector (base64)."""
    vector = np.asarray(point.vector, dtype="<f4").tobytes()
    return {"id": point.id, "payload": point.payload, "vector": base64.b64encode(vector).decode("ascii")}


def _journal_point(entry: dict[str, Any]) -> Point:
    """The point a redo-record entry stands for (the sparse vector is recomputed from its text)."""
    payload = dict(entry["payload"])
    vector = np.frombuffer(base64.b64decode(entry["vector"]), dtype="<f4").tolist()
    return Point(id=str(entry["id"]), vector=vector, payload=payload, sparse=doc_sparse(str(payload.get("text", ""))))


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InputError("limit must be between 1 and 1000")


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
