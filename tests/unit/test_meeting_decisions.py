"""Meeting notes (issue #14 review): decisions from context, one answer per exchange, real answers, topics, roles."""

from __future__ import annotations

from typing import Any

from tools.meeting_chatter import content_left
from tools.meeting_points import draft_story, extract


def plain(sentences: list[str]) -> list[dict[str, Any]]:
    """An unlabelled transcript without speakers: one turn per sentence, in order."""
    return [{"signal_id": f"s{i}", "quote": text, "speaker": None, "chunk": i} for i, text in enumerate(sentences)]


def test_a_hedged_agreement_confirmed_right_after_is_a_decision_citing_both() -> None:
    found = extract(plain(["Where are the others today?", "I think we agreed to print the labels at the warehouse, "
                           "not in the shop.", "Well, it was settled last week.", "Okay."]))
    assert [d["decision"] for d in found["decisions"]] == [
        "We agreed to print the labels at the warehouse, not in the shop."]
    assert found["decisions"][0]["citations"] == ["s1", "s2"]
    # without the confirmation it stays a recollection, not a decision
    assert extract(plain(["I think we agreed to print the labels at the warehouse, not in the shop.",
                          "Okay."]))["decisions"] == []


def test_a_confirmed_agreement_that_names_only_people_is_no_decision() -> None:
    # PM review: "we agreed … on our own, the three of us" + "it was decided yesterday" says nothing was decided
    found = extract(plain(["I think we agreed that we would handle this by ourselves, the two of us.",
                           "Well, it was decided on Monday.", "Okay."]))
    assert found["decisions"] == []


def test_a_scope_answer_to_a_question_and_a_time_box_are_decisions() -> None:
    found = extract(plain([
        "Should the admin be able to merge two accounts?",
        "No, not in the first release, we should keep it simple.",
        "We have a budget of three sprints for the first release, so the rest waits.",
        "The export should be a CSV file."]))
    decisions = [d["decision"] for d in found["decisions"]]
    assert decisions[0] == "Not in the first release, we should keep it simple."  # a statement, the question as context
    assert found["decisions"][0]["context"] == "Should the admin be able to merge two accounts?"
    assert [q["quote"] for q in found["decisions"][0]["quotes"]] == [
        "Should the admin be able to merge two accounts?", "No, not in the first release, we should keep it simple."]
    assert decisions[1] == "We have a budget of three sprints for the first release"
    assert len(decisions) == 2  # the requirement is no decision


def test_what_a_phase_holds_is_a_decision() -> None:
    found = extract(plain(["Okay, next topic.", "Phase one will cover only the web app, without offline mode.",
                           "Fine."]))
    assert [d["decision"] for d in found["decisions"]] == [
        "Phase one will cover only the web app, without offline mode."]


def test_no_decision_from_a_plain_statement_or_an_unanswered_scope_musing() -> None:
    found = extract(plain(["Users should export reports as PDF.", "Maybe phase two could cover imports, I guess.",
                           "It would be nice to keep it simple."]))
    assert found["decisions"] == []


def test_questions_asked_in_a_row_share_one_answer_entry() -> None:
    found = extract(plain(["By the way, why a separate billing admin role?", "Is there a regular admin role?",
                           "No, there is only one admin role per customer account."]))
    assert len(found["answered_questions"]) == 1
    entry = found["answered_questions"][0]
    assert entry["question"] == "By the way, why a separate billing admin role? Is there a regular admin role?"
    assert entry["answer"] == "No, there is only one admin role per customer account."
    assert [q["quote"] for q in entry["quotes"]][-1] == "No, there is only one admin role per customer account."


def test_a_suggestion_phrased_as_a_question_answers_the_question_before_it() -> None:
    found = extract(plain(["How could we bring the survey to the employees in a simple way?",
                           "Maybe we could just send them an invite by email?",
                           "They get an account, but they never log in to the tool."]))
    answers = {q["question"]: q["answer"] for q in found["answered_questions"]}
    assert answers["How could we bring the survey to the employees in a simple way?"] == (
        "Maybe we could just send them an invite by email?")


def test_a_bare_yes_takes_the_statement_after_it_not_an_earlier_yes_of_the_same_turn() -> None:
    turn = ("Yeah. Just to finish my thing, sorry. Is there a way to undo a swipe on a card? Yeah. "
            "We should add a preview of the answers before submitting.")
    found = extract([{"signal_id": "t0", "quote": turn, "speaker": None, "chunk": 0}])
    [entry] = found["answered_questions"]
    assert entry["answer"] == "Yeah. We should add a preview of the answers before submitting."


def test_turn_taking_and_apologies_have_no_content() -> None:
    assert len(content_left("Just to finish my thing, sorry.")) < 2
    assert len(content_left("Sorry, the export should include the totals.")) >= 2


def test_topic_words_are_one_heading_in_singular_and_plural() -> None:
    found = extract(plain(["Users should be able to reset their password by email.",
                           "A user should be able to change the email address of the account.",
                           "Admins must see every user of the account in one list.",
                           "The admin should be able to remove users from the account."]))
    topics = {r["topic"] for r in found["requirements"]}
    assert not ({"User", "Users"} <= topics or {"Admin", "Admins"} <= topics or {"Account", "Accounts"} <= topics)


def test_no_story_when_the_role_is_only_what_the_speakers_want_or_will_is_a_description() -> None:
    quotes = [{"signal_id": "s0", "quote": "x"}]
    assert draft_story("We actually need to have underlying users.", quotes) is None
    assert draft_story("The manager will actually create this user and add it to the project.", quotes) is None
    story = draft_story("Managers need to see the receipt next to each expense line.", quotes)
    assert story is not None and story["as_a"] == "manager"
    able = draft_story("The manager will be able to archive old surveys.", quotes)
    assert able is not None and able["i_want"] == "to archive old surveys"


def test_requirement_summaries_drop_tags_and_disfluencies_and_quotes_stay_verbatim() -> None:
    from tools.meeting_points import tidy

    assert tidy("It's just, yeah, it's just a word we came up with actually, because as we see it.") == (
        "It's just a word we came up with because as we see it.")
    assert tidy("I would like the export to include totals, right?") == "I would like the export to include totals."
    assert tidy("Maybe the manager could sort of pick the tags.") == "Maybe the manager could pick the tags."
    assert tidy("Reports must be exportable as PDF.") == "Reports must be exportable as PDF."
    said = "Yeah, so the, the invoice total must, uh, actually include the tax, right."
    found = extract(plain(["Let's talk about invoices.", said]))
    [item] = found["requirements"]
    assert item["quotes"][0]["quote"] == said
    assert item["requirement"] == "The invoice total must include the tax."
