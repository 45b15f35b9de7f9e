"""A dependency failing mid-ingest (embeddings endpoint down after some batches): resume without duplicates."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kernel.errors import TransientError
from memory.embeddings import Embedder
from memory.ingest.pipeline import ingest_files
from memory.repository import MemoryStore
from memory.sparse import tokenize
from memory.store.edge import EdgeStore
from tests.support.workspace import export_signals_csv


class FlakyEmbedder(Embedder):
    """Hashing embedder that fails with TransientError on chosen calls (an endpoint going down)."""

    name = "flaky-hashing"

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.fail_on: set[int] = set()

    @property
    def dim(self) -> int:
        return 32

    def _embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.calls in self.fail_on:
            raise TransientError("embeddings endpoint unavailable (503)")
        matrix = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text) or ["<empty>"]:
                matrix[row, zlib.crc32(token.encode()) % self.dim] += 1.0
        return matrix


@pytest.fixture()
def store(tmp_path: Path, home: Path) -> Iterator[MemoryStore]:
    memory = MemoryStore(EdgeStore(tmp_path / "store"), FlakyEmbedder())
    yield memory
    memory.close()


@pytest.mark.parametrize("fail_at", [2, 3, 5])
def test_embeddings_down_mid_ingest_then_rerun(store: MemoryStore, tmp_path: Path, fail_at: int) -> None:
    embedder = store.embedder
    assert isinstance(embedder, FlakyEmbedder)
    embedder.fail_on = {fail_at}
    ws = store.workspace("flaky")
    data = export_signals_csv(tmp_path / "signals.csv", 100)
    with pytest.raises(TransientError):
        ingest_files(ws, [data], batch_size=20)
    stored = ws.count()
    assert stored % 20 == 0 and 0 <= stored < 100, "whole batches only: nothing half-written"
    report = ingest_files(ws, [data], batch_size=20)
    assert report.duplicates == stored and report.ingested == 100 - stored and report.updated == 0
    assert ws.count() == 100
    assert len({s.external_id for s, _ in ws.iter_signals()}) == 100
