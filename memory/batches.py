"""Signals written by ingest: new-or-changed checks, and batches stored as one unit behind a redo record."""

from __future__ import annotations

import base64
import contextlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kernel.errors import InputError
from kernel.schemas import ID_NAMESPACE, Claim, Signal, utcnow
from memory.claim_store import ClaimParts, ClaimStore
from memory.scoped import META, _chunks, _epoch, _is_uuid
from memory.sparse import doc_sparse
from memory.store.base import Point, SparseVector

#: What a signal's point holds besides its dense vector: its payload and its BM25 sparse vector.
SignalParts = tuple[dict[str, Any], SparseVector]


def signal_parts(signals: Sequence[Signal]) -> list[SignalParts]:
    """Payload and sparse vector of each signal's point: all of the point but the model's vector.

    An ingest computes them while the model embeds the batch (:mod:`memory.ingest.pipeline`).
    """
    parts: list[SignalParts] = []
    for signal in signals:
        payload = signal.model_dump(mode="json")
        payload["created_ts"] = _epoch(signal.created_at)
        parts.append((payload, doc_sparse(signal.text)))
    return parts


class BatchWriter(ClaimStore):
    """Signal writes and ingest batches of one workspace (a part of :class:`~memory.repository.WorkspaceMemory`)."""

    #: ``meta``'s generation just after this object's last :meth:`commit_batch` wrote its batch whole (None:
    #: not known, see :meth:`finish_batches`).
    _journal_at: tuple[int, int] | None = None

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

    def _signal_points(self, signals: Sequence[Signal], vectors: np.ndarray,
                       parts: Sequence[SignalParts] | None = None) -> list[Point]:
        """The signals' points; ``parts``: their :func:`signal_parts` when computed already."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if len(signals) == 0:
            return []
        if matrix.ndim != 2 or matrix.shape[0] != len(signals) or matrix.shape[1] != self.embedder.dim:
            raise InputError(
                f"expected {len(signals)} vectors of dimension {self.embedder.dim}, got shape {matrix.shape}"
            )
        self._check_signals(signals)
        if parts is None:
            parts = signal_parts(signals)
        elif len(parts) != len(signals):
            raise InputError(f"expected the parts of {len(signals)} signals, got {len(parts)}")
        return [Point(id=signal.id, vector=vector.tolist(), payload=payload, sparse=sparse)
                for signal, vector, (payload, sparse) in zip(signals, matrix, parts, strict=True)]

    def _check_signals(self, signals: Sequence[Signal]) -> None:
        for signal in signals:
            if signal.workspace != self.workspace:
                raise InputError(
                    f"signal {signal.id} belongs to workspace {signal.workspace!r}, not {self.workspace!r}"
                )
            if not _is_uuid(signal.id):
                raise InputError(f"signal id {signal.id!r} is not a UUID (use kernel.schemas.signal_id)")

    # -- ingest batches -----------------------------------------------------------------------

    def stage_batch(
        self,
        signals: Sequence[Signal],
        claims: Sequence[tuple[str, str, Claim]],
        parts: Sequence[SignalParts] | None = None,
    ) -> StagedBatch:
        """All of an ingest batch's points but their dense vectors, for :meth:`commit_batch`.

        An ingest stages a batch while the model may still be embedding it; :meth:`commit_batch` then only
        adds the vectors and writes. ``parts``: the signals' :func:`signal_parts`, when computed ahead.
        """
        self._check_signals(signals)
        if parts is None:
            parts = signal_parts(signals)
        elif len(parts) != len(signals):
            raise InputError(f"expected the parts of {len(signals)} signals, got {len(parts)}")
        claim_parts = self._claim_parts(claims) if claims else []
        return StagedBatch(
            signals=list(signals), parts=list(parts), claims=list(claims), claim_parts=claim_parts,
            signal_json=[_entry_head(s.id, payload) for s, (payload, _) in zip(signals, parts, strict=True)],
            claim_json=[_entry_head(cid, payload) for cid, payload, _ in claim_parts],
        )

    def commit_batch(
        self,
        signals: Sequence[Signal],
        signal_vectors: np.ndarray,
        claims: Sequence[tuple[str, str, Claim]],
        claim_vectors: Sequence[np.ndarray],
        parts: Sequence[SignalParts] | None = None,
        staged: StagedBatch | None = None,
    ) -> None:
        """Store one ingest batch — its signals and the profile claims they changed — as one unit.

        ``parts``: the signals' :func:`signal_parts`, when computed ahead (else computed here); ``staged``:
        the batch's :meth:`stage_batch` of the same signals and claims, when staged ahead.

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
        if staged is None:
            staged = self.stage_batch(signals, claims, parts)
        elif len(staged.signals) != len(signals) or len(staged.claims) != len(claims):
            raise InputError("the staged batch holds other signals or claims than the ones to commit")
        signal_points = self._signal_points(signals, signal_vectors, staged.parts)
        claim_points = self._claim_points(claims, claim_vectors, staged.claim_parts)
        if not signal_points and not claim_points:
            return
        # The batch as one JSON string: the engine converts one string much faster than ~1,000 nested
        # payloads (0.04 s against 0.13 s for 512 signals and their claims, with the GIL held). Each entry's
        # id and payload were encoded when the batch was staged; the vectors' bytes come from the matrices
        # the points were made from (the same float32 values). The string is json.dumps of
        # {"signals": [entry, ...], "claims": [...]} with compact separators, entry {"id", "payload", "vector"}.
        record = {
            "workspace": self.workspace,
            "doc": _JOURNAL_DOC,
            "created_ts": utcnow().timestamp(),
            "batch": "".join((
                '{"signals":[', _entries(staged.signal_json, _rows(signal_vectors) if signal_points else None),
                '],"claims":[', _entries(staged.claim_json, _rows(claim_vectors) if claim_points else None),
                "]}",
            )),
        }
        with self._lock, self._store.hold():
            self._journal_at = None
            self._store.upsert(META, [Point(id=self._journal_id(), vector=[1.0], payload=record)])
            before = self._store.generation(self._memory.claims)
            self._store.upsert(self._memory.claims, claim_points)
            self._claims_written(before, claim_points, claims)
            self._store.upsert(self._memory.signals, signal_points)
            self._journal_at = self._store.generation(META)

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

    def finish_batches(self) -> int:
        """:meth:`recover` at the end of an ingest whose batches were all committed through this object.

        When ``meta`` has not been written by anyone since this object's last :meth:`commit_batch` (its
        :meth:`~memory.store.base.VectorStore.generation` is the one taken then), the redo record there is that
        batch's, and the batch is stored whole: it is dropped without reading it back (a multi-megabyte string
        decoded only to find every signal stored). Otherwise, or on a backend without generations, as
        :meth:`recover`.
        """
        with self._lock, self._store.hold():
            written, self._journal_at = self._journal_at, None
            if written is not None and self._store.generation(META) == written:
                self._store.delete_ids(META, [self._journal_id()])
                return 0
            return self._recover_locked()

    def _recover_locked(self) -> int:
        records = self._own(self._store.retrieve(META, [self._journal_id()]))
        if not records:
            return 0
        payload = records[0].payload
        if "batch" in payload:
            payload = json.loads(str(payload["batch"]))
        # else a record written before the batch was one JSON string: the same keys, nested
        entries = payload.get("signals", [])
        stored = self.existing([str(e["id"]) for e in entries])
        missing = sum(1 for e in entries if stored.get(str(e["id"])) != e["payload"].get("content_hash"))
        if missing:  # the points are rebuilt (vectors decoded, sparse vectors recomputed) only to be written
            claims = [_journal_point(e) for e in payload.get("claims", [])]
            self._store.upsert(self._memory.claims, claims)
            self._store.upsert(self._memory.signals, [_journal_point(e) for e in entries])
        self._store.delete_ids(META, [records[0].id])
        return missing


_JOURNAL_DOC = "ingest-journal"


@dataclass
class StagedBatch:
    """An ingest batch's points without their dense vectors (:meth:`BatchWriter.stage_batch`)."""

    signals: list[Signal]
    parts: list[SignalParts]
    claims: list[tuple[str, str, Claim]]
    claim_parts: list[ClaimParts]
    #: Each point's redo-record entry up to its vector: '{"id":…,"payload":…,"vector":"'.
    signal_json: list[str]
    claim_json: list[str]


def _entry_head(point_id: str, payload: dict[str, Any]) -> str:
    """The start of a point's redo-record entry, as ``json.dumps`` (compact) writes it, up to its vector's bytes."""
    return f'{{"id":{json.dumps(point_id)},"payload":{json.dumps(payload, separators=(",", ":"))},"vector":"'


def _entries(heads: Sequence[str], rows: np.ndarray | None) -> str:
    """Redo-record entries: each head with its vector's bytes (base64) and the entry's end, comma-separated."""
    if rows is None:
        return ""
    return ",".join(f'{head}{base64.b64encode(row.tobytes()).decode("ascii")}"}}'
                    for head, row in zip(heads, rows, strict=True))


def _rows(vectors: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """Vectors as one little-endian float32 matrix (the bytes a redo record stores)."""
    if len(vectors) == 0:
        return np.zeros((0, 0), dtype="<f4")
    return np.ascontiguousarray(np.asarray(vectors, dtype=np.float32), dtype="<f4")


def _journal_entry(point: Point, row: np.ndarray | None = None) -> dict[str, Any]:
    """A point as stored in a redo record: payload and the exact float32 vector (base64).

    ``row``: the point's vector as float32, when the caller has it as an array (the point's list holds the
    same values).
    """
    vector = (np.asarray(point.vector, dtype="<f4") if row is None else row).tobytes()
    return {"id": point.id, "payload": point.payload, "vector": base64.b64encode(vector).decode("ascii")}


def _journal_point(entry: dict[str, Any]) -> Point:
    """The point a redo-record entry stands for (the sparse vector is recomputed from its text)."""
    payload = dict(entry["payload"])
    vector = np.frombuffer(base64.b64decode(entry["vector"]), dtype="<f4").tolist()
    return Point(id=str(entry["id"]), vector=vector, payload=payload, sparse=doc_sparse(str(payload.get("text", ""))))
