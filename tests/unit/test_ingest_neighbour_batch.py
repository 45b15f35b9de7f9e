"""Ingest's profile merge asks the store for claim neighbours in one batched search.

Its claims must be exactly those of the merge asking the store one claim at a time, on both store
backends, and a batched search must return what one search per query returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from memory.ingest.pipeline import ingest_files
from memory.repository import MemoryStore, WorkspaceMemory
from memory.store.base import CollectionSpec, Filter, Match, Point, VectorStore
from memory.store.client import ClientStore
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder
from tests.support.workspace import ticket_csv


def _claims(ws: WorkspaceMemory) -> list[list[Any]]:
    return sorted(
        [st, subj, c.id, c.type.value, c.text, c.status.value, c.evidence, c.support, c.contradicted_by, c.accounts,
         c.confidence, c.first_seen.isoformat(), c.last_seen.isoformat()]
        for st, subj, c in ws.iter_claims()
    )


@pytest.mark.parametrize("backend", ["edge", "client"])
def test_batched_neighbour_searches_merge_exactly_like_one_search_per_claim(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    path = ticket_csv(tmp_path / "tickets.csv", 240)

    def run(name: str, one_by_one: bool) -> tuple[list[list[Any]], int]:
        vectors = EdgeStore(tmp_path / name) if backend == "edge" else ClientStore(location=":memory:")
        mem = MemoryStore(vectors, HashingEmbedder())
        try:
            ws = mem.workspace("acme")
            asked = [0]
            batched = ws.similar_claim_ids_many

            def count(queries: Sequence[Any], limit: int = 5) -> list[dict[str, float]]:
                asked[0] += len(queries)
                return batched(queries, limit)

            def singly(queries: Sequence[Any], limit: int = 5) -> list[dict[str, float]]:
                asked[0] += len(queries)
                return [{c.id: score for c, score in ws.similar_claims(st, s, "", limit, vector=v)}
                        for st, s, v in queries]

            monkeypatch.setattr(ws, "similar_claim_ids_many", singly if one_by_one else count)
            ingest_files(ws, [path], batch_size=40)
            return _claims(ws), asked[0]
        finally:
            mem.close()

    batched, asked = run("batched", one_by_one=False)
    single, _ = run("single", one_by_one=True)
    assert asked > 0  # the data makes the merge compare claims by meaning
    assert batched == single
    assert {c[5] for c in batched} >= {"active"} and any(c[7] > 1 for c in batched)


def _unit(rng: np.random.Generator, dim: int = 8) -> list[float]:
    v = rng.standard_normal(dim).astype(np.float32)  # distinct directions: no ties in the ranking
    return (v / np.linalg.norm(v)).tolist()


@pytest.mark.parametrize("backend", ["edge", "client"])
def test_search_many_equals_one_search_per_query(tmp_path: Path, backend: str) -> None:
    vectors: VectorStore = EdgeStore(tmp_path / "s") if backend == "edge" else ClientStore(location=":memory:")
    rng = np.random.default_rng(7)
    try:
        vectors.ensure_collection(CollectionSpec(name="things", dim=8, keyword_fields=("workspace", "user_id")))
        vectors.upsert("things", [
            Point(id=str(uuid.UUID(int=i + 1)), vector=_unit(rng),
                  payload={"workspace": "w1" if i % 5 else "w2", "user_id": f"u{i % 3}"})
            for i in range(40)
        ])
        queries = [(_unit(rng), Filter(must=(Match("workspace", "w1"), Match("user_id", f"u{q % 3}"))))
                   for q in range(9)]
        queries.append((_unit(rng), Filter(must=(Match("user_id", "nobody"),))))
        many = vectors.search_many("things", queries, 4)
        assert len(many) == len(queries) and many[-1] == []
        for (vector, flt), found in zip(queries, many, strict=True):
            one = vectors.search("things", vector, flt, 4)
            assert [(r.id, round(r.score, 5)) for r in found] == [(r.id, round(r.score, 5)) for r in one]
            assert all(r.payload["workspace"] == "w1" for r in found)
        assert vectors.search_many("things", [], 4) == []
    finally:
        vectors.close()
