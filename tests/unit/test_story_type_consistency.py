"""A story's ``type`` is one decision with the criteria and the success metric built for its requirement type.

The type was read from the topic's name and the whole source quote (its benefit too), the criteria and metric from
what is asked for: 'keep every version of a record, so that … nobody can tamper with it' was typed non-functional
with an adoption metric and no security test. Sentences are written for these tests, in the style of requirement
documents and user stories, not copied from a data set.
"""

from __future__ import annotations

from typing import Any

import pytest

from agents.deliverables.requirements import (
    RequirementsDraft,
    StoryDraft,
    complete_requirements,
    draft_requirements,
    quality_code,
    story_type,
)
from tests.unit.test_stories_roles_limits import _materials, _topic
from tests.unit.test_story_writing_evidence import rows

ADOPTION = "use it within"
#: What the criterion of each quality says (requirements.type_criterion), and its success metric (_metric).
MARKS = {"SE": "attack", "PE": "concurrent users", "A": "uptime", "US": "succeed"}
METRICS = ("attack scenarios", "percentile", "uptime", "task success", "[PM to decide] — a ")

CASES = [
    # (quote, topic name): a functional want with a quality-sounding benefit, and the reverse
    ("As a curator, I want to keep every version of a record, so that its history keeps its integrity and nobody "
     "can tamper with it.", "record versions"),
    ("As a clerk, I want to export the loan list as a spreadsheet so that the data stays secure and private.",
     "loan list export"),
    ("As an auditor, I want to print the monthly ledger so that reports load fast for the board.", "monthly ledger"),
    ("The portal shall block repeated login attempts from intruders so that members can order books.",
     "login attempts"),
    ("Search results shall be fast for every librarian.", "search speed"),
    ("The booking service shall have no downtime on weekdays.", "booking downtime"),
    ("The catalogue shall be intuitive for volunteers so that they can export lists.", "intuitive catalogue"),
    ("Librarians want to export the loan list as a spreadsheet.", "loan list export"),
    ("The software shall comply with the state archive regulations.", "archive regulations"),
]


def _doc(quote: str, name: str) -> dict[str, Any]:
    evidence = rows([quote])
    return draft_requirements(_materials(evidence, [_topic("t1", name, list(evidence), 5.0)], f"Requirements: {name}"))


@pytest.mark.parametrize(("quote", "name"), CASES)
def test_the_type_agrees_with_the_criteria_and_metric_of_its_requirement_type(quote: str, name: str) -> None:
    doc = _doc(quote, name)
    story, metric = doc["stories"][0], doc["success_metrics"][0]
    text = " | ".join(story["acceptance_criteria"]) + " | " + metric
    if story["type"] == "functional":
        assert ADOPTION in metric, (story["type"], metric)
        assert not any(mark in text for mark in MARKS.values()), text
    else:
        assert ADOPTION not in metric, (story["type"], metric)
        assert any(mark in metric for mark in METRICS), metric


def test_a_functional_want_with_a_quality_benefit_is_functional_and_the_reverse_is_not() -> None:
    versions = _doc(*CASES[0])["stories"][0]
    export = _doc(*CASES[1])["stories"][0]
    block = _doc(*CASES[3])
    assert versions["type"] == export["type"] == "functional"
    assert block["stories"][0]["type"] == "non-functional"
    assert "attack scenarios" in block["success_metrics"][0]


def test_story_type_is_the_quality_code_s() -> None:
    assert story_type("F") == "functional"
    assert all(story_type(code) == "non-functional" for code in MARKS)
    assert story_type(quality_code("to block repeated login attempts from intruders")) == "non-functional"
    assert story_type(quality_code("to print the monthly ledger")) == "functional"


def test_a_model_s_story_is_typed_by_what_it_asks_for_not_its_benefit() -> None:
    evidence = rows([CASES[1][0], CASES[3][0]])
    m = _materials(evidence, [_topic("t1", "loans", list(evidence), 5.0)], "Requirements: loans")
    draft = RequirementsDraft(problem="p", goals=["g"], non_goals=[], open_questions=[], success_metrics=[], stories=[
        StoryDraft(as_a="clerk", i_want="to export the loan list as a spreadsheet",
                   so_that="the data stays secure and private", citations=["s0"],
                   acceptance_criteria=["Given a clerk, When they export, Then a spreadsheet downloads"]),
        StoryDraft(as_a="member", i_want="the portal to block repeated login attempts from intruders",
                   so_that="I can order books", citations=["s1"],
                   acceptance_criteria=["Given an attacker, When they retry, Then they are blocked"]),
    ])
    stories = complete_requirements(draft, m)["stories"]
    assert [s["type"] for s in stories] == ["functional", "non-functional"]


def test_a_problem_story_s_metric_counts_the_reports_its_criterion_counts() -> None:
    """The metric cited the topic's first signal (a meeting aside) with all its signals' rate (2.2/week); the
    criterion a report with the reports' baseline (1 report/week). Now both name the same report and baseline."""
    quotes = ["Sync loses my edits every time I reconnect.", "Please include someone who can talk about sync.",
              "Sync between my phone and laptop loses edits."]
    evidence = rows(quotes, signal_type="bug")
    evidence["s1"]["signal_type"] = "other"
    doc = draft_requirements(_materials(evidence, [_topic("t1", "sync", list(evidence), 5.0)], "Requirements: sync"))
    story, metric = doc["stories"][0], doc["success_metrics"][0]
    criterion = next(c for c in story["acceptance_criteria"] if "new reports like" in c)
    mark = criterion.split("new reports like ")[1].split()[0]
    base = criterion.split("(baseline: ")[1].rstrip(")")
    assert mark in metric and base in metric, (criterion, metric)
    assert "[s:s1]" not in metric and "2 reports in the period" in metric
