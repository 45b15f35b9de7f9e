"""Review fix (e7b0a33): a lone noun shares the last object's prepositional phrase only when that object has no
determiner of its own. "Fix notifications and the display of balances" searched "notifications of balances" (a
phrase the goal never says); now "notifications" and "the display of balances".
"""

from __future__ import annotations

import pytest

from agents.planner import conjuncts, offline_plan


@pytest.mark.parametrize("phrase, parts", [
    ("Fix notifications and the display of balances", ["notifications", "the display of balances"]),
    ("exports and a summary of each month", ["exports", "a summary of each month"]),
    ("Improve search and improve the speed of sync", ["search", "improve the speed of sync"]),
])
def test_a_last_object_with_its_own_determiner_keeps_its_phrase(phrase: str, parts: list[str]) -> None:
    assert conjuncts(phrase) == parts


def test_the_goal_researches_each_object_as_written() -> None:
    plan = offline_plan("Fix notifications and the display of balances", None, None)
    assert [q["query"] for q in plan["questions"][1:]] == ["notifications", "the display of balances"]


@pytest.mark.parametrize("phrase, parts", [  # no determiner on the last object: the phrase is shared (unchanged)
    ("Improve speed and reliability of sync", ["speed of sync", "reliability of sync"]),
    ("improving colours and fonts of the screens", ["improving colours of the screens", "fonts of the screens"]),
])
def test_a_bare_last_object_still_shares_its_phrase(phrase: str, parts: list[str]) -> None:
    assert conjuncts(phrase) == parts
