"""A goal that opens with a deliverable label ("Decision memo:", "Brief:", "Requirements:") is researched without it."""

from __future__ import annotations

import pytest

from agents.planner import offline_plan, search_query


@pytest.mark.parametrize(("goal", "query"), [
    ("Brief: why are customers closing their account?", "why are customers closing their account"),
    ("Requirements: bulk export of invoices to CSV", "bulk export of invoices to CSV"),
    ("PRD - offline mode for the mobile app", "offline mode for the mobile app"),
    ("Stakeholder brief: slow sync on Android", "slow sync on Android"),
])
def test_a_leading_deliverable_label_is_not_searched(goal: str, query: str) -> None:
    plan = offline_plan(goal, None, None)
    assert [q["query"] for q in plan["questions"]][0] == query
    assert plan["focus"].rstrip("?") == query


def test_a_decision_memo_label_is_not_searched_and_its_options_stay() -> None:
    plan = offline_plan("Decision memo: should we build dark mode or fix sync first?", None, None)
    assert all("memo" not in q["query"].lower() for q in plan["questions"])
    assert [o["name"] for o in plan["options"]] == ["build dark mode", "fix sync"]
    assert plan["deliverables"] == ["decision_memo"]  # the label still chooses what to write


def test_a_topic_before_a_colon_is_kept() -> None:
    # Only a deliverable's name is a label; a product topic before a colon is what the goal is about.
    assert search_query("Dark mode: should we build it?") == "Dark mode: should we build it"
    assert search_query("Export report: PDF exports fail") == "Export report: PDF exports fail"
