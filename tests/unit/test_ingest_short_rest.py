"""Model calls of several batches (a source's short last rows, then ramped calls), stored batch by batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

import memory.ingest.pipeline as pipeline
from kernel.errors import TransientError
from kernel.schemas import SignalKind
from memory.ingest.pipeline import ingest_files
from memory.ingest.rows import RawRow
from memory.ingest.source import Source
from memory.repository import MemoryStore, WorkspaceMemory
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder

TOPICS = ["export to PDF fails", "dark mode for the editor", "sync drops my edits", "invoices show the wrong VAT",
          "search misses archived projects", "login loops on Safari", "calendar shows the wrong time zone"]


def tickets(path: Path, rows: int, *, changed: dict[int, str] | None = None) -> Path:
    lines = ["id,body,user,account,segment"]
    for i in range(rows):
        text = f"Ticket {i}: {TOPICS[i % len(TOPICS)]} since the update, week {i // 7}"
        lines.append(f"{i},{(changed or {}).get(i, text)},u{i % 13},acct{i % 5},{'smb' if i % 2 else 'enterprise'}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture()
def store(tmp_path: Path, home: Path) -> Iterator[MemoryStore]:
    mem = MemoryStore(EdgeStore(tmp_path / "store"), HashingEmbedder())
    yield mem
    mem.close()


def spy_calls(store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    # The test embedder stands for MiniLM, which packs its passes by length within a call.
    monkeypatch.setattr(store.embedder, "packs_by_length", True)
    calls: list[list[str]] = []
    real = store.embedder.embed

    def spy(texts: Sequence[str]) -> np.ndarray:
        calls.append(list(texts))
        return real(texts)

    monkeypatch.setattr(store.embedder, "embed", spy)
    return calls


def one_batch_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_short_rest", lambda source, batch_size: False)
    monkeypatch.setattr(pipeline, "_call_size", lambda source, batch_size, calls: 1)


def stored(ws: WorkspaceMemory) -> tuple[Sequence[object], Sequence[object]]:
    """Every stored signal (its row, text, type, sentiment and vector's bytes) and claim, sorted; by row id."""
    rows = {s.id: s.external_id for s, _ in ws.iter_signals()}
    signals = sorted((s.external_id, s.text, str(s.signal_type), str(s.sentiment),
                      np.asarray(v, dtype=np.float32).tobytes()) for s, v in ws.iter_signals(with_vectors=True))
    claims = sorted((kind, subject, str(c.type), c.text, c.support, c.accounts, round(c.confidence, 6),
                     tuple(sorted(rows[e] for e in c.evidence))) for kind, subject, c in ws.iter_claims())
    return signals, claims


def test_short_rest_is_embedded_with_the_batch_before_and_stored_as_sequential_batches(
    tmp_path: Path, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tickets(tmp_path / "tickets.csv", 47)  # 40 + 7: the rest is under half a batch
    calls = spy_calls(store, monkeypatch)
    ws = store.workspace("joined")
    progress: list[tuple[int, int]] = []
    report = ingest_files(ws, [path], batch_size=40, progress=lambda done, _: progress.append((done, ws.count())))
    assert (report.ingested, report.updated, report.duplicates) == (47, 0, 0)
    assert [len(c) for c in calls] == [47]  # one model call for both batches
    # Still stored as two batches: progress after each, once it is stored.
    assert progress == [(40, 40), (47, 47)]

    one_batch_per_call(monkeypatch)
    calls.clear()
    reference = store.workspace("alone")
    assert ingest_files(reference, [path], batch_size=40).ingested == 47
    assert [len(c) for c in calls] == [40, 7]
    # Same signals (texts, tags, vectors: the test embedder's vector of a text does not depend on its call)
    # and the same profile claims as batches embedded one by one.
    joined, alone = stored(ws), stored(reference)
    assert len(joined[0]) == 47 and joined[1]
    assert joined == alone


def test_calls_ramp_up_to_four_batches_and_back_down_with_the_same_result(
    tmp_path: Path, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tickets(tmp_path / "tickets.csv", 130)
    calls = spy_calls(store, monkeypatch)
    ws = store.workspace("ramped")
    progress: list[tuple[int, int]] = []
    report = ingest_files(ws, [path], batch_size=10, progress=lambda done, _: progress.append((done, ws.count())))
    assert report.ingested == 130
    # One batch first (the model starts at once), then 2, 4 (at most), and single batches again at the end.
    assert [len(c) for c in calls] == [10, 20, 40, 30, 10, 10, 10]
    # Each batch reported once it is stored (and the file's end, as before).
    assert progress == [(n, n) for n in range(10, 140, 10)] + [(130, 130)]

    one_batch_per_call(monkeypatch)
    calls.clear()
    reference = store.workspace("alone")
    assert ingest_files(reference, [path], batch_size=10).ingested == 130
    assert [len(c) for c in calls] == [10] * 13
    assert stored(ws) == stored(reference)


def test_rest_of_half_a_batch_or_more_keeps_its_own_call(
    tmp_path: Path, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy_calls(store, monkeypatch)
    report = ingest_files(store.workspace("acme"), [tickets(tmp_path / "t.csv", 60)], batch_size=40)
    assert report.ingested == 60
    assert [len(c) for c in calls] == [40, 20]


def test_embedder_that_does_not_pack_by_length_gets_one_batch_per_call(tmp_path: Path, store: MemoryStore) -> None:
    calls: list[int] = []
    real = store.embedder.embed
    store.embedder.embed = lambda texts: calls.append(len(texts)) or real(texts)  # type: ignore[method-assign]
    assert not store.embedder.packs_by_length  # an endpoint's requests are fixed-size: nothing to gain
    assert ingest_files(store.workspace("acme"), [tickets(tmp_path / "t.csv", 87)], batch_size=20).ingested == 87
    assert calls == [20, 20, 20, 20, 7]


def test_source_of_unknown_size_keeps_one_batch_per_call(tmp_path: Path) -> None:
    def rows(source: Source) -> Iterator[RawRow]:
        return iter(())

    unknown = Source(path=tmp_path / "x.csv", kind=SignalKind.TICKET, total=None, _produce=rows)
    assert [pipeline._call_size(unknown, 10, calls) for calls in range(4)] == [1, 1, 1, 1]
    assert not pipeline._short_rest(unknown, 10)
    known = Source(path=tmp_path / "x.csv", kind=SignalKind.TICKET, total=1000, _produce=rows)
    assert [pipeline._call_size(known, 10, calls) for calls in range(4)] == [1, 2, 4, 4]


def test_rows_edited_in_the_held_batch_and_the_rest_are_updated_in_one_call(
    tmp_path: Path, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = store.workspace("acme")
    assert ingest_files(ws, [tickets(tmp_path / "t.csv", 47)], batch_size=40).ingested == 47
    calls = spy_calls(store, monkeypatch)
    edited = {5: "Ticket 5: export now crashes the whole app", 44: "Ticket 44: the login page is blank"}
    report = ingest_files(ws, [tickets(tmp_path / "t.csv", 47, changed=edited)], batch_size=40)
    assert (report.ingested, report.updated, report.duplicates) == (0, 2, 45)
    assert calls == [list(edited.values())]
    texts = {s.external_id: s.text for s, _ in ws.iter_signals()}
    assert len(texts) == 47 and texts["5"] == edited[5] and texts["44"] == edited[44]


def test_failed_joint_call_stores_neither_batch_and_a_rerun_completes(
    tmp_path: Path, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tickets(tmp_path / "t.csv", 45)
    ws = store.workspace("acme")
    real = store.embedder.embed

    def down(texts: Sequence[str]) -> np.ndarray:
        raise TransientError("embeddings endpoint failed: down")

    monkeypatch.setattr(store.embedder, "embed", down)
    with pytest.raises(TransientError):
        ingest_files(ws, [path], batch_size=40)
    assert ws.count() == 0
    monkeypatch.setattr(store.embedder, "embed", real)
    report = ingest_files(ws, [path], batch_size=40)
    assert report.ingested == 45 and ws.count() == 45
