"""The form of a requirement vs conversation: question form, scenarios, meta-talk (tools.statements)."""

from __future__ import annotations

from tools.meeting_chatter import meta_talk, question_form
from tools.statements import HAND_FEATURES, classify_statements, direct_question, not_a_requirement


def test_one_question_form_and_relative_clauses_are_no_question() -> None:
    # ", which lists …" is a relative clause: the old comma rule took any wh-word after a comma for a question
    assert not question_form("Maybe we could add a report at the end, which lists the results of each question?")
    assert question_form("A manager should see them, or should he only manage his own surveys?")
    assert question_form("I mean, is there a regular admin?")
    assert question_form("Um, by the way, why super admin?")


def test_direct_questions_ask_and_state_no_need() -> None:
    assert direct_question("Do we, do we actually have to assign specific users on the platform?")
    assert direct_question("How would you solve this on a notebook?")
    assert not direct_question("I wonder if a manager should see the surveys of his team?")
    assert not direct_question("So the manager is the admin of his own business?")
    assert not_a_requirement("Do we actually have to assign specific users on the platform?")


def test_a_bare_scenario_states_no_need_but_one_with_a_modal_does() -> None:
    assert not_a_requirement("I mean, let's say a manager creates a survey.")
    assert not not_a_requirement("Let's say a manager runs a survey, then every employee should get it by email.")


def test_deferring_and_apologising_for_the_conversation_is_meta_talk() -> None:
    assert meta_talk("Maybe we can talk about the naming later on.")
    assert meta_talk("I should've mentioned this earlier, sorry, but the design matters more.")
    assert not meta_talk("Managers should be able to export the results.")


def test_conversation_cues_are_features_of_the_shipped_model() -> None:
    for name in ("interrogative", "tag_end", "meta_talk", "scenario", "narration", "opinion"):
        assert name in HAND_FEATURES


def test_written_requirements_read_as_requirements_and_conversation_does_not() -> None:
    requirements = ["The system shall refresh the display every 60 seconds.",
                    "As a manager, I want to export survey results, so that I can share them with the board.",
                    "Only administrators shall be able to delete a project."]
    chat = ["Do you want to grab lunch after this?", "I mean, let's say a manager creates a survey.",
            "We talked about that last week, I think.", "How was your weekend?"]
    labelled = classify_statements(requirements + chat)
    assert [s.is_requirement for s in labelled] == [True] * len(requirements) + [False] * len(chat)


def test_relative_which_and_a_dropped_subject_are_no_question() -> None:
    # a relative pronoun after a comma opens a relative clause (the old comma rule read "which is the" as a question)
    assert not question_form("Each invoice needs a due date, which is the date the client agreed to.")
    assert not question_form("The calendar, which was the slowest screen, should load in two seconds.")
    assert not question_form("Put a counter on the inbox, which has the most unread items.")
    assert not question_form("The dashboard refreshes hourly, and has a chart for each region.")
    # an auxiliary opens a question only with its subject after it: "Also must …" drops the subject, it states
    assert not question_form("Also must keep a history of price changes.")
    assert not question_form("Don't send reminders on weekends.")
    assert not question_form("Has to work on a tablet too.")
    # real questions keep their form
    assert question_form("The report is long, which do you prefer?")
    assert question_form("Also, can we attach photos to a ticket?")
    assert question_form("Should tenants see each other's bookings?")
    assert question_form("The form is slow, and is it a problem for the clerks?")
    assert question_form("Must every visitor register first?")
    # with its "?" kept, a subject the rule cannot see still asks
    assert question_form("Should archived orders be hidden?")
    assert not question_form("Has to keep a history of price changes?")
