"""The end of an ingest drops its last redo record without reading it back only when that record is its own.

``BatchWriter.finish_batches`` deletes the record when ``meta`` is unchanged since the object's last
``commit_batch`` (nothing can have replaced it); after any other write to ``meta`` it recovers as
``recover`` does, so a half-written batch of another writer is still finished, never dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from kernel.schemas import Signal, SignalKind, signal_id, utcnow
from memory.ingest.pipeline import ingest_files
from memory.repository import MemoryStore
from memory.scoped import META
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder
from tests.support.workspace import ticket_csv


def _signal(ws: Any, n: int) -> Signal:
    return Signal(id=signal_id(ws.workspace, "t.csv", f"T-{n}", 0), workspace=ws.workspace, kind=SignalKind.TICKET,
                  source="t.csv", external_id=f"T-{n}", text=f"The export keeps failing {n}", created_at=utcnow(),
                  content_hash=f"h{n}")


def test_an_ingest_leaves_no_redo_record_and_reads_none_back(tmp_path: Path) -> None:
    mem = MemoryStore(EdgeStore(tmp_path / "store"), HashingEmbedder())
    ws = mem.workspace("acme")
    read: list[int] = []
    real = ws._recover_locked

    def counted() -> int:
        read.append(1)
        return real()

    ws._recover_locked = counted  # type: ignore[method-assign]
    report = ingest_files(ws, [ticket_csv(tmp_path / "tickets.csv", 90)], batch_size=32)
    assert report.ingested == 90
    assert read == [1]  # the recover before the first batch; the end dropped the record without reading it
    assert mem.store.retrieve(META, [ws._journal_id()]) == []
    assert ws.recover() == 0


def test_a_record_written_by_another_object_is_recovered_not_dropped(tmp_path: Path) -> None:
    mem = MemoryStore(EdgeStore(tmp_path / "store"), HashingEmbedder())
    ws, other = mem.workspace("acme"), mem.workspace("acme")
    first = _signal(ws, 1)
    ws.commit_batch([first], mem.embedder.embed([first.text]), [], [])
    # Another writer's batch: its redo record replaces ours, and only its claims were stored (killed before its
    # signals): the end of our ingest must finish it, as recover does.
    second = _signal(other, 2)
    vectors = mem.embedder.embed([second.text])
    real_upsert = mem.store.upsert

    def killed(collection: str, points: Any) -> None:
        if collection == mem.signals:
            raise RuntimeError("killed")
        real_upsert(collection, points)

    mem.store.upsert = killed  # type: ignore[method-assign]
    try:
        other.commit_batch([second], np.asarray(vectors), [], [])
    except RuntimeError:
        pass
    mem.store.upsert = real_upsert  # type: ignore[method-assign]
    assert other.get_signals([second.id]) == []
    assert ws.finish_batches() == 1
    assert [s.id for s in ws.get_signals([second.id])] == [second.id]
    assert mem.store.retrieve(META, [ws._journal_id()]) == []
