"""Review fix (674b17e): two modifiers joined by "or" after a choice verb or "should we" are options sharing the
noun after them. "Should we launch a free or paid plan?" and "… the new or old onboarding first?" gave no options
(before 674b17e: fragments "a free" / "paid plan"); "focus on small or large businesses" gave "small" /
"large businesses". A well-known pair ("lost or stolen"), an "or" inside one option next to "before", and an "or"
after another verb stay part of the phrase.
"""

from __future__ import annotations

import pytest

from agents.planner import extract_options, offline_plan


@pytest.mark.parametrize("goal, options", [
    ("Should we launch a free or paid plan?", ["free plan", "paid plan"]),
    ("Should we build the new or old onboarding first?", ["new onboarding", "old onboarding"]),
    ("Should we focus on small or large businesses?", ["small businesses", "large businesses"]),
    ("Should we offer free or paid onboarding calls to new customers?", ["free onboarding calls",
                                                                          "paid onboarding calls"]),
    ("Which should we build first: new or improved exports?", ["new exports", "improved exports"]),
    ("Should we offer monthly or annual billing?", ["monthly billing", "annual billing"]),
])
def test_two_modifiers_after_a_choice_are_options_sharing_the_noun(goal: str, options: list[str]) -> None:
    assert [o["name"] for o in extract_options(goal)] == options
    plan = offline_plan(goal, None, None)
    assert [q["query"] for q in plan["questions"][1:]] == options


@pytest.mark.parametrize("goal, options", [
    ("Should we refund lost or stolen cards?", []),
    ("Should we fix the lost or stolen card flow?", []),
    ("Should we warn users about lost or expired cards?", []),
    ("Should we support 10 or more seats?", []),
    ("Should we fix the lost or stolen card flow before identity verification?",
     ["the lost or stolen card flow", "identity verification"]),
    ("Should we prioritise research and development over sales and marketing?",
     ["research and development", "sales and marketing"]),
])
def test_an_or_inside_a_phrase_is_no_choice(goal: str, options: list[str]) -> None:
    assert [o["name"] for o in extract_options(goal)] == options
