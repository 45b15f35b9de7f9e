"""Goals in a PM's own words become research questions in the goal's words, one per part, without the framing;
a decision's options split only between verb phrases or whole names, never inside one noun phrase.

The table spans banking, civic services, healthcare, research data, archives, SaaS and non-functional goals.
"""

from __future__ import annotations

import pytest

from agents.planner import MAX_RESEARCH, extract_options, goal_topic, offline_plan


def queries(goal: str) -> list[str]:
    return [q["query"] for q in offline_plan(goal, None, None)["questions"]]


def options(goal: str) -> list[str]:
    return [o["name"] for o in extract_options(goal)]


@pytest.mark.parametrize("goal, expected", [
    # the PM review's goals: who is hit and the document request are not searched; a list is searched part by part
    ("Customers keep getting hit with surprise fees on cash machines, transfers and card payments. Draft "
     "requirements and a decision memo on what to change",
     ["surprise fees on cash machines, transfers and card payments", "surprise fees on cash machines",
      "surprise fees on transfers", "surprise fees on card payments"]),
    ("Make adding money to an account painless. Draft requirements and a brief for leadership",
     ["adding money to an account", "problems adding money to an account"]),
    # other domains
    ("Residents keep complaining about missed pickups, overflowing bins and unclear recycling rules. Draft "
     "requirements",
     ["missed pickups, overflowing bins and unclear recycling rules", "missed pickups", "overflowing bins",
      "unclear recycling rules"]),
    ("Make booking a campsite painless for families", ["booking a campsite", "problems booking a campsite"]),
    ("Older users struggle with video calls and medication reminders",
     ["video calls and medication reminders", "video calls", "medication reminders"]),
    ("We keep hearing about slow page loads on the search page. Write a brief for engineering",
     ["slow page loads on the search page"]),
    ("Researchers need faster dataset uploads, better search and versioned datasets",
     ["faster dataset uploads, better search and versioned datasets", "faster dataset uploads", "better search",
      "versioned datasets"]),
    ("Make the archive's search results clearer for archivists",
     ["the archive's search results", "problems with the archive's search results"]),
    ("Fix login, sync and export bugs", ["Fix login, sync and export bugs", "login bugs", "sync bugs", "export bugs"]),
    ("Draft requirements so admins can reset passwords and unlock accounts without calling support",
     ["reset passwords and unlock accounts without calling support", "reset passwords",
      "unlock accounts without calling support"]),
    ("Reduce response times for reports, dashboards and exports",
     ["Reduce response times for reports, dashboards and exports", "response times for reports",
      "response times for dashboards", "response times for exports"]),
    ("Let volunteers sign up for shifts from their phone", ["sign up for shifts from their phone"]),
    ("Customers are confused by the pricing page and the trial limits",
     ["the pricing page and the trial limits", "the pricing page", "the trial limits"]),
    ("Teachers want to estimate stories with remote teams. Draft requirements and a brief",
     ["estimate stories with remote teams"]),
    ("We keep hearing about crashes on login and slow exports",
     ["crashes on login and slow exports", "crashes on login", "slow exports"]),
    # no framing, no list: the goal's topic as before
    ("Draft requirements to stop ATMs from keeping customers' cards", ["stop ATMs from keeping customers' cards"]),
    ("Draft requirements for keeping the system fast and responsive as the number of users grows",
     ["keeping the system fast and responsive as the number of users grows"]),
    ("Reduce failed and pending top-ups", ["Reduce failed and pending top-ups", "failed top-ups", "pending top-ups"]),
    ("Payments need faster approval", ["Payments need faster approval"]),  # not a person: the object stays
])
def test_a_goal_is_researched_part_by_part_in_its_own_words(goal: str, expected: list[str]) -> None:
    assert queries(goal) == expected


@pytest.mark.parametrize("goal, expected", [
    ("Should we fix identity verification at signup before improving the lost or stolen card flow?",
     ["fix identity verification at signup", "improving the lost or stolen card flow"]),
    ("Should we migrate to the new payment provider instead of fixing refunds or improving invoices?",
     ["migrate to the new payment provider", "fixing refunds", "improving invoices"]),  # "or" between verb phrases
    ("Should we prioritise stolen or lost card reports over failed or pending transfers?",
     ["stolen or lost card reports", "failed or pending transfers"]),
    ("Should we add SSO before redesigning the billing page?", ["add SSO", "redesigning the billing page"]),
    ("Should we support PDF or Excel export first?", ["PDF export", "Excel export"]),
    ("Should we build the iOS or Android app first?", ["the iOS app", "Android app"]),
    ("Should we invest in accessibility or in offline mode this quarter?", ["accessibility", "offline mode"]),
    ("Should we build sync or dark mode first?", ["sync", "dark mode"]),
])
def test_options_split_between_verb_phrases_or_names_not_inside_a_noun_phrase(goal: str, expected: list[str]) -> None:
    assert options(goal) == expected


@pytest.mark.parametrize("goal", [
    "Should we fix the lost or stolen card flow?",  # two modifiers of one noun: a yes/no question
    "Should we refund failed or pending transfers automatically?",
])
def test_an_or_between_modifiers_of_one_noun_is_no_choice(goal: str) -> None:
    assert options(goal) == []


def test_each_option_is_researched_on_its_own_and_no_option_is_a_fragment() -> None:
    plan = offline_plan("Should we fix identity verification at signup before improving the lost or stolen card "
                        "flow?", None, None)
    assert plan["deliverables"] == ["decision_memo"]
    assert [(q["scope"], q["focus"]) for q in plan["questions"][1:]] == [
        ("option", "fix identity verification at signup"), ("option", "improving the lost or stolen card flow")]
    assert "improving the lost" not in [o["name"] for o in plan["options"]]


def test_parts_are_searches_and_the_topic_stays_the_landscape_question() -> None:
    plan = offline_plan("Customers keep getting hit with surprise fees on cash machines, transfers and card payments.",
                        None, None)
    assert [q["scope"] for q in plan["questions"]] == ["landscape", "search", "search", "search"]
    assert all("Customers" not in q["query"] and "keep" not in q["query"] for q in plan["questions"])
    assert len(plan["questions"]) <= MAX_RESEARCH


def test_goal_topic_returns_the_pain_only_for_a_make_it_better_goal() -> None:
    assert goal_topic("Make exporting reports faster") == ("exporting reports", "problems exporting reports")
    assert goal_topic("Make the checkout simpler for guests") == ("the checkout", "problems with the checkout")
    assert goal_topic("Make a PDF export") == ("Make a PDF export", None)  # no outcome: the wording stays
    assert goal_topic("Customers complain that statements arrive late") == ("statements arrive late", None)


@pytest.mark.parametrize("phrase, parts", [
    # "the look and feel of …" is one thing and stays whole (test_planner_and_pairs)
    ("improving colours and fonts of the screens", ["improving colours of the screens", "fonts of the screens"]),
    ("Improve speed and reliability of sync", ["speed of sync", "reliability of sync"]),
    ("social and entertainment features", ["social features", "entertainment features"]),  # unchanged
])
def test_a_lone_noun_shares_the_last_objects_prepositional_phrase(phrase: str, parts: list[str]) -> None:
    from agents.planner import conjuncts

    assert conjuncts(phrase) == parts
