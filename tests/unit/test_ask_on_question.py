"""``ask`` counts and quotes the evidence about the question, not every signal that shares its subject, and names
nearest topics that read as topics (PM review 2026-12-04: "18 of 51 are about this" for finding recycling centres,
1 quote of 5 a centre owner's story; "rates calculated" as a nearest topic)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.ask import Evidence, answer_offline, clipped, noun_headed, on_question, topic_name
from kernel.schemas import Quote, Signal, Theme
from memory import api as memory_api

WS = "bikes"
FINDING = [
    "As a rider, I want to search for bike stations near my home, so that I can start a trip quickly.",
    "As a rider, I want to see a map of the bike stations around me, so that I can walk to the closest one.",
    "As a rider, I want to enter my postcode and get a list of nearby bike stations, so that I can pick one.",
    "As a rider, I want to find a bike station with free docks near my destination, so that I can return the bike.",
    "As a rider, I want directions to the closest bike station, so that I do not get lost.",
]
RUNNING = [
    "As an operator, I want to add new bike stations to the system, so that the network stays up to date.",
    "As an operator, I want to update the opening hours of a bike station, so that riders see correct information.",
    "As an operator, I want to remove closed bike stations, so that the list stays accurate.",
    "As a station owner, I want to see usage statistics of my bike station, so that I can plan maintenance.",
    "As an operator, I want to rename a bike station, so that its name matches the street.",
]
OTHER = [
    "As a rider, I want to reset my password, so that I can log in again.",
    "As a rider, I want to pay for a trip with my credit card, so that I do not need cash.",
    "As a rider, I want to receive a receipt by email after each trip, so that I can claim expenses.",
    "As an administrator, I want to block abusive accounts, so that the service stays safe.",
    "As a rider, I want to report a broken bike, so that it gets fixed.",
    "As a rider, I want to see my trip history, so that I know how much I rode this month.",
]


@pytest.fixture(scope="module")
def stations(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Evidence]]:
    """A backlog (real ingest and embedder); the station stories as relevant evidence, operators' first."""
    from tests.support.workspace import offline_home

    root = tmp_path_factory.mktemp("bikes")
    backlog = root / "backlog.txt"
    backlog.write_text("\n".join(RUNNING + FINDING + OTHER) + "\n")
    with offline_home(root / "home"):
        assert memory_api.ingest([Path(backlog)], WS).ingested == len(RUNNING + FINDING + OTHER)
        by_text = {s.text: s for s, _ in memory_api.workspace(WS).iter_signals()}
        yield [Evidence(signal=by_text[t], score=0.9, stance="requesting", quote=t) for t in RUNNING + FINDING]


def _texts(items: list[Evidence]) -> set[str]:
    return {e.signal.text for e in items}


def test_stories_sharing_only_the_subject_are_counted_apart(stations: list[Evidence]) -> None:
    split = on_question(stations, "How do riders find bike stations near them?", WS)
    assert split is not None
    assert _texts(split.beside) >= set(RUNNING)  # operators running stations are not riders finding one
    assert _texts(split.about) <= set(FINDING) and len(split.about) >= 3
    assert "find" in split.aspect and "stations" in split.subject


def test_the_same_stories_split_the_other_way_for_the_other_side(stations: list[Evidence]) -> None:
    split = on_question(stations, "What do operators need to manage bike stations?", WS)
    assert split is not None
    assert _texts(split.about) <= set(RUNNING) and len(split.about) >= 3
    assert _texts(split.beside) >= set(FINDING)


def test_a_question_about_the_subject_itself_is_not_split(stations: list[Evidence]) -> None:
    assert on_question(stations, "What do people say about bike stations?", WS) is None
    assert on_question(stations[:4], "How do riders find bike stations near them?", WS) is None  # too few to tell


def test_the_answer_counts_and_quotes_only_what_is_about_the_question(stations: list[Evidence]) -> None:
    question = "How do riders find bike stations near them?"
    answer = answer_offline(question, WS, stations, signals=16)
    assert not answer.insufficient_evidence
    split = on_question(stations, question, WS)
    assert split is not None
    assert answer.relevant_signals == len(split.about) and answer.subject_only == len(split.beside)
    assert answer.answer.startswith(f"{len(split.about)} messages of the 16 in the workspace are about this")
    assert f"{len(split.beside)} more user stories share its subject" in answer.answer
    quoted = {c.quote for c in [*answer.evidence, *answer.dissent]}
    assert quoted and not quoted & set(RUNNING)


def _theme(label: str, keywords: list[str], quotes: list[str]) -> Theme:
    return Theme(id=label, label=label, keywords=keywords, size=9, users=0, accounts=0,
                 quotes=[Quote(signal_id=f"s{i}", quote=q) for i, q in enumerate(quotes)])


@pytest.mark.parametrize(("label", "keywords", "quotes", "name"), [
    ("rates calculated", ["rates", "rates calculated", "exchange rate"],
     ["How are the exchange rates calculated?", "What is your exchange rate today?"], "exchange rate"),
    ("funds come", ["funds", "funds come", "transfer funds"],
     ["Where do my funds come from?", "Why did it cost money to transfer funds from my account?"], "transfer funds"),
    ("auto", ["auto", "account automatically"], ["Can you top up my account automatically?"], None),
    ("card was declined", [], ["My card was declined"], "card was declined"),
    ("top-up failed", [], ["My top-up failed again"], "top-up failed"),
    ("card delivery", [], ["My new card has not arrived yet"], "card delivery"),
])
def test_a_theme_is_named_by_a_topic_or_left_out(label: str, keywords: list[str], quotes: list[str],
                                                 name: str | None) -> None:
    assert topic_name(_theme(label, keywords, quotes)) == name


def test_clipped_clauses_and_noun_heads() -> None:
    assert clipped(["rates", "calculated"]) and clipped(["funds", "come"]) and clipped(["account", "automatically"])
    assert not clipped(["card", "declined"]) and not clipped(["exchange", "rate"]) and not clipped(["SSO"])
    assert not clipped(["payment", "was", "reverted"])
    texts = ["How can I top up my account automatically?", "I lost a disposable virtual card"]
    assert noun_headed(["disposable", "cards"], texts) and noun_headed(["SSO"], texts)
    assert not noun_headed(["account", "automatically"], texts)


def test_signal_fixture_is_customer_speech(stations: list[Evidence]) -> None:
    assert all(isinstance(e.signal, Signal) and e.signal.is_customer_speech for e in stations)
