"""Offline stories in the evidence's words: role, "I want", criteria and title; the check flags what is left."""

from __future__ import annotations

from typing import Any

from tests.unit.test_goal_topics import row
from tools import story_quality
from tools.story_quality import check_story, from_fields, review_requirements
from tools.wording import (
    PM,
    capability,
    complete_phrase,
    example_report,
    persona,
    situation_criterion,
    wanted,
)

BACKLOG = [
    "As an OlderPerson, I want to decide who has access to my vital data.",
    "As an OlderPerson, I want ALFRED to ask my permission before sharing my data, so that I stay in control.",
    "As a caregiver, I want to see the data of the people I care for.",
]


def rows(quotes: list[str], signal_type: str = "feature_request", segment: str | None = None) -> dict[str, Any]:
    return {f"s{i}": {**row(f"s{i}", q, questions=["q0"], signal_type=signal_type), "segment": segment}
            for i, q in enumerate(quotes)}


def test_the_role_is_the_one_the_evidence_states_else_the_segment_else_user() -> None:
    evidence = rows(BACKLOG)
    assert persona(list(evidence), evidence) == "OlderPerson"  # 2 of the 3 stated roles
    tickets = rows(["My card was declined at the shop.", "The app logs me out."], segment="smb")
    assert persona(list(tickets), tickets) == "SMB customer"
    assert persona(list(rows(["My card was declined at the shop."])), rows(["My card was declined at the shop."])) \
        == "user"
    # No majority among the stated roles: none is taken.
    split = rows(["As a teacher, I want to grade essays.", "As a student, I want to see my grades."])
    assert persona(list(split), split) == "user"


def test_i_want_is_what_the_evidence_asks_for_never_a_bare_word() -> None:
    assert wanted(BACKLOG[0]) == "to decide who has access to my vital data"
    assert wanted("The system shall perform with 1500 users at a time.") == \
        "the system to perform with 1500 users at a time"
    assert wanted("The product must be able to handle 1000 concurrent users.") == \
        "the product to handle 1000 concurrent users"
    assert wanted("I need to export my notes, so that I can share them.") == "to export my notes"
    # a requirement's benefit stays out of what is wanted (it is the story's "so that")
    assert wanted("The system shall be intuitive for volunteers so that they can export lists.") == \
        "the system to be intuitive for volunteers"
    assert wanted("I need to export my notes in order to share them.") == "to export my notes"
    assert wanted("Dark mode please.") == "" and wanted("As a user, I want data.") == ""
    evidence = rows(BACKLOG[:2])
    example = example_report(list(evidence), "data", "request", evidence, "OlderPerson")
    assert capability("data", "request", example) == "to decide who has access to my vital data"
    nfr = rows(["The system shall perform with 1500 users at a time."])
    example = example_report(list(nfr), "users", "request", nfr)
    assert capability("users", "request", example) == "the system to perform with 1500 users at a time"
    # A name that already says what is asked for stays ('dark mode'), whatever a free-text quote says.
    assert capability("dark mode", "request", "I want dark mode for the night shift.") == "dark mode"


def test_the_check_flags_a_bare_word_as_the_capability() -> None:
    for means in ("data", "users"):
        assert "full_sentence" in check_story(from_fields("user", means, PM)).kinds
    for means in ("to decide who sees my data", "dark mode", "SSO", "the system to scale to 1500 users"):
        assert check_story(from_fields("user", means, PM)).kinds == []


def test_criteria_use_the_reported_situation_and_differ_between_stories() -> None:
    cannot = situation_criterion("user", "problem", "a fix for it", "abcdef123", "I can't get cash from the ATM")
    assert "When they get cash from the ATM after the change, Then they can get cash from the ATM" in cannot
    other = situation_criterion("user", "problem", "a fix for it", "0123abcd", "My card payment failed.")
    assert other.endswith("Then this no longer happens: their card payment failed")
    asked = situation_criterion("OlderPerson", "request", "to decide who has access to my vital data", "f00d",
                                BACKLOG[0])
    assert asked.startswith("Given an OlderPerson who asked for it in [s:f00d]")
    assert asked.endswith("Then they are able to decide who has access to their vital data")
    nfr = situation_criterion("user", "request", "the system to perform with 1500 users at a time", "beef", "")
    assert nfr.endswith("Then the system is able to perform with 1500 users at a time")
    stories = [{"as_a": "user", "i_want": want, "so_that": PM, "acceptance_criteria": [c], "citations": []}
               for want, c in (("a fix for “I can't get cash”", cannot), ("a fix for “My card payment failed”", other))]
    assert all(not s["flags"] or s["flags"][0].startswith("PM to-do") for s in review_requirements(
        {"stories": stories})["stories"])


def test_the_check_flags_one_criteria_template_for_every_story() -> None:
    template = ("Given a user in the situation reported in [s:{sid}]: “{q}”, When they do the same after the "
                "change, Then the reported problem does not happen")
    stories = [{"as_a": "user", "i_want": f"a fix for “{q}”", "so_that": PM, "citations": [],
                "acceptance_criteria": [template.format(sid=sid, q=q),
                                        f"Given the change is released, When {PM} weeks have passed, Then …"]}
               for sid, q in (("a1", "My card payment failed"), ("b2", "I am unable to get cash from the ATM"))]
    doc = review_requirements({"stories": stories})
    for story in doc["stories"]:
        assert any(f.startswith("duplicate: acceptance criteria are the same template") for f in story["flags"])
    # 2 template duplicates, and each story's second criterion ('Then …') names nothing the story is about.
    assert "4 defects in 2 stories" in doc["quality_notes"][-1]


def test_a_title_cut_before_its_end_is_flagged_and_can_be_made_whole() -> None:
    quotes = ["Problems with my top up", "My top up failed twice", "Why is my top-up still pending?"]
    assert complete_phrase("problems with my top", quotes) == "problems with my top up"
    assert complete_phrase("card payments with my", quotes) == "card payments"
    assert complete_phrase("card payment", ["My card payment failed."]) == "card payment"
    evidence = {f"s{i}": {"quote": q} for i, q in enumerate(quotes)}
    story = {"as_a": "user", "i_want": "a fix for “Problems with my top up”", "so_that": PM,
             "acceptance_criteria": [], "citations": list(evidence), "title": "Fix: problems with my top"}
    flags = review_requirements({"stories": [story]}, evidence)["stories"][0]["flags"]
    assert any("title 'Fix: problems with my top' is cut: 'problems with my top up'" in f for f in flags)
    whole = {**story, "title": "Fix: problems with my top up"}
    assert not [f for f in review_requirements({"stories": [whole]}, evidence)["stories"][0]["flags"]
                if not f.startswith("PM to-do")]


def test_a_backlog_line_asking_for_a_bare_word_is_flagged_a_whole_one_is_not() -> None:
    lines = ["As a camp administrator, I want to be able to add campers, so that I can keep track of each camper.",
             "As a parent, I want notifications, so that I know what my child does."]
    _, reports = story_quality.check_lines(lines)
    assert reports[0].kinds == [] and reports[1].kinds == ["full_sentence"]


def test_a_means_cut_at_its_modal_and_a_name_cut_before_its_noun_are_flagged() -> None:
    # PROMISE NFR: 'The Disputes System shall …' once gave "I want authorized users shall".
    assert "full_sentence" in check_story(from_fields("user", "authorized users shall", PM)).kinds
    quotes = ["Only authorized users shall have access to clinical site information.",
              "The system shall provide view access capability for authorized users of the application."]
    assert complete_phrase("access capability for authorized", quotes) == "access capability for authorized users"
    # A participle that is the report itself stays as it is ('card declined', one report).
    assert complete_phrase("card declined", ["My card declined at the shop."]) == "card declined"
