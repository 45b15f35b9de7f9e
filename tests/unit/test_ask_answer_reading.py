"""What a PM reads from ``ask``: the finding first, messages (not users) when nobody is named, topics that are
topics, "strong" only for on-topic and plentiful evidence, and broad questions ranked by what users report."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from agents.ask import Evidence, answer_offline, ask_users, confidence_of, is_topic, strength
from agents.ask_summary import key_points
from kernel.schemas import Signal, SignalKind
from memory import api as memory_api

WS = "h3ask"
ROWS = [
    ("s1", "u-1", "Enterprise", "The export to PDF fails on every report with more than ten pages."),
    ("s2", "u-2", "Enterprise", "Exporting a report to PDF fails and we lose the whole afternoon."),
    ("s3", "u-3", "SMB", "PDF export is broken again, the report comes out blank."),
    ("s4", "u-4", "Enterprise", "Our PDF export keeps failing for long reports, a blocker for audits."),
    ("s5", "u-5", "SMB", "I love how quickly the PDF export works for short reports."),
    ("s6", "u-6", "SMB", "The mobile app crashes when I open the calendar view."),
    ("s7", "u-7", "SMB", "Calendar view crashes the mobile app on Android every time."),
    ("s8", "u-8", "Enterprise", "The mobile app crashes whenever I rotate the calendar view."),
    ("s9", "u-9", "SMB", "Please add a dark theme to the calendar, it is too bright at night."),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A small workspace with named users and segments in its own PMPILOT_HOME; yields text by signal id."""
    from tests.support.workspace import offline_home

    root = tmp_path_factory.mktemp("h3ask")
    with offline_home(root / "home"):
        feed = root / "feedback.jsonl"
        feed.write_text("\n".join(json.dumps({"id": i, "message": t, "user": {"id": u}, "segment": seg,
                                              "created_at": "2026-10-01T10:00:00Z"}) for i, u, seg, t in ROWS))
        assert memory_api.ingest([feed], WS).ingested == len(ROWS)
        yield {s.id: s.text for s, _ in memory_api.workspace(WS).iter_signals()}


def _anonymous(texts: list[str], score: float = 0.9) -> list[Evidence]:
    return [Evidence(signal=Signal(id=f"a{i}", workspace=WS, kind=SignalKind.TICKET, source="t.csv",
                                   external_id=str(i), created_at=datetime(2026, 3, 1, tzinfo=UTC), text=t),
                     score=score, stance="critical", quote=t) for i, t in enumerate(texts)]


def test_answer_leads_with_the_finding_and_segments(seeded: dict[str, str]) -> None:
    answer = ask_users("Which segment has trouble with PDF export?", WS, offline=True)
    assert not answer.insufficient_evidence
    first = answer.answer.split(". ")[0]
    assert re.match(r"\d+ messages from \d+ users of the \d+ in the workspace are about this: (all )?\d+ reports? "
                    r"a problem", first), first
    assert "By segment: Enterprise" in answer.answer  # the segments the evidence carries, counted
    for cite in answer.evidence:
        assert cite.quote in seeded[cite.signal_id]
    example = re.split(r" (?:Dissent|Confidence) ", answer.answer.split("For example: ")[1])[0]
    quoted = re.findall(r"“([^”]+)”", example)
    cited = {c.quote for c in answer.evidence}
    assert quoted and all(q in cited for q in quoted), (quoted, cited)  # each example is a cited quote


def test_messages_without_user_ids_are_counted_as_messages(seeded: dict[str, str]) -> None:
    found = _anonymous([f"My card payment was declined at the shop, attempt {i}" for i in range(6)])
    answer = answer_offline("How many customers have card payments declined?", WS, found, searched=60)
    assert answer.answer.startswith("6 messages are about this")
    assert "how many people wrote them is unknown" in answer.answer
    assert "users" not in answer.answer.split(". ")[0]  # the count is of messages, never called users
    assert "None of these messages names a segment" not in answer.answer  # not a "which segment" question
    which = answer_offline("Which segment has card payments declined?", WS, found, searched=60)
    assert "None of these messages names a segment, plan or account" in which.answer


def test_a_lone_opposite_message_is_cited_but_not_stated(seeded: dict[str, str]) -> None:
    found = _anonymous([f"The PDF export fails on report {i}" for i in range(5)])
    found.append(replace(found[0], signal=found[0].signal.model_copy(update={"id": "pos"}), stance="favourable",
                         quote="I like the PDF export"))
    answer = answer_offline("What goes wrong with PDF export?", WS, found, searched=60)
    assert [c.signal_id for c in answer.dissent] == ["pos"] and "Dissent" not in answer.answer
    found.append(replace(found[-1], signal=found[-1].signal.model_copy(update={"id": "pos2"})))
    assert "Dissent: 2 are positive" in answer_offline("What goes wrong with PDF export?", WS, found).answer


def test_strong_needs_the_quoted_evidence_on_topic() -> None:
    evidence = _anonymous([f"Sync fails again, case {i}" for i in range(60)])
    assert strength(confidence_of(evidence, "concerned")) == "strong"
    # The same volume, but the quotes the answer shows are barely above the floor: not strong.
    shown = [replace(e, score=0.45) for e in evidence[:5]]
    assert strength(confidence_of(evidence, "concerned", cited=shown)) != "strong"
    assert confidence_of(evidence, "concerned", cited=evidence[:5]) == confidence_of(evidence, "concerned")


def test_a_point_is_shared_by_a_real_share_of_the_messages() -> None:
    quotes = [(str(i), f"My transfer was declined, case {i}") for i in range(12)]
    quotes += [(f"o{i}", f"Where do I see my statement for month {i}?") for i in range(8)]
    quotes += [("x1", "Is it possible to send money abroad?"), ("x2", "Is it possible to transfer it today?")]
    phrases = {p.phrase.lower() for p in key_points(quotes, "Why was my transfer rejected?")}
    assert "possible" not in phrases  # 2 of 22 is an anecdote, not a finding
    assert "declined" not in phrases  # a stance cue alone says how, not what (PM review: “wrong” (25 of 56))


@pytest.mark.parametrize("phrase", ["decide", "wrong", "declined", "authorized users shall",
                                    "including but not limited", "product shall be available"])
def test_nearest_topics_are_never_stray_words_or_clauses(phrase: str) -> None:
    texts = ["I can decide later", "Something went wrong", "The product shall be available 24 hours a day"]
    assert not is_topic(phrase, texts)


@pytest.mark.parametrize("phrase", ["top-up", "exchange rate", "card payment (declined)"])
def test_nearest_topics_name_things(phrase: str) -> None:
    assert is_topic(phrase, ["My top-up failed", "the exchange rate is bad"])


def test_broad_questions_rank_saved_themes_by_what_users_report(seeded: dict[str, str]) -> None:
    broad = "What are the biggest pain points?"
    refused = ask_users(broad, WS, offline=True)  # no theme snapshot yet: says so, quotes nothing
    assert refused.insufficient_evidence and refused.evidence == [] and "pmpilot themes" in refused.answer
    memory_api.themes(WS)
    assert memory_api.workspace(WS).load_themes() is not None
    answer = ask_users(broad, WS, offline=True)
    assert not answer.insufficient_evidence and answer.evidence
    assert re.search(r"\(\d+ of \d+ messages report a problem, \d+ users\)", answer.answer), answer.answer
    from agents.ask_stance import stance_of

    signals = {s.id: s for s in memory_api.workspace(WS).get_signals([c.signal_id for c in answer.evidence])}
    for cite in answer.evidence:  # each theme is quoted from a message that reports a problem
        assert cite.quote in seeded[cite.signal_id]
        assert stance_of(signals[cite.signal_id]) == "critical"


def test_llm_is_told_to_lead_with_the_finding_and_who_the_signals_name(seeded: dict[str, str]) -> None:
    from agents.ask import AskDraft, CitedSpan, answer_llm
    from tests.support.fake_chat import ScriptedChatModel

    def reply(call: object) -> AskDraft:
        text = call.text  # type: ignore[attr-defined]
        sid = text.split('<signal id="')[1].split('"', 1)[0]
        return AskDraft(answer="Five messages say the PDF export fails.",
                        evidence=[CitedSpan(signal_id=sid, quote="PDF export")])

    found = _anonymous([f"The PDF export fails on report {i}" for i in range(5)])
    model = ScriptedChatModel(responder=reply)
    answer = answer_llm("What goes wrong with PDF export?", WS, found, model, searched=60)
    prompt = model.calls[0].text
    assert "Lead with the specific finding" in prompt and "They name no users" in prompt
    assert answer.evidence and answer.evidence[0].quote == "PDF export"
    by_users = ScriptedChatModel(responder=reply)
    named = ask_users("What goes wrong with PDF export?", WS, chat_model=by_users)
    assert not named.insufficient_evidence and named.users >= 3
    assert "named users" in by_users.calls[0].text and "They name no users" not in by_users.calls[0].text
