"""The data-access layer: tenant isolation on every query path, idempotence, erasure, claims, snapshots."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from kernel.errors import InputError
from kernel.schemas import (
    Claim,
    ClaimType,
    Member,
    Quote,
    Signal,
    SignalKind,
    SignalType,
    Theme,
    ThemeReport,
    content_hash,
    signal_id,
)
from memory.embeddings import LocalEmbedder, OpenAIEmbedder, get_embedder
from memory.repository import MemoryStore, WorkspaceMemory, claim_id, get_memory, reset_memory
from memory.sparse import doc_sparse, query_sparse, stem, tokenize
from memory.store.base import Filter
from memory.store.client import ClientStore
from memory.store.edge import EdgeStore
from tests.support.embedders import HashingEmbedder

T0 = datetime(2024, 3, 1, tzinfo=UTC)




ROWS = [
    # (external_id, user, account, segment, kind, signal_type, days, text)
    ("1", "u1", "acc-a", "smb", "ticket", "bug", 0, "CSV export fails with a timeout on large reports"),
    ("2", "u1", "acc-a", "smb", "review", "complaint", 5, "Zebrafish reporting is confusing and slow"),
    ("3", "u2", "acc-a", "smb", "ticket", "feature_request", 10, "Please add SSO login with Okta"),
    ("4", "u3", "acc-b", "enterprise", "interview", "feature_request", 20, "We need audit logs for compliance"),
    ("5", "u2", "acc-a", "smb", "survey", "praise", 30, "The new dashboard is great"),
]


def make_signals(workspace: str) -> list[Signal]:
    out = []
    for ext, user, account, segment, kind, stype, days, text in ROWS:
        out.append(
            Signal(
                id=signal_id(workspace, "tickets.csv", ext),
                workspace=workspace,
                kind=SignalKind(kind),
                source="tickets.csv",
                external_id=ext,
                user_id=user,
                account_id=account,
                segment=segment,
                created_at=T0 + timedelta(days=days),
                text=f"{text} ({workspace})",
                signal_type=SignalType(stype),
                content_hash=content_hash(f"{text} ({workspace})"),
            )
        )
    return out


def store_signals(ws: WorkspaceMemory, signals: Sequence[Signal]) -> None:
    ws.upsert_signals(signals, ws.embedder.embed([s.text for s in signals]))


def claim(text: str, evidence: list[str], ctype: ClaimType = ClaimType.PAIN_POINT, support: int = 1) -> Claim:
    return Claim(type=ctype, text=text, evidence=evidence, first_seen=T0, last_seen=T0, support=support)


@pytest.fixture(params=["edge", "client"])
def memory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore]:
    store = EdgeStore(tmp_path / "store") if request.param == "edge" else ClientStore(location=":memory:")
    mem = MemoryStore(store, HashingEmbedder(dim=64))
    yield mem
    mem.close()


@pytest.fixture()
def two(memory: MemoryStore) -> tuple[WorkspaceMemory, WorkspaceMemory]:
    acme, globex = memory.workspace("acme"), memory.workspace("globex")
    store_signals(acme, make_signals("acme"))
    store_signals(globex, make_signals("globex"))
    return acme, globex


# -- workspace names --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "a b", "x" * 65, "../etc", "tenant/1", "ü"])
def test_invalid_workspace_names_are_rejected(memory: MemoryStore, bad: str) -> None:
    with pytest.raises(InputError, match="invalid workspace name"):
        memory.workspace(bad)


def test_workspaces_lists_tenants_with_data(two: tuple[WorkspaceMemory, WorkspaceMemory], memory: MemoryStore) -> None:
    assert memory.workspaces() == ["acme", "globex"]


# -- tenant isolation through every query function --------------------------------------------


def test_isolation_signals(two: tuple[WorkspaceMemory, WorkspaceMemory]) -> None:
    acme, globex = two
    acme_ids = [s.id for s in make_signals("acme")]
    globex_ids = [s.id for s in make_signals("globex")]
    assert set(acme.existing(acme_ids + globex_ids)) == set(acme_ids)
    assert {s.id for s in acme.get_signals(globex_ids + acme_ids)} == set(acme_ids)
    assert globex.get_signals(acme_ids) == []

    for hit in acme.search("CSV export timeout", limit=50):
        assert hit.signal_id in acme_ids and "(acme)" in hit.text
    assert {h.signal_id for h in acme.search("export", user_id="u1", limit=50)} <= set(acme_ids)

    query = globex.embedder.embed_query("CSV export fails")
    assert all(s.workspace == "acme" for s, _ in acme.search_vector(query, limit=50))
    assert all(s.workspace == "globex" for s, _ in globex.search_vector(query, user_id="u1", limit=50))

    assert {s.workspace for s, _ in acme.iter_signals()} == {"acme"}
    assert [s.id for s, _ in acme.iter_signals(user_id="u1")] != []
    assert {s.workspace for s, _ in globex.iter_signals(user_id="u1")} == {"globex"}
    assert acme.count() == len(ROWS) and globex.count() == len(ROWS)
    assert acme.count(user_id="u1") == 2

    stats = acme.stats()
    assert (stats.workspace, stats.signals, stats.users, stats.accounts) == ("acme", 5, 3, 2)
    assert stats.sources == {"ticket": 2, "review": 1, "interview": 1, "survey": 1}


def test_isolation_claims_themes_decisions(two: tuple[WorkspaceMemory, WorkspaceMemory]) -> None:
    acme, globex = two
    acme_sig = make_signals("acme")[0].id
    acme.upsert_claims([("user", "u1", claim("exports time out", [acme_sig]))])
    globex.upsert_claims([("user", "u1", claim("wants dark mode", [make_signals("globex")[0].id]))])
    assert [c.text for c in acme.list_claims("user", "u1")] == ["exports time out"]
    assert [c.text for c, _ in globex.similar_claims("user", "u1", "exports time out")] == ["wants dark mode"]
    assert [(t, s, c.text) for t, s, c in globex.iter_claims()] == [("user", "u1", "wants dark mode")]
    globex.delete_claims([c.id for c in acme.list_claims("user", "u1")])
    assert len(acme.list_claims("user", "u1")) == 1

    acme.save_themes(
        ThemeReport(workspace="acme", themes=[Theme(id="t", label="exports", size=1, users=1, accounts=1)])
    )
    assert globex.load_themes() is None and globex.theme_history() == []
    assert globex.stats().themes == 0 and acme.stats().themes == 1
    with pytest.raises(InputError):
        globex.save_themes(ThemeReport(workspace="acme", themes=[]))

    acme.log_decision("run-1", "Fix exports first?", "Yes", "Most pain", [acme_sig])
    assert globex.search_decisions("Fix exports first?") == []
    assert [d["run_id"] for d in acme.search_decisions("exports")] == ["run-1"]


def test_upsert_refuses_foreign_signals_without_writing_any(memory: MemoryStore) -> None:
    acme = memory.workspace("acme")
    mixed = make_signals("acme")[:2] + make_signals("globex")[:1]
    with pytest.raises(InputError, match="belongs to workspace 'globex'"):
        store_signals(acme, mixed)
    assert acme.count() == 0
    with pytest.raises(InputError, match="vectors"):
        acme.upsert_signals(make_signals("acme"), np.zeros((2, 64), dtype=np.float32))
    assert acme.count() == 0


# -- idempotence and filters ------------------------------------------------------------------


def test_upsert_is_idempotent_and_updates_in_place(memory: MemoryStore) -> None:
    acme = memory.workspace("acme")
    signals = make_signals("acme")
    store_signals(acme, signals)
    store_signals(acme, signals)
    assert acme.count() == len(ROWS)
    assert acme.existing([signals[0].id]) == {signals[0].id: signals[0].content_hash}
    changed = signals[0].model_copy(update={"text": "now about billing", "content_hash": content_hash("x")})
    store_signals(acme, [changed])
    assert acme.count() == len(ROWS)
    assert acme.get_signals([changed.id])[0].text == "now about billing"
    assert acme.existing([changed.id]) == {changed.id: content_hash("x")}
    assert all(h.signal_id != changed.id for h in acme.search("CSV export timeout", limit=10) if "CSV" in h.text)


def test_filters_kind_type_segment_time(two: tuple[WorkspaceMemory, WorkspaceMemory]) -> None:
    acme, _ = two
    assert acme.count(kind="ticket") == 2
    assert acme.count(kind=["ticket", "survey"]) == 3
    assert acme.count(signal_type=SignalType.FEATURE_REQUEST) == 2
    assert acme.count(segment="enterprise") == 1
    assert acme.count(account_id="acc-a") == 4
    assert acme.count(since=T0 + timedelta(days=10)) == 3
    assert acme.count(since=T0 + timedelta(days=5), until=T0 + timedelta(days=20)) == 3
    assert acme.count(until=datetime(2024, 3, 1)) == 1  # naive datetimes are read as UTC
    hits = acme.search("login", segment="smb", since=T0 + timedelta(days=1), limit=10)
    assert hits and all(h.segment == "smb" and h.created_at >= T0 + timedelta(days=1) for h in hits)
    assert {s.external_id for s, _ in acme.iter_signals(kind="ticket", user_id="u2")} == {"3"}
    pairs = list(acme.iter_signals(user_id="u3", with_vectors=True))
    assert len(pairs) == 1 and pairs[0][1] is not None and pairs[0][1].shape == (64,)
    assert acme.search_vector(pairs[0][1], limit=1)[0][0].external_id == "4"


def test_search_validates_input(two: tuple[WorkspaceMemory, WorkspaceMemory]) -> None:
    acme, _ = two
    with pytest.raises(InputError):
        acme.search("   ")
    with pytest.raises(InputError):
        acme.search("x", limit=0)
    with pytest.raises(InputError):
        acme.search_vector(np.ones(3, dtype=np.float32))
    with pytest.raises(InputError):
        acme.count(user_id=[])


def test_search_contract_fields(two: tuple[WorkspaceMemory, WorkspaceMemory]) -> None:
    acme, _ = two
    hit = acme.search("Zebrafish reporting", limit=1)[0]
    assert hit.external_id == "2" and hit.user_id == "u1" and hit.account_id == "acc-a"
    assert hit.kind == SignalKind.REVIEW and hit.source == "tickets.csv"
    assert hit.created_at == T0 + timedelta(days=5) and hit.score > 0


# -- claims, themes, decisions ----------------------------------------------------------------


def test_claim_reinforcement_is_stored_under_one_id(memory: MemoryStore) -> None:
    acme = memory.workspace("acme")
    first = claim("CSV exports time out", ["s1"])
    acme.upsert_claims([("account", "acc-a", first)])
    stored = acme.list_claims("account", "acc-a")
    assert len(stored) == 1
    cid = stored[0].id
    assert cid == claim_id("acme", "account", "acc-a", "pain_point", "CSV  exports time OUT")
    reinforced = stored[0].model_copy(
        update={"evidence": ["s1", "s2"], "support": 2, "last_seen": T0 + timedelta(days=3)}
    )
    acme.upsert_claims([("account", "acc-a", reinforced)])
    again = acme.list_claims("account", "acc-a")
    assert [(c.id, c.support, c.evidence) for c in again] == [(cid, 2, ["s1", "s2"])]
    acme.upsert_claims([("account", "acc-a", claim("wants SSO with Okta", ["s3"], ClaimType.NEED))])
    similar = acme.similar_claims("account", "acc-a", "exports time out", limit=5)
    assert similar[0][0].id == cid and similar[0][1] > similar[1][1]
    assert [c.support for c in acme.list_claims("account", "acc-a")] == [2, 1]
    acme.delete_claims([cid])
    assert [c.text for c in acme.list_claims("account", "acc-a")] == ["wants SSO with Okta"]
    with pytest.raises(InputError, match="subject type"):
        acme.upsert_claims([("team", "x", first)])


def test_theme_snapshots_keep_history_newest_first(memory: MemoryStore) -> None:
    acme = memory.workspace("acme")
    assert acme.load_themes() is None
    for label in ("first", "second", "third"):
        acme.save_themes(
            ThemeReport(workspace="acme", themes=[Theme(id="t", label=label, size=1, users=1, accounts=0)])
        )
    assert acme.load_themes().themes[0].label == "third"  # type: ignore[union-attr]
    assert [r.themes[0].label for r in acme.theme_history()] == ["third", "second", "first"]
    assert len(acme.theme_history(limit=2)) == 2


def test_decision_log_search(memory: MemoryStore) -> None:
    acme = memory.workspace("acme")
    acme.log_decision("r1", "Should we build SSO?", "Build Okta SSO", "Enterprise deals blocked", ["a", "b"])
    acme.log_decision("r2", "Fix CSV export?", "Yes, this quarter", "Top ticket driver", ["c"])
    acme.log_decision("r2", "Fix CSV export?", "Yes, next sprint", "Top ticket driver", ["c"])  # replaces
    found = acme.search_decisions("CSV export", limit=5)
    assert [d["run_id"] for d in found] == ["r2", "r1"]
    top = found[0]
    assert top["recommendation"] == "Yes, next sprint" and top["citations"] == ["c"]
    assert set(top) == {"run_id", "question", "recommendation", "rationale", "citations", "created_at", "score"}


# -- erasure ----------------------------------------------------------------------------------


def test_forget_user_cascades_and_leaves_no_residue(
    two: tuple[WorkspaceMemory, WorkspaceMemory], memory: MemoryStore
) -> None:
    acme, globex = two
    sig = {s.external_id: s.id for s in make_signals("acme")}
    u1 = [sig["1"], sig["2"]]
    acme.upsert_claims(
        [
            ("user", "u1", claim("exports time out", u1)),
            ("account", "acc-a", claim("reporting is slow", [sig["2"], sig["3"]], support=2)),
            ("account", "acc-a", claim("zebrafish confusion", [sig["2"]])),
            ("segment", "smb", claim("wants dashboards", [sig["5"]], ClaimType.NEED)),
        ]
    )
    acme.save_themes(
        ThemeReport(
            workspace="acme",
            themes=[
                Theme(
                    id="t1",
                    label="reporting",
                    size=3,
                    users=2,
                    accounts=1,
                    members=[Member(signal_id=sig[e], external_id=e) for e in ("1", "2", "3")],
                    quotes=[
                        Quote(signal_id=sig["2"], quote="Zebrafish reporting"),
                        Quote(signal_id=sig["3"], quote="SSO"),
                    ],
                ),
                Theme(
                    id="t2",
                    label="zebrafish",
                    size=1,
                    users=1,
                    accounts=1,
                    members=[Member(signal_id=sig["2"], external_id="2")],
                ),
            ],
        )
    )
    acme.log_decision("r1", "Fix reporting?", "Yes", "Users complain", [sig["2"], sig["3"]])

    receipt = acme.forget_user("u1")

    assert receipt.deleted_signals == 2
    assert receipt.deleted_claims == 2  # the user's own profile claim + the claim left without evidence
    assert receipt.receipt.startswith("sha256:") and "u1" not in receipt.receipt

    # no query path returns anything of theirs
    assert acme.count(user_id="u1") == 0
    assert acme.count() == 3 and acme.count(account_id="acc-a") == 2
    assert acme.get_signals(u1) == [] and acme.existing(u1) == {}
    assert all(h.signal_id not in u1 for h in acme.search("Zebrafish reporting CSV export", limit=50))
    assert all(s.id not in u1 for s, _ in acme.iter_signals())
    assert acme.list_claims("user", "u1") == []
    acc_claims = acme.list_claims("account", "acc-a")
    assert [(c.text, c.evidence, c.support) for c in acc_claims] == [("reporting is slow", [sig["3"]], 1)]
    assert all(set(c.evidence).isdisjoint(u1) for _, _, c in acme.iter_claims())
    report = acme.load_themes()
    assert report is not None and [t.id for t in report.themes] == ["t1"]
    t1 = report.themes[0]
    assert [m.signal_id for m in t1.members] == [sig["3"]] and [q.signal_id for q in t1.quotes] == [sig["3"]]
    assert (t1.size, t1.users) == (1, 1)
    assert acme.search_decisions("reporting")[0]["citations"] == [sig["3"]]
    assert acme.stats().users == 2

    # zero residual points at the storage level, by any filter, in any collection
    store = memory.store
    for collection in store.collections():
        for record in store.scroll(collection, Filter()):
            blob = repr(record.payload)
            if record.payload.get("workspace") == "acme":
                assert "'u1'" not in blob and not any(i in blob for i in u1), (collection, record.payload)

    # the other tenant's u1 is untouched
    assert globex.count(user_id="u1") == 2
    assert acme.forget_user("u1").deleted_signals == 0
    with pytest.raises(InputError):
        acme.forget_user(" ")


# -- real embedder, sparse vectors, process-wide memory ---------------------------------------


@pytest.fixture(scope="module")
def minilm() -> LocalEmbedder:
    return LocalEmbedder()


def test_local_embedder_vectors(minilm: LocalEmbedder) -> None:
    vectors = minilm.embed(["export to spreadsheet", "download my data as CSV", "the cat sat on the mat"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert minilm.embed([]).shape == (0, 384)
    assert minilm.embed_query("hello").shape == (384,)


def test_semantic_search_with_minilm(tmp_path: Path, minilm: LocalEmbedder) -> None:
    mem = MemoryStore(EdgeStore(tmp_path / "store"), minilm)
    acme = mem.workspace("acme")
    store_signals(acme, make_signals("acme"))
    assert mem.signals == "signals__all-minilm-l6-v2__384"
    hits = acme.search("single sign-on", limit=2)
    assert hits[0].external_id == "3"  # "SSO login with Okta": no shared keyword, found by meaning
    hits = acme.search("spreadsheet download is broken", user_id="u1", limit=5)
    assert hits[0].external_id == "1" and {h.user_id for h in hits} == {"u1"}
    mem.close()


def test_get_memory_is_cached_per_settings(home: Path) -> None:
    reset_memory()
    try:
        first = get_memory()
        assert first is get_memory()
        assert isinstance(first.store, EdgeStore) and first.store.root == home / "store"
        assert isinstance(first.embedder, LocalEmbedder) and get_embedder() is first.embedder
    finally:
        reset_memory()


def test_chat_endpoint_never_switches_embeddings() -> None:
    from kernel.settings import Settings

    settings = Settings(OPENAI_BASE_URL="http://127.0.0.1:9/v1", OPENAI_API_KEY="k")
    assert isinstance(get_embedder(settings), LocalEmbedder)
    assert type(
        get_embedder(Settings(PMPILOT_EMBEDDINGS="openai", OPENAI_BASE_URL="http://127.0.0.1:9/v1"))
    ).__name__ == ("OpenAIEmbedder")


class _EmbeddingsHandler(BaseHTTPRequestHandler):
    """A minimal OpenAI-compatible /v1/embeddings endpoint (5-d vectors, unnormalised)."""

    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(text)), 1.0, 0.0, 0.0, 2.0]}
            for i, text in enumerate(body["input"])
        ]
        payload = json.dumps({"object": "list", "data": data[::-1], "model": body["model"], "usage": {}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def test_openai_embedder_against_a_local_endpoint() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        embedder = OpenAIEmbedder("nomic-embed", base_url=f"http://127.0.0.1:{server.server_port}/v1")
        vectors = embedder.embed(["ab", "abcd"])
        assert embedder.dim == 5 and vectors.shape == (2, 5)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
        assert vectors[0][0] < vectors[1][0]  # rows come back in input order even if the server shuffles
        sent = _EmbeddingsHandler.requests[-1]
        assert (sent["model"], sent["input"]) == ("nomic-embed", ["ab", "abcd"])  # raw strings, no token ids
        mem = MemoryStore(ClientStore(location=":memory:"), embedder)
        assert mem.signals == "signals__nomic-embed__5"
        mem.close()
    finally:
        server.shutdown()


def test_sparse_tokens_and_weights() -> None:
    assert tokenize("The exports aren't working; I'm EXPORTING reports!") == ["export", "work", "export", "report"]
    assert stem("crashes") == "crash" and stem("pricing") == stem("price") and stem("status") == "status"
    doc = doc_sparse("export export csv")
    weights = dict(zip(doc.indices, doc.values, strict=True))
    query = query_sparse("exporting CSV")
    assert set(query.indices) == set(doc.indices) and set(query.values) == {1.0}
    assert max(weights.values()) > min(weights.values())  # repeated term weighs more, but saturates
    assert max(weights.values()) < 2.2
    assert doc_sparse("the and of").indices == []
