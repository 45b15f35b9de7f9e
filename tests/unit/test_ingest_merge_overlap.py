"""Ingest merges a batch's profile claims while the model is still embedding the batch.

The merge waits for the batch's vectors only when it needs one (a claim compared by meaning, or the
claims to write), so in a workspace without claims the whole first batch's merge runs during the model's
call; what is stored is what the merge after the vectors arrived stored (see test_perf_ingest_overlap).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import memory.ingest.pipeline as pipeline
import memory.profiles as profiles
from memory.ingest.pipeline import ingest_files
from memory.repository import MemoryStore, WorkspaceMemory
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder
from tests.support.workspace import ticket_csv


class GatedEmbedder(HashingEmbedder):
    """Embeds only once the gate opens (at most 10 s later): the model still busy with the batch."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def _embed(self, texts: list[str]) -> np.ndarray:
        self.gate.wait(timeout=10)
        return super()._embed(texts)


def test_the_first_batch_is_merged_before_its_vectors_exist(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ticket_csv(tmp_path / "tickets.csv", 120)
    embedder = GatedEmbedder()
    merged_early = [0]
    merged = [0]
    merge_claims = profiles.merge_claims

    def counting(existing: Any, new: Any) -> Any:
        merged[0] += 1
        merged_early[0] += not embedder.gate.is_set()
        return merge_claims(existing, new)

    matrix = pipeline._BatchVectors.matrix.fget
    assert matrix is not None

    def first_need(self: Any) -> np.ndarray:
        embedder.gate.set()  # the merge needs a vector: only now may the model finish
        out: np.ndarray = matrix(self)
        return out

    staged_early: list[bool] = []
    stage = WorkspaceMemory.stage_batch

    def staging(self: Any, *args: Any, **kwargs: Any) -> Any:
        staged_early.append(not embedder.gate.is_set())
        return stage(self, *args, **kwargs)

    monkeypatch.setattr(WorkspaceMemory, "stage_batch", staging)
    monkeypatch.setattr(profiles, "merge_claims", counting)
    monkeypatch.setattr(pipeline._BatchVectors, "matrix", property(first_need))
    memory = MemoryStore(EdgeStore(tmp_path / "store"), embedder)
    try:
        report = ingest_files(memory.workspace("acme"), [path], batch_size=200)
        claims = sum(1 for _ in memory.workspace("acme").iter_claims())
    finally:
        memory.close()
    assert report.ingested == 120
    assert claims > 0
    assert merged[0] > 0
    assert merged_early[0] == merged[0]  # one batch, no stored claims: nothing needed a vector before the end
    assert staged_early == [True]  # its points' payloads, sparse vectors and redo-record entries too


def test_a_model_failure_is_raised_before_anything_of_the_batch_is_stored(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kernel.errors import TransientError

    class Failing(HashingEmbedder):
        def _embed(self, texts: list[str]) -> np.ndarray:
            raise TransientError("embeddings endpoint down")

    path = ticket_csv(tmp_path / "tickets.csv", 60)
    memory = MemoryStore(EdgeStore(tmp_path / "store"), Failing())
    try:
        ws = memory.workspace("acme")
        with pytest.raises(TransientError):
            ingest_files(ws, [path], batch_size=200)
        assert sum(1 for _ in ws.iter_claims()) == 0
        assert ws.count() == 0
    finally:
        memory.close()
