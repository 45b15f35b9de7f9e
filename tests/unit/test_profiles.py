"""Profiles: claim extraction from customer speech, reinforcement, contradiction, supersession, LLM."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableLambda

from kernel.errors import InputError
from kernel.schemas import Claim, ClaimStatus, ClaimType, Signal, SignalKind, signal_id
from memory.embeddings import LocalEmbedder
from memory.profiles import (
    claim_polarity,
    extract_claims,
    get_profile,
    key_phrase,
    llm_extract_claims,
    merge_claims,
    update_profiles,
)
from memory.repository import MemoryStore, WorkspaceMemory
from memory.store.client import ClientStore
from memory.tagging import tag_text

T0 = datetime(2024, 5, 1, tzinfo=UTC)
_counter = iter(range(10_000))


def sig(
    text: str,
    *,
    user: str | None = "u1",
    account: str | None = "acme",
    segment: str | None = "smb",
    days: int = 0,
    role: str | None = None,
    kind: SignalKind = SignalKind.TICKET,
    workspace: str = "w",
) -> Signal:
    n = next(_counter)
    stype, sentiment = tag_text(text)
    return Signal(
        id=signal_id(workspace, "test.csv", str(n)), workspace=workspace, kind=kind, source="test.csv",
        external_id=str(n), user_id=user, account_id=account, segment=segment,
        created_at=T0 + timedelta(days=days), text=text, signal_type=stype, sentiment=sentiment, role=role,
    )


def by_subject(claims: Sequence[tuple[str, str, Claim]], subject_type: str, subject: str) -> list[Claim]:
    return [c for st, s, c in claims if st == subject_type and s == subject]


# -- pure extraction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ctype", "phrase"),
    [
        ("Sync conflicts keep losing my edits!", ClaimType.PAIN_POINT, "sync conflicts keep losing edits"),
        ("It would be great if you could add dark mode", ClaimType.FEATURE_REQUEST, "dark mode"),
        ("Way too expensive for what it does", ClaimType.OBJECTION, "too expensive"),
        ("We need a calendar integration", ClaimType.NEED, "calendar integration"),
        ("We don't need calendar integration anymore", ClaimType.NEED, "no need for calendar integration"),
        ("I love the export feature", ClaimType.PREFERENCE, "love export feature"),
        ("We are cancelling our subscription and moving to Notion", ClaimType.CHURN_RISK, None),
        ("Our team uses the kanban board every morning", ClaimType.USAGE_PATTERN, None),
    ],
)
def test_claim_type_and_key_phrase(text: str, ctype: ClaimType, phrase: str | None) -> None:
    claims = extract_claims([sig(text, account=None, segment=None)])
    assert len(claims) == 1
    subject_type, subject, claim = claims[0]
    assert (subject_type, subject) == ("user", "u1")
    assert claim.type is ctype
    if phrase is not None:
        assert claim.text == phrase
    assert 0 < len(claim.text.split()) <= 7


def test_one_claim_per_subject_and_questions_make_none() -> None:
    claims = extract_claims([sig("The export keeps failing with an error")])
    assert sorted((st, s) for st, s, _ in claims) == [("account", "acme"), ("segment", "smb"), ("user", "u1")]
    assert extract_claims([sig("How do I invite a teammate?")]) == []


def test_only_customer_speech_becomes_claims() -> None:
    interviewer = sig("Would it be great if we added dark mode? Do you hate the export?", role="interviewer",
                      kind=SignalKind.INTERVIEW)
    rep = sig("Our product crashes less than competitors", role="sales_rep", kind=SignalKind.SALES_CALL)
    internal = sig("Fix the export crash", kind=SignalKind.ISSUE)
    customer = sig("Honestly the export crashes all the time", role="customer", kind=SignalKind.INTERVIEW)
    claims = extract_claims([interviewer, rep, internal, customer])
    evidence = {e for _, _, c in claims for e in c.evidence}
    assert evidence == {customer.id}


def test_same_pain_from_three_users_is_one_account_claim_with_support_3() -> None:
    signals = [
        sig("Sync conflicts keep losing my edits", user=f"u{i}", days=i) for i in range(3)
    ]
    claims = extract_claims(signals)
    account = by_subject(claims, "account", "acme")
    assert len(account) == 1
    assert account[0].support == 3 and account[0].accounts == 1
    assert account[0].first_seen == T0 and account[0].last_seen == T0 + timedelta(days=2)
    assert len(by_subject(claims, "user", "u0")) == 1


def test_key_phrase_keeps_negation() -> None:
    assert key_phrase("The calendar is not syncing with Outlook") == "calendar not syncing outlook"
    assert key_phrase("") == ""


# -- merge rules (pure) ------------------------------------------------------------------------


def claim(ctype: ClaimType, text: str, evidence: list[str], days: int = 0, cid: str = "") -> Claim:
    at = T0 + timedelta(days=days)
    return Claim(id=cid, type=ctype, text=text, evidence=evidence, first_seen=at, last_seen=at,
                 support=len(evidence), accounts=1)


def test_merge_reinforces_without_duplicate_evidence() -> None:
    old = claim(ClaimType.PAIN_POINT, "export fails large reports", ["a", "b"], cid="c1")
    changed, created = merge_claims([(old, 0.0)], claim(ClaimType.PAIN_POINT, "export fails large reports",
                                                        ["b", "c"], days=3))
    assert created is None and len(changed) == 1
    assert changed[0].id == "c1" and changed[0].evidence == ["a", "b", "c"] and changed[0].support == 3
    assert changed[0].confidence > old.confidence


def test_merge_contradiction_keeps_both() -> None:
    praise = claim(ClaimType.PREFERENCE, "love export feature", ["a"], cid="c1")
    changed, created = merge_claims([(praise, 0.0)], claim(ClaimType.PAIN_POINT, "export feature broken",
                                                           ["b"], days=2))
    assert created is not None and created.status is ClaimStatus.ACTIVE
    assert changed[0].status is ClaimStatus.CONTRADICTED and changed[0].contradicted_by == ["b"]
    assert claim_polarity(ClaimType.NEED, "no need for sso") == -1


def test_merge_backfilled_older_evidence_does_not_override_newer_claim() -> None:
    newer = claim(ClaimType.NEED, "no need for calendar integration", ["a"], days=10, cid="c1")
    changed, created = merge_claims([(newer, 0.0)], claim(ClaimType.NEED, "calendar integration", ["b"]))
    assert changed == []
    assert created is not None and created.status is ClaimStatus.CONTRADICTED and created.contradicted_by == ["a"]


def test_merge_supersedes_only_a_different_value() -> None:
    old = claim(ClaimType.USAGE_PATTERN, "use dashboard daily", ["a"], cid="c1")
    changed, created = merge_claims([(old, 0.0)], claim(ClaimType.USAGE_PATTERN, "use dashboard weekly", ["b"],
                                                        days=5))
    assert created is not None and changed[0].status is ClaimStatus.SUPERSEDED
    same = claim(ClaimType.USAGE_PATTERN, "use dashboard daily", ["c"], days=6)
    changed, created = merge_claims([(old, 0.0)], same)
    assert created is None and changed[0].status is ClaimStatus.ACTIVE and changed[0].support == 2


# -- with a real memory (embedded Qdrant + bundled MiniLM) ------------------------------------


@pytest.fixture(scope="module")
def minilm() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture()
def ws(minilm: LocalEmbedder, tmp_path: Path) -> Iterator[WorkspaceMemory]:
    memory = MemoryStore(ClientStore(location=":memory:"), minilm)
    yield memory.workspace("w")
    memory.close()


def store(ws: WorkspaceMemory, signals: Sequence[Signal]) -> None:
    ws.upsert_signals(signals, ws.embedder.embed([s.text for s in signals]))


def test_update_profiles_reinforces_across_calls(ws: WorkspaceMemory) -> None:
    first = [sig("Sync conflicts keep losing my edits", user="u1")]
    store(ws, first)
    assert update_profiles(ws, first) == 3  # user, account, segment
    later = [sig("Sync conflicts keep losing my edits", user=u, days=d) for u, d in (("u2", 3), ("u3", 4))]
    store(ws, later)
    update_profiles(ws, later)
    account = get_profile(ws, account="acme").claims
    assert len(account) == 1
    assert account[0].support == 3 and account[0].accounts == 1
    assert set(account[0].evidence) == {s.id for s in first + later}
    # Re-running on the same signals changes nothing.
    assert update_profiles(ws, later) == 0
    assert get_profile(ws, account="acme").claims[0].support == 3


def test_segment_counts_distinct_accounts(ws: WorkspaceMemory) -> None:
    signals = [sig("The export keeps failing on large reports", account=a, user=f"u-{a}", days=i)
               for i, a in enumerate(["acme", "globex", "acme"])]
    store(ws, signals[:1])
    update_profiles(ws, signals[:1])
    store(ws, signals[1:])
    update_profiles(ws, signals[1:])
    seg = get_profile(ws, segment="smb").claims
    assert len(seg) == 1 and seg[0].support == 3 and seg[0].accounts == 2


def test_contradiction_is_kept_and_shown(ws: WorkspaceMemory) -> None:
    before = [sig("We need a calendar integration", days=0)]
    after = [sig("We don't need calendar integration anymore", days=30)]
    store(ws, before + after)
    update_profiles(ws, before)
    update_profiles(ws, after)
    claims = get_profile(ws, user="u1").claims
    assert [(c.status, c.text) for c in claims] == [
        (ClaimStatus.ACTIVE, "no need for calendar integration"),
        (ClaimStatus.CONTRADICTED, "calendar integration"),
    ]
    assert claims[1].contradicted_by == [after[0].id]


def test_get_profile_needs_exactly_one_subject(ws: WorkspaceMemory) -> None:
    with pytest.raises(InputError):
        get_profile(ws)
    with pytest.raises(InputError):
        get_profile(ws, user="u1", account="acme")
    assert get_profile(ws, user="nobody").claims == []


# -- LLM extraction with a scripted chat model -----------------------------------------------


class ScriptedChatModel(GenericFakeChatModel):
    """Replays scripted JSON answers through ``with_structured_output`` and records prompts."""

    prompts: list[list[BaseMessage]] = []

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:  # type: ignore[override]
        def run(messages: Sequence[BaseMessage]) -> Any:
            self.prompts.append(list(messages))
            return schema.model_validate(json.loads(str(next(self.messages).content)))

        return RunnableLambda(run)


def test_llm_extract_claims_validates_evidence_and_types() -> None:
    customer = sig("The export crashes on big files", user="u1", account="acme", segment=None)
    other = sig("Exports crash for us too", user="u2", account="acme", segment=None)
    interviewer = sig("Tell me about exports", role="interviewer", kind=SignalKind.INTERVIEW)
    answer = {"claims": [
        {"type": "pain_point", "text": "Export crashes on big files.", "evidence": [customer.id, other.id, "x"]},
        {"type": "pain_point", "text": "invented", "evidence": ["not-a-signal"]},
        {"type": "wishful_thinking", "text": "anything", "evidence": [customer.id]},
        {"type": "need", "text": "interview need", "evidence": [interviewer.id]},
        {"type": "preference", "text": "   ", "evidence": [customer.id]},
    ]}
    model = ScriptedChatModel(messages=iter([AIMessage(content=json.dumps(answer))]), prompts=[])
    claims = llm_extract_claims(model, [customer, other, interviewer])
    assert {(st, s) for st, s, _ in claims} == {("user", "u1"), ("user", "u2"), ("account", "acme")}
    account = by_subject(claims, "account", "acme")[0]
    assert account.text == "export crashes on big files" and account.support == 2
    assert set(account.evidence) == {customer.id, other.id}
    prompt = str(model.prompts[0][-1].content)
    assert interviewer.id not in prompt and f'<signal id="{customer.id}">' in prompt


def test_llm_extract_claims_malformed_answer_yields_nothing() -> None:
    model = ScriptedChatModel(messages=iter([AIMessage(content=json.dumps({"oops": 1}))]), prompts=[])
    assert llm_extract_claims(model, [sig("The export crashes")]) == []
