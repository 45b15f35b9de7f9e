"""``ask`` in LLM mode checks each citation against the question, and counts what it drops; answer words match counts.

Issue 14: the scripted model cites real signals about something else next to what it was shown, and on the full
BANKING77 set the first signals it is shown are themselves off topic when the best signals span several saved
themes. A citation must name a relevant signal the model was shown, quote it verbatim and, in such a *mixed*
answer, be more likely about the question than not (``agents.ask.CITE_RELEVANCE``). A real signal that fails is
counted in ``dropped_off_topic`` (the answer says how many); an invented id or quote in ``dropped_invalid``.

Also (PM review): "Phrases most used by the 9 that report a problem or ask for a change" when the 9 were 8
questions and 1 problem report; the words now name the stances the counts are of.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from agents import ask as ask_module
from agents.ask import AskDraft, CitedSpan, Evidence, answer_llm, answer_offline
from bench.relevance_replay import Candidate, Question, current, replay
from kernel.schemas import Signal, SignalKind
from memory import api as memory_api
from tests.support.fake_chat import ScriptedChatModel

WS = "citecheck"
QUESTION = "What goes wrong with top-ups?"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """A workspace with a few stored signals (their ids): real signals the shown evidence does not include."""
    from tests.support.workspace import offline_home

    root = tmp_path_factory.mktemp("citecheck")
    with offline_home(root / "home"):
        rows = [{"id": f"x{i}", "message": text, "created_at": "2026-10-01T10:00:00Z"}
                for i, text in enumerate(["The exchange rate was bad on Monday", "My PIN is blocked again",
                                          "My new card has not arrived yet"])]
        feed = root / "feedback.jsonl"
        feed.write_text("\n".join(json.dumps(r) for r in rows))
        assert memory_api.ingest([feed], WS).ingested == len(rows)
        yield [s.id for s, _ in memory_api.workspace(WS).iter_signals()]


def _evidence(scores: list[float], themes: list[str | None]) -> list[Evidence]:
    texts = ["My top-up is pending for hours, attempt {}", "The bank declined my top-up, case {}",
             "Top-up failed with my debit card, try {}"]
    return [Evidence(signal=Signal(id=f"e{i}", workspace=WS, kind=SignalKind.TICKET, source="t.csv",
                                   external_id=str(i), created_at=datetime(2026, 3, 1, tzinfo=UTC),
                                   text=texts[i % 3].format(i), user_id=f"u{i}"),
                     score=score, stance="critical", quote=texts[i % 3].format(i), theme=theme)
            for i, (score, theme) in enumerate(zip(scores, themes, strict=True))]


def _citing(*ids: str) -> ScriptedChatModel:
    """A model citing ``ids`` in that order, each with the first 20 characters of the signal as shown."""
    def reply(call: object) -> AskDraft:
        shown = dict(re.findall(r'<signal id="([^"]+)"[^>]*>(.*?)</signal>', call.text))  # type: ignore[attr-defined]
        return AskDraft(answer="Top-ups fail or stay pending.",
                        evidence=[CitedSpan(signal_id=sid, quote=shown.get(sid, "The exchange rate")[:20])
                                  for sid in ids])
    return ScriptedChatModel(responder=reply)


def test_in_a_mixed_answer_a_citation_less_likely_on_topic_than_not_is_dropped_and_counted(
        stored: list[str]) -> None:
    found = _evidence([0.9, 0.8, 0.45, 0.7, 0.42], ["A", "B", "A", "A", "B"])  # best 5 span two themes
    assert ask_module.mixed(found)
    answer = answer_llm(QUESTION, WS, found, _citing("e0", "e1", "e2", "e4", stored[0], "not-a-signal"), searched=60)
    assert not answer.insufficient_evidence
    assert [c.signal_id for c in answer.evidence] == ["e0", "e1"]
    assert answer.dropped_off_topic == 3  # e2 and e4 (P < 0.5) and a stored signal the model was not shown
    assert answer.dropped_invalid == 1  # the invented id
    assert answer.answer.endswith("(3 of the model's citations were dropped as not about the question.)")


def test_in_a_single_theme_answer_every_relevant_signal_shown_may_be_cited(stored: list[str]) -> None:
    found = _evidence([0.9, 0.8, 0.45, 0.7, 0.42], ["A"] * 5)
    assert not ask_module.mixed(found)
    answer = answer_llm(QUESTION, WS, found, _citing("e0", "e2", "e4"), searched=60)
    assert [c.signal_id for c in answer.evidence] == ["e0", "e2", "e4"]
    assert answer.dropped_off_topic == 0 and "dropped as not about" not in answer.answer


def test_when_every_citation_is_off_topic_the_answer_is_not_enough_evidence(stored: list[str]) -> None:
    found = _evidence([0.9, 0.8, 0.45, 0.7, 0.42], ["A", "B", "A", "A", "B"])
    answer = answer_llm(QUESTION, WS, found, _citing("e2", "e4", stored[1]), searched=60)
    assert answer.insufficient_evidence and answer.evidence == [] and answer.confidence == 0.0
    assert answer.dropped_off_topic == 3 and answer.dropped_invalid == 0
    assert "none of the model's citations is of a signal about the question" in answer.answer


def test_the_replay_measures_the_citation_check_and_the_on_topic_citations_it_keeps() -> None:
    # Mixed (themes A and B among the 5 best): the 4 first shown are m0..m3; m2 (P 0.45, on topic) and
    # m3 (P 0.41, off topic) fail the check. Every on-topic signal shown: m0, m1, m2, m4, m5 -> 2 of 5 pass
    # (agents.ask.citable: the offline answer's 2 quotes of the signals at P >= 0.5, which still span themes).
    rows = [(0.9, "A", True), (0.8, "B", True), (0.45, "A", True), (0.41, "A", False), (0.7, "A", True),
            (0.6, "A", True)]
    candidates = [Candidate(f"m{i}", f"text {i}", 0.7, 0.2, rel, theme, 0.6, "critical", "complaint", on)
                  for i, (rel, theme, on) in enumerate(rows)]
    question = Question("bench", QUESTION, ["x"], candidates, [c.signal_id for c in candidates])
    out = replay([question], current, "bench")
    assert out["llm_precision"] == 0.75 and out["llm_precision_checked"] == 1.0
    assert out["llm_checked_dropped"] == 2 and out["llm_checked_dropped_on_topic"] == 1
    assert out["llm_on_topic_kept"] == 0.6667 and out["shown_on_topic_kept"] == 0.4


def _camp(requesting: int, critical: int, favourable: int) -> list[Evidence]:
    stances = ["requesting"] * requesting + ["critical"] * critical + ["favourable"] * favourable
    texts = {"requesting": "How do I top up with my debit card above the daily limit, case {}",
             "critical": "My top up with the debit card above the daily limit failed, case {}",
             "favourable": "Top up with the debit card was quick, thanks, case {}"}
    return [Evidence(signal=Signal(id=f"c{i}", workspace=WS, kind=SignalKind.TICKET, source="t.csv",
                                   external_id=str(i), created_at=datetime(2026, 3, 1, tzinfo=UTC),
                                   text=texts[s].format(i), user_id=f"u{i}"),
                     score=0.9, stance=s, quote=texts[s].format(i))  # type: ignore[arg-type]
            for i, s in enumerate(stances)]


def test_the_camps_words_match_its_counts(stored: list[str]) -> None:
    from agents.ask import what_they_do

    found = _camp(8, 1, 4)  # the dominant camp: 8 questions and 1 problem report; 4 are positive
    assert what_they_do(found[:9]) == "ask for something or how to do it (8) or report a problem (1)"
    assert what_they_do(found[:8]) == "ask for something or how to do it"
    text = answer_offline("How do customers top up with a debit card?", WS, found, searched=60).answer
    assert "report a problem or ask for a change" not in text
    assert "Phrases most used by the 9 that ask for something or how to do it (8) or report a problem (1)" in text
    assert "Dissent: 4 are positive" in text
    against = answer_offline("How do customers top up with a debit card?", WS, _camp(2, 1, 9), searched=60).answer
    assert "Dissent: 2 ask for something or how to do it and 1 reports a problem" in against, against
