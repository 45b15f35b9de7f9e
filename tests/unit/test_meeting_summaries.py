"""Meeting notes (review of 8b36b92): summaries keep the meaning, follow-up questions answer nothing, time boxes are
for the work."""

from __future__ import annotations

from typing import Any

import pytest

from tools.meeting_points import extract, tidy


def plain(sentences: list[str]) -> list[dict[str, Any]]:
    """An unlabelled transcript without speakers: one turn per sentence, in order."""
    return [{"signal_id": f"s{i}", "quote": text, "speaker": None, "chunk": i} for i, text in enumerate(sentences)]


def turns(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """A transcript with named speakers, one turn per (speaker, text)."""
    return [{"signal_id": f"s{i}", "quote": text, "speaker": who, "chunk": i} for i, (who, text) in enumerate(pairs)]


@pytest.mark.parametrize("sentence", [
    "The menu should be on the right.",
    "We need the filter panel on the right",
    "Make sure the totals are right.",
    "Customers like the export to Excel.",
    "Users don't like the login flow at all.",
    "It should work like the old version.",
    "We need three things, like the export and the import.",
    "We need to support this kind of report in phase one.",
    "The user had had three failed logins.",
])
def test_a_summary_keeps_words_that_carry_meaning(sentence: str) -> None:
    assert tidy(sentence) == sentence


def test_tags_and_filler_like_still_go() -> None:
    assert tidy("It has to work offline, right?") == "It has to work offline."
    assert tidy("The totals must include tax, right.") == "The totals must include tax."
    assert tidy("It's, like, the main screen of the app.") == "It's the main screen of the app."
    assert tidy("I mean like the export must include totals.") == "The export must include totals."
    assert tidy("Maybe the manager could sort of pick the tags.") == "Maybe the manager could pick the tags."


def test_a_verb_like_stays_in_the_requirement() -> None:
    found = extract(plain(["Let's talk about exports.", "Customers like the export to Excel.",
                           "The menu should be on the right."]))
    summaries = {r["requirement"] for r in found["requirements"]}
    assert "Customers like the export to Excel." in summaries
    assert summaries <= {"Customers like the export to Excel.", "The menu should be on the right."}


def test_a_what_if_follow_up_does_not_answer_the_question() -> None:
    found = extract(turns([("Ana", "Should we support offline mode for the field teams?"),
                           ("Ben", "What if the sync fails halfway through?"),
                           ("Ana", "Good point, let's look at the logs first.")]))
    answered = {q["question"]: q["answer"] for q in found["answered_questions"]}
    assert "Should we support offline mode for the field teams?" not in answered
    assert "What if the sync fails halfway through?" not in answered.values()


def test_a_how_about_question_is_open_not_an_answer() -> None:
    found = extract(turns([("Ana", "Is the export limited to admins today?"),
                           ("Ben", "How about the mobile app users?"), ("Ana", "Okay.")]))
    assert found["answered_questions"] == []
    assert [q["question"] for q in found["open_questions"]] == [
        "Is the export limited to admins today?", "How about the mobile app users?"]


def test_an_open_question_without_a_question_mark_answers_nothing() -> None:
    found = extract(plain(["Should the admin be able to merge two accounts?",
                           "Open question: who owns the merged account history.", "Okay."]))
    assert all(q["answer"] != "Open question: who owns the merged account history."
               for q in found["answered_questions"])


def test_why_dont_we_answers_the_question_before_it() -> None:
    found = extract(turns([("Ana", "How do the field teams get the new forms each morning?"),
                           ("Ben", "Why don't we push them to the tablets overnight?"), ("Ana", "Fine.")]))
    answers = {q["question"]: q["answer"] for q in found["answered_questions"]}
    assert answers["How do the field teams get the new forms each morning?"] == (
        "Why don't we push them to the tablets overnight?")


def test_a_duration_is_no_time_box_unless_it_is_for_the_work() -> None:
    found = extract(plain(["We've got a runway of 18 months.", "We have a budget of two years, give or take.",
                           "The export should be a CSV file."]))
    assert found["decisions"] == []
    found = extract(plain(["We have a timeframe of around six months for this phase one.",
                           "We have a deadline of two weeks to fix the login bug."]))
    assert [d["decision"] for d in found["decisions"]] == [
        "We have a timeframe of around six months for this phase one",
        "We have a deadline of two weeks to fix the login bug"]


def test_like_before_a_hedge_is_a_filler_but_not_after_more() -> None:
    assert tidy("Normally you would have like at most one project manager.") == (
        "Normally you would have at most one project manager.")
    assert tidy("Like maybe a team or business unit manager.") == "Maybe a team or business unit manager."
    assert tidy("I would call it more like maybe project manager.") == (
        "I would call it more like maybe project manager.")
    assert tidy("We need some sort of possibility to manage the tool.") == (
        "We need some possibility to manage the tool.")
