"""Claims kept between an ingest's batches (``claims_by_subject(..., cached=True)``) are what a fresh read gives.

The kept claims are reused only while the claims collection's generation is unchanged: the ingest's own
batch writes update them, any other write or delete (another object, another store on the same
directory, as another process would be) drops them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kernel.schemas import Claim, ClaimType
from memory.claim_store import ClaimStore
from memory.ingest.pipeline import ingest_files
from memory.repository import MemoryStore, WorkspaceMemory
from memory.store.client import ClientStore
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder
from tests.support.workspace import ticket_csv

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _claims(ws: WorkspaceMemory) -> list[list[Any]]:
    return sorted(
        [st, subj, c.id, c.type.value, c.text, c.status.value, c.evidence, c.support, c.contradicted_by, c.accounts,
         c.confidence, c.first_seen.isoformat(), c.last_seen.isoformat()]
        for st, subj, c in ws.iter_claims()
    )


def _need(text: str, signal: str = "s1") -> Claim:
    return Claim(type=ClaimType.NEED, text=text, evidence=[signal], first_seen=WHEN, last_seen=WHEN)


def test_an_ingest_writes_the_same_claims_with_and_without_the_kept_claims(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ticket_csv(tmp_path / "tickets.csv", 240)
    fresh_read = ClaimStore.claims_by_subject
    reused = [0]

    def run(name: str, cached: bool) -> list[list[Any]]:
        mem = MemoryStore(EdgeStore(tmp_path / name), HashingEmbedder())
        try:
            ws = mem.workspace("acme")

            def read(self: ClaimStore, subjects: Any, *, cached: bool = False) -> Any:
                kept = self._claims_read
                if cached and kept is not None and kept.generation == self._store.generation(self._memory.claims):
                    reused[0] += 1
                    # what is kept equals what the store holds now
                    subjects = list(subjects)
                    assert fresh_read(self, subjects) == fresh_read(self, subjects, cached=True)
                return fresh_read(self, subjects, cached=cached and use_cache)

            use_cache = cached
            monkeypatch.setattr(ClaimStore, "claims_by_subject", read)
            ingest_files(ws, [path], batch_size=30)
            return _claims(ws)
        finally:
            mem.close()

    without = run("without", cached=False)
    assert reused[0] == 0
    with_cache = run("with", cached=True)
    assert reused[0] >= 3  # batches after the first reused the claims kept
    assert with_cache == without and len(without) > 20


def test_a_delete_through_another_object_is_seen(tmp_path: Path, home: Path) -> None:
    mem = MemoryStore(EdgeStore(tmp_path / "s"), HashingEmbedder())
    try:
        ws = mem.workspace("acme")
        ws.upsert_claims([("segment", "smb", _need(t)) for t in ("exports time out", "wants dark mode", "slow search")])
        first = ws.claims_by_subject([("segment", "smb")], cached=True)[("segment", "smb")]
        assert len(first) == 3 and ws._claims_read is not None
        gone = first[0].id
        mem.workspace("acme").delete_claims([gone])  # another object on the same store (e.g. a forget)
        again = ws.claims_by_subject([("segment", "smb")], cached=True)[("segment", "smb")]
        assert [c.id for c in again] == [c.id for c in first[1:]]
        assert again == ws.claims_by_subject([("segment", "smb")])[("segment", "smb")]
    finally:
        mem.close()


def test_a_write_by_another_store_on_the_same_directory_is_seen(tmp_path: Path, home: Path) -> None:
    # Two EdgeStores on one directory take turns with its lock exactly like two processes.
    mine = MemoryStore(EdgeStore(tmp_path / "s", linger_s=0.2), HashingEmbedder())
    theirs = MemoryStore(EdgeStore(tmp_path / "s", linger_s=0.2), HashingEmbedder())
    try:
        ws = mine.workspace("acme")
        ws.upsert_claims([("segment", "smb", _need("exports time out"))])
        first = ws.claims_by_subject([("segment", "smb")], cached=True)[("segment", "smb")]
        assert [c.text for c in first] == ["exports time out"]
        other = theirs.workspace("acme")
        other.delete_claims([first[0].id])
        other.upsert_claims([("segment", "smb", _need("needs SSO login", "s2"))])
        theirs.store.close()
        again = ws.claims_by_subject([("segment", "smb")], cached=True)[("segment", "smb")]
        assert [c.text for c in again] == ["needs SSO login"]
    finally:
        mine.close()
        theirs.close()


def test_a_backend_without_generations_always_reads(tmp_path: Path) -> None:
    mem = MemoryStore(ClientStore(location=":memory:"), HashingEmbedder())
    try:
        ws = mem.workspace("acme")
        ws.upsert_claims([("segment", "smb", _need("exports time out"))])
        ws.claims_by_subject([("segment", "smb")], cached=True)
        assert ws._claims_read is None
        mem.store.upsert(mem.claims, [])  # nothing to reuse: a direct write is always seen
        ws.upsert_claims([("segment", "smb", _need("wants dark mode", "s2"))])
        assert len(ws.claims_by_subject([("segment", "smb")], cached=True)[("segment", "smb")]) == 2
    finally:
        mem.close()
