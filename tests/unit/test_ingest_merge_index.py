"""Ingest's profile merge finds the claims a new claim can meet through a word index, not by scanning them all.

A segment gathers thousands of claims, and comparing every new claim with each of them was most of a
10,000-row ingest's own CPU. The claims written must be exactly those of the merge that scans every claim
of the family, asks the store for neighbours whenever words cannot decide, and reads each claim's
evidence from the store on every reinforcement.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import memory.profiles as profiles
from kernel.schemas import Claim, Signal
from memory.claim_text import _FAMILY
from memory.ingest.pipeline import ingest_files
from memory.repository import MemoryStore, WorkspaceMemory
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder

FEATURES = ["export", "sync", "login page", "invoice", "dashboard", "search", "calendar", "mobile app",
            "pdf report", "dark mode", "sso", "api"]
SAYINGS = [
    "The {f} keeps crashing", "The {f} is too slow", "{f} fails every time", "I love the {f}",
    "We need {f} {q}", "Please add {f} support", "We don't need {f} anymore", "The {f} works great",
    "{f} is confusing and slow", "It would be great to have {f} {q}", "We are cancelling because of {f}",
    "We prefer the {f}",
]
QUALIFIERS = ["for 10 users", "for 50 users", "on the pro plan", "on the basic plan", ""]


def _tickets(path: Path, rows: int) -> Path:
    """Varied claims over 40 users, 6 accounts and 2 segments: segments gather many claims per family."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "body", "user", "account", "segment", "created_at"])
        for i in range(rows):
            saying = SAYINGS[(i * 7) % len(SAYINGS)]
            text = saying.format(f=FEATURES[(i * 5 + i // 12) % len(FEATURES)], q=QUALIFIERS[i % len(QUALIFIERS)])
            writer.writerow([f"T-{i}", text.strip(), f"u{i % 40}", f"acct{i % 6}", ("smb", "enterprise")[i % 2],
                             f"2026-{1 + (i * 11) % 12:02d}-{1 + i % 28:02d}"])
    return path


def _claims(ws: WorkspaceMemory) -> list[list[Any]]:
    return sorted(
        [st, subj, c.id, c.type.value, c.text, c.status.value, c.evidence, c.support, c.contradicted_by, c.accounts,
         c.confidence, c.first_seen.isoformat(), c.last_seen.isoformat()]
        for st, subj, c in ws.iter_claims()
    )


def _scan_whole_family(self: Any, new: Claim, similar: Any) -> list[str]:
    """Every claim of the new claim's family, in the subject's order (the claims created in the merge last)."""
    family = _FAMILY[new.type]
    return [key for key, claim in self.__dict__.get("all", []) if _FAMILY[claim.type] == family]


def _read_every_time(
    memory: Any, claim: Claim, known: dict[str, Signal], read: Any = None, earlier: Any = None
) -> Claim:
    return _RECOUNT(memory, claim, known, None)


_INIT = profiles._SubjectIndex.__init__


def _index_keeping_all(self: Any, claims: Any, *, stored: Any = None, keys: Any = None) -> None:
    """A fresh index of the claims (never one kept from the batch before) that also lists every claim in order."""
    claims = list(claims)
    _INIT(self, claims)
    self.__dict__["all"] = [(profiles._claim_key(c), c) for c in claims]


_RECOUNT = profiles._recount_accounts


@pytest.fixture()
def path(tmp_path: Path) -> Iterator[Path]:
    yield _tickets(tmp_path / "tickets.csv", 480)


def _run(root: Path, path: Path, monkeypatch: pytest.MonkeyPatch, reference: bool) -> tuple[list[list[Any]], int]:
    asked = [0]
    with monkeypatch.context() as patched:
        if reference:
            patched.setattr(profiles._SubjectIndex, "candidates", _scan_whole_family)
            add = profiles._SubjectIndex.add

            def add_and_keep(self: Any, key: str, claim: Claim) -> None:
                self.__dict__.setdefault("all", []).append((key, claim))
                add(self, key, claim)

            patched.setattr(profiles._SubjectIndex, "add", add_and_keep)
            patched.setattr(profiles._SubjectIndex, "needs_embedding_match",
                            lambda self, new: profiles._needs_embedding_match(
                                [c for _, c in self.__dict__.get("all", [])], new))
            patched.setattr(profiles.SubjectIndexes, "index",
                            lambda self, subject, claims: profiles._SubjectIndex(claims.values()))
            patched.setattr(profiles._SubjectIndex, "__init__", _index_keeping_all)
            patched.setattr(profiles, "_recount_accounts", _read_every_time)
            patched.setattr(profiles, "_searched_ahead", lambda texts, text: False)
        memory = MemoryStore(EdgeStore(root), HashingEmbedder())
        try:
            ws = memory.workspace("acme")
            similar = ws.similar_claims

            def count(*args: Any, **kwargs: Any) -> Any:
                asked[0] += 1
                return similar(*args, **kwargs)

            patched.setattr(ws, "similar_claims", count)
            report = ingest_files(ws, [path], batch_size=60)
            assert report.ingested == 480
            return _claims(ws), asked[0]
        finally:
            memory.close()


def test_indexed_merge_writes_the_claims_of_the_merge_that_scans_every_claim(
    tmp_path: Path, home: Path, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexed, asked = _run(tmp_path / "indexed", path, monkeypatch, reference=False)
    scanned, asked_before = _run(tmp_path / "scanned", path, monkeypatch, reference=True)
    assert indexed == scanned
    # The data exercises every rule: reinforced, contradicted and superseded claims, on busy segments.
    assert {c[5] for c in indexed} == {"active", "contradicted", "superseded"}
    assert max(c[7] for c in indexed if c[0] == "segment") >= 10
    assert sum(1 for c in indexed if c[0] == "segment") >= 40
    # The store was asked for neighbours one claim at a time before; those answers could not change the merge.
    assert asked_before > asked == 0
