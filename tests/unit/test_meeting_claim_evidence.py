"""Meeting notes (PM review defect 3): quotes on the headline's claim, no filler as evidence, stories that stand.

Transcript lines written for these tests (not from the dev meeting the rules were looked at on).
"""

from __future__ import annotations

from typing import Any

from agents.deliverables.meeting_notes import NO_DATE, meeting_date
from agents.scorer import search_warnings
from tools.meeting_points import draft_story, extract, story_defect


def plain(sentences: list[str]) -> list[dict[str, Any]]:
    """An unlabelled transcript without speakers: one turn per sentence, in order."""
    return [{"signal_id": f"s{i}", "quote": text, "speaker": None, "chunk": i} for i, text in enumerate(sentences)]


def quotes(*texts: str) -> list[dict[str, str]]:
    return [{"signal_id": f"s{i}", "quote": text} for i, text in enumerate(texts)]


CLINIC = ["So let's go through the booking tool for the clinics.",
          "I think the practice owner can set the opening hours for his clinic.",
          "So the practice owner is like the admin of the whole clinic.",
          "Above the practice owner there would be maybe a regional owner, I don't know.",
          "And every nurse and every receptionist belongs to one practice owner.",
          "Typically a bigger group has several practice owners and one head office on top.",
          "So the head office sits above all the practice owners in the hierarchy."]


def test_remarks_said_next_to_a_need_but_about_another_point_are_not_its_quotes() -> None:
    # before: the opening-hours item quoted all six statements (the hierarchy talk said right after it)
    items = extract(plain(CLINIC))["requirements"]
    hours = next(i for i in items if "opening hours" in i["requirement"])
    quoted = " ".join(q["quote"] for q in hours["quotes"])
    for off_point in ("belongs to one practice owner", "head office", "several practice owners"):
        assert off_point not in quoted
    # the hierarchy is still in the notes, under a headline of its own
    rest = [i for i in items if i is not hours]
    assert any("head office" in " ".join(q["quote"] for q in i["quotes"]) for i in rest)


DELIVERY = ["Should the customer get a text message when the driver is close?",
            "Yeah.",
            "Maybe, I don't know.",
            "We have a lot of customers in rural areas.",
            "Can the driver see the route offline?",
            "I'm not really sure here.",
            "Is there a way to mark a parcel as damaged?",
            "Yeah.",
            "I think we should add this because the insurance asks for it."]


def test_filler_is_cited_as_no_answer_and_no_evidence() -> None:
    found = extract(plain(DELIVERY))
    every_quote = [q["quote"] for key in ("open_questions", "answered_questions") for item in found[key]
                   for q in item["quotes"]]
    for said in ("Maybe, I don't know.", "I'm not really sure here."):
        assert said not in every_quote
    assert every_quote.count("Yeah.") == 1  # only the one that answers (a yes, then what should be done)
    answered = {a["question"]: a["answer"] for a in found["answered_questions"]}
    # a bare "Yeah." is no answer (before: "answer: Yeah.")
    assert not any(q.startswith("Should the customer get a text message") for q in answered)
    assert any(q["question"].startswith("Should the customer get a text message") for q in found["open_questions"])
    # a "Yeah." then a statement that refers back to what was asked: that statement is the answer
    damaged = next(a for q, a in answered.items() if "damaged" in q)
    assert damaged == "Yeah. I think we should add this because the insurance asks for it."


def test_the_story_role_is_the_subject_of_the_clause_the_story_comes_from() -> None:
    # before: "As a user, I want … to upload their own worksheets" (the role of another quote, "their" unresolved)
    story = draft_story("This would be a big win for the principal, because then he gets the best ideas first.",
                        quotes("This would be a big win for the principal, because then he gets the best ideas first.",
                               "So the teachers should have the possibility to upload their own worksheets, "
                               "should the principal have missed them."))
    assert story is not None and story["as_a"] == "teacher"
    assert story["i_want"] == ("to have the possibility to upload my own worksheets, "
                               "should the principal have missed them")
    mine = draft_story("The customer wants to see how much his last order cost.",
                       quotes("The customer wants to see how much his last order cost."))
    assert mine is not None and (mine["as_a"], mine["i_want"]) == ("customer", "to see how much my last order cost")


def test_stories_cut_mid_clause_or_with_unresolved_pronouns_are_withheld_and_counted() -> None:
    trimmed = draft_story("For a teacher, he should be able to send reports to all of the parents, including the "
                          "ones that maybe, uh, like the.", quotes("x"))
    assert trimmed is not None and (trimmed["as_a"], trimmed["i_want"]) == ("teacher",
                                                                            "to send reports to all of the parents")
    for line, reason in (("He should also be able to export his grades as a spreadsheet.", "role"),
                         ("The member should be able to cancel the booking and get the money back to the.", "cut"),
                         ("We need to send him a reminder before the exam.", "pronoun")):
        withheld: list[str] = []
        assert draft_story(line, quotes(line), withheld) is None
        assert len(withheld) == 1 and reason in withheld[0]
    assert story_defect("to send the invoice to the customer") is None
    assert story_defect("to list the open orders and maybe the") == "cut mid-clause"


def test_the_title_date_is_the_transcripts_never_the_ingest_clock() -> None:
    assert meeting_date([{"created_at": "2026-04-12T10:00:00+00:00"}]) == "2026-04-12"
    # no date in the file: the file's clock at ingest (fractions of a second) is not the meeting's date
    assert meeting_date([{"created_at": "2026-12-03T23:58:42.191335+00:00"},
                         {"created_at": "2026-12-03T23:58:43.191335+00:00"}]) is None
    assert NO_DATE == "date not recorded"


def test_notes_of_the_whole_meeting_get_no_goal_relevance_warning() -> None:
    plan = {"focus": "Notes from the requirements meeting", "deliverables": ["meeting_notes"],
            "questions": [{"id": "q1", "query": "Notes from the requirements meeting"}]}
    state: Any = {"goal": plan["focus"], "plan": plan,
                  "research": [{"query": plan["focus"], "searched": 100, "kept": 0}]}
    assert search_warnings(state, 0) == []
    # a searched deliverable still says which of its questions kept nothing
    plan2 = {**plan, "deliverables": ["requirements"],
             "questions": [*plan["questions"], {"id": "q2", "query": "exports"}]}
    state2: Any = {**state, "plan": plan2, "research": [*state["research"], {"query": "exports", "searched": 100,
                                                                            "kept": 4}]}
    assert any(w.startswith("Nothing relevant on its own") for w in search_warnings(state2, 4))
