"""A story's role, "I want", benefit and situation quote come from one cited quote, never a mix of several."""

from __future__ import annotations

from typing import Any

from agents.deliverables.base import Materials
from agents.deliverables.requirements import story_from_topic
from tests.unit.test_story_writing_evidence import rows
from tools.wording import PM

# g04-recycling (user-stories): 'recycling center information' is asked for by an admin and a superuser, and
# most cited quotes are users'.
RECYCLING = [
    "As a user, I want to view all locations of recycling centers on a map, so that I can check which routes "
    "to take to drop off waste.",
    "As an admin, I want to add recycling center information, so that I can keep the database up-to-date "
    "over time.",
    "As a superuser, I want to update the recycling center information, so that I can provide the latest "
    "information about the recycling center.",
    "As a user, I want to be able to get the hours of each recycling facility, so that I can arrange drop-offs "
    "on my off days or during after-work hours.",
    "As a user, I want to be able to enter my zip code and get a list of nearby recycling facilities, so that "
    "I can determine which ones I should consider.",
]


def materials(evidence: dict[str, Any]) -> Materials:
    return Materials(goal="g", focus="g", audience="exec", mode="offline", evidence=evidence, topics=[],
                     criteria={}, findings=[], decisions=[], has_strategy=False)


def topic(evidence: dict[str, Any], name: str) -> dict[str, Any]:
    rice = {"score": 10.0, "reach": 5, "impact": 1, "confidence": 0.8, "effort": 1, "effort_source": "default"}
    return {"name": name, "signal_ids": list(evidence), "ranked": True, "rice": rice}


def test_role_want_benefit_and_situation_come_from_the_quote_the_want_is_taken_from() -> None:
    evidence = rows(RECYCLING)
    story = story_from_topic(topic(evidence, "recycling center information"), materials(evidence), 1)  # type: ignore[arg-type]
    assert story["i_want"] == "to add recycling center information"
    # The admin's quote gives the want: its role and its so-that too (was 'user' and the superuser's benefit).
    assert story["as_a"] == "admin"
    assert story["so_that"] == "I can keep the database up-to-date over time"
    assert "[s:s1]" in story["acceptance_criteria"][0]
    assert story["acceptance_criteria"][0].startswith("Given an admin who asked for it in [s:s1]")


def test_a_source_quote_without_a_benefit_leaves_it_to_the_pm() -> None:
    evidence = rows(["As an admin, I want to add recycling center information.", RECYCLING[2]])
    story = story_from_topic(topic(evidence, "recycling center information"), materials(evidence), 1)  # type: ignore[arg-type]
    assert story["i_want"] == "to add recycling center information"
    assert story["as_a"] == "admin"
    assert story["so_that"] == PM  # never the superuser's so-that
