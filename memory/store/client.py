"""Vector store on ``qdrant-client``: a Qdrant server, cluster or Cloud (``:memory:`` in tests).

The tenant field is indexed with ``is_tenant=True`` so the server co-locates each workspace's
points; hybrid search uses the Query API (dense + sparse prefetch fused with RRF, k=60).

Faults: every server call goes through :meth:`ClientStore._call`, which retries what a retry may
fix (connection refused or reset, timeouts, 429, 5xx) up to :data:`ATTEMPTS` times with backoff
within one request timeout, and turns every failure into one line naming the server (never the
API key): :class:`~kernel.errors.TransientError`, :class:`~kernel.errors.InputError` for a
refused key, :class:`~kernel.errors.ConfigError` for a URL that is not one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError
from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.common.client_exceptions import ResourceExhaustedResponse
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from kernel.errors import ConfigError, InputError, PmpilotError, TransientError, one_line
from kernel.net import is_loopback
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

#: Seconds one request may take (connect, send, wait for the answer) before it counts as failed.
TIMEOUT_S = 30.0
#: Tries per call for failures a retry may fix; every call is idempotent (reads, upserts and
#: deletes by deterministic id or filter, index creation), so repeating one is safe.
ATTEMPTS = 3
#: Pause before the second try, doubled before each later one.
BACKOFF_S = 0.2

logger = logging.getLogger(__name__)
T = TypeVar("T")


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


def shown_url(url: str) -> str:
    """``url`` as it may appear in messages: scheme, host, port and path, without credentials or query."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable URL>"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


def _connect(url: str, api_key: str | None, timeout_s: float) -> QdrantClient:
    """A REST client for ``url``; a URL qdrant-client cannot use is a :class:`ConfigError`."""
    shown = shown_url(url)
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        raise ConfigError(f"PMPILOT_QDRANT_URL {shown} is not an http(s) URL of a Qdrant server")
    try:
        with warnings.catch_warnings():
            # qdrant-client warns on stderr about http + key; logged below instead, except on loopback.
            warnings.filterwarnings("ignore", message="Api key is used with an insecure connection")
            # No background version probe: it would warn on stderr, racing the one error line.
            client = QdrantClient(url=url, api_key=api_key, timeout=timeout_s, check_compatibility=False)
    except ValueError as exc:
        raise ConfigError(f"PMPILOT_QDRANT_URL {shown} is not usable: {one_line(exc, 200)}") from None
    if api_key and parts.scheme == "http" and not is_loopback(parts.hostname):
        logger.warning("PMPILOT_QDRANT_API_KEY is sent unencrypted to %s (use https)", shown)
    return client


class ClientStore(VectorStore):
    """Collections on a Qdrant server (or the client's in-process local mode)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        api_key: str | None = None,
        location: str | None = None,
        path: str | None = None,
        timeout_s: float | None = None,
    ) -> None:
        """Connect to ``url`` (server/cluster/Cloud), or ``location=":memory:"`` / ``path=`` (local).

        Args:
            url: A Qdrant server; nothing is contacted until the first operation.
            api_key: Sent as the ``api-key`` header; never part of a message.
            location: ``":memory:"`` for qdrant-client's in-process local mode (tests).
            path: qdrant-client's on-disk local mode.
            timeout_s: Per-request timeout (default :data:`TIMEOUT_S`); retries stay within it.

        Raises:
            ConfigError: ``url`` is not an http(s) URL with a host.
        """
        self.timeout_s = TIMEOUT_S if timeout_s is None else float(timeout_s)
        if url:
            self.client = _connect(url, api_key, self.timeout_s)
        elif path:
            self.client = QdrantClient(path=path)
        else:
            self.client = QdrantClient(location=location or ":memory:")
        self._mu = threading.RLock()
        self.target = shown_url(url) if url else path or location or ":memory:"
        #: Local mode (in-process) ignores payload indexes; only a server builds them.
        self._local = not url

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a client call: retry what a retry may fix, then fail with one clear line.

        Retries stop after :data:`ATTEMPTS` tries, or earlier when the next pause would take the
        call past one request timeout (a server that hangs costs one timeout, not three).
        """
        started = time.monotonic()
        pause = BACKOFF_S
        attempt = 1
        while True:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                mapped = self._map(exc)
                if mapped is None:
                    raise  # not a server fault: a bug, with its traceback under --debug
                error, retry = mapped
                late = time.monotonic() - started + pause > self.timeout_s
                if not retry or attempt >= ATTEMPTS or late:
                    if attempt > 1:
                        error = type(error)(f"{error} ({attempt} attempts)")
                    raise error from exc
                logger.info("Qdrant at %s: %s; retrying in %.1fs", self.target, error, pause)
            time.sleep(pause)
            pause *= 2
            attempt += 1

    def _map(self, exc: Exception) -> tuple[PmpilotError, bool] | None:
        """The clear error for a failed call and whether retrying may help (None: not a server fault)."""
        if self._local:
            return None  # in-process local mode: no server, so any error is a bug
        where = f"Qdrant at {self.target}"
        if isinstance(exc, UnexpectedResponse):
            status = exc.status_code or 0
            if status in (401, 403):
                return InputError(f"{where} refused the API key ({status})"), False
            reason = " ".join((exc.reason_phrase or "").split())
            return TransientError(f"{where} failed: {status} {reason}".rstrip()), status == 429 or status >= 500
        if isinstance(exc, ResourceExhaustedResponse):
            return TransientError(f"{where} is overloaded (429): {one_line(exc, 200)}"), True
        source = exc.source if isinstance(exc, ResponseHandlingException) else exc
        if isinstance(source, ValidationError | json.JSONDecodeError):
            return TransientError(f"{where} answered with something that is not the Qdrant API"), False
        if isinstance(source, httpx.TimeoutException | TimeoutError):
            return TransientError(f"{where} did not answer within {self.timeout_s:g}s"), True
        if isinstance(source, httpx.TransportError | ConnectionError) or source is not exc:
            return TransientError(f"{where} is unreachable: {one_line(source, 200)}"), True
        return None

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
                try:
                    self._call(
                        self.client.create_collection,
                        spec.name,
                        vectors_config={DENSE: qm.VectorParams(size=spec.dim, distance=qm.Distance.COSINE)},
                        sparse_vectors_config=sparse,
                    )
                except TransientError as exc:
                    cause = exc.__cause__
                    if not (isinstance(cause, UnexpectedResponse) and cause.status_code == 409):
                        raise
                    # 409: a retried create whose first try was applied (or another process won
                    # the race): the collection exists, which is what was asked for.
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

    def search_many(
        self, collection: str, queries: Sequence[tuple[Sequence[float], Filter]], limit: int,
        fields: Sequence[str] | None = None,
    ) -> list[list[Record]]:
        """Dense searches in one request (``query_batch_points``): one result list per (vector, filter), in order.

        ``fields``: only these payload keys are returned (None: the whole payload).
        """
        if not queries:
            return []
        with_payload: Any = True if fields is None else list(fields)
        requests = [
            qm.QueryRequest(query=[float(x) for x in vector], using=DENSE, filter=to_client_filter(flt),
                            limit=limit, with_payload=with_payload)
            for vector, flt in queries
        ]
        responses = self._call(self.client.query_batch_points, collection, requests=requests)
        return [[_record(p, False, p.score) for p in response.points] for response in responses]

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
