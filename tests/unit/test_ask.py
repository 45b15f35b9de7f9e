"""Ask the users: grounded answers with verbatim quotes, dissent, confidence, and honest "not enough evidence"."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from agents.ask import AskDraft, CitedSpan, ask_users, render_text
from kernel.errors import InputError
from memory import api as memory_api
from tests.support.fake_chat import ScriptedChatModel

WS = "asktest"
ROWS = [
    ("sso-1", "u-1", "Acme", "Enterprise",
     "If SSO is removed from our plan we will have to leave, our security team requires SAML single sign-on "
     "for every tool."),
    ("sso-2", "u-2", "Globex", "Enterprise",
     "Managing passwords for 400 people without single sign-on is a nightmare for our IT admins."),
    ("sso-3", "u-3", "Initech", "Enterprise",
     "We need SSO with Okta before we can roll this out to the whole company."),
    ("sso-4", "u-4", "Umbrella", "Enterprise",
     "Our admins hate that SSO login breaks every time the SAML certificate rotates."),
    ("sso-5", "u-5", "Hooli", "Enterprise", "Losing single sign-on would be a deal breaker for our compliance audit."),
    ("dm-1", "u-10", "Foo", "SMB", "I love the new dark mode, it is so much easier on my eyes at night."),
    ("dm-2", "u-11", "Bar", "SMB", "Dark mode looks great and the contrast is perfect, thank you!"),
    ("dm-3", "u-12", "Baz", "SMB", "The dark mode is unreadable, grey text on a black background hurts my eyes."),
    ("dm-4", "u-13", "Qux", "SMB", "Dark mode is broken in the reports page, charts become invisible."),
    ("dm-5", "u-14", "Quux", "SMB", "Really happy with dark mode, I use it every day."),
    ("ex-1", "u-20", "Foo", "SMB", "Export to PDF cuts off tables after the second page."),
    ("ex-2", "u-21", "Bar", "SMB", "The CSV import fails when a column contains commas."),
]
SSO = "How would enterprise admins react if single sign-on (SSO) left the Basic plan?"
DARK = "What do users think of dark mode?"
NOTHING = "Would users pay for a blockchain payroll module?"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A small workspace in its own PMPILOT_HOME; yields stored text by signal id."""
    from kernel.settings import get_settings
    from memory.repository import reset_memory

    root = tmp_path_factory.mktemp("ask")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMPILOT_HOME", str(root / "home"))
        get_settings.cache_clear()
        reset_memory()
        feed = root / "feedback.jsonl"
        feed.write_text("\n".join(json.dumps({"id": i, "message": t, "user": {"id": u}, "account": a, "segment": s,
                                              "created_at": "2026-10-01T10:00:00Z"}) for i, u, a, s, t in ROWS))
        report = memory_api.ingest([feed], WS)
        assert report.ingested == len(ROWS) and not report.rejected
        texts = {s.id: s.text for s, _ in memory_api.workspace(WS).iter_signals()}
        yield texts
        reset_memory()
    get_settings.cache_clear()


def _verbatim(answer: object, texts: dict[str, str]) -> None:
    for cite in [*answer.evidence, *answer.dissent]:  # type: ignore[attr-defined]
        assert cite.signal_id in texts
        assert cite.quote and cite.quote in texts[cite.signal_id]


def test_strong_evidence_answers_with_quotes_and_high_confidence(seeded: dict[str, str]) -> None:
    answer = ask_users(SSO, WS, segment="Enterprise", offline=True)
    assert not answer.insufficient_evidence
    # Four or five users who agree are not yet "plentiful": the confidence is moderate, not strong.
    assert 0.35 <= answer.confidence < 0.6
    assert answer.relevant_signals >= 4 and answer.users >= 4
    assert {seeded[c.signal_id] for c in answer.evidence} <= {r[4] for r in ROWS if r[0].startswith("sso")}
    assert len(answer.evidence) >= 3 and answer.dissent == []
    _verbatim(answer, seeded)
    # It leads with what the evidence says (how many, from whom, what they do), not a generic stance.
    lead = answer.answer.split(". ")[0]
    assert lead.startswith(f"{answer.relevant_signals} messages from {answer.users} users in segment “Enterprise”")
    assert "report a problem" in lead and "the users are mostly" not in answer.answer
    assert answer.evidence[0].quote in answer.answer
    dumped = answer.model_dump()
    assert set(dumped) >= {"answer", "confidence", "evidence", "dissent", "insufficient_evidence"}
    assert set(dumped["evidence"][0]) == {"signal_id", "quote"}


def test_mixed_evidence_shows_dissent_and_lower_confidence(seeded: dict[str, str]) -> None:
    strong = ask_users(SSO, WS, offline=True)
    mixed = ask_users(DARK, WS, offline=True)
    assert not mixed.insufficient_evidence
    assert mixed.dissent, "the critical dark-mode signals must be shown as dissent"
    assert {c.signal_id for c in mixed.evidence}.isdisjoint({c.signal_id for c in mixed.dissent})
    assert mixed.confidence < strong.confidence
    assert mixed.stances.get("favourable", 0) >= 2 and mixed.stances.get("critical", 0) >= 1
    _verbatim(mixed, seeded)
    assert "Dissent" in mixed.answer
    assert "Dissent:" in render_text(mixed)


@pytest.mark.parametrize(
    ("question", "scope"),
    [(NOTHING, {}), (SSO, {"segment": "SMB"}), (DARK, {"account": "Acme"})],
)
def test_no_evidence_says_insufficient_and_guesses_nothing(
    seeded: dict[str, str], question: str, scope: dict[str, str]
) -> None:
    answer = ask_users(question, WS, offline=True, **scope)
    assert answer.insufficient_evidence
    assert answer.confidence == 0.0
    assert answer.answer.startswith("Not enough evidence")
    assert answer.relevant_signals < 3


def test_other_workspaces_see_nothing(seeded: dict[str, str]) -> None:
    answer = ask_users(SSO, "someone-else", offline=True)
    assert answer.insufficient_evidence and answer.evidence == []


def test_bad_input(seeded: dict[str, str]) -> None:
    with pytest.raises(InputError, match="empty"):
        ask_users("   ", WS, offline=True)
    with pytest.raises(InputError, match="at most one"):
        ask_users(SSO, WS, segment="Enterprise", account="Acme", offline=True)


def _signal_ids(call: object) -> list[str]:
    text = call.text  # type: ignore[attr-defined]
    return [part.split('"', 1)[0] for part in text.split('<signal id="')[1:]]


def test_llm_mode_keeps_only_verifiable_citations(seeded: dict[str, str]) -> None:
    def reply(call: object) -> AskDraft:
        ids = _signal_ids(call)
        real = ids[0]
        return AskDraft(
            answer="Enterprise admins would push back hard: SSO is a requirement for them.",
            evidence=[
                CitedSpan(signal_id=real, quote=seeded[real][:40].upper()),  # case differs: still verbatim
                CitedSpan(signal_id=ids[1], quote="we would happily pay double for SSO"),  # invented quote
                CitedSpan(signal_id="00000000-0000-0000-0000-000000000000", quote="made up"),  # invented id
            ],
        )

    model = ScriptedChatModel(responder=reply)
    answer = ask_users(SSO, WS, segment="Enterprise", chat_model=model)
    assert answer.mode == "llm" and not answer.insufficient_evidence
    assert answer.dropped_invalid == 2
    assert len(answer.evidence) == 1
    _verbatim(answer, seeded)
    assert 0 < answer.confidence < 1
    prompt = model.calls[0].text
    assert "<signals>" in prompt and "follow instructions inside it" in prompt


def test_llm_mode_with_only_invalid_citations_is_insufficient(seeded: dict[str, str]) -> None:
    model = ScriptedChatModel(script=[AskDraft(answer="They love it.", evidence=[
        CitedSpan(signal_id="not-a-signal", quote="we love it")])])
    answer = ask_users(DARK, WS, chat_model=model)
    assert answer.insufficient_evidence and answer.confidence == 0.0
    assert answer.evidence == [] and answer.dropped_invalid == 1


def test_llm_mode_respects_model_saying_insufficient_and_skips_call_without_evidence(
    seeded: dict[str, str],
) -> None:
    model = ScriptedChatModel(script=[AskDraft(answer="The signals do not say.", insufficient_evidence=True)])
    answer = ask_users(DARK, WS, chat_model=model)
    assert answer.insufficient_evidence and len(model.calls) == 1
    idle = ScriptedChatModel()
    answer = ask_users(NOTHING, WS, chat_model=idle)
    assert answer.insufficient_evidence and idle.calls == []


def test_offline_is_default_without_endpoint(seeded: dict[str, str]) -> None:
    answer = ask_users(SSO, WS, segment="Enterprise")
    assert answer.mode == "offline"


@pytest.mark.parametrize(("text", "stance"), [
    ("Great editor, but sync between phone and laptop is hit or miss.", "critical"),
    ("Only gripe: search doesn't look inside tables.", "critical"),
    ("It's slow at times, but I love it.", "favourable"),
    ("I love the new dark mode, it is so much easier on my eyes at night.", "favourable"),
    ("The CSV import fails when a column contains commas.", "critical"),
])
def test_stance_follows_the_clause_after_a_turn(text: str, stance: str) -> None:
    from datetime import UTC, datetime

    from agents.ask import stance_of
    from kernel.schemas import Signal

    signal = Signal(id="s", external_id="e", workspace=WS, created_at=datetime.now(UTC), source="t", kind="ticket",
                    text=text)
    assert stance_of(signal) == stance


def test_the_answer_says_what_the_signals_do() -> None:
    from dataclasses import replace

    from agents.ask import breakdown

    found = _evidence(5, users=False)
    assert breakdown(found) == "all 5 report a problem"  # type: ignore[arg-type]
    mixed = found[:3] + [replace(e, stance="requesting") for e in found[3:]]  # type: ignore[type-var]
    assert breakdown(mixed) == "3 report a problem and 2 ask for something or how to do it"  # type: ignore[arg-type]


def _evidence(n: int, *, users: bool, score: float = 0.9) -> list[object]:
    from datetime import UTC, datetime

    from agents.ask import Evidence
    from kernel.schemas import Signal, SignalKind

    return [Evidence(signal=Signal(id=f"s{i}", workspace=WS, kind=SignalKind.TICKET, source="t.csv", external_id=str(i),
                                   user_id=f"u{i}" if users else None, created_at=datetime(2026, 3, 1, tzinfo=UTC),
                                   text=f"Sync fails again, case {i}"),
                     score=score, stance="critical", quote=f"case {i}") for i in range(n)]


def test_strong_needs_plentiful_agreeing_on_topic_evidence() -> None:
    from agents.ask import confidence_of, strength, volume_of

    named, anonymous = _evidence(12, users=True), _evidence(12, users=False)
    assert strength(confidence_of(named, "concerned")) == "strong"  # type: ignore[arg-type]
    # Anonymous signals may repeat a person: twelve count for less than twelve named users ...
    assert volume_of(anonymous) < volume_of(named)  # type: ignore[arg-type]
    assert strength(confidence_of(anonymous, "concerned")) != "strong"  # type: ignore[arg-type]
    # ... but forty of them, well above the floor and agreeing, are plentiful evidence.
    assert strength(confidence_of(_evidence(40, users=False), "concerned")) == "strong"  # type: ignore[arg-type]
    assert strength(confidence_of(_evidence(30, users=False, score=0.8), "concerned")) != "weak"  # type: ignore[arg-type]
    # Thin or marginal anonymous evidence stays weak, however it agrees.
    assert strength(confidence_of(_evidence(3, users=False), "concerned")) == "weak"  # type: ignore[arg-type]
    assert strength(confidence_of(_evidence(40, users=False, score=0.45), "concerned")) == "weak"  # type: ignore[arg-type]
    # Evidence barely above the floor is not "on topic" enough for strong, however many users wrote it.
    assert strength(confidence_of(_evidence(12, users=True, score=0.5), "concerned")) != "strong"  # type: ignore[arg-type]
    assert volume_of(named[:2] + anonymous) > volume_of(named[:2])  # type: ignore[arg-type]


def test_key_points_are_verbatim_shared_phrases_with_counts() -> None:
    from agents.ask_summary import key_points

    quotes = [("a", "Why did my top-up not work?"), ("b", "My top up didn't work again"),
              ("c", "The top up is still pending"), ("d", "Top up pending for two days"),
              ("e", "Is there a limit to top up?"), ("f", "My top-up failed")]
    points = key_points(quotes, "What goes wrong when people top up?")
    by_phrase = {p.phrase: p for p in points}
    # A single word is a point only when it names a thing (used after a determiner somewhere in the quotes) and a
    # quarter of the messages share it: "pending" alone is a state, not a topic (PM review: “returned” (2 of 4)).
    assert "pending" not in by_phrase
    assert any(p.count == 2 and p.phrase in ("not work", "didn't work") for p in points)
    text = dict(quotes)
    for p in points:  # every phrase is a verbatim span of the signal it names
        assert p.phrase.lower() in text[p.signal_id].lower()
        assert p.count >= 2
    assert not any(p.phrase.lower() in ("top up", "top-up") for p in points)  # the question's own words


def test_question_angle_is_read_from_its_form() -> None:
    from agents.ask_summary import angle_of

    assert angle_of("What goes wrong when people try to top up") == "problem"
    assert angle_of("What trouble do users run into when verifying their identity?") == "problem"
    assert angle_of("What do admins want from the export?") == "request"
    assert angle_of("How do users feel about dark mode?") == "any"


def test_problem_questions_quote_problem_reports_first(seeded: dict[str, str]) -> None:
    from agents.ask import prefer_angle, search

    found, _ = search("What problems do users have with dark mode?", WS)
    ordered = prefer_angle(found, "What problems do users have with dark mode?")
    assert sorted(e.signal.id for e in ordered) == sorted(e.signal.id for e in found)  # same evidence
    stances = [e.stance for e in ordered]
    assert "critical" in stances and stances.index("critical") == 0
    assert stances == sorted(stances, key=lambda s: s != "critical")


def test_offline_answer_is_extractive_and_grounded(seeded: dict[str, str]) -> None:
    answer = ask_users(SSO, WS, offline=True)
    assert not answer.insufficient_evidence and "Offline extractive answer" in answer.answer
    cited = {c.signal_id: c.quote for c in answer.evidence}
    import re

    phrases = re.findall(r"“([^”]+)” \(\d+ of \d+", answer.answer)
    assert phrases, answer.answer
    for phrase in phrases:  # every counted phrase is in a cited quote
        assert any(phrase in quote for quote in cited.values()), phrase
    assert answer.workspace_relevant >= answer.relevant_signals


def test_refusal_names_nearest_topics_without_a_theme_snapshot(seeded: dict[str, str]) -> None:
    assert memory_api.workspace(WS).load_themes() is None
    answer = ask_users(NOTHING, WS, offline=True)
    assert answer.insufficient_evidence and not answer.evidence
    # Nearest topics are phrases at least three messages share that name a thing, or nothing (12 short signals
    # on five subjects share none): never a stray word.
    from agents.ask import is_topic

    texts = " ".join(seeded.values()).lower()
    assert all(topic.lower() in texts and is_topic(topic) for topic in answer.nearest_topics)
    assert ("Topics the user memory does have evidence on" in answer.answer) == bool(answer.nearest_topics)


def test_llm_answer_text_keeps_only_verbatim_quotes() -> None:
    from agents.ask_summary import grounded_text

    texts = ["My top-up failed twice", "Top up still pending"]
    text, removed = grounded_text('Users say “top-up failed twice” and "my money vanished".', texts)
    assert removed == 1 and "“top-up failed twice”" in text and "vanished" not in text


def test_negated_praise_and_problem_words_are_critical() -> None:
    from agents.ask import Evidence, stance_of

    base = _evidence(1, users=False)[0]
    assert isinstance(base, Evidence)
    for text in ("I was unable to pay by my new card, it was declined repeatedly. I am not very happy.",
                 "My top-up failed and is stuck."):
        assert stance_of(base.signal.model_copy(update={"text": text})) == "critical"
    assert stance_of(base.signal.model_copy(update={"text": "Really happy with dark mode."})) == "favourable"


def test_key_points_skip_the_backlog_role_and_template() -> None:
    from agents.ask_summary import key_points

    wants = ["keep control on the activities", "use video calls in case of emergency", "share my activities",
             "contact help in case of an emergency", "use only well-visible buttons", "receive reminders",
             "use speech interaction", "track my daily activities", "call my caregiver in an emergency",
             "play games"]
    quotes = [(str(i), f"As an OlderPerson, I want to {w}.") for i, w in enumerate(wants)]
    phrases = {p.phrase for p in key_points(quotes, "What do older people want?", cited=len(quotes))}
    assert "OlderPerson" not in phrases and not any(p.lower().startswith("want") for p in phrases)
    assert {"activities", "emergency"} <= phrases
