"""The replay of ask's citations (bench/relevance_replay.py): it must cite what ask cites, and count it right.

The real-data part records BANKING77 train messages of neighbouring intents (a theme snapshot saved, as
on the bench) and checks that the ``current`` rule replays exactly the quotes ``ask_users`` gives
offline, and abstains exactly when it does; the rest checks the counting and the rules on hand-built
candidates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.ask import MIN_EVIDENCE, ask_users
from bench.relevance_replay import (
    Candidate,
    Question,
    Rule,
    agreement_first,
    cited,
    current,
    near_best,
    record,
    replay,
)
from tests.support.banking77 import banking_workspace
from tests.support.services import require_shared_data

INTENTS = ("card_swallowed", "card_arrival", "atm_support", "card_not_working", "declined_cash_withdrawal",
           "change_pin", "exchange_rate", "terminate_account")
WS = "replay"
QUESTIONS = [
    ("bench", "How do people react when a cash machine swallows their card?", ["card_swallowed"]),
    ("bench", "My new card never came in the mail — how common is that?", ["card_arrival"]),
    ("bench", "What do users think of the currency conversion rates we offer?", ["exchange_rate"]),
    ("bench", "What do customers say about our mortgage interest rates?", []),
]


def _candidate(sid: str, relevance: float, coverage: float = 0.2, on: bool = True,
               stance: str = "critical") -> Candidate:
    return Candidate(sid, f"text {sid}", 0.6, coverage, relevance, None, None, stance, "complaint", on)


def _question(found: list[Candidate], intents: list[str] | None = None, split: str = "bench") -> Question:
    return Question(split, "What goes wrong with the card?", ["x"] if intents is None else intents, found,
                    [c.signal_id for c in found])


def test_replay_of_the_current_rule_cites_exactly_what_ask_cites(tmp_path: Path) -> None:
    require_shared_data("banking77", "train.csv")
    with banking_workspace(tmp_path, WS, INTENTS, 14, themes=True) as label:
        questions = record(WS, label, QUESTIONS)
        assert [q.text for q in questions] == [q for _, q, _ in QUESTIONS]
        answered = 0
        for q in questions:
            answer = ask_users(q.text, WS, offline=True)
            found = current(q)
            assert answer.insufficient_evidence == (len(found) < MIN_EVIDENCE), q.text
            if answer.insufficient_evidence:
                continue
            answered += 1
            quotes, _ = cited(found, q.text, WS)
            assert [c.signal_id for c in quotes] == [c.signal_id for c in [*answer.evidence, *answer.dissent]]
            assert all(c.on_topic == (label[c.signal_id] in q.intents) for c in q.candidates)
        assert answered >= 2  # the in-domain questions are answered, so the quotes were compared
        assert questions[-1].found == [] or len(questions[-1].found) < MIN_EVIDENCE  # off-domain abstains


def test_replay_of_the_llm_citation_check_drops_exactly_what_ask_drops(tmp_path: Path) -> None:
    """A model citing the first 4 signals it is shown keeps, through ``ask_users``, what the replay keeps."""
    import re

    from agents.ask import AskDraft, CitedSpan
    from bench.relevance_replay import citable
    from tests.support.fake_chat import ScriptedChatModel

    def first_four(call: object) -> AskDraft:
        shown = re.findall(r'<signal id="([^"]+)"[^>]*>(.*?)</signal>', call.text)  # type: ignore[attr-defined]
        return AskDraft(answer="They report it.", evidence=[CitedSpan(signal_id=sid, quote=text[:15])
                                                             for sid, text in shown[:4]])

    require_shared_data("banking77", "train.csv")
    with banking_workspace(tmp_path, WS, INTENTS, 14, themes=True) as label:
        compared = 0
        for q in record(WS, label, QUESTIONS):
            found = current(q)
            if len(found) < MIN_EVIDENCE:
                continue
            _, llm = cited(found, q.text)
            ok = citable(q, found)
            answer = ask_users(q.text, WS, chat_model=ScriptedChatModel(responder=first_four))
            assert [c.signal_id for c in answer.evidence] == [c.signal_id for c in llm if ok(c)], q.text
            assert answer.dropped_off_topic == sum(not ok(c) for c in llm)
            compared += 1
        assert compared >= 2


def test_replay_counts_precision_abstention_and_the_llm_quotes() -> None:
    good = [_candidate(f"g{i}", 0.9 - i * 0.01) for i in range(4)]
    answered = _question([good[0], _candidate("bad", 0.85, on=False), *good[1:]])
    thin = _question([good[0], good[1]])  # fewer than 3 relevant: not enough evidence
    off_answered = _question([_candidate(f"o{i}", 0.5, on=False) for i in range(3)], intents=[])
    off_abstained = _question([], intents=[])
    figures = replay([answered, thin, off_answered, off_abstained], current, "bench")
    assert figures["cited"] == 5 and figures["off_topic"] == 1 and figures["precision"] == 0.8
    assert figures["llm_precision"] == 0.75  # the 4 first shown: g0, bad, g1, g2
    assert figures["false_abstention"] == 0.5 and figures["abstention_offdomain"] == 0.5
    assert replay([answered], current, "calibration")["cited"] == 0  # another split is not counted


def test_offline_quotes_are_the_dominant_camp_then_the_dissent() -> None:
    found = [_candidate("c1", 0.9), _candidate("f1", 0.8, stance="favourable"), _candidate("c2", 0.7),
             _candidate("c3", 0.6)]
    quotes, llm = cited(found, "What do people say about the card?")
    assert [c.signal_id for c in quotes] == ["c1", "c2", "c3", "f1"]
    assert [c.signal_id for c in llm] == ["c1", "f1", "c2", "c3"]


def test_rules_reorder_or_narrow_only_what_ask_kept() -> None:
    found = [_candidate("a", 0.9, coverage=0.0), _candidate("b", 0.8, coverage=0.5),
             _candidate("c", 0.7, coverage=0.1), _candidate("d", 0.5, coverage=0.6),
             _candidate("e", 0.45, coverage=0.0)]
    q = _question(found)
    # coverage at least the median (0.1) and above 0 first, order otherwise kept
    assert [c.signal_id for c in agreement_first(q)] == ["b", "c", "d", "a", "e"]
    assert [c.signal_id for c in near_best(0.42)(q)] == ["a", "b", "c", "d"]  # e is 0.45 below the best
    assert [c.signal_id for c in near_best(0.01)(q)] == ["a", "b", "c"]  # the 3 best always stay


@pytest.mark.parametrize("rule", [agreement_first, near_best(0.2)])
def test_rules_keep_abstention_when_nothing_was_kept(rule: Rule) -> None:
    assert rule(_question([], intents=[])) == []
