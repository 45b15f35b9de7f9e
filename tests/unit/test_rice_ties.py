"""RICE resolves by real differences, and equal scores have an explicit, stated order (issue 14, defect 10)."""

from __future__ import annotations

from typing import Any

from tools import scoring
from tools.scoring import EvidenceStats


def story_rows(n: int, prefix: str, *, relevance: float, sentiment: float = 0.0, day: int = 1,
               signal_type: str = "feature_request") -> list[dict[str, Any]]:
    """``n`` backlog stories: no user or account (each its own reporter), one kind of source."""
    return [{"signal_id": f"{prefix}{i}", "user_id": None, "account_id": None, "kind": "backlog",
             "signal_type": signal_type, "sentiment": sentiment, "score": relevance,
             "created_at": f"2026-03-{day:02d}T00:00:00+00:00"} for i in range(n)]


def rice_of(rows: list[dict[str, Any]]) -> scoring.RiceScore:
    return scoring.rice(EvidenceStats.from_evidence(rows))


def test_same_size_topics_differ_by_how_on_topic_their_evidence_is() -> None:
    close, loose = rice_of(story_rows(4, "a", relevance=0.9)), rice_of(story_rows(4, "b", relevance=0.6))
    assert close["reach"] == loose["reach"] == 4
    assert close["confidence"] > loose["confidence"] and close["score"] > loose["score"]
    assert close["on_topic"] == 0.9 and loose["on_topic"] == 0.6


def test_severity_and_the_mix_of_types_change_impact_without_snapping() -> None:
    calm = rice_of(story_rows(3, "c", relevance=0.8, signal_type="bug"))
    severe = rice_of(story_rows(3, "s", relevance=0.8, signal_type="bug", sentiment=-0.9))
    assert calm["impact"] == 2.0 and 2.0 < severe["impact"] <= 3.0
    mixed = rice_of(story_rows(2, "m", relevance=0.8, signal_type="bug")
                    + story_rows(1, "q", relevance=0.8, signal_type="question"))
    assert mixed["impact"] == round((2 + 2 + 0.5) / 3, 2)  # not snapped up to 2.0


def test_evidence_without_relevance_scores_keeps_volume_and_diversity_confidence() -> None:
    rows = [{k: v for k, v in r.items() if k != "score"} for r in story_rows(10, "x", relevance=0.0)]
    assert scoring.rice(EvidenceStats.from_evidence(rows))["confidence"] == round(0.2 + 0.8 * (0.5 + 0.5 / 3), 3)


def test_equal_scores_are_ordered_by_the_stated_tie_break_and_the_document_can_say_so() -> None:
    old = {**rice_of(story_rows(3, "o", relevance=0.8, day=1)), "score": 2.0}
    new = {**rice_of(story_rows(3, "n", relevance=0.8, day=20)), "score": 2.0}
    wide = {**rice_of(story_rows(4, "w", relevance=0.8)), "score": 2.0}
    ranked = sorted([("old", old), ("new", new), ("wide", wide)], key=lambda x: scoring.rank_key(x[1], x[0]))
    assert [name for name, _ in ranked] == ["wide", "new", "old"]  # reach, then the most recent evidence
    note = scoring.tie_note(ranked)
    assert note is not None and "wide, new, old (RICE 2)" in note and scoring.TIE_BREAK in note
    assert scoring.tie_note([("a", old), ("b", {**old, "score": 2.5})]) is None
    # undated evidence sorts after dated evidence of the same score
    undated = {**old, "latest": ""}
    assert sorted([("u", undated), ("o", old)], key=lambda x: scoring.rank_key(x[1], x[0]))[0][0] == "o"


def test_pooled_backlog_topics_of_one_size_rarely_tie() -> None:
    """Ten same-size topics whose evidence differs only by relevance: all ten scores distinct."""
    scores = [rice_of(story_rows(5, f"t{k}-", relevance=0.55 + 0.04 * k))["score"] for k in range(10)]
    assert len(set(scores)) == 10
