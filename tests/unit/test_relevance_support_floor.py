"""The support-shifted floor replayed by bench/relevance_replay.py (issue #14, abstention).

A question all of whose content words occur in at least 2 of its candidates has its floor lowered (the
relevance logit moved up); one naming a word the candidates never use keeps the fitted floor. Hand-built
candidates, so the figures are exact.
"""

from __future__ import annotations

from bench.relevance_replay import Candidate, Question, current, refloored, support, support_floor


def _candidate(sid: str, relevance: float, text: str, on: bool = True) -> Candidate:
    return Candidate(sid, text, 0.3 + relevance / 2, 0.2, relevance, None, None, "critical", "complaint", on)


def _question(terms: list[str], candidates: list[Candidate]) -> Question:
    kept = [c.signal_id for c in candidates if c.relevance >= 0.4]
    return Question("bench", "question", ["x"], candidates, kept, terms)


CANDIDATES = [_candidate("a", 0.55, "my top up failed"), _candidate("b", 0.45, "the top up was reverted"),
              _candidate("c", 0.33, "money I added is not in my account"),
              _candidate("d", 0.20, "how do I close my account", on=False)]


def test_support_counts_candidates_and_matches_a_stem_cut_short() -> None:
    q = _question(["account", "clos", "mortgage"], CANDIDATES)
    assert support(q) == {"account": True, "clos": False, "mortgage": False}  # "close" once only
    more = _question(["clos"], [*CANDIDATES, _candidate("e", 0.1, "I want to close it")])
    assert support(more) == {"clos": True}  # "closing" stems to "clos", the message says "close"


def test_a_supported_question_below_the_floor_is_answered_and_an_unknown_word_keeps_it_refused() -> None:
    supported = _question(["account", "top"], CANDIDATES)
    assert len(current(supported)) == 2  # fewer than 3: "not enough evidence" under the fitted floor
    # logit(0.33) + 0.4 = -0.31 -> P 0.42 >= 0.40; d (0.20 -> 0.27) stays out
    assert [c.signal_id for c in support_floor(0.4)(supported)] == ["a", "b", "c"]
    near_miss = _question(["account", "mortgage"], CANDIDATES)
    assert [c.signal_id for c in support_floor(0.4)(near_miss)] == ["a", "b"]
    assert [c.signal_id for c in support_floor(0.4, share=0.5)(near_miss)] == ["a", "b", "c"]


def test_no_shift_keeps_what_the_floor_keeps() -> None:
    q = _question(["account"], CANDIDATES)
    assert {c.signal_id for c in refloored(q, 0.0)} == {"a", "b"}
    assert refloored(_question([], []), 0.6) == []
