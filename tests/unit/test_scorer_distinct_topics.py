"""The scorer never hands the documents one body of evidence twice under two names (defect: duplicate topics)."""

from __future__ import annotations

from typing import Any

from agents.planner import offline_plan
from agents.scorer import distinct, duplicates, goal_topics, one_count, same_name
from tests.unit.test_goal_topics import row


def theme(name: str, ids: list[str]) -> dict[str, Any]:
    return {"id": f"topic:{name}", "kind": "theme", "name": name, "signal_ids": ids,
            "description": f"{len(ids)} signals found for the goal", "theme": {"size": len(ids)}}


def option(name: str, ids: list[str]) -> dict[str, Any]:
    return {"id": f"option:{name}", "kind": "option", "name": name, "signal_ids": ids, "theme": None}


def test_overlap_rule_is_most_of_the_smaller_set() -> None:
    assert duplicates(["a", "b", "c"], ["b", "c", "d", "e", "f"])  # 2 of the smaller's 3
    assert not duplicates(["a", "b", "c", "d"], ["c", "d", "e", "f"])  # half is not most
    assert not duplicates([], ["a"])


def test_a_theme_that_is_an_options_evidence_is_not_a_second_topic() -> None:
    topics = one_count([option("add money", ["a", "b", "c"]), theme("accepted to add money", ["b", "c", "d"]),
                        theme("add money to my account", ["a", "c", "d"]), theme("exchange rate", ["e", "f"])])
    out = distinct(topics)
    assert [t["name"] for t in out] == ["add money", "exchange rate"]
    assert set(out[0]["signal_ids"]) == {"a", "b", "c", "d"}  # the option keeps every signal of its twins
    sets = [frozenset(t["signal_ids"]) for t in out]
    assert len(sets) == len(set(sets))


def test_near_duplicate_themes_merge_into_the_stronger_one_and_distinct_ones_stay() -> None:
    out = distinct([theme("sync conflicts", ["a", "b", "c", "d"]), theme("lost edits", ["x", "y"]),
                    theme("conflict on sync", ["c", "d", "e"]), theme("dark mode", ["d", "z", "w"])])
    assert [t["name"] for t in out] == ["sync conflicts", "lost edits", "dark mode"]
    assert out[0]["signal_ids"] == ["a", "b", "c", "d", "e"] and out[0]["description"].startswith("5 signals")
    assert out[2]["signal_ids"] == ["d", "z", "w"]  # one shared signal of three is not most


def test_options_are_never_dropped_even_when_they_share_evidence() -> None:
    out = distinct([option("fix sync", ["a", "b"]), option("sync conflicts", ["a", "b"])])
    assert [t["name"] for t in out] == ["fix sync", "sync conflicts"]


def test_landscape_themes_named_alike_get_names_of_their_own() -> None:
    goal = "What should we build next?"
    cards = ["I need another card", "Can I have a second card?", "A card for my son", "One more card please"]
    brands = ["Is my Visa card ok?", "My Mastercard card", "A card from the US", "Amex card?"]
    visa = brands
    evidence = {f"c{i}": row(f"c{i}", q, questions=["q0"], themes=["t-extra"], score=0.9) for i, q in enumerate(cards)}
    evidence |= {f"v{i}": row(f"v{i}", q, questions=["q0"], themes=["t-brand"], score=0.8) for i, q in enumerate(visa)}
    plan = {**offline_plan(goal, ["brief"], None), "landscape": True}
    themes = {"t-extra": {"id": "t-extra", "label": "card", "size": 4, "relevance": 2, "keywords": ["card"]},
              "t-brand": {"id": "t-brand", "label": "card brands", "size": 4, "relevance": 1,
                          "keywords": ["card", "brands"]}}
    state = {"goal": goal, "workspace": "w", "plan": plan, "evidence": evidence, "themes": themes, "mode": "offline"}
    names = [t["name"] for t in goal_topics(state)[0]]  # type: ignore[arg-type]
    assert names[0] == "card" and names[1] == "card brands", names  # each alone would be named 'card'
    assert same_name("cards", "the card") and not same_name("card", "card payment")
