"""A goal phrased as a question about what hurts searches its subject's problems, not the question's wording."""

from __future__ import annotations

import pytest

from agents.planner import goal_topic, offline_plan, pain_question


def queries(goal: str) -> list[str]:
    return [q["query"] for q in offline_plan(goal, ["brief"], None)["questions"]]


@pytest.mark.parametrize(("goal", "subject"), [
    ("What is hurting bank customers most in card and top-up flows?", "card and top-up"),
    ("What are the biggest problems users have with exporting reports?", "exporting reports"),
    ("Which issues block teams in the estimation process?", "estimation"),
    ("What goes wrong when customers top up their account?", "top up their account"),
])
def test_the_subject_of_a_pain_question(goal: str, subject: str) -> None:
    assert pain_question(goal) == subject
    assert goal_topic(goal)[0] == subject


def test_each_listed_part_is_searched_for_its_problems() -> None:
    # PM review 3 F6: the whole sentence was searched and nothing reached the floor ("no relevant evidence")
    assert queries("What is hurting bank customers most in card and top-up flows?") == [
        "card and top-up", "card problems", "top-up problems"]
    # the document request around it is no part of the search either
    assert queries("Write a leadership brief on what is hurting bank customers most in card and top-up flows") == [
        "card and top-up", "card problems", "top-up problems"]
    assert queries("What are the biggest problems users have with exporting reports?") == [
        "exporting reports", "problems exporting reports"]


@pytest.mark.parametrize("goal", ["What do users say about sync?", "What is the fee for transfers?",
                                  "Draft requirements for faster exports", "What problems?"])
def test_other_goals_are_no_pain_question(goal: str) -> None:
    assert pain_question(goal) is None


@pytest.mark.parametrize(("goal", "audience"), [
    ("Weekly status update for leadership on engineering progress", "exec"),
    ("Status update for the engineering team", "eng"),
    ("Update for sales on engineering delays", "sales"),
    ("Brief for engineers on sync", "eng"),
])
def test_who_the_document_is_for_wins_over_its_subject(goal: str, audience: str) -> None:
    from agents.planner import choose_audience
    assert choose_audience(goal) == audience
