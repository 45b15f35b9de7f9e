"""Query vectors: each query embedded once (the embedder remembers it), and the run's cache takes them as they are."""

from __future__ import annotations

import numpy as np
import pytest

import memory.embeddings as embeddings
from agents.context import RunCache
from tests.support.embedders import HashingEmbedder


class CountingEmbedder(HashingEmbedder):
    """Records every batch it embeds."""

    def __init__(self) -> None:
        super().__init__(name="counting")
        self.batches: list[list[str]] = []

    def _embed(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return super()._embed(texts)


def test_a_query_is_embedded_once_whatever_uses_it() -> None:
    embedder = CountingEmbedder()
    first = embedder.embed_query("sync lost my notes")
    again = embedder.embed_query("sync lost my notes")
    assert embedder.batches == [["sync lost my notes"]]
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, embedder.embed(["sync lost my notes"])[0])
    first[:] = 0  # callers get their own copy: the remembered vector is untouched
    assert np.linalg.norm(embedder.embed_query("sync lost my notes")) > 0.99


def test_a_plan_s_queries_are_one_batch_then_remembered() -> None:
    embedder = CountingEmbedder()
    matrix = embedder.embed_queries(["sync fails", "dark mode", "sync fails"])
    assert embedder.batches == [["sync fails", "dark mode"]]
    assert matrix.shape == (3, embedder.dim)
    np.testing.assert_array_equal(matrix[0], matrix[2])
    np.testing.assert_array_equal(embedder.embed_query("dark mode"), matrix[1])
    embedder.embed_queries(["dark mode", "export to csv"])
    assert embedder.batches[-1] == ["export to csv"]
    assert embedder.embed_queries([]).shape == (0, embedder.dim)


def test_the_memo_keeps_the_most_recent_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "QUERY_MEMO", 2)
    embedder = CountingEmbedder()
    for query in ("a query", "b query", "a query", "c query"):
        embedder.embed_query(query)
    assert embedder.batches == [["a query"], ["b query"], ["c query"]]
    embedder.embed_query("a query")  # used recently: still known
    embedder.embed_query("b query")  # the least recently used: evicted, embedded again
    assert embedder.batches[3:] == [["b query"]]


def test_run_cache_takes_vectors_embedded_elsewhere() -> None:
    embedder = CountingEmbedder()
    cache = RunCache()
    matrix = embedder.embed_queries(["sync fails", "dark mode"])
    cache.put_vectors(embedder, ["sync fails", "dark mode"], matrix)
    vectors = cache.vectors(embedder, ["dark mode", "sync fails", "csv export"])
    assert embedder.batches == [["sync fails", "dark mode"], ["csv export"]]
    np.testing.assert_array_equal(vectors["dark mode"], matrix[1])
    cache.put_vectors(embedder, ["csv export"], np.zeros((1, embedder.dim), dtype=np.float32))  # known: kept
    assert np.linalg.norm(cache.vectors(embedder, ["csv export"])["csv export"]) > 0.99


def test_sentences_guessed_during_the_planner_call_serve_the_research(tmp_path_factory: pytest.TempPathFactory,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from agents import researcher
    from agents.graph import speculate_sentences
    from agents.planner import offline_plan
    from memory import api
    from tests.support.workspace import seeded_home
    from tools.research import candidate_sentences

    goal = "Should we fix sync bugs before building dark mode? Draft requirements and a decision memo."
    with seeded_home(tmp_path_factory, "speculate-home", "acme"):
        state: dict[str, object] = {"goal": goal, "workspace": "acme"}
        planned = threading.Event()
        planned.set()  # the plan is in: nothing is guessed any more
        assert speculate_sentences(state, RunCache(), planned) == 0  # type: ignore[arg-type]

        cache = RunCache()
        guessed = speculate_sentences(state, cache, threading.Event())  # type: ignore[arg-type]
        wanted = [s for q in offline_plan(goal, None, None)["questions"]
                  for s in candidate_sentences("acme", q["query"], candidates=researcher.CANDIDATES)]
        assert wanted and guessed == len(wanted)
        embedder = api.workspace("acme").embedder

        def no_embedding(texts: object) -> np.ndarray:
            raise AssertionError("a guessed sentence was embedded again")

        monkeypatch.setattr(embedder, "embed", no_embedding)
        vectors = cache.vectors(embedder, wanted)  # the research takes them from the run's cache
        assert set(vectors) == set(wanted)
