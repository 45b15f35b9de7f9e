"""Focus (theme agreement with the best hits) and speaker roles: what ask and the researcher keep as evidence.

The real-data part uses BANKING77 train messages of neighbouring intents (cards kept by ATMs next to
card delivery, ATM support, cards not working, declined withdrawals), where the relevance floor alone
keeps neighbours: focus must drop them without making ask abstain.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

import numpy as np
import pytest

from agents import researcher
from agents.ask import ask_users
from agents.ask import search as search_ask
from agents.ask_overview import OVERVIEW_TOPICS, is_broad
from agents.planner import offline_plan
from memory import api as memory_api
from tests.support.banking77 import banking_workspace, messages
from tests.support.services import require_shared_data
from tests.support.workspace import offline_home
from tools.relevance import (
    CLUSTER_RANK,
    FOCUS,
    FocusModel,
    Scored,
    cluster_scores,
    focus,
    search_relevant,
    theme_centroids,
    theme_map,
)

NEIGHBOURS = ("card_swallowed", "card_arrival", "atm_support", "card_not_working", "declined_cash_withdrawal",
              "change_pin", "exchange_rate", "terminate_account")
PER_INTENT = 14
WS = "neighbours"


def _scored(sid: str, cosine: float, excess: float, coverage: float = 0.2, relevance: float = 0.6) -> Scored:
    return Scored(sid, cosine, excess, coverage, relevance)


def test_focus_drops_hits_whose_theme_holds_too_few_of_the_best_hits() -> None:
    # Of the ten nearest candidates, seven are in theme A, two in B and one in C; d1 (theme D) is kept by
    # the floor but no best hit shares its theme.
    candidates = [_scored(f"a{i}", 0.80 - i * 0.01, 0.6) for i in range(7)]
    candidates += [_scored("b1", 0.78, 0.6), _scored("b2", 0.70, 0.5), _scored("c1", 0.69, 0.5)]
    candidates += [_scored("d1", 0.60, 0.5), _scored("b3", 0.55, 0.45), _scored("c2", 0.50, 0.45)]
    themes = {**{f"a{i}": "A" for i in range(7)}, "b1": "B", "b2": "B", "b3": "B", "c1": "C", "c2": "C", "d1": "D"}
    kept = sorted(candidates, key=lambda s: -s.cosine)
    stay, away = focus(candidates, kept, themes)
    assert {s.signal_id for s in away} == {"c1", "c2", "d1"}  # C holds 1 of 10 best hits, D none
    assert [s.signal_id for s in stay] == [s.signal_id for s in kept if s.signal_id not in {"c1", "c2", "d1"}]
    assert {s.signal_id: s.vote for s in stay}["b3"] == 0.2  # a minority theme the best hits share stays
    assert all(s.vote is not None and s.vote < FOCUS.min_vote for s in away)


def test_focus_never_causes_abstention_and_skips_signals_without_a_theme() -> None:
    candidates = [_scored(f"a{i}", 0.7, 0.4) for i in range(9)] + [_scored(f"b{i}", 0.65, 0.35) for i in range(5)]
    themes = {**{f"a{i}": "A" for i in range(9)}, **{f"b{i}": "B" for i in range(4)}}  # b4: ingested since
    kept = [s for s in candidates if s.signal_id.startswith("b")]  # only the other theme passed the floor
    stay, away = focus(candidates, kept, themes)
    assert [s.signal_id for s in stay] == ["b0", "b1", "b2", "b4"]  # the min_keep best, and the unjudged one
    assert [s.signal_id for s in away] == ["b3"]
    assert len(stay) >= FOCUS.min_keep
    lenient = FocusModel(min_vote=0.1, min_keep=1)
    stay, away = focus(candidates, kept, themes, lenient)
    assert len(stay) == 5 and not away  # B holds 1 of the 10 best hits


def test_focus_is_off_when_the_snapshot_does_not_cover_the_best_hits() -> None:
    candidates = [_scored(f"n{i}", 0.7, 0.4) for i in range(10)]
    kept = list(candidates)
    stay, away = focus(candidates, kept, {"n0": "A", "n1": "B"})
    assert stay == kept and away == []


@pytest.fixture(scope="module")
def neighbours(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A workspace of neighbouring BANKING77 intents, with a theme snapshot; yields signal id → intent."""
    with banking_workspace(tmp_path_factory.mktemp("focus"), WS, NEIGHBOURS, PER_INTENT, prefix="N",
                           themes=True) as label:
        yield label


def _precision(ids: list[str], label: dict[str, str], intent: str) -> float:
    return sum(label[i] == intent for i in ids) / len(ids) if ids else 0.0


def test_focus_raises_the_precision_of_what_retrieval_keeps(neighbours: dict[str, str]) -> None:
    question = "What happens when a cash machine keeps the customer's card and won't give it back?"
    floor_only = search_relevant(WS, question, focus_model=None)
    focused = search_relevant(WS, question)
    before = [h.signal_id for h, _ in floor_only.kept]
    after = [h.signal_id for h, _ in focused.kept]
    assert set(after) <= set(before) and len(after) >= FOCUS.min_keep
    assert _precision(after, neighbours, "card_swallowed") >= _precision(before, neighbours, "card_swallowed")
    assert _precision(after, neighbours, "card_swallowed") >= 0.8
    assert len(focused.unfocused) == len(before) - len(after)
    stats = focused.stats()
    assert stats["dropped_by_focus"] == len(focused.unfocused)
    assert stats["floor"]["focus"]["min_vote"] == FOCUS.min_vote
    assert all(s.vote is None or s.vote >= FOCUS.min_vote or i < FOCUS.min_keep
               for i, (_, s) in enumerate(focused.kept))


def test_ask_answers_neighbouring_topics_without_abstaining(neighbours: dict[str, str]) -> None:
    answer = ask_users("What do customers do when an ATM keeps their card?", WS, offline=True)
    assert not answer.insufficient_evidence
    cited = [c.signal_id for c in [*answer.evidence, *answer.dissent]]
    assert _precision(cited, neighbours, "card_swallowed") >= 0.8
    off = ask_users("What do customers say about our mortgage interest rates?", WS, offline=True)
    assert off.insufficient_evidence and off.evidence == [] and off.dissent == []


# ------------------------------------------------------------------------------------------- cluster ranking


def _unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_cluster_scores_rank_a_hit_with_its_theme() -> None:
    query = _unit(1, 0, 0)
    # b1 is worded closest to the question (0.80), but its theme as a whole is about something else;
    # a1 is a little further (0.75) in a theme centred near the question.
    centroids = {"A": _unit(0.9, 0.436, 0), "B": _unit(0.5, 0, 0.866), "C": _unit(0.5, 0, 0.866)}
    pool = [_scored("a1", 0.75, 0.7), _scored("b1", 0.80, 0.75), _scored("c1", 0.62, 0.6, coverage=0.9),
            _scored("c2", 0.60, 0.6, coverage=0.9), _scored("x1", 0.70, 0.65, coverage=0.5)]
    themes = {"a1": "A", "b1": "B", "c1": "C", "c2": "C"}  # x1: ingested after the snapshot
    scores = cluster_scores(query, pool, themes, centroids)
    assert scores["a1"] > scores["b1"]
    weight, lexical = CLUSTER_RANK.weight, CLUSTER_RANK.lexical
    assert scores["a1"] == pytest.approx((1 - weight) * 0.75 + weight * float(centroids["A"] @ query) + lexical * 0.2,
                                         abs=1e-3)
    # C's centroid is as far as B's, but the question's words run through the whole cluster.
    assert scores["c1"] - scores["b1"] == pytest.approx((1 - weight) * (0.62 - 0.80) + lexical * (0.9 - 0.2), abs=1e-3)
    assert scores["x1"] == pytest.approx(0.70 + lexical * 0.5, abs=1e-3)  # no theme: its own cosine and words
    assert cluster_scores(query, pool, themes, {}) == {s.signal_id: round(s.cosine + lexical * s.coverage, 4)
                                                       for s in pool}


def test_ranking_reorders_what_the_floor_keeps_and_ask_follows_it(neighbours: dict[str, str]) -> None:
    question = "What happens when a cash machine keeps the customer's card and won't give it back?"
    centroids = theme_centroids(WS)
    assert centroids and set(centroids) == set(theme_map(WS).values())
    assert all(abs(float(np.linalg.norm(v)) - 1.0) < 1e-4 for v in centroids.values())
    plain, ordered = search_relevant(WS, question), search_relevant(WS, question, rank=CLUSTER_RANK)
    assert len(plain.kept) >= FOCUS.min_keep
    assert {h.signal_id for h, _ in ordered.kept} == {h.signal_id for h, _ in plain.kept}  # abstention unchanged
    ranks = [s.rank for _, s in ordered.kept]
    assert all(r is not None for r in ranks) and ranks == sorted(ranks, reverse=True)  # type: ignore[type-var]
    found, _ = search_ask(question, WS)
    assert [e.rank for e in found] == sorted((e.rank for e in found), reverse=True)
    assert _precision([e.signal.id for e in found[:5]], neighbours, "card_swallowed") >= 0.8



@pytest.mark.parametrize(("question", "broad"), [
    ("What do users complain about most?", True),
    ("What are the biggest pain points for our customers?", True),
    ("Overall, what do customers struggle with?", True),
    ("What do customers hate about sync?", False),  # names a topic
    ("What are the main complaints about the mobile app?", False),
    ("What do customers say about our mortgage interest rates?", False),
])
def test_a_broad_question_is_one_without_topic_words(question: str, broad: bool) -> None:
    assert is_broad(question) is broad


def test_a_broad_question_is_answered_from_the_largest_themes(neighbours: dict[str, str]) -> None:
    answer = ask_users("What do customers complain about most?", WS, offline=True)
    assert not answer.insufficient_evidence and answer.dissent == []
    report = memory_api.workspace(WS).load_themes()
    assert report is not None
    sizes = {t.label: t.size for t in report.themes}
    assert 1 <= len(answer.nearest_topics) <= OVERVIEW_TOPICS
    assert [sizes[label] for label in answer.nearest_topics] == sorted(
        (sizes[label] for label in answer.nearest_topics), reverse=True)
    assert max(sizes[label] for label in answer.nearest_topics) == max(sizes.values())
    texts = {s.id: s.text for s in memory_api.workspace(WS).get_signals([c.signal_id for c in answer.evidence])}
    assert len(answer.evidence) == len(answer.nearest_topics)
    assert all(c.quote in texts[c.signal_id] for c in answer.evidence)  # verbatim
    # A scoped question is not answered from workspace-wide themes.
    scoped = ask_users("What do customers complain about most?", WS, offline=True, segment="Enterprise")
    assert scoped.nearest_topics != answer.nearest_topics or scoped.insufficient_evidence

# ------------------------------------------------------------------------------------------- speaker roles

TRANSCRIPT = """Interviewer: Have you ever had problems with the card reader at the cash machine?
Customer: Yes. Last week the cash machine kept my card and never gave it back, and I had no money for two days.
Interviewer: What did you do when the cash machine kept your card?
Customer: I called support about the card the machine kept, and they told me to wait for a new card.
Interviewer: Would a way to freeze the card kept by the machine from the app help?
Customer: It would. The machine swallowed my card twice this year, so freezing it at once matters to me.
"""


@pytest.fixture(scope="module")
def interviews(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One interview (interviewer questions, customer answers on one topic) among tickets about other topics."""
    require_shared_data("banking77", "train.csv")

    root = tmp_path_factory.mktemp("roles")
    path = root / "interview_card_kept.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    tickets = root / "tickets.csv"
    other = [text for text, _ in messages(("exchange_rate", "age_limit", "terminate_account", "top_up_limits"),
                                          per_intent=10_000)]  # all of them, in file order
    with tickets.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "created_at", "user_id", "text"])
        for i, text in enumerate(other[:80]):
            writer.writerow([f"T-{i}", "2026-03-01", f"t{i}", text])
    with offline_home(root / "home"):
        memory_api.ingest([path], "roles", kind="interview")
        memory_api.ingest([tickets], "roles", kind="ticket")
        yield "roles"


def test_interviewer_turns_are_never_quoted_as_user_evidence(interviews: str) -> None:
    signals = [s for s, _ in memory_api.workspace(interviews).iter_signals(kind="interview")]
    internal = {s.id for s in signals if s.role == "internal"}
    customer = {s.id for s in signals if s.is_customer_speech}
    assert len(internal) == 3 and len(customer) == 3  # the stored role the rule reads
    question = "the cash machine kept the customer's card"
    # Retrieval itself finds the interviewer's questions: they are about the topic, in the same words.
    assert internal & {h.signal_id for h, _ in search_relevant(interviews, question, focus_model=None).kept}
    plan = offline_plan(f"Draft requirements for when {question}", ["requirements"], None)
    task = {"question": {**plan["questions"][0], "query": question}, "goal": question, "workspace": interviews}
    found = researcher.search(task)
    assert found["evidence"] and not internal & set(found["evidence"])
    assert set(found["evidence"]) <= customer
    answer = ask_users("What do customers say when the cash machine kept their card?", interviews, offline=True)
    assert not internal & {c.signal_id for c in [*answer.evidence, *answer.dissent]}

