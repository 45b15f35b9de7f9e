"""One contract, every backend: the embedded Qdrant Edge store and qdrant-client (local mode)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import qdrant_edge as qe

from kernel.errors import ConfigError, InputError, TransientError
from kernel.settings import Settings
from memory.sparse import doc_sparse, query_sparse
from memory.store import open_store
from memory.store.base import CollectionSpec, Filter, Match, Point, Range, VectorStore
from memory.store.client import ClientStore
from memory.store.edge import EdgeStore

REPO = Path(__file__).resolve().parents[2]
DIM = 8
SPEC = CollectionSpec(
    name="things",
    dim=DIM,
    keyword_fields=("workspace", "user_id", "kind", "tags"),
    range_fields=("created_ts",),
)


def pid(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


def unit(*hot: int) -> list[float]:
    v = np.zeros(DIM, dtype=np.float32)
    for i in hot:
        v[i] = 1.0
    return (v / np.linalg.norm(v)).tolist()


TEXTS = [
    "CSV export fails for large reports",
    "dashboard loads slowly in the morning",
    "billing invoice shows the wrong currency",
    "please add SSO login with Okta",
    "export to PDF would be great",
    "mobile app crashes on login",
]


def points() -> list[Point]:
    out = []
    for i, text in enumerate(TEXTS):
        out.append(
            Point(
                id=pid(i),
                vector=unit(i % DIM),
                payload={
                    "workspace": "w1" if i < 4 else "w2",
                    "user_id": f"u{i % 3}",
                    "kind": "ticket" if i % 2 == 0 else "review",
                    "tags": ["a", "b"] if i == 0 else ["c"],
                    "created_ts": float(1000 + i * 100),
                    "text": text,
                },
                sparse=doc_sparse(text),
            )
        )
    return out


@pytest.fixture(params=["edge", "client"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    backend: VectorStore = (
        EdgeStore(tmp_path / "store") if request.param == "edge" else ClientStore(location=":memory:")
    )
    backend.ensure_collection(SPEC)
    backend.upsert(SPEC.name, points())
    yield backend
    backend.close()


def ids_of(records: list) -> list[str]:
    return [r.id for r in records]


def test_collections_are_created_once(store: VectorStore) -> None:
    store.ensure_collection(SPEC)
    assert store.has_collection("things")
    assert not store.has_collection("other")
    assert "things" in store.collections()
    assert store.count("things", Filter()) == len(TEXTS)


def test_retrieve_keeps_order_skips_missing_and_returns_vectors(store: VectorStore) -> None:
    records = store.retrieve("things", [pid(2), pid(99), pid(0)], with_vectors=True)
    assert ids_of(records) == [pid(2), pid(0)]
    assert records[0].payload["text"] == TEXTS[2]
    assert records[0].vector is not None
    assert np.allclose(records[0].vector, unit(2), atol=1e-5)
    assert store.retrieve("things", [pid(1)])[0].vector is None


def test_upsert_replaces_by_id(store: VectorStore) -> None:
    replaced = Point(id=pid(0), vector=unit(7), payload={"workspace": "w1", "text": "changed"})
    store.upsert("things", [replaced])
    assert store.count("things", Filter()) == len(TEXTS)
    assert store.retrieve("things", [pid(0)])[0].payload == {"workspace": "w1", "text": "changed"}


def test_dense_search_ranks_nearest_first(store: VectorStore) -> None:
    hits = store.search("things", unit(3), Filter(), limit=3)
    assert hits[0].id == pid(3)
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert len(hits) == 3


def test_sparse_search_finds_keyword_matches_only(store: VectorStore) -> None:
    hits = store.search("things", None, Filter(), limit=5, sparse=query_sparse("export"))
    assert set(ids_of(hits)) == {pid(0), pid(4)}


def test_hybrid_search_fuses_dense_and_sparse(store: VectorStore) -> None:
    # dense points at "mobile app crashes" (5), sparse at "invoice" (2): both must appear, and the
    # point that only one ranking likes cannot beat a point at the top of both.
    hits = store.search("things", unit(5), Filter(), limit=6, sparse=query_sparse("invoice currency"))
    found = ids_of(hits)
    assert pid(5) in found[:2] and pid(2) in found[:2]
    both = store.search("things", unit(2), Filter(), limit=6, sparse=query_sparse("invoice currency"))
    assert both[0].id == pid(2)
    assert both[0].score > both[1].score


def test_filters_match_any_not_and_range(store: VectorStore) -> None:
    w1 = Filter(must=(Match("workspace", "w1"),))
    assert {r.id for r in store.scroll("things", w1)} == {pid(i) for i in range(4)}
    any_user = Filter(must=(Match("user_id", any_of=("u0", "u2")),))
    assert {r.payload["user_id"] for r in store.scroll("things", any_user)} == {"u0", "u2"}
    not_ticket = Filter(must=(Match("workspace", "w1"),), must_not=(Match("kind", "ticket"),))
    assert {r.id for r in store.scroll("things", not_ticket)} == {pid(1), pid(3)}
    in_range = Filter(must=(Range("created_ts", gte=1100, lte=1300),))
    assert {r.id for r in store.scroll("things", in_range)} == {pid(1), pid(2), pid(3)}
    array_member = Filter(must=(Match("tags", "b"),))
    assert ids_of(list(store.scroll("things", array_member))) == [pid(0)]
    hits = store.search("things", unit(0), w1.and_(Range("created_ts", gte=1200)), limit=10)
    assert {h.id for h in hits} == {pid(2), pid(3)}
    sparse_hits = store.search("things", None, Filter(must=(Match("workspace", "w2"),)), 10, query_sparse("export"))
    assert ids_of(sparse_hits) == [pid(4)]


def test_scroll_pages_through_everything_once(store: VectorStore) -> None:
    extra = [Point(id=pid(100 + i), vector=unit(i % DIM), payload={"workspace": "bulk"}) for i in range(45)]
    store.upsert("things", extra)
    seen = [r.id for r in store.scroll("things", Filter(must=(Match("workspace", "bulk"),)), batch=7)]
    assert sorted(seen) == sorted(p.id for p in extra)
    with_vectors = list(store.scroll("things", Filter(must=(Match("workspace", "bulk"),)), batch=7, with_vectors=True))
    assert all(r.vector is not None and len(r.vector) == DIM for r in with_vectors)


def test_count_and_facet(store: VectorStore) -> None:
    assert store.count("things", Filter(must=(Match("workspace", "w2"),))) == 2
    assert store.facet("things", "kind", Filter(must=(Match("workspace", "w1"),))) == {"ticket": 2, "review": 2}
    assert store.facet("things", "user_id", Filter()) == {"u0": 2, "u1": 2, "u2": 2}


def test_delete_by_filter_and_ids(store: VectorStore) -> None:
    assert store.delete("things", Filter(must=(Match("workspace", "w2"),))) == 2
    assert store.count("things", Filter()) == 4
    assert store.delete("things", Filter(must=(Match("workspace", "w2"),))) == 0
    store.delete_ids("things", [pid(0), pid(99)])
    assert store.retrieve("things", [pid(0)]) == []
    assert store.search("things", None, Filter(), 10, query_sparse("export")) == []


def test_dimension_mismatch_is_a_clear_error(store: VectorStore) -> None:
    with pytest.raises(InputError, match="8-d"):
        store.ensure_collection(CollectionSpec(name="things", dim=16))


def test_empty_queries_return_nothing(store: VectorStore) -> None:
    assert store.search("things", None, Filter(), 5, sparse=query_sparse("the and of")) == []


# -- embedded engine only ---------------------------------------------------------------------


def test_edge_data_survives_reopen(tmp_path: Path) -> None:
    first = EdgeStore(tmp_path / "s")
    first.ensure_collection(SPEC)
    first.upsert("things", points())
    first.delete_ids("things", [pid(5)])
    first.close()
    second = EdgeStore(tmp_path / "s")
    second.ensure_collection(SPEC)
    assert second.count("things", Filter()) == len(TEXTS) - 1
    assert second.search("things", unit(3), Filter(), 1)[0].id == pid(3)
    assert ids_of(second.search("things", None, Filter(), 5, query_sparse("export"))) != []
    second.close()


def test_edge_optimize_keeps_results(tmp_path: Path) -> None:
    store = EdgeStore(tmp_path / "s")
    store.ensure_collection(SPEC)
    store.upsert("things", points())
    before = ids_of(store.search("things", unit(1), Filter(), 3))
    store.optimize("things")
    assert ids_of(store.search("things", unit(1), Filter(), 3)) == before
    store.close()


def test_edge_rejects_path_like_collection_names(tmp_path: Path) -> None:
    store = EdgeStore(tmp_path / "s")
    with pytest.raises(InputError):
        store.ensure_collection(CollectionSpec(name="../escape", dim=4))
    store.close()


def test_edge_two_stores_on_one_directory_take_turns(tmp_path: Path) -> None:
    """Two handles (as two processes would) share a directory: the second waits, then works."""
    a = EdgeStore(tmp_path / "s", linger_s=3600)
    a.ensure_collection(SPEC)
    a.upsert("things", points())
    assert a.locked
    b = EdgeStore(tmp_path / "s", lock_timeout_s=30)
    assert b.count("things", Filter()) == len(TEXTS)  # a's watcher saw b waiting and let go
    assert b.locked and not a.locked
    b.upsert("things", [Point(id=pid(50), vector=unit(1), payload={"workspace": "w1"})])
    assert a.count("things", Filter()) == len(TEXTS) + 1
    a.close()
    b.close()


HOLDER = textwrap.dedent(
    """
    import sys
    from memory.store.base import CollectionSpec
    from memory.store.edge import EdgeStore
    store = EdgeStore(sys.argv[1])
    with store.hold():
        store.ensure_collection(CollectionSpec(name="things", dim=8))
        print("held", flush=True)
        sys.stdin.readline()
    store.close()
    """
)


def test_edge_second_process_waits_then_fails_clearly_or_proceeds(tmp_path: Path) -> None:
    root = tmp_path / "s"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        impatient = EdgeStore(root, lock_timeout_s=0.3)
        with pytest.raises(TransientError, match=rf"in use by another process \(pid {holder.pid}\)"):
            impatient.count("things", Filter())
        holder.stdin.write("release\n")
        holder.stdin.flush()
        patient = EdgeStore(root, lock_timeout_s=60)
        assert patient.count("things", Filter()) == 0
        patient.close()
    finally:
        holder.wait(timeout=60)
    assert holder.returncode == 0


BUSY = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from memory.store.base import CollectionSpec, Filter
    from memory.store.edge import EdgeStore
    store = EdgeStore(sys.argv[1], linger_s=3600)
    store.ensure_collection(CollectionSpec(name="things", dim=8))
    print("busy", flush=True)
    deadline = time.monotonic() + 90
    while not Path(sys.argv[2]).exists() and time.monotonic() < deadline:
        store.count("things", Filter())  # back-to-back operations, never idle
    store.close()
    """
)


def test_edge_busy_process_does_not_starve_a_waiter(tmp_path: Path) -> None:
    root, done = tmp_path / "s", tmp_path / "done"
    busy = subprocess.Popen(
        [sys.executable, "-c", BUSY, str(root), str(done)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert busy.stdout is not None and busy.stdout.readline().strip() == "busy"
        waiter = EdgeStore(root, lock_timeout_s=60)
        assert waiter.count("things", Filter()) == 0
        waiter.close()
    finally:
        done.touch()
        busy.wait(timeout=120)
    assert busy.returncode == 0


CRASHER = textwrap.dedent(
    """
    import os, sys, uuid
    from memory.store.base import CollectionSpec, Point
    from memory.store.edge import EdgeStore
    store = EdgeStore(sys.argv[1], linger_s=3600)
    store.ensure_collection(CollectionSpec(name="things", dim=8))
    vector = [1.0] + [0.0] * 7
    store.upsert("things", [Point(str(uuid.UUID(int=i + 1)), vector, {"n": i}) for i in range(20)])
    os._exit(9)  # no close, no flush at exit, lock still held: as if the process was killed
    """
)


def test_edge_writes_survive_a_killed_writer_and_its_lock_is_freed(tmp_path: Path) -> None:
    root = tmp_path / "s"
    done = subprocess.run([sys.executable, "-c", CRASHER, str(root)], cwd=REPO, timeout=120)
    assert done.returncode == 9
    store = EdgeStore(root, lock_timeout_s=5)
    assert store.count("things", Filter()) == 20
    assert store.retrieve("things", [pid(19)])[0].payload == {"n": 19}
    store.close()


DEFERRED_CRASHER = textwrap.dedent(
    """
    import os, sys, uuid
    from memory.store.base import CollectionSpec, Point
    from memory.store.edge import EdgeStore
    store = EdgeStore(sys.argv[1], linger_s=3600, flush_interval_s=3600)
    store.ensure_collection(CollectionSpec(name="things", dim=8))
    vector = [1.0] + [0.0] * 7
    with store.deferred_flush():
        for start in (0, 10):  # two writes, neither flushed (the interval is an hour)
            batch = [Point(str(uuid.UUID(int=i + 1)), vector, {"n": i}) for i in range(start, start + 10)]
            store.upsert("things", batch)
        assert store._dirty == {"things"}
        os._exit(9)  # killed inside the block: nothing was flushed
    """
)


def test_edge_deferred_writes_survive_a_killed_writer(tmp_path: Path) -> None:
    """Writes whose flush was deferred are in the write-ahead log: a killed process loses none of them."""
    root = tmp_path / "s"
    done = subprocess.run([sys.executable, "-c", DEFERRED_CRASHER, str(root)], cwd=REPO, timeout=120)
    assert done.returncode == 9
    store = EdgeStore(root, lock_timeout_s=5)
    assert store.count("things", Filter()) == 20
    assert store.retrieve("things", [pid(19)])[0].payload == {"n": 19}
    store.close()


def test_edge_deferred_flush_flushes_when_the_block_ends(tmp_path: Path) -> None:
    store = EdgeStore(tmp_path / "s", flush_interval_s=3600)
    store.ensure_collection(SPEC)
    with store.deferred_flush():
        store.upsert("things", points())
        assert store._dirty == {"things"}
    assert not store._dirty
    assert store.count("things", Filter()) == len(TEXTS)
    store.close()


def test_open_store_follows_settings(tmp_path: Path) -> None:
    embedded = open_store(Settings(PMPILOT_HOME=str(tmp_path)))
    assert isinstance(embedded, EdgeStore)
    assert embedded.root == tmp_path / "store"
    embedded.close()


# -- faults: one clear error from the store layer, never an engine exception --------------------


def test_edge_engine_failure_is_a_transient_error_and_the_store_recovers(tmp_path: Path) -> None:
    """Another opener of a shard (e.g. a tool or an old pmpilot without the lock) makes the engine fail."""
    first = EdgeStore(tmp_path / "s")
    first.ensure_collection(SPEC)
    first.upsert("things", points())
    first.close()
    foreign = qe.EdgeShard.load(str(tmp_path / "s" / "things"))  # holds the shard's WAL lock
    store = EdgeStore(tmp_path / "s")
    try:
        for operation in (lambda: store.count("things", Filter()), lambda: store.upsert("things", points())):
            with pytest.raises(TransientError, match=r"^vector store .* failed: Service runtime error: .*WAL") as err:
                operation()
            assert "\n" not in str(err.value)
    finally:
        foreign.close()
    assert store.count("things", Filter()) == len(TEXTS)  # the failed shard was dropped, not reused
    store.close()


def test_edge_refuses_writes_that_would_fill_the_disk(tmp_path: Path) -> None:
    """The engine cannot report a full disk (it writes through memory maps: SIGBUS), so we check first."""
    store = EdgeStore(tmp_path / "s")
    store.ensure_collection(SPEC)
    store.upsert("things", points())
    stat = os.statvfs(tmp_path)
    store.min_free_bytes = stat.f_bavail * stat.f_frsize + 2**30  # as if the disk were nearly full
    extra = [Point(id=pid(60), vector=unit(1), payload={"workspace": "w1"})]
    for write in (
        lambda: store.upsert("things", extra),
        lambda: store.delete_ids("things", [pid(0)]),
        lambda: store.ensure_collection(CollectionSpec(name="more", dim=DIM)),
    ):
        with pytest.raises(TransientError, match=r"MiB free on its disk, .* MiB needed to write safely"):
            write()
    assert store.count("things", Filter()) == len(TEXTS)  # reads still work, nothing was written
    assert not store.has_collection("more")
    store.ensure_collection(SPEC)  # opening what exists writes nothing, so it works on a full disk
    assert store.delete("things", Filter(must=(Match("workspace", "none"),))) == 0  # nothing to delete
    store.min_free_bytes = 0
    store.upsert("things", extra)
    assert store.count("things", Filter()) == len(TEXTS) + 1
    store.close()


def test_edge_store_directory_that_cannot_be_created_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(ConfigError, match="cannot create the vector store directory"):
        EdgeStore(tmp_path / "file" / "store")


def test_bad_qdrant_url_is_a_config_error_naming_no_secret() -> None:
    for url in ("ftp://qdrant:6333", "http://", "http://127.0.0.1:port"):
        with pytest.raises(ConfigError, match="^PMPILOT_QDRANT_URL ") as err:
            open_store(Settings(PMPILOT_QDRANT_URL=url, PMPILOT_QDRANT_API_KEY="k-SECRET"))
        assert "k-SECRET" not in str(err.value)


def test_client_local_mode_errors_are_not_disguised_as_server_faults() -> None:
    """Only server faults are mapped: a call the client itself rejects stays a bug with its own type."""
    store = ClientStore(location=":memory:")
    with pytest.raises(ValueError, match="not found") as err:
        store.count("missing", Filter())
    assert not isinstance(err.value, TransientError)
    store.close()
