"""Profile claims of one workspace in the store: write, read by subject, search, delete."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from kernel.errors import InputError
from kernel.schemas import Claim
from memory.scoped import SUBJECT_TYPES, ScopedMemory, _check_limit, _chunks, _epoch, _is_uuid, _plain, claim_id
from memory.sparse import doc_sparse
from memory.store.base import Match, Point, SparseVector

#: A claim phrase's sparse vector: the same phrases are written again and again (one claim per user, account
#: and segment, rewritten by each batch that reinforces it). Shared, never modified.
_claim_sparse = lru_cache(maxsize=16_384)(doc_sparse)

#: What a claim's point holds besides its dense vector: its id, payload and sparse vector.
ClaimParts = tuple[str, dict[str, Any], SparseVector]


#: Most claims :meth:`ClaimStore.claims_by_subject` keeps between calls (~1 KB a claim).
CACHED_CLAIMS = 50_000


class _ClaimsRead:
    """Claims read by subject, valid while the claims collection's generation is ``generation``."""

    def __init__(self, generation: tuple[int, int]) -> None:
        self.generation = generation
        self.subjects: dict[tuple[str, str], dict[str, Claim]] = {}
        self.size = 0


class ClaimStore(ScopedMemory):
    """The claims collection of one workspace (a part of :class:`~memory.repository.WorkspaceMemory`)."""

    #: Subjects' claims kept from one :meth:`claims_by_subject` call to the next (``cached=True``) while
    #: nothing else has written the collection: an ingest reads a segment's thousands of claims every batch.
    _claims_read: _ClaimsRead | None = None

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
        self, claims: Sequence[tuple[str, str, Claim]], vectors: Sequence[np.ndarray] | None,
        staged: Sequence[ClaimParts] | None = None,
    ) -> list[Point]:
        """The claims' points; ``staged``: their :meth:`_claim_parts` when computed already."""
        if not claims:
            return []
        if vectors is not None and len(vectors) != len(claims):
            raise InputError(f"expected {len(claims)} claim vectors, got {len(vectors)}")
        if staged is None:
            staged = self._claim_parts(claims)
        elif len(staged) != len(claims):
            raise InputError(f"expected the parts of {len(claims)} claims, got {len(staged)}")
        matrix = np.asarray(
            self.embedder.embed([c.text for _, _, c in claims]) if vectors is None else list(vectors),
            dtype=np.float32,
        )
        if matrix.ndim != 2 or matrix.shape[1] != self.embedder.dim:
            raise InputError(f"claim vectors must have dimension {self.embedder.dim}, got shape {matrix.shape}")
        return [Point(id=cid, vector=vec.tolist(), payload=payload, sparse=sparse)
                for (cid, payload, sparse), vec in zip(staged, matrix, strict=True)]

    def _claim_parts(self, claims: Sequence[tuple[str, str, Claim]]) -> list[ClaimParts]:
        """Id, payload and sparse vector of each claim's point: all of the point but its dense vector."""
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
        return [(cid, self._claim_payload(cid, st, subj, c), _claim_sparse(c.text)) for cid, st, subj, c in rows]

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

    def claims_by_subject(
        self, subjects: Iterable[tuple[str, str]], *, cached: bool = False
    ) -> dict[tuple[str, str], list[Claim]]:
        """:meth:`list_claims` of many subjects at once (one query per subject type and 1,024 subjects).

        ``cached``: subjects read by an earlier cached call are not read again while the store's
        :meth:`~memory.store.base.VectorStore.generation` of the claims collection is unchanged (no write or
        delete by anyone since, but :meth:`_claims_written` by this object, which updates them). The claims
        returned are then shared with later calls: the caller must not modify them (the merge copies).
        """
        wanted = list(dict.fromkeys(subjects))
        generation = self._store.generation(self._memory.claims) if cached else None
        kept = self._claims_read
        if generation is None or kept is None or kept.generation != generation:
            kept = None
        found = {key: kept.subjects[key] for key in wanted if key in kept.subjects} if kept is not None else {}
        found.update(self._read_claims([key for key in wanted if key not in found]))
        if generation is not None:
            if self._store.generation(self._memory.claims) != generation:
                # written while read: what was kept may be stale, and what was read half old
                self._claims_read = None
                found = self._read_claims(wanted)
            else:
                if kept is None:
                    kept = self._claims_read = _ClaimsRead(generation)
                for key in wanted:
                    if key not in kept.subjects:
                        kept.subjects[key] = found[key]
                        kept.size += len(found[key])
                if kept.size > CACHED_CLAIMS:
                    self._claims_read = None
        out: dict[tuple[str, str], list[Claim]] = {}
        for key in wanted:
            claims = list(found[key].values())
            claims.sort(key=lambda c: (-c.support, -_epoch(c.last_seen), c.id))
            out[key] = claims
        return out

    def _read_claims(self, subjects: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Claim]]:
        """Every stored claim of each subject, ``{claim id: claim}`` in the store's order."""
        out: dict[tuple[str, str], dict[str, Claim]] = {key: {} for key in subjects}
        names: dict[str, list[str]] = {}
        for subject_type, subject in out:
            names.setdefault(subject_type, []).append(subject)
        for subject_type, wanted in names.items():
            for chunk in _chunks(sorted(wanted), 1024):
                flt = self._tenant(Match("subject_type", subject_type), Match("subject", any_of=tuple(chunk)))
                for record in self._own(self._store.scroll(self._memory.claims, flt)):
                    key = (subject_type, str(record.payload.get("subject")))
                    if key in out:
                        claim = Claim.model_validate(record.payload)
                        out[key][claim.id] = claim
        return out

    def _claims_written(self, before: tuple[int, int] | None, points: Sequence[Point],
                        claims: Sequence[tuple[str, str, Claim]] | None = None) -> None:
        """Bring the claims kept by :meth:`claims_by_subject` up to date with ``points`` just upserted.

        ``before``: the claims collection's generation just before the upsert; unless the upsert was
        the only write since the claims were read (the generation moved by exactly that one write),
        they are dropped. ``claims``: the claims the points were made from (:meth:`_claim_points`, same
        order), kept as they are, with the point's id, instead of reading each point's payload back into a
        claim (which gives an equal claim).
        """
        kept = self._claims_read
        if kept is None:
            return
        now = self._store.generation(self._memory.claims)
        if before is None or kept.generation != before:
            self._claims_read = None
            return
        expected = before if not points else (before[0], before[1] + 1)
        if now != expected:
            self._claims_read = None
            return
        if claims is not None and len(claims) != len(points):
            raise InputError(f"expected the claims of {len(points)} points, got {len(claims)}")
        for i, point in enumerate(points):
            payload = point.payload
            key = (str(payload.get("subject_type")), str(payload.get("subject")))
            subject = kept.subjects.get(key)
            if subject is not None and payload.get("workspace") == self.workspace:
                if claims is None:
                    claim = Claim.model_validate(payload)
                else:
                    claim = claims[i][2]
                    if claim.id != point.id:
                        claim = claim.model_copy(update={"id": point.id})
                kept.size += claim.id not in subject
                subject[claim.id] = claim
        kept.generation = expected
        if kept.size > CACHED_CLAIMS:
            self._claims_read = None

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

    def similar_claim_ids_many(
        self, queries: Sequence[tuple[str, str, np.ndarray]], limit: int = 5
    ) -> list[dict[str, float]]:
        """:meth:`similar_claims` of several (subject_type, subject, vector) in one batched search.

        Returns, per query, ``{claim id: cosine similarity}`` of the subject's closest claims.
        """
        _check_limit(limit)
        pairs = [
            (np.asarray(vector, dtype=np.float32).tolist(),
             self._tenant(Match("subject_type", subject_type), Match("subject", subject)))
            for subject_type, subject, vector in queries
        ]
        found = self._store.search_many(self._memory.claims, pairs, limit, fields=("workspace", "id"))
        return [{str(r.payload.get("id") or r.id): r.score for r in self._own(records)} for records in found]

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
