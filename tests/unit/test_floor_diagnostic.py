"""A goal part that keeps almost nothing while many candidates name its key words says so (PM review defect 7).

On promise-nfr, "system availability" kept 2 of 100 candidates while requirements such as "The system shall be
available …" sat below the relevance floor; the documents said only "too little evidence". The diagnostic
(:func:`tools.research.lexical_matches`) counts candidates judged off topic that name the part's key terms (in any
form of the word) and records it in ``run.json`` (``research[].floor.lexical_matches``) without changing what is kept.
The texts below are written for this test.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from memory import api
from tests.support.workspace import offline_home
from tools.relevance import Retrieval, search_relevant
from tools.research import (
    FEW_KEPT,
    MANY_MENTIONS,
    GoalRetrieval,
    floor_note,
    lexical_matches,
    mentions,
    same_family,
)

WS = "uptime"
ABOUT = [
    "The portal must be available to staff from 7am to 10pm on weekdays.",
    "Customers expect the booking site to be available during public holidays too.",
    "The reporting service shall be available 99 percent of the time each month.",
    "Payroll screens should stay available while the nightly batch runs.",
    "The app was not available for two hours on Monday morning.",
    "Make the archive available to remote researchers over the weekend.",
    "Inventory lookups must remain available when one server fails.",
]
OTHER = [
    "Exporting a report to a spreadsheet loses the column headers.",
    "Passwords must be at least twelve characters long.",
    "The colour of the save button is hard to see on a dark screen.",
    "Please add a way to tag invoices with a project code.",
    "Search results should be sorted by date by default.",
    "The onboarding tour is too long and cannot be skipped.",
    "Managers want a weekly summary email of open tasks.",
    "Attachments larger than ten megabytes fail to upload.",
    "The calendar should show public holidays for each country.",
    "Printing a receipt cuts off the last line of text.",
    "Allow users to change the language of the interface.",
    "Notifications arrive twice when the phone is locked.",
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("floor-diagnostic")
    path = base / "requirements.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "created_at", "text"])
        writer.writerows((f"r{i}", "2026-01-05", text) for i, text in enumerate(ABOUT + OTHER))
    with offline_home(base / "home"):
        api.ingest([Path(path)], WS, kind="ticket")
        yield WS


def _judged(found: Retrieval, kept: int) -> Retrieval:
    """The same candidates with only the ``kept`` best kept, as if the floor had judged the rest off topic."""
    pool = [*found.kept, *found.dropped]
    return replace(found, kept=pool[:kept], dropped=pool[kept:], unfocused=[])


def test_word_families() -> None:
    assert same_family("availability", "available") and same_family("respond", "response")
    assert same_family("recovery", "recover") and not same_family("backup", "back")
    assert not same_family("availability", "avail")
    assert mentions({"availability": 3.0, "system": 1.0}, "The system shall be available at night.") == {
        "availability": "available", "system": "system"}


def test_many_candidates_naming_the_key_terms_are_reported_when_a_part_keeps_one(workspace: str) -> None:
    found = _judged(search_relevant(workspace, "service availability", candidates=60), kept=1)
    diagnostic = lexical_matches(workspace, "service availability", found)
    assert diagnostic is not None
    assert diagnostic["count"] >= MANY_MENTIONS and diagnostic["below_floor"] == diagnostic["count"]
    assert diagnostic["count"] <= len(ABOUT)  # only texts that name availability in some form
    assert diagnostic["terms"][0] == "availability" and diagnostic["forms"][0] == "available"
    note = diagnostic["note"]
    assert note.startswith(f"{diagnostic['count']} of the {found.searched} signals searched for 'service availability'")
    assert "'availability' (as 'available')" in note and "judged off-topic" in note and "1 kept" in note
    assert "check the goal's wording" in note and "docs/agents.md" in note and "tuning the floor" in note


def test_no_diagnostic_when_enough_is_kept_or_nothing_names_the_terms(workspace: str) -> None:
    found = search_relevant(workspace, "service availability", candidates=60)
    assert lexical_matches(workspace, "service availability", _judged(found, kept=FEW_KEPT + 1)) is None
    off = _judged(search_relevant(workspace, "matchmaking lag in online games", candidates=60), kept=0)
    assert lexical_matches(workspace, "matchmaking lag in online games", off) is None


def test_the_diagnostic_goes_to_the_floor_record_and_changes_nothing_kept(workspace: str) -> None:
    found = _judged(search_relevant(workspace, "service availability", candidates=60), kept=1)
    diagnostic = lexical_matches(workspace, "service availability", found)
    assert diagnostic is not None
    goal = GoalRetrieval.of(found, diagnostic)
    assert goal.kept == found.kept and goal.dropped == found.dropped and goal.searched == found.searched
    record = {"question_id": "q1", **goal.stats()}
    assert record["kept"] == 1 and record["floor"]["lexical_matches"] == diagnostic
    assert record["floor"]["probability"] == found.stats()["floor"]["probability"]
    assert floor_note(record) == diagnostic["note"]
    assert "lexical_matches" not in GoalRetrieval.of(found, None).stats()["floor"]
    assert floor_note({"floor": {}}) == "" and floor_note({}) == ""


def test_the_documents_name_the_diagnostic_for_a_part_with_too_little_evidence() -> None:
    from agents.deliverables.base import uncovered_parts
    from agents.planner import offline_plan

    plan = offline_plan("Draft requirements for search response time and system availability", ["requirements"], None)
    parts = [q for q in plan["questions"] if q["scope"] == "search"]
    evidence = {"a": {"quote": "Search response time is awful", "questions": [parts[0]["id"]], "score": 0.8},
                "c": {"quote": "Uptime was poor all week", "questions": [parts[1]["id"]], "score": 0.8}}
    note = ("9 of the 100 signals searched for 'system availability' mention 'availability' (as 'available') but "
            "were judged off-topic (9 below the relevance floor; 1 kept): check the goal's wording, or see "
            "docs/agents.md ('Relevance and abstention') on tuning the floor.")
    research = [{"question_id": parts[0]["id"], "searched": 100, "kept": 2},
                {"question_id": parts[1]["id"], "searched": 100, "kept": 1,
                 "floor": {"lexical_matches": {"count": 9, "note": note}}}]
    lines = uncovered_parts(plan, research, [{"signal_ids": ["a"]}], evidence)
    assert lines == [f"Too little evidence for 'system availability', a part of the goal: 1 signal kept of 100 "
                     f"searched. {note}"]
    research[1]["floor"] = {}
    assert "judged off-topic" not in uncovered_parts(plan, research, [{"signal_ids": ["a"]}], evidence)[0]
