"""Fixes to ``ask``: saved theme labels that are clauses or acronyms are nearest topics, a phrase's background
frequency is read from its words (not its stems), "which account" falls back to account ids, and "what accounts
for" / "word count" are not who / how-many questions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest

from agents.ask import _HOW_MANY, _WHICH, Evidence, _who_scope, is_label, is_topic, nearest_topics
from agents.ask_summary import key_points
from kernel.schemas import Quote, Signal, SignalKind, Theme, ThemeReport
from memory import api as memory_api
from tools.relevance import Background

WS = "f2ask"
LABELS = ["card payment was reverted", "exchange rate was wrong", "card was declined", "top-up has been cancelled",
          "SSO", "login", "PDF"]


@pytest.mark.parametrize("label", LABELS)
def test_a_saved_label_is_a_topic_even_when_it_is_a_clause_or_one_word(label: str) -> None:
    assert is_label(label)


@pytest.mark.parametrize("label", ["declined", "was wrong", "has been", ""])
def test_a_label_of_stance_and_light_words_alone_is_no_topic(label: str) -> None:
    assert not is_label(label)


def test_an_acronym_is_a_topic_without_a_determiner() -> None:
    texts = ["SSO login fails", "users cannot log in with SSO", "PDF export fails"]
    assert is_topic("SSO", texts) and is_topic("PDF", texts)
    assert not is_topic("login", texts)  # a lower-case word still needs a determiner in front somewhere


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from tests.support.workspace import offline_home

    root = tmp_path_factory.mktemp("f2ask")
    with offline_home(root / "home"):
        texts = {label: [f"My {label} again, case {i}" for i in range(4)] for label in LABELS}
        rows = [{"id": f"{n}-{i}", "message": t, "created_at": "2026-10-01T10:00:00Z"}
                for n, label in enumerate(LABELS) for i, t in enumerate(texts[label])]
        feed = root / "feedback.jsonl"
        feed.write_text("\n".join(json.dumps(r) for r in rows))
        assert memory_api.ingest([feed], WS).ingested == len(rows)
        memory = memory_api.workspace(WS)
        by_text = {s.text: s.id for s, _ in memory.iter_signals()}
        themes = [Theme(id=f"t{n}", label=label, size=4, users=0, accounts=0,
                        quotes=[Quote(signal_id=by_text[t], quote=t) for t in texts[label]])
                  for n, label in enumerate(LABELS)]
        memory.save_themes(ThemeReport(workspace=WS, themes=themes))
        yield


def test_nearest_topics_keep_saved_labels_that_are_clauses_or_acronyms(saved: None) -> None:
    topics = nearest_topics("Why was my card payment reverted?", WS, limit=len(LABELS))
    assert sorted(topics) == sorted(LABELS)  # none dropped as a clause or a bare word


def test_a_phrase_as_common_in_the_workspace_is_not_a_key_point() -> None:
    # 60 of 100 workspace texts say the exchange rate is bad; 6 of 10 quotes do: no lift, no finding.
    bg_texts = [f"Why is the exchange rate so bad, case {i}" for i in range(60)]
    bg_texts += [f"My card {i} arrived late" for i in range(40)]
    bg = Background.of(bg_texts, np.zeros((100, 4)))
    quotes = [(f"q{i}", f"The exchange rate is so bad, order {i}") for i in range(6)]
    quotes += [(f"r{i}", f"Top up number {i} failed") for i in range(4)]
    phrases = [p.phrase.lower() for p in key_points(quotes, "What do users say about fees?", bg)]
    assert not any("exchange" in p for p in phrases), phrases
    # A background that never says it: the same quotes make it a key point.
    rare = Background.of([f"My card {i} arrived late" for i in range(100)], np.zeros((100, 4)))
    assert any("exchange rate" in p.phrase.lower() for p in key_points(quotes, "What do users say about fees?", rare))


def _evidence(n: int, **fields: str) -> list[Evidence]:
    return [Evidence(signal=Signal(id=f"a{i}", workspace=WS, kind=SignalKind.TICKET, source="t.csv",
                                   external_id=str(i), created_at=datetime(2026, 3, 1, tzinfo=UTC),
                                   text="SSO login fails", **{k: f"{v}{i % 2}" for k, v in fields.items()}),
                     score=0.9, stance="critical", quote="SSO login fails") for i in range(n)]


def test_which_accounts_falls_back_to_account_ids() -> None:
    assert _who_scope(_evidence(4, account_id="acme")) == "By account: acme0 2, acme1 2."
    assert _who_scope(_evidence(4, account_id="acme", segment="Ent")).startswith("By segment: Ent0 2, Ent1 2")
    assert _who_scope(_evidence(4)).startswith("None of these messages names a segment, plan or account")


@pytest.mark.parametrize(("question", "who"), [
    ("Which accounts are affected by the SSO bug?", True),
    ("Which customer types ask for SSO?", True),
    ("What kind of users complain about SSO?", True),
    ("What accounts for the drop in exports?", False),
])
def test_which_questions(question: str, who: bool) -> None:
    assert bool(_WHICH.search(question)) is who


@pytest.mark.parametrize(("question", "many"), [
    ("How many users want SSO?", True),
    ("What number of accounts hit the bug?", True),
    ("Is the word count wrong in exports?", False),
    ("Do users count on the API?", False),
])
def test_how_many_questions(question: str, many: bool) -> None:
    assert bool(_HOW_MANY.search(question)) is many
