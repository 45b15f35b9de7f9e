"""Neighbour searches that return only some payload fields (``search_many(..., fields=...)``).

The ingest's claim searches read only ids and scores: asking the store for two payload keys instead of
the whole payload must find the same points with the same scores, and keep the workspace filter.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from kernel.schemas import Claim, ClaimType
from memory.repository import MemoryStore
from memory.store.base import CollectionSpec, Filter, Match, Point, VectorStore
from memory.store.client import ClientStore
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder


def _store(tmp_path: Path, backend: str) -> VectorStore:
    return EdgeStore(tmp_path / "s") if backend == "edge" else ClientStore(location=":memory:")


def _unit(rng: np.random.Generator, dim: int = 8) -> list[float]:
    v = rng.standard_normal(dim).astype(np.float32)  # distinct directions: no ties in the ranking
    return [float(x) for x in v / np.linalg.norm(v)]


@pytest.mark.parametrize("backend", ["edge", "client"])
def test_search_many_with_fields_finds_the_same_points_and_returns_only_those_fields(
    tmp_path: Path, backend: str
) -> None:
    vectors = _store(tmp_path, backend)
    rng = np.random.default_rng(11)
    try:
        vectors.ensure_collection(CollectionSpec(name="things", dim=8, keyword_fields=("workspace", "user_id")))
        vectors.upsert("things", [
            Point(id=str(uuid.UUID(int=i + 1)), vector=_unit(rng),
                  payload={"workspace": "w1" if i % 4 else "w2", "user_id": f"u{i % 3}", "id": f"c{i}",
                           "text": f"claim number {i}", "evidence": [f"s{i}", f"s{i + 1}"]})
            for i in range(36)
        ])
        queries = [(_unit(rng), Filter(must=(Match("workspace", "w1"), Match("user_id", f"u{q % 3}"))))
                   for q in range(8)]
        full = vectors.search_many("things", queries, 5)
        some = vectors.search_many("things", queries, 5, fields=("workspace", "id"))
        assert [[(r.id, round(r.score, 5)) for r in found] for found in some] == \
            [[(r.id, round(r.score, 5)) for r in found] for found in full]
        assert sum(len(found) for found in some) > 8
        for found_full, found_some in zip(full, some, strict=True):
            for a, b in zip(found_full, found_some, strict=True):
                assert b.payload == {"workspace": a.payload["workspace"], "id": a.payload["id"]}
                assert b.payload["workspace"] == "w1"  # the filter still applies
                assert "text" in a.payload and "evidence" in a.payload
    finally:
        vectors.close()


@pytest.mark.parametrize("backend", ["edge", "client"])
def test_similar_claim_ids_many_matches_similar_claims_and_keeps_to_its_workspace(
    tmp_path: Path, backend: str
) -> None:
    mem = MemoryStore(_store(tmp_path, backend), HashingEmbedder())
    when = datetime(2026, 1, 1, tzinfo=UTC)
    texts = ["exports time out", "wants dark mode", "card top-up fails", "asks for an API", "slow search",
             "needs SSO login", "billing page errors", "mobile app crashes"]
    try:
        acme, other = mem.workspace("acme"), mem.workspace("other")
        for ws, shift in ((acme, 0), (other, 3)):
            ws.upsert_claims([
                ("segment", "smb", Claim(type=ClaimType.NEED, text=texts[(i + shift) % len(texts)],
                                         evidence=[f"s{i}"], first_seen=when, last_seen=when))
                for i in range(6)
            ])
        queries = [("segment", "smb", mem.embedder.embed_query(text)) for text in texts[:5]]
        queries.append(("segment", "nobody", mem.embedder.embed_query(texts[0])))
        found = acme.similar_claim_ids_many(queries, limit=4)
        acme_ids = {c.id for _, _, c in acme.iter_claims()}
        other_ids = {c.id for _, _, c in other.iter_claims()}
        assert acme_ids and other_ids and not acme_ids & other_ids
        assert found[-1] == {}
        for (st, subject, vector), ids in zip(queries, found, strict=True):
            one = acme.similar_claims(st, subject, "", 4, vector=vector)
            assert {cid: round(score, 5) for cid, score in ids.items()} == \
                {c.id: round(score, 5) for c, score in one}
            assert set(ids) <= acme_ids
        assert sum(len(ids) for ids in found) >= 5 * 4
    finally:
        mem.close()
