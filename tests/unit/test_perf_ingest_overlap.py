"""Ingest plans a batch's profile update and builds its points' payloads before waiting for the model.

The stored signals and claims must be exactly those of the order used before (everything computed
after the batch's vectors arrived), whether the model is still embedding or already done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import memory.ingest.pipeline as pipeline
from memory.ingest.pipeline import ingest_files
from memory.repository import MemoryStore
from memory.store.base import Point
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder
from tests.support.workspace import ticket_csv


class SlowHashingEmbedder(HashingEmbedder):
    """The hashing embedder, taking a while per call like a real model (the caller then waits for it)."""

    def _embed(self, texts: list[str]) -> np.ndarray:
        time.sleep(0.05)
        return super()._embed(texts)


def _store_before(self: Any, prepared: Any) -> None:
    """``_Pipeline._store`` as it was: the profile plan and the points built after the vectors arrived."""
    if prepared.vectors is not None:
        stored = pipeline._merge_and_commit(self._memory, prepared.fresh, prepared.vectors.result())
        if self._on_batch is not None and stored:
            self._on_batch(stored)
    for callback in prepared.then:
        callback()


def _ingest(root: Path, path: Path, embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch,
            store: Callable[[Any, Any], None] | None) -> dict[str, list[tuple[Any, ...]]]:
    """Every point written to the signals and claims collections, in write order."""
    vectors = EdgeStore(root)
    written: dict[str, list[tuple[Any, ...]]] = {"signals": [], "claims": []}
    upsert = vectors.upsert

    def record(collection: str, points: Any) -> None:
        kind = collection.split("__", 1)[0]
        if kind in written:
            written[kind].extend(_point(p) for p in points)
        upsert(collection, points)

    monkeypatch.setattr(vectors, "upsert", record)
    with monkeypatch.context() as patched:
        if store is not None:
            patched.setattr(pipeline._Pipeline, "_store", store)
        memory = MemoryStore(vectors, embedder)
        try:
            report = ingest_files(memory.workspace("acme"), [path], batch_size=40)
        finally:
            memory.close()
    assert report.ingested == 240
    return written


def _point(p: Point) -> tuple[Any, ...]:
    sparse = (tuple(p.sparse.indices), tuple(p.sparse.values)) if p.sparse is not None else None
    return p.id, p.payload, tuple(np.asarray(p.vector, dtype=np.float32).tolist()), sparse


@pytest.mark.parametrize("embedder", [HashingEmbedder, SlowHashingEmbedder])
def test_ingest_stores_what_it_stored_when_everything_waited_for_the_vectors(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, embedder: type[HashingEmbedder]
) -> None:
    path = ticket_csv(tmp_path / "tickets.csv", 240)
    now = _ingest(tmp_path / "now", path, embedder(), monkeypatch, None)
    before = _ingest(tmp_path / "before", path, embedder(), monkeypatch, _store_before)
    assert len(now["signals"]) == 240 and len(now["claims"]) > 0
    assert any(p[1].get("support", 0) > 1 for p in now["claims"])  # claims merged across batches
    assert now == before


def test_points_built_ahead_must_match_their_signals(tmp_path: Path, home: Path) -> None:
    from kernel.errors import InputError
    from memory.batches import signal_parts

    path = ticket_csv(tmp_path / "tickets.csv", 4)
    memory = MemoryStore(EdgeStore(tmp_path / "s"), HashingEmbedder())
    try:
        ws = memory.workspace("acme")
        ingest_files(ws, [path])
        signals = [signal for signal, _ in ws.iter_signals()]
        assert len(signals) == 4
        with pytest.raises(InputError, match="parts"):
            ws.commit_batch(signals, ws.embedder.embed([s.text for s in signals]), [], [],
                            signal_parts(signals[:-1]))
    finally:
        memory.close()
