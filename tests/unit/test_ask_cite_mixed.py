"""What ``ask`` cites: an answer whose best signals span several saved themes quotes only the best two.

On the relevance bench's replay a single-theme answer's quotes were 85-100 % on topic and a mixed one's 50-65 %
at every rank, so a mixed answer shows two examples and its counts (docs/agents.md, "Fewer quotes when the
best signals span themes"). The replay (bench/relevance_replay.py) must quote exactly what ``ask`` quotes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.ask import MAX_QUOTES, MIXED_QUOTES, Evidence, answer_offline, mixed
from bench.relevance_replay import Candidate, cited
from kernel.schemas import Signal, SignalKind
from tests.support.banking77 import banking_workspace

WS = "citemixed"


@pytest.fixture(scope="module")
def themed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A small workspace (the answer reads its background sample)."""
    root: Path = tmp_path_factory.mktemp("citemixed")
    with banking_workspace(root, WS, ("top_up_failed", "exchange_rate", "age_limit"), 6, prefix="M") as label:
        yield label



def _evidence(themes: list[str | None]) -> list[Evidence]:
    texts = ["My top up failed again", "The top up was declined twice", "Top up did not go through",
             "Why did my top up fail?", "My top up keeps failing", "The top up is still pending",
             "Top up failed with my card", "Top up rejected this morning"]
    return [Evidence(signal=Signal(id=f"m{i}", workspace=WS, kind=SignalKind.TICKET, source="t.csv",
                                   external_id=str(i), created_at=datetime(2026, 3, 1, tzinfo=UTC), text=t),
                     score=0.9 - i * 0.01, stance="critical", quote=t, theme=theme)
            for i, (t, theme) in enumerate(zip(texts, themes, strict=True))]


def test_an_answer_whose_best_signals_span_themes_quotes_only_the_best_two(themed: dict[str, str]) -> None:
    one = _evidence(["A"] * 8)
    assert not mixed(one)
    single = answer_offline("What goes wrong with top ups?", WS, one, searched=60)
    assert [c.signal_id for c in single.evidence] == [f"m{i}" for i in range(MAX_QUOTES)]
    split = _evidence(["A", "A", "B", "A", "A", "B", "A", "A"])
    assert mixed(split)
    answer = answer_offline("What goes wrong with top ups?", WS, split, searched=60)
    assert [c.signal_id for c in answer.evidence] == ["m0", "m1"]  # the best two, in order
    assert len(answer.evidence) + len(answer.dissent) == MIXED_QUOTES
    assert answer.relevant_signals == 8 and answer.answer.startswith("8 messages")  # counts cover everything
    example = answer.answer.split("For example: ")[1]
    assert "My top up keeps failing" not in example and "My top up failed again" in example
    # A signal ingested after the snapshot (no theme) does not make the answer mixed.
    assert not mixed(_evidence(["A", None, "A", None, "A", "A", "A", "A"]))
    assert not mixed(_evidence([None] * 8))  # no snapshot: never mixed


def test_the_replay_quotes_what_ask_quotes_when_the_best_signals_span_themes() -> None:
    candidates = [Candidate(f"m{i}", f"text {i}", 0.7, 0.2, 0.9 - i * 0.01, theme, 0.6, "critical", "complaint", True)
                  for i, theme in enumerate(["A", "B", "A", "A", "A", "A"])]
    quotes, llm = cited(candidates, "What goes wrong with top ups?")
    assert [c.signal_id for c in quotes] == ["m0", "m1"]
    assert [c.signal_id for c in llm] == ["m0", "m1", "m2", "m3"]  # what an LLM is shown is unchanged
