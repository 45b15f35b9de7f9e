"""Decision memo options weighed on the evidence about them: the goal's choice parsed, the option searched in the
users' words, and a reach difference within sampling noise called too close (PM review 3, F7/F13)."""

from __future__ import annotations

from agents.deliverables.decision_memo import _first_capital, about_queries, predicate_queries
from agents.planner import extract_options, option_questions
from tools import scoring


def test_between_x_and_y_is_a_choice() -> None:
    names = [o["name"] for o in extract_options(
        "Decide between fixing declined card payments and adding a disposable virtual card")]
    assert names == ["fixing declined card payments", "adding a disposable virtual card"]
    names = [o["name"] for o in extract_options("We need to choose between sync and dark mode.")]
    assert names == ["sync", "dark mode"]


def test_each_option_keeps_its_own_verb() -> None:
    goal = "Should we fix declined payments first or reduce fee complaints first?"
    names = [o["name"] for o in extract_options(goal)]
    assert names == ["fix declined payments", "reduce fee complaints"]
    # a verb only the first option carries is still shared
    assert [o["name"] for o in extract_options("Should we build sync or dark mode first?")] == ["sync", "dark mode"]


def test_option_searched_in_users_words() -> None:
    # users write about the fee, never 'fee complaints'; nor do they write the PM's verb 'fix'
    assert "fee" in predicate_queries("reduce fee complaints")
    assert predicate_queries("fix sync bugs") == []  # a real condition: the name is the users' words
    queries = [q["query"] for q in option_questions(
        extract_options("Should we fix declined payments first or reduce fee complaints first?"))]
    assert "fee" in queries
    assert about_queries("reduce fee complaints")[:2] == ["fee complaints", "fee"]
    assert about_queries("build a new exchange-rate feature")[0] == "exchange-rate"


def test_reach_within_noise_is_no_margin() -> None:
    assert scoring.within_noise(3, 2)
    assert scoring.within_noise(17, 12)
    assert not scoring.within_noise(30, 3)
    assert not scoring.within_noise(13, 3)
    assert scoring.reach_noise(0, 0) == 0.0


def test_option_heading_reads_as_an_option() -> None:
    assert _first_capital("fix declined payments") == "Fix declined payments"
    assert _first_capital("iOS app") == "iOS app"


def test_a_why_me_question_is_a_complaint_about_the_object() -> None:
    from agents.deliverables.decision_memo import on_condition, predicate

    pred = predicate("reduce fee complaints")
    assert on_condition(pred, {"quote": "Why was I charged a fee for the transfer?", "signal_type": "question"})
    assert not on_condition(pred, {"quote": "What fees do you charge for the standard card?",
                                   "signal_type": "question"})
    # elsewhere a why-question is no report of a problem by itself
    assert not on_condition(predicate("fix card top-up failures"),
                            {"quote": "Why do I need a card to top up?", "signal_type": "question"})
