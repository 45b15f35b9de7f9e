"""Meeting notes a PM can read: consolidated requirements, one section per item, real questions with context."""

from __future__ import annotations

from typing import Any

from tools.meeting_chatter import elliptical, question_form, small_talk
from tools.meeting_points import extract


def plain(sentences: list[str]) -> list[dict[str, Any]]:
    return [{"signal_id": f"s{i}", "quote": text, "speaker": None, "chunk": i} for i, text in enumerate(sentences)]


def test_statements_about_one_subject_are_one_requirement_citing_each() -> None:
    said = ["Managers should be able to create a survey with their own questions.",
            "The survey questions could be edited by the manager before it is sent out.",
            "A manager should also be able to add more questions to a survey later.",
            "Okay, let's move on.",
            "Reports must be exported as PDF files for the board."]
    turns = plain(said)
    items = extract(turns)["requirements"]
    survey = [r for r in items if "survey" in r["requirement"].lower()]
    assert len(survey) == 1 and len(survey[0]["quotes"]) == 3  # was three items, one per statement
    assert survey[0]["requirement"] == survey[0]["quotes"][0]["quote"]  # its key statement, as said, quoted first
    text = {t["signal_id"]: t["quote"] for t in turns}
    for item in items:
        assert item["citations"] == list(dict.fromkeys(q["signal_id"] for q in item["quotes"]))
        assert all(q["quote"] in text[q["signal_id"]] for q in item["quotes"])
    assert len(items) == 2


def test_needs_of_two_actors_or_two_kinds_stay_apart() -> None:
    items = extract(plain(["Employees should be able to attach a receipt photo to an expense.",
                           "Managers need to see the receipt photo next to each expense line.",
                           "Receipt photos must be stored encrypted."]))["requirements"]
    assert len(items) == 3


def test_a_decided_question_is_in_decisions_only_and_the_decision_is_a_statement() -> None:
    found = extract(plain(["Would you let every team lead create surveys for the whole company?",
                           "Nah, I wouldn't do this in phase one of the project, we should keep it simple."]))
    assert [d["decision"] for d in found["decisions"]] == [
        "I wouldn't do this in phase one of the project, we should keep it simple."]
    assert found["decisions"][0]["context"] == "Would you let every team lead create surveys for the whole company?"
    assert found["answered_questions"] == [] and found["open_questions"] == []


def test_questions_need_a_question_form_and_small_talk_is_none() -> None:
    assert not question_form("For a manager, he should run surveys for the whole company, you know how I mean?")
    assert not question_form("So like the manager is the admin of his own business?")
    assert question_form("I wonder if a manager should see the surveys of his team?")
    assert question_form("Um, by the way, why super admin?")
    assert question_form("But you would not assign them to specific managers or would you?")
    assert small_talk("So did you receive that project document I sent you?")
    found = extract(plain(["So did you receive that, uh, project document which I've sent you?",
                           "Just the one that describes the mission of the project.",
                           "For a manager, he should run surveys for the whole company, you know how I mean?",
                           "I'm not really sure here."]))
    assert found["answered_questions"] == [] and found["open_questions"] == []


def test_an_answer_must_be_about_the_question_and_an_elliptical_question_gets_context() -> None:
    found = extract(plain(["Depending on its size, a manager may have too many surveys to keep track of them.",
                           "What if he has every survey available?",
                           "Maybe, I don't know.",
                           "Do we have to leave the reminders to the manager?",
                           "In the report there is a dedicated section for free-text feedback from the employees."]))
    assert found["answered_questions"] == []
    opened = {q["question"]: q for q in found["open_questions"]}
    ellipsis = opened["What if he has every survey available?"]
    assert ellipsis["context"].startswith("Depending on its size")
    assert ellipsis["citations"][0] == "s1" and "s0" in ellipsis["citations"]
    assert ellipsis["quotes"][0]["quote"] == "What if he has every survey available?"
    assert "Do we have to leave the reminders to the manager?" in opened
    assert elliptical("What if he has every survey available?")
    assert not elliptical("Do we support PDF receipts from email, or only photos?")
