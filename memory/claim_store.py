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


class ClaimStore(ScopedMemory):
    """The claims collection of one workspace (a part of :class:`~memory.repository.WorkspaceMemory`)."""

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
