"""Run scope of multi-part goals, planner: how a goal is measured or decided is not searched, and every part of a
list is searched on its own (issue 14 part 2; PM review defects 2 and 4)."""

from __future__ import annotations

import pytest

from agents.planner import goal_topic, listed_parts, offline_plan


@pytest.mark.parametrize(("goal", "topic"), [
    ("Draft requirements to reduce support contacts about card payments charged at the wrong exchange rate",
     "card payments charged at the wrong exchange rate"),
    ("Cut the number of tickets about late refunds", "late refunds"),
    ("Should we build self-service card activation?", "self-service card activation"),
    ("Should we add offline mode", "offline mode"),
    ("Should we invest in onboarding?", "onboarding"),
    ("Should we fix sync conflicts first?", "fix sync conflicts"),  # the fix is the ask
    ("Should we build SSO or not?", "SSO"),
])
def test_how_the_goal_is_measured_or_decided_is_not_searched(goal: str, topic: str) -> None:
    assert goal_topic(goal)[0] == topic


def test_a_trailing_qualifier_is_shared_by_every_object_of_the_list() -> None:
    assert listed_parts("card payments and ATM withdrawals charged at the wrong exchange rate") == [
        "card payments charged at the wrong exchange rate", "ATM withdrawals charged at the wrong exchange rate"]
    assert listed_parts("transfers and top-ups declined by the bank") == [
        "transfers declined by the bank", "top-ups declined by the bank"]


def test_long_objects_of_a_list_are_each_searched() -> None:
    assert listed_parts("self-service card activation and card delivery tracking in the app") == [
        "self-service card activation", "card delivery tracking in the app"]
    assert listed_parts("emergency help and caregiver contact features for older users") == [
        "emergency help", "caregiver contact features for older users"]
    # Unchanged: a lone noun shares the last object's phrase; an object with its own determiner stays apart.
    assert listed_parts("speed and reliability of sync") == ["speed of sync", "reliability of sync"]
    assert listed_parts("notifications and the display of balances") == ["notifications", "the display of balances"]


def test_a_decision_without_options_researches_each_thing_it_would_build() -> None:
    plan = offline_plan("Should we build self-service card activation and card delivery tracking in the app?",
                        ["decision_memo"], None)
    assert [q["query"] for q in plan["questions"][1:]] == ["self-service card activation",
                                                           "card delivery tracking in the app"]
