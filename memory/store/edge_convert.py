"""Qdrant Edge conversions: backend-neutral filters to the engine's, engine points to records, its faults."""

from __future__ import annotations

from typing import Any

import qdrant_edge as qe

from memory.store.base import Condition, Filter, Range, Record

DENSE = "dense"
SPARSE = "bm25"


def _engine_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the engine (or the OS) failing, rather than a bug in the caller.

    qdrant-edge raises plain ``Exception`` for runtime errors ("Service runtime error: …") and
    ``ValueError`` for arguments it cannot parse (a bug: left alone).
    """
    return isinstance(exc, OSError) or (type(exc) is Exception and "runtime error" in str(exc).lower())


def _condition(cond: Condition) -> Any:
    if isinstance(cond, Range):
        return qe.FieldCondition(cond.key, range=qe.RangeFloat(gte=cond.gte, lte=cond.lte))
    if cond.any_of is not None:
        return qe.FieldCondition(cond.key, match=qe.MatchAny(list(cond.any_of)))  # type: ignore[arg-type]
    if cond.value is None:
        return qe.IsNullCondition(cond.key)
    return qe.FieldCondition(cond.key, match=qe.MatchValue(cond.value))  # type: ignore[arg-type]


def to_edge_filter(flt: Filter) -> qe.Filter | None:
    """Translate a backend-neutral filter into a Qdrant Edge filter (None when empty)."""
    if not flt.must and not flt.must_not:
        return None
    return qe.Filter(
        must=[_condition(c) for c in flt.must] or None,
        must_not=[_condition(c) for c in flt.must_not] or None,
    )


def _dense_of(vector: Any) -> list[float] | None:
    if isinstance(vector, dict):
        dense = vector.get(DENSE)
        return list(dense) if dense is not None else None
    return list(vector) if vector is not None else None


def _record(point: Any, with_vectors: bool, score: float = 0.0) -> Record:
    return Record(
        id=str(point.id),
        payload=dict(point.payload or {}),
        vector=_dense_of(point.vector) if with_vectors else None,
        score=float(score),
    )
