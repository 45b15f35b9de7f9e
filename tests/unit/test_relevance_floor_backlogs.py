"""bench.relevance_floor's backlog replay decides "answered" as ask does, with the rule's own relevance."""

from __future__ import annotations

import numpy as np

from bench.relevance_floor import Candidate, Question, Record, agreement_lift, baseline, replay_backlogs


def candidate(i: int, text: str, cosine: float, on_topic: bool) -> Candidate:
    vector = np.zeros(4, dtype=np.float32)
    vector[i % 4] = 1.0
    return Candidate(f"s{i}", text, cosine, 0.0, 0.0, None, None, "neutral", "request", on_topic, vector)


def question(split: str, text: str, cosines: list[float], on: bool) -> Question:
    cands = [candidate(i, f"As a parent, I want to fill in the camp forms online {i}", c, on)
             for i, c in enumerate(cosines)]
    return Question(split, text, ["x"] if split.startswith("answerable") else [], 0.05,
                    np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32), cands)


def test_close_stories_answer_and_distant_ones_abstain() -> None:
    background = [f"As a camper, I want to join activity number {i} with friends" for i in range(40)]
    record = Record("g-test", 60, background, [
        question("answerable", "How do parents want to handle camp forms?", [0.62, 0.6, 0.58, 0.2], True),
        question("near", "How do parents want to book the camp bus?", [0.12, 0.1, 0.08], False),
    ])
    out = replay_backlogs([record], baseline)
    assert (out["answerable"]["answered"], out["answerable"]["n"]) == (1, 1)
    assert (out["near"]["answered"], out["near"]["n"]) == (0, 1)
    assert out["answerable"]["on"] == out["answerable"]["shown"] == 3  # the 3 above the floor, all on topic
    assert out["near"]["which"] == []  # listed only when the decision is wrong


def test_the_rule_relevance_not_the_recorded_one_decides() -> None:
    from bench.relevance_floor import Context, e_folded, kept, rescored

    record = Record("g-test", 60, ["a story about camp activities"] * 30,
                    [question("answerable", "camp forms", [0.62, 0.6, 0.58], True)])
    ctx = Context.of(record, e_folded)
    found = kept(record.questions[0], rescored(ctx, record.questions[0]))
    assert found and all(c.relevance > 0.0 for c in found)  # recorded relevance was 0.0
    assert replay_backlogs([record], agreement_lift())["answerable"]["answered"] == 1
