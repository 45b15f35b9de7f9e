"""Kept sentence vectors (memory.sentence_vectors): read, not embedded; erased with their signal; per workspace."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from agents import demo
from agents.context import RunCache
from agents.graph import speculate_sentences
from memory import api as memory_api
from memory.sentence_vectors import sentences
from tests.support.workspace import offline_home
from tools.research import _spans, goal_search

WS = "kept"
OTHER = "elsewhere"
QUERY = "dark mode"  # a question some long reviews answer only in one sentence (goal_search: by_sentence)


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo's 110 tickets and 80 reviews (long, multi-sentence texts) in a fresh home, and another workspace."""
    with offline_home(tmp_path_factory.mktemp("sentence-vectors") / "home"):
        data = demo.data_dir()
        assert memory_api.ingest([data / "tickets.csv", data / "reviews.csv"], WS).ingested == 190
        assert memory_api.ingest([data / "reviews.csv"], OTHER).ingested == 80
        yield WS


class EmbedSpy:
    """Records the texts the real embedder is asked to embed (it still embeds them)."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray]) -> None:
        self.texts: list[str] = []
        self._embed = embed

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self._embed(texts)


@pytest.fixture()
def spy(kept: str, monkeypatch: pytest.MonkeyPatch) -> EmbedSpy:
    embedder = memory_api.workspace(kept).embedder
    recorder = EmbedSpy(embedder.embed)
    monkeypatch.setattr(embedder, "embed", recorder)
    return recorder


def _all_sentences(workspace: str) -> set[str]:
    return {part for signal, _ in memory_api.workspace(workspace).iter_signals() for part in sentences(signal.text)}


def _stored(workspace: str) -> int:
    """Points of ``workspace`` in the sentence collections, counted in the store itself."""
    from memory.repository import get_memory
    from memory.store.base import Filter, Match

    memory = get_memory()
    flt = Filter(must=(Match("workspace", workspace),))
    return sum(memory.store.count(c, flt) for c in memory.all_collections("sentences"))


def _result(found: Any, quotes: dict[str, str], counts: dict[str, int]) -> tuple[Any, ...]:
    rows = [(h.signal_id, s.relevance, s.cosine) for h, s in found.kept]
    return rows, sorted(quotes.items()), counts


def test_the_kept_sentences_are_the_ones_research_scores(kept: str) -> None:
    texts = {s.id: s.text for s, _ in memory_api.workspace(kept).iter_signals()}
    assert {sid: sentences(text) for sid, text in texts.items() if sentences(text)} == _spans(texts)


def test_cold_and_warm_give_the_same_research_and_warm_embeds_no_sentence(kept: str, spy: EmbedSpy) -> None:
    memory_api.workspace(kept).clear_sentence_vectors()
    every = _all_sentences(kept)
    cold = _result(*goal_search(kept, QUERY))
    embedded = every & set(spy.texts)
    assert cold[2]["by_sentence"] >= 1 and embedded  # the first run embedded its sentences, and kept them
    assert _stored(kept) >= len(embedded)
    spy.texts.clear()
    warm = _result(*goal_search(kept, QUERY))
    assert warm == cold
    assert not every & set(spy.texts)


def test_after_the_scheduled_fill_a_run_embeds_no_sentence(kept: str, spy: EmbedSpy) -> None:
    from agents.jobs.handlers import refresh_themes_job
    from agents.jobs.records import JobRecord

    memory_api.workspace(kept).clear_sentence_vectors()
    record = JobRecord(job_id="j1", kind="refresh_themes", workspace=kept)
    outcome = refresh_themes_job(record, None)  # type: ignore[arg-type]  # the handler does not use the queue
    every = _all_sentences(kept)
    assert outcome.result is not None and outcome.result["sentence_vectors"] >= len(every) > 0
    assert memory_api.fill_sentence_vectors(kept) == 0  # incremental: nothing left to embed
    spy.texts.clear()
    from agents.runner import run_goal

    record_ = run_goal("Should we fix sync bugs before building dark mode?", kept, offline=True,
                       strategy=demo.strategy_file())
    assert record_["status"] == "completed"
    assert not every & set(spy.texts)
    # Nor does the guess of sentences during a model call: every candidate sentence is kept.
    state: dict[str, Any] = {"workspace": kept, "goal": "Should we fix sync bugs before building dark mode?"}
    assert speculate_sentences(state, RunCache(), threading.Event()) == 0  # type: ignore[arg-type]
    assert not every & set(spy.texts)


def test_another_workspace_never_reads_or_keeps_them(kept: str) -> None:
    memory = memory_api.workspace(kept)
    memory.fill_sentence_vectors()
    other = memory_api.workspace(OTHER)
    other.clear_sentence_vectors()
    pairs = [(s.id, part) for s, _ in memory.iter_signals() for part in sentences(s.text)][:40]
    assert pairs and len(memory.stored_sentence_vectors(pairs)) == len(set(pairs))
    assert other.stored_sentence_vectors(pairs) == {}
    assert other.known_sentences([part for _, part in pairs]) == set()
    # Asked for them, it embeds them, and keeps nothing: the signals are not its own.
    vectors = other.sentence_vectors(pairs)
    assert vectors.shape == (len(pairs), other.embedder.dim)
    assert _stored(OTHER) == 0
    other.clear_sentence_vectors()  # clearing one workspace leaves the other's
    assert len(memory.stored_sentence_vectors(pairs)) == len(set(pairs))


def test_forget_and_retention_erase_the_sentence_vectors(kept: str) -> None:
    memory = memory_api.workspace(kept)
    memory.fill_sentence_vectors()
    signals = [s for s, _ in memory.iter_signals() if sentences(s.text) and s.user_id]
    person = signals[0].user_id
    assert person is not None
    theirs = [s for s in signals if s.user_id == person]
    pairs = [(s.id, part) for s in theirs for part in sentences(s.text)]
    assert len(memory.stored_sentence_vectors(pairs)) == len(set(pairs))
    before = _stored(kept)
    memory_api.forget(kept, person)
    assert memory.stored_sentence_vectors(pairs) == {}
    assert _stored(kept) == before - len(set(pairs))
    # Retention too: every signal expires, and every kept sentence vector with it.
    from datetime import UTC, datetime

    memory.expire(datetime(2100, 1, 1, tzinfo=UTC))
    assert _stored(kept) == 0
