"""The research query is the goal's topic: requests for documents at either end are not searched."""

from __future__ import annotations

from agents.planner import offline_plan, search_query


def test_a_trailing_document_request_is_not_searched() -> None:
    assert search_query("Draft requirements to stop ATMs from keeping customers' cards and a decision memo") == (
        "stop ATMs from keeping customers' cards")
    assert search_query("Fix failed top-ups, plus a brief for leadership.") == "Fix failed top-ups"
    assert search_query("Requirements for offline mode and also write user stories") == "offline mode"


def test_document_words_that_name_the_topic_stay() -> None:
    # the topic itself, or a feature a product may have, is kept
    assert search_query("Draft requirements for a memo editor") == "a memo editor"
    assert search_query("Draft requirements for sync and a roadmap view") == "sync and a roadmap view"
    assert search_query("Should we build meeting notes and a brief editor?") == (
        "Should we build meeting notes and a brief editor")


def test_the_plan_searches_the_topic_only() -> None:
    plan = offline_plan("Draft requirements to stop ATMs from keeping customers' cards and a decision memo",
                        None, None)
    assert all("memo" not in q["query"] for q in plan["questions"])
    assert "decision_memo" in plan["deliverables"]


def test_with_a_document_word_is_the_feature() -> None:
    assert search_query("Let users send transfers with a memo") == "Let users send transfers with a memo"
    assert search_query("Allow invoices with a specification") == "Allow invoices with a specification"
