"""An ingest keeps its busy subjects' claim word indexes from one batch to the next.

The kept index must give the merge exactly what an index built afresh from the claims read gives, and be
rebuilt when a claim it holds is no longer stored as it was (another writer deleted or replaced it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import memory.ingest.pipeline as pipeline
import memory.profiles as profiles
from kernel.schemas import Claim, ClaimType
from memory.ingest.pipeline import ingest_files
from memory.profiles import SubjectIndexes
from memory.repository import MemoryStore
from memory.store.base import Point
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder
from tests.unit.test_ingest_merge_index import _tickets

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _claim(cid: str, text: str, ctype: ClaimType = ClaimType.PAIN_POINT) -> Claim:
    return Claim(id=cid, type=ctype, text=text, evidence=["e"], first_seen=T0, last_seen=T0, support=1)


def _by_key(claims: list[Claim]) -> dict[str, Claim]:
    return {c.id: c for c in claims}


def test_a_kept_index_is_reused_extended_and_rebuilt_when_a_claim_is_gone() -> None:
    indexes = SubjectIndexes(min_claims=1)
    subject = ("segment", "smb")
    a, b = _claim("a", "export crashes save"), _claim("b", "export crashes slow")
    first = indexes.index(subject, _by_key([a, b]))
    new = _claim("", "export crashes")
    assert first.candidates(new, {}) == ["a", "b"]  # two of three content words shared
    kept = indexes._kept[subject][0]

    # Next batch: a stored claim was added (ahead of the others in the subject's order).
    c = _claim("c", "export crashes daily")
    second = indexes.index(subject, _by_key([c, b, a]))
    assert indexes._kept[subject][0] is kept  # the same groups, extended
    assert second.candidates(new, {}) == ["c", "b", "a"]  # in this batch's order
    assert second.candidates(new, {}) == profiles._SubjectIndex([c, b, a]).candidates(new, {})

    # A claim it holds is gone (forgotten by another writer): rebuilt from the claims read, never returned.
    third = indexes.index(subject, _by_key([c, a]))
    assert indexes._kept[subject][0] is not kept
    assert third.candidates(new, {}) == ["c", "a"]

    # A key whose text changed: rebuilt too.
    replaced = _claim("a", "dark mode please", ClaimType.FEATURE_REQUEST)
    kept = indexes._kept[subject][0]
    fourth = indexes.index(subject, _by_key([c, replaced]))
    assert indexes._kept[subject][0] is not kept
    assert fourth.candidates(new, {}) == ["c"]


def test_claims_created_in_a_merge_stay_out_of_the_kept_index() -> None:
    indexes = SubjectIndexes(min_claims=1)
    subject = ("account", "acct1")
    a = _claim("a", "sync fails on android")
    index = indexes.index(subject, _by_key([a]))
    created = _claim("", "sync fails on ios")
    index.add("tmp-key", created)
    assert index.candidates(_claim("", "sync fails on windows"), {}) == ["a", "tmp-key"]
    # The next batch reads the created claim back under its stored id: the kept index never held "tmp-key".
    again = indexes.index(subject, _by_key([_claim("b", "sync fails on ios"), a]))
    assert again.candidates(_claim("", "sync fails on windows"), {}) == ["b", "a"]
    assert not again.needs_embedding_match(_claim("", "sync fails on ios"))


def test_small_subjects_are_not_kept() -> None:
    indexes = SubjectIndexes(min_claims=3)
    indexes.index(("user", "u1"), _by_key([_claim("a", "login page slow")]))
    assert ("user", "u1") not in indexes._kept


def test_the_kept_claims_are_bounded_least_recently_used_first() -> None:
    indexes = SubjectIndexes(min_claims=1, max_claims=4)
    two = [_claim("a", "login page slow"), _claim("b", "export fails")]
    indexes.index(("account", "a1"), _by_key(two))
    indexes.index(("account", "a2"), _by_key(two))
    indexes.index(("account", "a1"), _by_key(two))  # used again: a2 is now the least recent
    indexes.index(("account", "a3"), _by_key(two))
    assert list(indexes._kept) == [("account", "a1"), ("account", "a3")]
    assert indexes._size == 4
    # A subject that shrank below the floor is dropped, and its claims no longer count.
    indexes.index(("account", "a1"), {})
    assert list(indexes._kept) == [("account", "a3")] and indexes._size == 2


def _written(root: Path, path: Path, monkeypatch: pytest.MonkeyPatch, min_claims: int,
             kept_accounts: int = pipeline.KEPT_ACCOUNTS) -> tuple[list[Any], int]:
    """Every signal and claim point written, in order, and how often a kept index was used."""
    vectors = EdgeStore(root)
    written: list[Any] = []
    upsert = vectors.upsert

    def record(collection: str, points: Any) -> None:
        if collection.split("__", 1)[0] in ("signals", "claims"):
            written.extend((p.id, p.payload, tuple(np.asarray(p.vector, dtype=np.float32).tolist()),
                            tuple(p.sparse.indices) if p.sparse else None) for p in points)
        upsert(collection, points)

    kept = [0]
    index = SubjectIndexes.index

    def counting(self: SubjectIndexes, subject: tuple[str, str], claims: Any) -> Any:
        kept[0] += subject in self._kept
        return index(self, subject, claims)

    monkeypatch.setattr(vectors, "upsert", record)
    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "SubjectIndexes", lambda: SubjectIndexes(min_claims=min_claims))
        patched.setattr(SubjectIndexes, "index", counting)
        patched.setattr(pipeline, "KEPT_ACCOUNTS", kept_accounts)
        memory = MemoryStore(vectors, HashingEmbedder())
        try:
            assert ingest_files(memory.workspace("acme"), [path], batch_size=60).ingested == 480
        finally:
            memory.close()
    return written, kept[0]


def test_an_ingest_with_kept_indexes_writes_what_fresh_indexes_write(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _tickets(tmp_path / "tickets.csv", 480)
    kept, reused = _written(tmp_path / "kept", path, monkeypatch, min_claims=1)
    fresh, never = _written(tmp_path / "fresh", path, monkeypatch, min_claims=10**9)
    assert reused > 20 and never == 0
    assert len(kept) > 480
    assert kept == fresh
    # With only the last 30 signals' accounts kept, the others are read back from the store: the same points.
    bounded, _ = _written(tmp_path / "bounded", path, monkeypatch, min_claims=1, kept_accounts=30)
    assert bounded == kept


def test_a_point_list_matches_its_matrix_in_the_redo_record() -> None:
    """The redo record's vector bytes, taken from the matrix, are those of the point's list of floats."""
    from memory.batches import _journal_entry, _rows

    matrix = np.random.default_rng(3).standard_normal((4, 8)).astype(np.float32)
    for point, row in zip([Point(id=str(i), vector=v.tolist(), payload={}) for i, v in enumerate(matrix)],
                          _rows(matrix), strict=True):
        assert _journal_entry(point, row) == _journal_entry(point)
    assert _rows([]).shape[0] == 0
    assert [_journal_entry(Point(id="x", vector=v.tolist(), payload={}), r)["vector"]
            for v, r in zip(list(matrix), _rows(list(matrix)), strict=True)] == [
                _journal_entry(Point(id="x", vector=v.tolist(), payload={}))["vector"] for v in matrix]


def test_the_redo_record_is_the_json_of_its_entries(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch string assembled from entries encoded ahead is ``json.dumps`` of the nested record, to the byte."""
    import json

    from memory.batches import _journal_entry
    from memory.scoped import META
    from tests.support.workspace import ticket_csv

    vectors = EdgeStore(tmp_path / "store")
    records: list[str] = []
    expected: list[str] = []
    upsert = vectors.upsert

    def record(collection: str, points: Any) -> None:
        if collection == META and "batch" in points[0].payload:
            records.append(points[0].payload["batch"])
        elif collection.split("__", 1)[0] in ("signals", "claims"):
            expected.append(json.dumps([_journal_entry(p) for p in points], separators=(",", ":")))
        upsert(collection, points)

    monkeypatch.setattr(vectors, "upsert", record)
    memory = MemoryStore(vectors, HashingEmbedder())
    try:
        path = ticket_csv(tmp_path / "t.csv", 90)
        assert ingest_files(memory.workspace("acme"), [path], batch_size=40).ingested == 90
    finally:
        memory.close()
    assert len(records) == 3
    # Each batch wrote its claims, then its signals: the record holds the same entries, in that layout.
    for i, batch in enumerate(records):
        claims, signals = expected[2 * i], expected[2 * i + 1]
        assert batch == f'{{"signals":{signals},"claims":{claims}}}'
        assert json.loads(batch)["signals"][0]["payload"]["workspace"] == "acme"
