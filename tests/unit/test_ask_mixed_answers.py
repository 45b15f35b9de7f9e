"""A mixed answer (its best signals span saved themes) quotes two, but is judged on the same basis as any other.

Confidence is computed over the dominant camp's MAX_QUOTES best, as before the two-quote rule, and capped by
the quotes shown: weaker signals at ranks 3-5 still lower it, so a mixed answer is never more confident than
the same evidence quoted in full.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.ask import MAX_QUOTES, Evidence, answer_offline, confidence_of, mixed
from agents.ask_stance import Stance
from kernel.schemas import Signal, SignalKind
from tests.support.banking77 import banking_workspace

WS = "reviewmixed"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A small workspace (the answer reads its background sample)."""
    root: Path = tmp_path_factory.mktemp("reviewmixed")
    with banking_workspace(root, WS, ("top_up_failed", "exchange_rate", "age_limit"), 6, prefix="R") as label:
        yield label


def _ev(i: int, score: float, theme: str, stance: Stance = "critical") -> Evidence:
    text = f"My top up failed again, attempt {i}"
    signal = Signal(id=f"r{i}", workspace=WS, kind=SignalKind.TICKET, source="t.csv", external_id=str(i),
                    created_at=datetime(2026, 3, 1, tzinfo=UTC), text=text, user_id=f"u{i}")
    return Evidence(signal=signal, score=score, stance=stance, quote=text, rank=score, theme=theme)


def test_weak_signals_at_ranks_3_to_5_still_lower_a_mixed_answers_confidence(home: dict[str, str]) -> None:
    # Two strong on-topic signals, then three weak ones from another theme, then five fairly relevant.
    found = [_ev(0, 0.9, "A"), _ev(1, 0.9, "A"), _ev(2, 0.4, "B"), _ev(3, 0.4, "B"), _ev(4, 0.4, "B")]
    found += [_ev(5 + i, 0.8, "A") for i in range(5)]
    assert mixed(found)
    answer = answer_offline("What goes wrong with top ups?", WS, found, searched=60)
    assert len(answer.evidence) == 2
    full = confidence_of(found, "concerned", cited=found[:MAX_QUOTES])  # the same evidence quoted in full
    assert answer.confidence <= full
    assert f"Confidence {answer.confidence:.2f}" in answer.answer


def test_a_mixed_answers_dissent_reads_the_same_in_text_and_json(home: dict[str, str]) -> None:
    # The best two are critical; three positive messages rank below them, so none of them is quoted.
    found = [_ev(0, 0.9, "A"), _ev(1, 0.88, "B"), _ev(2, 0.8, "A", "favourable"), _ev(3, 0.8, "A", "favourable"),
             _ev(4, 0.8, "B", "favourable")] + [_ev(5 + i, 0.8, "A") for i in range(5)]
    assert mixed(found)
    answer = answer_offline("What goes wrong with top ups?", WS, found, searched=60)
    assert answer.dissent == []
    dissent = answer.answer.split("Dissent: ")[1].split(" Confidence")[0]
    assert dissent.startswith("3 are positive") and "not quoted" in dissent and "“" not in dissent
