"""The ingest pipeline end to end on a real embedded store: counts, idempotency, redaction, batching."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from kernel.errors import InputError, TransientError
from kernel.schemas import Claim, Signal, SignalKind, SignalType, signal_id
from kernel.settings import get_settings
from memory.embeddings import LocalEmbedder
from memory.ingest.pipeline import ingest_files
from memory.repository import MemoryStore, WorkspaceMemory
from memory.store.base import Point
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
FIXTURES = sorted(p for p in FIX.iterdir() if p.name != "customer_voice.csv")




@pytest.fixture(scope="module")
def minilm() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture()
def store(tmp_path: Path, home: Path) -> Iterator[MemoryStore]:
    mem = MemoryStore(EdgeStore(tmp_path / "store"), HashingEmbedder())
    yield mem
    mem.close()


def all_signals(ws: WorkspaceMemory) -> list[Signal]:
    return [s for s, _ in ws.iter_signals()]


@pytest.mark.slow
def test_fixtures_end_to_end_with_minilm(tmp_path: Path, home: Path, minilm: LocalEmbedder) -> None:
    mem = MemoryStore(EdgeStore(tmp_path / "store"), minilm)
    ws = mem.workspace("acme")
    report = ingest_files(ws, FIXTURES)
    assert (report.ingested, report.duplicates, report.updated) == (41, 0, 0)
    assert len(report.rejected) == 10
    assert {(Path(r.path).name, r.line) for r in report.rejected} >= {
        ("support_tickets.csv", 9), ("support_tickets.csv", 11), ("feedback.jsonl", 3),
        ("zendesk_tickets.json", 24), ("product_events.csv", 8),
    }
    assert ws.stats().signals == 41

    ticket = ws.get_signals([signal_id("acme", "support_tickets.csv", "48213", 0)])[0]
    assert ticket.redacted and "[EMAIL]" in ticket.text and "[PHONE]" in ticket.text
    assert "northwind.example" not in ticket.text and "555-0132" not in ticket.text
    assert ticket.user_id == "maria.gonzalez@northwind.example"  # identity kept for search and forget
    assert ticket.kind == SignalKind.TICKET and ticket.account_id == "Northwind"
    zendesk = ws.get_signals([signal_id("acme", "zendesk_tickets.json", "35437", 0)])[0]
    assert "Bearer [SECRET]" in zendesk.text
    review = ws.get_signals([signal_id("acme", "appstore_reviews.csv", "r-9004", 0)])[0]
    assert "[CARD]" in review.text and review.rating == 1.0
    stem = "interview-northwind-2026-03-04"
    turn = ws.get_signals([signal_id("acme", f"{stem}.md", stem, 3)])[0]
    assert "[PHONE]" in turn.text and turn.role == "customer" and turn.speaker == "Maria Gonzalez"
    usage = ws.get_signals([signal_id("acme", "product_events.csv", "usage:u-100:export_to_pdf", 0)])[0]
    assert usage.signal_type == SignalType.USAGE_PATTERN and usage.kind == SignalKind.USAGE
    churn = ws.get_signals([signal_id("acme", "support_tickets.csv", "48218", 0)])[0]
    assert churn.signal_type == SignalType.CHURN_RISK and churn.sentiment < 0
    assert all(s.content_hash for s in all_signals(ws))
    assert any(True for _ in ws.iter_claims())  # profiles were updated from the new signals

    hits = ws.search("single sign-on with Azure Active Directory", limit=3)
    assert any("SSO" in h.text for h in hits)

    again = ingest_files(ws, FIXTURES)
    assert (again.ingested, again.duplicates, again.updated) == (0, 41, 0)
    assert len(again.rejected) == 10
    assert ws.stats().signals == 41
    mem.close()


def test_edited_row_updates_in_place_and_new_row_is_added(tmp_path: Path, store: MemoryStore) -> None:
    ws = store.workspace("acme")
    src = tmp_path / "in" / "support_tickets.csv"
    src.parent.mkdir()
    shutil.copy(FIX / "support_tickets.csv", src)
    first = ingest_files(ws, [src])
    assert (first.ingested, first.updated, first.duplicates) == (5, 0, 0)
    before = ws.get_signals([signal_id("acme", "support_tickets.csv", "48216", 0)])[0]

    text = src.read_text().replace("takes 20+ seconds", "takes 45 seconds")
    text += (
        '48220,Dark mode,"Please add dark mode, my eyes hurt at night.",'
        "kai@hooli.example,Hooli,Starter,2026-03-07,low,new\n"
    )
    src.write_text(text)
    second = ingest_files(ws, [src])
    assert (second.ingested, second.updated, second.duplicates) == (1, 1, 4)
    after = ws.get_signals([before.id])[0]
    assert "takes 45 seconds" in after.text and after.content_hash != before.content_hash
    assert ws.stats().signals == 6


def test_bad_file_among_good_ones_stores_nothing(tmp_path: Path, store: MemoryStore) -> None:
    ws = store.workspace("acme")
    broken = tmp_path / "broken.json"
    broken.write_text('[{"text": "fine"}, {"text": "trunc')
    with pytest.raises(InputError, match="broken.json: invalid or truncated JSON"):
        ingest_files(ws, [FIX / "support_tickets.csv", FIX / "appstore_reviews.csv", broken])
    assert ws.stats().signals == 0
    with pytest.raises(InputError, match="no text column found"):
        ingest_files(ws, [FIX / "support_tickets.csv", FIX / "customer_voice.csv"])
    assert ws.stats().signals == 0


def test_mapping_and_kind_reach_the_store(store: MemoryStore) -> None:
    ws = store.workspace("acme")
    report = ingest_files(ws, [FIX / "customer_voice.csv"], kind="interview",
                          mapping={"Verbatim Notes": "text", "Org Name": "account_id"})
    assert report.ingested == 2
    signals = all_signals(ws)
    assert {s.kind for s in signals} == {SignalKind.INTERVIEW}
    assert {s.account_id for s in signals} == {"Northwind", "Initech"}


def test_batches_are_bounded_and_progress_is_reported(
    tmp_path: Path, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = store.workspace("acme")
    path = tmp_path / "tickets.csv"
    lines = ["id,body,user"]
    lines += [f"{i},Report {i} fails to export when the table has {i} rows,u{i % 7}" for i in range(300)]
    path.write_text("\n".join(lines) + "\n")
    sizes: list[int] = []
    real_commit = ws.commit_batch

    def spy(signals: Sequence[Signal], vectors: np.ndarray, *claims: object) -> None:
        sizes.append(len(signals))
        real_commit(signals, vectors, *claims)  # type: ignore[arg-type]

    monkeypatch.setattr(ws, "commit_batch", spy)
    calls: list[tuple[int, int | None]] = []
    report = ingest_files(ws, [path], batch_size=64, progress=lambda done, total: calls.append((done, total)))
    assert report.ingested == 300
    assert max(sizes) <= 64 and sum(sizes) == 300
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1] == (300, 300) and len(calls) >= 5
    with pytest.raises(InputError, match="batch_size"):
        ingest_files(ws, [path], batch_size=0)


def test_model_embeds_only_signal_texts_and_progress_follows_each_stored_batch(
    tmp_path: Path, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = store.workspace("acme")
    path = tmp_path / "tickets.csv"
    lines = ["id,body,user"]
    lines += [f"{i},Please add dark mode to the editor {i % 5},u{i}" for i in range(150)]  # one user each
    path.write_text("\n".join(lines) + "\n")
    embedded: list[str] = []
    real_embed = store.embedder.embed

    def spy(texts: Sequence[str]) -> np.ndarray:
        embedded.extend(texts)
        return real_embed(texts)

    monkeypatch.setattr(store.embedder, "embed", spy)
    stored_at_progress: list[tuple[int, int]] = []
    report = ingest_files(ws, [path], batch_size=40,
                          progress=lambda done, total: stored_at_progress.append((done, ws.count())))
    assert report.ingested == 150
    claims = [c for _, _, c in ws.iter_claims()]
    assert claims and all(c.text not in set(embedded) for c in claims)  # claim phrases reuse signal vectors
    assert set(embedded) == {s.text for s in all_signals(ws)}  # one model input per distinct signal text
    # Progress is reported once a batch is stored, never while it is still being embedded.
    assert stored_at_progress[:4] == [(40, 40), (80, 80), (120, 120), (150, 150)]


def test_row_repeated_in_the_next_batch_counts_as_sequential_ingest(tmp_path: Path, store: MemoryStore) -> None:
    # Same file name in two folders: the same signal ids, in consecutive batches (the second file's batch
    # is read and compared with the store while the first file's batch is not stored yet).
    ws = store.workspace("acme")
    first, second = tmp_path / "a" / "tickets.csv", tmp_path / "b" / "tickets.csv"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text("id,body,user\n" + "".join(f"{i},Export {i} fails on large tables,u{i}\n" for i in range(6)))
    second.write_text("id,body,user\n2,Export 2 fails on large tables,u2\n3,Export 3 now crashes the app,u3\n")
    report = ingest_files(ws, [first, second], batch_size=6)
    assert (report.ingested, report.updated, report.duplicates) == (6, 1, 1)
    texts = {s.external_id: s.text for s in all_signals(ws)}
    assert texts["3"] == "Export 3 now crashes the app" and len(texts) == 6


def test_workspaces_are_separate(store: MemoryStore) -> None:
    a, b = store.workspace("team-a"), store.workspace("team-b")
    assert ingest_files(a, [FIX / "appstore_reviews.csv"]).ingested == 5
    assert ingest_files(b, [FIX / "appstore_reviews.csv"]).ingested == 5
    assert a.stats().signals == 5 and b.stats().signals == 5


def test_redaction_can_be_switched_off(store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMPILOT_REDACT_PII", "false")
    get_settings.cache_clear()
    ws = store.workspace("acme")
    ingest_files(ws, [FIX / "support_tickets.csv"])
    ticket = ws.get_signals([signal_id("acme", "support_tickets.csv", "48213", 0)])[0]
    assert "maria.gonzalez@northwind.example" in ticket.text and not ticket.redacted
    get_settings.cache_clear()


# -- a failure inside a batch, then the same command again -----------------------------------

_PROFILE_TEXTS = [
    "Sync conflicts keep losing my edits", "We need SSO with Okta", "We don't need SSO anymore",
    "I love the export feature", "The export feature is broken again", "Our team uses the dashboard daily",
    "Our team uses the dashboard weekly", "Please add dark mode", "Way too expensive for what it does",
]


def _profile_csv(path: Path, rows: int = 90) -> Path:
    """Tickets whose claims reinforce, contradict and supersede each other across batches."""
    lines = ["id,body,user,account,segment,created_at"]
    for i in range(rows):
        text = _PROFILE_TEXTS[(i * 4) % len(_PROFILE_TEXTS)]
        lines.append(f"{i},{text},u{i % 11},acct{i % 4},{('smb', 'enterprise')[i % 2]},"
                     f"2026-{1 + i // 15:02d}-{1 + i % 15:02d}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _dump(ws: WorkspaceMemory) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    signals = sorted((s.id, s.content_hash, s.text, s.signal_type) for s in all_signals(ws))
    claims = sorted(
        (st, subj, c.id, c.type.value, c.text, c.status.value, tuple(c.evidence), c.support,
         tuple(c.contradicted_by), c.accounts, c.confidence)
        for st, subj, c in ws.iter_claims()
    )
    return signals, claims


@pytest.fixture()
def clean_profiles(tmp_path: Path, home: Path) -> tuple[Path, tuple[list[tuple[object, ...]], ...]]:
    path = _profile_csv(tmp_path / "tickets.csv")
    mem = MemoryStore(EdgeStore(tmp_path / "clean-store"), HashingEmbedder())
    ws = mem.workspace("acme")
    assert ingest_files(ws, [path], batch_size=30).ingested == 90
    dump = _dump(ws)
    mem.close()
    assert {c[5] for c in dump[1]} == {"active", "contradicted", "superseded"}
    return path, dump


def test_transient_error_in_profile_step_then_rerun_matches_clean_run(
    tmp_path: Path, store: MemoryStore, clean_profiles: tuple[Path, tuple[list[tuple[object, ...]], ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, clean = clean_profiles
    ws = store.workspace("acme")
    real = ws.claims_by_subject
    calls = []

    def flaky(subjects: Iterable[tuple[str, str]], *, cached: bool = False) -> dict[tuple[str, str], list[Claim]]:
        calls.append(1)
        if len(calls) == 2:  # batch 2's profile read
            raise TransientError("claims store timed out")
        return real(subjects, cached=cached)

    monkeypatch.setattr(ws, "claims_by_subject", flaky)
    with pytest.raises(TransientError):
        ingest_files(ws, [path], batch_size=30)
    assert ws.stats().signals == 30  # batch 1 only: nothing of batch 2 was stored
    again = ingest_files(ws, [path], batch_size=30)
    assert (again.duplicates, again.ingested, again.updated) == (30, 60, 0)
    assert _dump(ws) == clean


def test_store_failing_mid_claims_write_then_rerun_matches_clean_run(
    tmp_path: Path, store: MemoryStore, clean_profiles: tuple[Path, tuple[list[tuple[object, ...]], ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, clean = clean_profiles
    ws = store.workspace("acme")
    backend = store.store
    real = backend.upsert
    claim_writes = []

    def upsert(collection: str, points: Sequence[Point]) -> None:
        if collection == store.claims and points:
            claim_writes.append(len(points))
            if len(claim_writes) == 2:  # batch 2: half its claims reach the store, then it fails
                real(collection, points[: len(points) // 2])
                raise TransientError("store connection reset")
        real(collection, points)

    monkeypatch.setattr(backend, "upsert", upsert)
    with pytest.raises(TransientError):
        ingest_files(ws, [path], batch_size=30)
    batch2 = {s.id for s in all_signals(ws)} ^ {signal_id("acme", "tickets.csv", str(i)) for i in range(30)}
    assert batch2 == set()  # batch 2's signals are not stored ...
    second = {signal_id("acme", "tickets.csv", str(i)) for i in range(30, 60)}
    assert any(second & set(c.evidence) for _, _, c in ws.iter_claims())  # ... but some of its claims are

    again = ingest_files(ws, [path], batch_size=30)
    assert (again.duplicates, again.ingested, again.updated) == (60, 30, 0)  # batch 2 replayed first
    assert _dump(ws) == clean
    assert ws.recover() == 0


def test_forget_finishes_a_pending_batch_so_it_cannot_bring_the_person_back(
    tmp_path: Path, store: MemoryStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _profile_csv(tmp_path / "tickets.csv")
    ws = store.workspace("acme")
    backend = store.store
    real = backend.upsert
    signal_writes = []

    def upsert(collection: str, points: Sequence[Point]) -> None:
        if collection == store.signals and points:
            signal_writes.append(len(points))
            if len(signal_writes) == 2:  # batch 2's signals never arrive; its redo record and claims did
                raise TransientError("store connection reset")
        real(collection, points)

    monkeypatch.setattr(backend, "upsert", upsert)
    with pytest.raises(TransientError):
        ingest_files(ws, [path], batch_size=30)
    monkeypatch.setattr(backend, "upsert", real)
    assert ws.stats().signals == 30

    receipt = ws.forget_user("u3")
    # u3 wrote rows 3, 14, 25 (batch 1, stored) and 36, 47, 58 (batch 2, finished from its redo record).
    assert receipt.deleted_signals == 6
    assert ws.recover() == 0, "forget finished and dropped the pending batch"
    other = tmp_path / "other.csv"
    other.write_text("id,body,user,account,segment,created_at\nX1,Sync is slow on big files,u1,acct1,smb,2026-07-01\n")
    ingest_files(ws, [other], batch_size=30)  # a later ingest replays nothing of the old batch
    assert not [s for s in all_signals(ws) if s.user_id == "u3"]
    assert not [c for _, subj, c in ws.iter_claims() if subj == "u3"]


def test_a_redo_record_in_the_earlier_nested_layout_is_still_replayed(
    tmp_path: Path, store: MemoryStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Records are one JSON string now; one left by an ingest killed under the earlier layout still replays."""
    import json

    from memory.scoped import META

    path = _profile_csv(tmp_path / "tickets.csv")
    ws = store.workspace("acme")
    backend = store.store
    real = backend.upsert
    signal_writes = []

    def upsert(collection: str, points: Sequence[Point]) -> None:
        if collection == store.signals and points:
            signal_writes.append(len(points))
            if len(signal_writes) == 2:  # batch 2's signals never arrive; its redo record and claims did
                raise TransientError("store connection reset")
        real(collection, points)

    monkeypatch.setattr(backend, "upsert", upsert)
    with pytest.raises(TransientError):
        ingest_files(ws, [path], batch_size=30)
    monkeypatch.setattr(backend, "upsert", real)
    [record] = backend.retrieve(META, [ws._journal_id()])
    nested = {k: v for k, v in record.payload.items() if k != "batch"} | json.loads(record.payload["batch"])
    backend.upsert(META, [Point(id=record.id, vector=[1.0], payload=nested)])
    assert ws.stats().signals == 30
    assert ws.recover() == 30  # batch 2 stored from the nested record
    assert ws.stats().signals == 60
    assert ws.recover() == 0
