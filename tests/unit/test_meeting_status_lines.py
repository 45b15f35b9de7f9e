"""Progress reports, schedules and questions put to someone are no requirements (tools.meeting_points).

Lines written for this test (not from any data set); each rule is checked on reports it must catch and on needs
worded with the same words ("done", "shipped", "finished", a date) that it must leave alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.meeting_points import (
    anecdote,
    asks_someone,
    courtesy,
    extract,
    meeting_chatter,
    progress_report,
    scheduling,
)

REPORTS = [
    "The onboarding wizard is mostly finished.",
    "Dark mode is about eighty percent done.",
    "The importer is 90% complete.",
    "We released the Android build yesterday.",
    "I've fixed the date picker bug.",
    "Payments are live in three countries now.",
    "The new permissions model got merged this morning.",
    "What's left is the translations and the empty states.",
    "We're still working on the Slack integration.",
    "About three weeks of work for two people.",
    "Two weeks for one engineer to finish.",
    "The map view is behind schedule by a week.",
    "Exports are done, imports are in review.",
    "Uh, so the search page is, um, pretty much done.",
]
SCHEDULES = [
    "Let's catch up again on Monday morning.",
    "The demo is scheduled for next Wednesday.",
    "Tuesday doesn't work for me, I'm travelling.",
    "The beta ships after that, with the fixes done now.",
]
#: Needs worded with the reports' words: a modal, a condition, a content clause, "done" saying how.
NEEDS = [
    "Invoices should be marked as paid automatically once the bank confirms.",
    "When a shipment is delivered, the sender gets a notification.",
    "The screen shows which payments are complete and which failed.",
    "Finished reports need to be locked against editing.",
    "We shipped the mobile app, and now customers want to pay inside it.",
    "The upload must be done in the background so people can keep working.",
    "Approval is done by the team lead, not by HR.",
    "Drivers need to mark a delivery as done with one tap.",
    "Once a survey is closed, nobody can change the answers.",
    "It has to be ready for the auditors at the end of each quarter.",
    "The reminder must go out on Monday at nine.",
    "Orders ship within two days of payment.",
    "Every night at two the backup is done on a second server.",
]


@pytest.mark.parametrize("line", REPORTS)
def test_progress_reports_are_chatter(line: str) -> None:
    assert progress_report(line)
    assert meeting_chatter(line)


@pytest.mark.parametrize("line", SCHEDULES)
def test_schedules_are_chatter(line: str) -> None:
    assert scheduling(line)
    assert meeting_chatter(line)


@pytest.mark.parametrize("line", NEEDS)
def test_needs_with_the_same_words_are_not_reports(line: str) -> None:
    assert not progress_report(line)
    assert not scheduling(line)
    assert not meeting_chatter(line)


def test_courtesies_and_anecdotes_are_chatter() -> None:
    for line in ("Nice to meet you all.", "Good morning, everyone.", "Welcome back, everyone.", "Thanks, that helps."):
        assert courtesy(line) and meeting_chatter(line), line
    for line in ("I remember when we used fax machines for this.", "Two years ago we moved everything to the cloud.",
                 "Last month the export crashed twice for one client."):
        assert anecdote(line) and meeting_chatter(line), line
    for line in ("Welcome emails go out to new users.", "Thanks to the new importer, users can upload files.",
                 "Since last year, users must log in with SSO.", "The report lists what was sold last week."):
        assert not courtesy(line) and not anecdote(line), line


def test_a_question_put_to_someone_by_name() -> None:
    assert asks_someone("Mei, what happens if dark mode pauses for six weeks?")
    assert asks_someone("So Ana, do we keep the old export?")
    assert not asks_someone("Mei, the export should keep the old format.")  # a statement addressed to Mei
    assert not asks_someone("What happens if the sync pauses?")  # no one named: the classifier's veto decides
    assert not asks_someone("How, how would you solve this?")  # a stutter, not a name


def test_demo_meeting_files_no_progress_report_as_a_requirement() -> None:
    from memory.ingest.transcripts import parse_vtt

    path = Path(__file__).resolve().parents[2] / "agents" / "demo" / "data" / "meeting_notes_sync.vtt"
    _, turns = parse_vtt(path.read_text(encoding="utf-8"), path)
    rows = [{"signal_id": f"t{i}", "quote": t.text, "speaker": t.speaker} for i, t in enumerate(turns)]
    notes = extract(rows)
    quoted = [q["quote"] for item in notes["requirements"] for q in item["quotes"]]
    assert not [q for q in quoted if "eighty percent done" in q or q.startswith("Mei, what happens")]
    assert not [q for q in quoted if q.startswith("Dark mode ships after that")]
    # the needs said in the same meeting stay
    assert any("must meet WCAG AA contrast" in q for q in quoted)
    assert any("has to finish within two seconds" in q for q in quoted)
    assert len(notes["requirements"]) >= 8


def test_progress_is_reported_apart_quoted_and_rendered() -> None:
    from agents.deliverables import render_markdown

    turns = [{"signal_id": "a1", "speaker": "Mei Tanaka",
              "quote": "Dark mode is about eighty percent done. What's left is the mobile apps. Is that okay?"},
             {"signal_id": "b2", "speaker": "Owen Achterberg",
              "quote": "Fine. Every overwrite that can't be merged must produce a visible conflict."}]
    found = extract(turns)
    assert [p["report"] for p in found["progress"]] == [
        "Dark mode is about eighty percent done. What's left is the mobile apps."]
    assert found["progress"][0]["citations"] == ["a1"] and found["progress"][0]["speaker"] == "Mei Tanaka"
    assert found["progress"][0]["quotes"][0]["quote"] in turns[0]["quote"]  # verbatim span of the turn
    assert [q["quote"] for r in found["requirements"] for q in r["quotes"]] == [
        "Every overwrite that can't be merged must produce a visible conflict."]
    doc = {"kind": "meeting_notes", "mode": "offline", "title": "T", "evidence": [], "progress": found["progress"]}
    md = render_markdown(doc)
    assert "## Progress reported" in md and "Dark mode is about eighty percent done." in md and "[s:a1]" in md
