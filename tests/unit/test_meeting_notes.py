"""Meeting notes: speakers from every transcript format, owners, requirement statements, merging, fillers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from memory.ingest.readers import read_file
from memory.ingest.rows import RawRow
from tools.meeting_points import OWNER_UNKNOWN, extract
from tools.statements import classify_statements, explicit_requirement, strip_fillers

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "meetings" / "expense-app-sync.vtt"

TRANSCRIPTS = {
    "voice.vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ana Souza>Reports must be exportable as PDF.</v>\n\n"
                 "00:00:05.000 --> 00:00:07.000\n<v Ben Ode>I'll share the mockups tomorrow.</v>\n",
    "zoom.vtt": "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nAna Souza: Reports must be exportable as PDF.\n\n"
                "2\n00:00:05.000 --> 00:00:07.000\nBen Ode: I'll share the mockups tomorrow.\n",
    "call.srt": "1\n00:00:01,000 --> 00:00:04,000\nAna Souza: Reports must be exportable as PDF.\n\n"
                "2\n00:00:05,000 --> 00:00:07,000\nBen Ode: I'll share the mockups tomorrow.\n",
    "names.txt": "Ana Souza: Reports must be exportable as PDF.\nBen Ode: I'll share the mockups tomorrow.\n"
                 "Ana Souza: Thanks.\n",
    "teams.txt": "Ana Souza   0:03\nReports must be exportable as PDF.\n\nBen Ode   0:09\n"
                 "I'll share the mockups tomorrow.\n",
    "zoom-export.txt": "[00:00:03] Ana Souza\nReports must be exportable as PDF.\n\n[00:00:09] Ben Ode\n"
                       "I'll share the mockups tomorrow.\n",
}


def turns_of(path: Path) -> list[dict[str, Any]]:
    rows = [r for r in read_file(path, kind="meeting") if isinstance(r, RawRow)]
    return [{"signal_id": f"turn-{r.chunk}", "quote": r.text, "speaker": r.speaker, "chunk": r.chunk} for r in rows]


def plain(sentences: list[str], speakers: list[str | None] | None = None) -> list[dict[str, Any]]:
    names = speakers or [None] * len(sentences)
    return [{"signal_id": f"s{i}", "quote": text, "speaker": names[i], "chunk": i} for i, text in enumerate(sentences)]


@pytest.mark.parametrize("name", sorted(TRANSCRIPTS))
def test_speakers_and_owners_from_every_transcript_format(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(TRANSCRIPTS[name], encoding="utf-8")
    turns = turns_of(path)
    assert [t["speaker"] for t in turns][:2] == ["Ana Souza", "Ben Ode"]
    found = extract(turns)
    assert [(a["owner"], a["item"]) for a in found["action_items"]] == [
        ("Ben Ode", "I'll share the mockups tomorrow.")]
    assert [r["requirement"] for r in found["requirements"]] == ["Reports must be exportable as PDF."]
    assert found["requirements"][0]["speaker"] == "Ana Souza"


def test_owner_is_a_placeholder_when_no_speaker_is_named() -> None:
    found = extract(plain(["Let's get started.", "I'll send the survey results to the team tomorrow.",
                           "Can you book the room for Friday?", "Sure, no problem."]))
    owners = {a["owner"] for a in found["action_items"]}
    assert owners == {OWNER_UNKNOWN}
    assert len(found["action_items"]) == 2
    assert all(a["owner"] is not None for a in found["action_items"])


def test_in_meeting_talk_is_no_action_item_and_logistics_are_no_question() -> None:
    found = extract(plain(["Um, I will just give you a quick overview first.", "Let me quickly get my notes.",
                           "Can you mute your mic please?", "Oh yeah.",
                           "And if there are questions we'll go with."]))
    assert found["action_items"] == [] and found["decisions"] == [] and found["open_questions"] == []


def test_decisions_need_an_agreement_marker_and_keep_it_in_the_quote() -> None:
    found = extract(plain(["We could ship the beta on Friday or wait a week.", "We agreed to ship the beta on Friday.",
                           "If there are questions we'll go with."], ["Ana", "Ben", "Ana"]))
    assert [d["quotes"][0]["quote"] for d in found["decisions"]] == ["We agreed to ship the beta on Friday."]
    reply = extract(plain(["Let's move the launch to the first week of March.", "Agreed."], ["Ana", "Ben"]))
    decision = reply["decisions"][0]
    assert decision["decision"] == "Let's move the launch to the first week of March."
    assert [q["quote"] for q in decision["quotes"]] == ["Let's move the launch to the first week of March.", "Agreed."]


def test_open_questions_are_the_unsettled_ones() -> None:
    found = extract(plain(["Do we need single sign-on for the pilot customers?", "I'm not sure yet, let's ask them.",
                           "Should the export include archived projects?", "Yes, all of them.",
                           "Is that right?"], ["Ana", "Ben", "Ana", "Ben", "Ana"]))
    assert [q["question"] for q in found["open_questions"]] == ["Do we need single sign-on for the pilot customers?"]
    assert found["open_questions"][0]["quotes"][1]["quote"] == "I'm not sure yet, let's ask them."


def test_a_requirement_stated_twice_is_one_item_citing_both() -> None:
    turns = turns_of(FIXTURE)
    found = extract(turns)
    photo = [r for r in found["requirements"] if "photo of a receipt" in r["requirement"]]
    assert len(photo) == 1
    item = photo[0]
    assert len(item["citations"]) == 2 and item["raised"] == 2
    text = {t["signal_id"]: t["quote"] for t in turns}
    for quote in item["quotes"]:
        assert quote["quote"] in text[quote["signal_id"]]  # quotes verbatim, fillers and all
    assert any("uh," in q["quote"] for q in item["quotes"]) and "uh" not in item["requirement"].split()
    assert item["story"]["as_a"] == "employee" and item["story"]["citations"] == item["citations"]
    assert all(r.get("topic") for r in found["requirements"])


def test_fixture_notes_are_complete() -> None:
    found = extract(turns_of(FIXTURE))
    assert [d["decision"] for d in found["decisions"]] == [
        "We agreed that photo capture ships first and email import waits for phase two."]
    owners = {a["owner"] for a in found["action_items"]}
    assert owners == {"Sam Whitfield", "Noor Haddad"}
    assert any("mock up the capture screen" in a["item"].lower() for a in found["action_items"])
    questions = [q["question"] for q in found["open_questions"]]
    assert questions == ["Do we support PDF receipts from email, or only photos?"]
    kinds = {r["category"] for r in found["requirements"] if r["type"] == "non-functional"}
    assert kinds & {"performance", "security"}
    chatter = {"Yeah, totally.", "I think that's fair.", "Can everyone hear me?"}
    assert not any(q["quote"] in chatter for r in found["requirements"] for q in r["quotes"])


def test_classifier_tells_requirements_from_conversation() -> None:
    said = ["Yeah.", "Okay, let's get started.", "Can everyone hear me?", "I think maybe we should move on.",
            "Users should be able to filter the dashboard by team.",
            "The system must encrypt every stored password.", "Thanks, everyone."]
    labels = {s.text: s.label for s in classify_statements(said)}
    assert labels["Users should be able to filter the dashboard by team."] == "F"
    assert labels["The system must encrypt every stored password."] == "A"
    for chatter in ("Yeah.", "Okay, let's get started.", "Can everyone hear me?", "I think maybe we should move on.",
                    "Thanks, everyone."):
        assert labels[chatter] is None
    assert classify_statements([]) == []


def test_explicit_obligations_and_fillers() -> None:
    assert explicit_requirement("Search results must load within two seconds.")
    assert not explicit_requirement("Maybe we have to think about this.")
    assert not explicit_requirement("Do we have to support Safari?")
    assert strip_fillers("Um, so, like, the, the export should, uh, you know, include notes.") == (
        "The export should include notes.")
    assert strip_fillers("I would like a dark theme, you know what I mean?") == (
        "I would like a dark theme, you know what I mean?")
    assert strip_fillers("Uh.") == "Uh."


def test_a_table_of_statements_is_one_meeting_in_row_order(tmp_path: Path) -> None:
    path = tmp_path / "standup.tsv"
    path.write_text("n\ttext\n1\tYeah.\n2\tReports must be exportable as PDF.\n3\tYeah.\n", encoding="utf-8")
    rows = [r for r in read_file(path, kind="meeting") if isinstance(r, RawRow)]
    assert [(r.external_id, r.chunk, r.text) for r in rows] == [
        ("standup", 0, "Yeah."), ("standup", 1, "Reports must be exportable as PDF."), ("standup", 2, "Yeah.")]


def test_llm_points_are_kept_only_with_a_verbatim_quote_and_a_real_owner() -> None:
    from agents.deliverables import Materials
    from agents.deliverables.meeting_notes import (
        ActionItemDraft,
        MeetingNotesDraft,
        QuotedPoint,
        RequirementPoint,
        complete_meeting_notes,
    )

    turns = turns_of(FIXTURE)
    evidence = {t["signal_id"]: {**t, "kind": "meeting", "source": "expense-app-sync.vtt", "user_id": None}
                for t in turns}
    m = Materials(goal="notes", focus="notes", audience="exec", mode="llm", evidence=evidence, topics=[],
                  criteria={}, findings=[], decisions=[], has_strategy=False)
    storage = next(t for t in turns if "storage design" in t["quote"])
    upload = next(t for t in turns if "within five seconds" in t["quote"])
    draft = MeetingNotesDraft(
        decisions=[QuotedPoint(text="Invented", signal_id=storage["signal_id"], quote="we decided nothing")],
        action_items=[
            ActionItemDraft(text="Storage design", signal_id=storage["signal_id"],
                            quote="i'll write up the storage design", owner=None),
            ActionItemDraft(text="Ghost task", signal_id=upload["signal_id"], quote="Uploads must finish",
                            owner="Somebody Else"),
        ],
        open_questions=[],
        requirements=[RequirementPoint(text="Uploads finish within five seconds", signal_id=upload["signal_id"],
                                       quote="Uploads must finish within five seconds")],
    )
    doc = complete_meeting_notes(draft, m)
    assert doc["decisions"] == []
    assert [(a["owner"], a["item"]) for a in doc["action_items"]] == [
        ("Sam Whitfield", "Storage design"), (OWNER_UNKNOWN, "Ghost task")]
    assert doc["action_items"][0]["quotes"][0]["quote"] == "I'll write up the storage design"  # the stored span
    requirement = doc["requirements"][0]
    assert requirement["type"] == "non-functional" and requirement["category"] == "performance"
    assert requirement["story"]["citations"] == [upload["signal_id"]]
    cited = {e["signal_id"] for e in doc["evidence"]}
    assert {storage["signal_id"], upload["signal_id"]} == cited


@pytest.mark.parametrize(("statement", "as_a", "i_want"), [
    ("Buyers should be able to save a search for later.", "buyer", "to save a search for later"),
    ("The manager wants a weekly summary of open invoices.", "manager", "a weekly summary of open invoices"),
    ("Students need a reminder the day before an exam.", "student", "a reminder the day before an exam"),
    ("For refunds, every payment must show its status, and it should link to the receipt.", "user",
     "every payment to show its status"),
    ("A log of every export we can hand to auditors.", "user", "a log of every export we can hand to auditors"),
    ("Add a filter for overdue tasks on the board.", "user", "to add a filter for overdue tasks on the board"),
    ("We already log that, but we actually need to keep a history per account.", "user",
     "to keep a history per account"),
    ("The editor will open the draft and then the reviewer is notified by email.", "editor", "to open the draft"),
    ("Pages must load within two seconds, and invoices must be stored encrypted.", "user",
     "pages to load within two seconds"),
])
def test_a_draft_story_is_a_verb_or_noun_phrase_cut_from_the_need(statement: str, as_a: str, i_want: str) -> None:
    from tools.meeting_points import draft_story as _story

    story = _story(statement.rstrip("."), [{"signal_id": "s0", "quote": statement}])
    assert story is not None and (story["as_a"], story["i_want"]) == (as_a, i_want)


@pytest.mark.parametrize("statement", [
    "Invoice export on tablets depends on the billing rewrite.",  # a dependency
    "Bulk upload is the most requested feature in the survey, and the team has half of it built.",  # a report
    "Search first; tagging after; the API by Friday; docs next sprint.",  # a plan
    "When the session expires, the page reloads and the form is empty.",  # a description of behaviour
    "We can ship a fix for the login page within a week.",  # an offer
    "I think there will be something like a manager role and an admin role.",  # musing, existential
    "So the customer doesn't have to do anything to join a project.",  # a negated need
    "We really need to think about how to distribute rights across teams.",  # a call to discuss
])
def test_no_draft_story_for_a_statement_that_is_not_a_need(statement: str) -> None:
    from tools.meeting_points import draft_story as _story

    assert _story(statement, [{"signal_id": "s0", "quote": statement}]) is None


def test_a_story_falls_back_on_the_words_said_when_the_summary_states_no_need() -> None:
    from tools.meeting_points import draft_story as _story

    story = _story("Pages load in two seconds", [{"signal_id": "s0", "quote": "Pages must load in two seconds."}])
    assert story is not None and story["i_want"] == "pages to load in two seconds"


def test_a_request_for_it_names_what_it_refers_to() -> None:
    found = extract(plain(["The renewal plan for the third quarter is still unclear. Sam, could you look into it?",
                           "Yes, on it."], ["Jo Price", "Sam Lee"]))
    [action] = found["action_items"]
    assert action["owner"] == "Sam Lee"
    assert action["item"] == "Look into it: the renewal plan for the third quarter is still unclear"
    assert action["quotes"][0]["quote"] == "The renewal plan for the third quarter is still unclear."


@pytest.mark.parametrize(("goal", "subject"), [
    ("Notes from the pricing workshop", "Pricing workshop"),
    ("Recap of the onboarding review with Acme", "Onboarding review with Acme"),
    ("Meeting notes for standup_0412.vtt", None),
    ("Meeting notes", None),
])
def test_the_title_names_the_meeting_never_a_file(goal: str, subject: str | None) -> None:
    from agents.deliverables import Materials
    from agents.deliverables.meeting_notes import _title

    turns = [{"signal_id": "s0", "quote": "Invoices must be exportable as PDF. Invoices need a due date.",
              "source": "standup_0412.vtt", "created_at": "2026-04-12T10:00:00+00:00", "chunk": 0}]
    m = Materials(goal=goal, focus=goal, audience="exec", mode="offline", evidence={}, topics=[], criteria={},
                  findings=[], decisions=[], has_strategy=False)
    title = _title(m, turns, {"requirements": []})
    assert "vtt" not in title and "standup_0412" not in title and title.endswith("2026-04-12")
    assert title.startswith(f"Meeting notes: {subject or 'Invoices'} — ")


def test_dependencies_reports_and_plans_are_not_requirements() -> None:
    from tools.statements import not_a_requirement

    assert not_a_requirement("Invoice export on tablets depends on the billing rewrite.")
    assert not_a_requirement("Bulk upload is the most requested feature in the survey.")
    assert not_a_requirement("To recap: search first; tagging after; the API by Friday.")
    assert not not_a_requirement("The export must not depend on the user's locale.")
    assert not not_a_requirement("Users need to see the most requested items first.")


def test_a_task_handed_to_an_owner_is_not_also_a_requirement() -> None:
    found = extract(plain(["We must add an audit log for every export before the pilot starts.", "Ana, you own it."],
                          ["Ben Ode", "Jo Price"]))
    assert [a["owner"] for a in found["action_items"]] == ["Ana"]
    assert not any("audit log" in r["requirement"] for r in found["requirements"])


# ------------------------------------------------------------------------------------------- meeting chatter

SPRINT = FIXTURE.with_name("sprint-planning-delivery.vtt")


def test_sprint_planning_notes_keep_the_product_and_drop_the_chatter() -> None:
    """A different domain than the rules were written on: a parcel-tracking sprint planning call."""
    found = extract(turns_of(SPRINT))
    assert [d["decision"] for d in found["decisions"]] == [
        "We agreed to ship the tracking page behind a feature flag for ten percent of customers first."]
    assert {(a["owner"], a["item"][:20]) for a in found["action_items"]} == {
        ("Tomasz Nowak", "I'll write up the tr"), ("Jonas Berg", "I'll draft the test ")}
    assert [(q["question"], q["quotes"][-1]["quote"]) for q in found["open_questions"]] == [
        ("Do we support split shipments, where one order arrives in two parcels?",
         "I'm not sure yet, I need to check with operations how often that happens."),
        ("Do we show the driver's first name on the tracking page?", "Let's take that offline with legal.")]
    assert [(q["question"][:30], q["answer"][:20]) for q in found["answered_questions"]] == [
        ("Should the estimated arrival t", "Local time, always, "),
        ("Should failed SMS messages be ", "Three times with bac")]
    said = {q["quote"] for r in found["requirements"] for q in r["quotes"]}
    assert not said & {"Priya, you know the drivers' app best, so you probably have the clearest picture here.",
                       "As I just mentioned, we will keep it simple."}
    stories = [r["story"]["i_want"] for r in found["requirements"] if r.get("story")]
    assert "drivers to mark a parcel as delivered with a photo" in stories
    assert not any("submit that" in s for s in stories)
    kinds = {r["requirement"].split(",")[0]: r["category"] for r in found["requirements"]
             if r["type"] == "non-functional"}
    # "must scale to fifty thousand concurrent sessions", not the five-point scale; a refresh interval is performance
    # (as PROMISE NFR types "The system shall refresh the display every 60 seconds.")
    assert kinds == {
        "The tracking service must scale to fifty thousand concurrent sessions on peak days.": "scalability",
        "The tracking page should show the driver's position on a map": "performance"}


@pytest.mark.parametrize("question", [
    "Or do you have any questions just before we go into detail now, do you guys have any questions overall?",
    "How, how do you mean text?", "The word document you mean?", "Anything else before we wrap up?",
    "How much is there to abstract?", "Priya, what do you think?", "Does that make sense to everyone?",
])
def test_questions_that_run_the_meeting_are_chatter(question: str) -> None:
    from tools.meeting_chatter import chatter_question

    assert chatter_question(question)


@pytest.mark.parametrize("question", [
    "Is there intended to be a functionality to retrieve a card?", "Do we have to leave this to the manager?",
    "Nonetheless, is there just a single one or are there multiple?", "Should exports include the VAT column?",
])
def test_questions_about_the_product_are_not_chatter(question: str) -> None:
    from tools.meeting_chatter import chatter_question

    assert not chatter_question(question)


def test_questions_answered_right_after_are_not_open_even_inside_one_long_turn() -> None:
    """Without speakers, cues merge into long turns: each question is settled by the sentences after it."""
    found = extract(plain([
        "So is there just a single project manager or are there multiple? I think there should be the possibility "
        "to have multiple project managers. How would the invitation reach the employees?",
        "I'm not really sure how we could address this problem. At the bottom the answer is, I don't know, or "
        "I don't care.",
    ]))
    assert [q["question"] for q in found["open_questions"]] == [
        "How would the invitation reach the employees?"]
    assert found["open_questions"][0]["quotes"][-1]["quote"] == "I'm not really sure how we could address this problem."
    answered = found["answered_questions"]
    assert [q["answer"] for q in answered] == [
        "I think there should be the possibility to have multiple project managers."]


def test_hedged_or_contentless_agreements_are_no_decisions() -> None:
    found = extract(plain(["I think we agreed that we were going to do this on our own, the three of us.",
                           "We decided to do it, the two of us.",
                           "We decided to export invoices as CSV files first."]))
    assert [d["decision"] for d in found["decisions"]] == ["We decided to export invoices as CSV files first."]


@pytest.mark.parametrize("statement", [
    "As a user I want to submit that.", "The project manager should be able to feel there.",
    "Drivers should be able to restrict that on the mobile devices.",
    "The user will receive mails, but this shouldn't concern the user, I mean the survey filler, right?",
])
def test_no_draft_story_whose_object_is_a_bare_pronoun_or_a_tag(statement: str) -> None:
    from tools.meeting_points import draft_story as _story

    assert _story(statement, [{"signal_id": "s0", "quote": statement}]) is None


def test_a_rating_scale_is_no_scalability_requirement() -> None:
    from tools.reqtype import classify_requirement

    assert classify_requirement("We have scale questions with a five-point disliking scale.") == ("functional", "F")
    assert classify_requirement("The service must scale to 50,000 concurrent sessions.")[1] == "SC"


def test_a_bare_yes_is_answered_with_what_follows_it() -> None:
    found = extract(plain(["Is there a way to get a swiped card back?", "Yeah.",
                           "We should add an undo button for the last card."], ["Ana", "Ben", "Ben"]))
    assert found["open_questions"] == []
    answers = [q["answer"] for q in found["answered_questions"]]
    assert answers == ["Yeah. We should add an undo button for the last card."]
