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
