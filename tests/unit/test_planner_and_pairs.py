"""Review fix: "X and Y" that names one thing is never split into two topics or two options.

A well-known pair stays whole ("terms and conditions", "drag and drop", "search and replace", "black and white",
"research and development", "sales and marketing"); so do two single words inside one noun phrase, after a
determiner ("the terms and conditions page", "a black and white print mode"). Before, each gave fragments
("Review the terms" / "conditions page", "a black" / "white print mode", "drag" / "drop", "research" /
"development" / "sales" / "marketing").
"""

from __future__ import annotations

import pytest

from agents.planner import conjuncts, offline_plan


def _queries(goal: str) -> list[str]:
    plan = offline_plan(goal, None, None)
    return [q["query"] for q in plan["questions"]]


@pytest.mark.parametrize("goal, topic", [
    ("Review the terms and conditions page", "Review the terms and conditions page"),
    ("Users complain about the terms and conditions", "the terms and conditions"),
    ("Add a black and white print mode", "Add a black and white print mode"),
    ("Improve search and replace", "Improve search and replace"),
    ("Improve drag and drop in the editor", "Improve drag and drop in the editor"),
    ("Fix copy and paste", "Fix copy and paste"),
])
def test_a_pair_that_names_one_thing_is_searched_whole(goal: str, topic: str) -> None:
    assert _queries(goal) == [topic]


def test_options_that_are_well_known_pairs_are_searched_whole() -> None:
    plan = offline_plan("Should we prioritise research and development over sales and marketing?", None, None)
    assert [o["name"] for o in plan["options"]] == ["research and development", "sales and marketing"]
    assert [q["query"] for q in plan["questions"][1:]] == ["research and development", "sales and marketing"]
    plan = offline_plan("Should we support drag and drop or keyboard shortcuts?", None, None)
    assert [o["name"] for o in plan["options"]] == ["drag and drop", "keyboard shortcuts"]
    assert [q["query"] for q in plan["questions"][1:]] == ["drag and drop", "keyboard shortcuts"]


@pytest.mark.parametrize("phrase, parts", [  # lists are still split (unchanged)
    ("sync reliability and dark mode", ["sync reliability", "dark mode"]),
    ("social and entertainment features", ["social features", "entertainment features"]),
    ("Improve speed and reliability of sync", ["speed of sync", "reliability of sync"]),
    ("research and dark mode", ["research", "dark mode"]),
])
def test_real_lists_are_still_split(phrase: str, parts: list[str]) -> None:
    assert conjuncts(phrase) == parts
