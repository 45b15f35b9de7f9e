"""Vector store on ``qdrant-client``: a Qdrant server, cluster or Cloud (``:memory:`` in tests).

The tenant field is indexed with ``is_tenant=True`` so the server co-locates each workspace's
points; hybrid search uses the Query API (dense + sparse prefetch fused with RRF, k=60).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from kernel.errors import InputError, TransientError
from memory.store.base import (
    CollectionSpec,
    Condition,
    Filter,
    Point,
    Range,
    Record,
    Scalar,
    SparseVector,
    VectorStore,
)

DENSE = "dense"
SPARSE = "bm25"
RRF_K = 60
_UPSERT_BATCH = 256


def _condition(cond: Condition) -> Any:
    if isinstance(cond, Range):
        return qm.FieldCondition(key=cond.key, range=qm.Range(gte=cond.gte, lte=cond.lte))
    if cond.any_of is not None:
        return qm.FieldCondition(key=cond.key, match=qm.MatchAny(any=list(cond.any_of)))
    if cond.value is None:
        return qm.IsNullCondition(is_null=qm.PayloadField(key=cond.key))
    return qm.FieldCondition(key=cond.key, match=qm.MatchValue(value=cond.value))


def to_client_filter(flt: Filter) -> qm.Filter | None:
    """Translate a backend-neutral filter into a qdrant-client filter (None when empty)."""
    if not flt.must and not flt.must_not:
        return None
    return qm.Filter(
        must=[_condition(c) for c in flt.must] or None,
        must_not=[_condition(c) for c in flt.must_not] or None,
    )


def _dense_of(vector: Any) -> list[float] | None:
    if isinstance(vector, dict):
        dense = vector.get(DENSE)
        return [float(x) for x in dense] if dense is not None else None
    return [float(x) for x in vector] if vector is not None else None


def _record(point: Any, with_vectors: bool, score: float = 0.0) -> Record:
    return Record(
        id=str(point.id),
        payload=dict(point.payload or {}),
        vector=_dense_of(point.vector) if with_vectors else None,
        score=float(score),
    )


class ClientStore(VectorStore):
    """Collections on a Qdrant server (or the client's in-process local mode)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        api_key: str | None = None,
        location: str | None = None,
        path: str | None = None,
        timeout_s: int = 30,
    ) -> None:
        """Connect to ``url`` (server/cluster/Cloud), or ``location=":memory:"`` / ``path=`` (local)."""
        if url:
            self.client = QdrantClient(url=url, api_key=api_key, timeout=timeout_s)
        elif path:
            self.client = QdrantClient(path=path)
        else:
            self.client = QdrantClient(location=location or ":memory:")
        self._mu = threading.RLock()
        self.target = url or path or location or ":memory:"
        #: Local mode (in-process) ignores payload indexes; only a server builds them.
        self._local = not url

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a client call, turning connection and server errors into one clear error."""
        try:
            return fn(*args, **kwargs)
        except UnexpectedResponse as exc:
            if exc.status_code in (401, 403):
                raise InputError(f"Qdrant at {self.target} refused the API key ({exc.status_code})") from exc
            raise TransientError(f"Qdrant at {self.target} failed: {exc.status_code} {exc.reason_phrase}") from exc
        except (ResponseHandlingException, ConnectionError, TimeoutError) as exc:
            raise TransientError(f"Qdrant at {self.target} is unreachable: {exc}") from exc

    def has_collection(self, collection: str) -> bool:
        """Whether the collection exists on the server."""
        return bool(self._call(self.client.collection_exists, collection))

    def collections(self) -> list[str]:
        """Every collection on the server."""
        return sorted(c.name for c in self._call(self.client.get_collections).collections)

    def ensure_collection(self, spec: CollectionSpec) -> None:
        """Create the collection (dense cosine + sparse IDF) and its payload indexes if missing."""
        with self._mu:
            if self.has_collection(spec.name):
                info = self._call(self.client.get_collection, spec.name)
                vectors = info.config.params.vectors
                stored = vectors.get(DENSE) if isinstance(vectors, dict) else None
                if stored is not None and stored.size != spec.dim:
                    raise InputError(f"collection {spec.name!r} holds {stored.size}-d vectors, not {spec.dim}-d")
                have = set((info.payload_schema or {}).keys())
            else:
                sparse = {SPARSE: qm.SparseVectorParams(modifier=qm.Modifier.IDF)} if spec.sparse else None
                self._call(
                    self.client.create_collection,
                    spec.name,
                    vectors_config={DENSE: qm.VectorParams(size=spec.dim, distance=qm.Distance.COSINE)},
                    sparse_vectors_config=sparse,
                )
                have = set()
            if self._local:
                return
            for name in spec.keyword_fields:
                if name not in have:
                    schema = qm.KeywordIndexParams(
                        type=qm.KeywordIndexType.KEYWORD, is_tenant=name == spec.tenant_field or None
                    )
                    self._call(self.client.create_payload_index, spec.name, name, field_schema=schema)
            for name in spec.range_fields:
                if name not in have:
                    self._call(
                        self.client.create_payload_index, spec.name, name, field_schema=qm.PayloadSchemaType.FLOAT
                    )

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        """Insert or replace points (waits for the server to apply each batch)."""
        for start in range(0, len(points), _UPSERT_BATCH):
            batch = []
            for p in points[start : start + _UPSERT_BATCH]:
                vector: dict[str, Any] = {DENSE: [float(x) for x in p.vector]}
                if p.sparse is not None and p.sparse.indices:
                    vector[SPARSE] = qm.SparseVector(indices=list(p.sparse.indices), values=list(p.sparse.values))
                batch.append(qm.PointStruct(id=p.id, vector=vector, payload=p.payload))
            self._call(self.client.upsert, collection, points=batch, wait=True)

    def retrieve(self, collection: str, ids: Sequence[str], with_vectors: bool = False) -> list[Record]:
        """Points by id, in the order asked; missing ids are skipped."""
        if not ids:
            return []
        found = self._call(
            self.client.retrieve, collection, ids=list(ids), with_payload=True, with_vectors=with_vectors
        )
        by_id = {str(p.id): _record(p, with_vectors) for p in found}
        return [by_id[i] for i in ids if i in by_id]

    def delete(self, collection: str, flt: Filter) -> int:
        """Delete matching points; returns how many there were."""
        with self._mu:
            n = self.count(collection, flt)
            if n:
                selector = to_client_filter(flt) or qm.Filter()
                self._call(self.client.delete, collection, points_selector=qm.FilterSelector(filter=selector))
            return n

    def delete_ids(self, collection: str, ids: Sequence[str]) -> None:
        """Delete points by id."""
        if ids:
            self._call(self.client.delete, collection, points_selector=qm.PointIdsList(points=list(ids)))

    def search(
        self,
        collection: str,
        vector: Sequence[float] | None,
        flt: Filter,
        limit: int,
        sparse: SparseVector | None = None,
    ) -> list[Record]:
        """Dense, sparse, or both fused on the server with reciprocal rank fusion (k=60)."""
        query_filter = to_client_filter(flt)
        queries: list[tuple[Any, str]] = []
        if vector is not None:
            queries.append(([float(x) for x in vector], DENSE))
        if sparse is not None and sparse.indices:
            queries.append((qm.SparseVector(indices=sparse.indices, values=sparse.values), SPARSE))
        if not queries:
            return []
        if len(queries) == 1:
            query, using = queries[0]
            response = self._call(
                self.client.query_points,
                collection,
                query=query,
                using=using,
                query_filter=query_filter,
                limit=limit,
                with_payload=True,
            )
        else:
            depth = max(limit * 4, 50)
            response = self._call(
                self.client.query_points,
                collection,
                prefetch=[qm.Prefetch(query=q, using=u, filter=query_filter, limit=depth) for q, u in queries],
                query=qm.RrfQuery(rrf=qm.Rrf(k=RRF_K)),
                query_filter=query_filter,
                limit=limit,
                with_payload=True,
            )
        return [_record(p, False, p.score) for p in response.points]

    def scroll(self, collection: str, flt: Filter, batch: int = 512, with_vectors: bool = False) -> Iterator[Record]:
        """Every matching point, page by page."""
        query_filter = to_client_filter(flt)
        offset: Any = None
        while True:
            records, offset = self._call(
                self.client.scroll,
                collection,
                scroll_filter=query_filter,
                limit=batch,
                offset=offset,
                with_payload=True,
                with_vectors=with_vectors,
            )
            for point in records:
                yield _record(point, with_vectors)
            if offset is None:
                return

    def count(self, collection: str, flt: Filter) -> int:
        """Exact number of matching points."""
        result = self._call(self.client.count, collection, count_filter=to_client_filter(flt), exact=True)
        return int(result.count)

    def facet(self, collection: str, key: str, flt: Filter, limit: int = 100_000) -> dict[Scalar, int]:
        """Distinct values of ``key`` with exact counts."""
        response = self._call(
            self.client.facet, collection, key, facet_filter=to_client_filter(flt), limit=limit, exact=True
        )
        return {hit.value: int(hit.count) for hit in response.hits}

    def close(self) -> None:
        """Close the client connection."""
        self.client.close()
