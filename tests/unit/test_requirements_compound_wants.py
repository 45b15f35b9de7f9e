"""A user's want is split into stories only where it asks for two actions; titles name the goal once, whole."""

from __future__ import annotations

import pytest

from agents.deliverables.base import TITLE_CHARS, doc_title
from agents.deliverables.requirements import _names_object, compound


@pytest.mark.parametrize(("want", "two"), [
    ("to have a very clear map where the buildings and rooms are", False),  # one map, of two things
    ("to know all the collections and objects in the DAMS for which I have custodial responsibility", False),
    ("to constrain curatorial access to staff members of my unit and to DAMS managers", False),
    ("to be able to see and edit my children", True),
    ("export and share", True),
    ("sync and dark mode", True),  # two names: two capabilities
    ("to register both staff and kids", False),
])
def test_only_two_actions_or_two_names_are_two_stories(want: str, two: bool) -> None:
    assert compound(want) is two


def test_a_quote_that_is_no_story_backs_a_story_only_when_it_names_its_object() -> None:
    want = "to be added to a training waitlist"
    assert not _names_object(want, "The URL path should be SEO friendly /training/title, so that I can choose a class")
    assert _names_object(want, "Please add a waitlist when a training is full")


def test_titles_name_the_goal_once_and_are_cut_at_a_word() -> None:
    goal = "Requirements for how attendees and trainers find sessions, rooms and training information at the conference"
    assert doc_title("Requirements", goal) == ("Requirements: How attendees and trainers find sessions, rooms and "
                                               "training information at the conference")
    assert doc_title("Brief (exec)", "Draft a brief on sync conflicts") == "Brief (exec): Sync conflicts"
    assert doc_title("Requirements", "Why do exports fail?") == "Requirements: Why do exports fail?"
    long = doc_title("Requirements", "sync " * 40)
    assert len(long) <= TITLE_CHARS and long.endswith("sync…")


def test_a_clause_after_and_is_no_story_of_its_own() -> None:
    from agents.deliverables.requirements import _CLAUSE, _split_atomic

    want = "to deploy a new version of the app that includes it and I expect that all instances start using it"
    parts = [p for p in _split_atomic(want) if not _CLAUSE.match(p)]
    assert parts == ["to deploy a new version of the app that includes it"]


def test_an_earlier_run_that_left_the_choice_to_the_pm_is_no_earlier_decision() -> None:
    from agents.deliverables.base import decisions_about_goal

    topics = [{"signal_ids": ["s1", "s2"]}]
    undecided = {"run_id": "r1", "question": "Requirements for sync", "citations": ["s1"],
                 "recommendation": "[PM to decide]: which need to start with"}
    decided = {**undecided, "run_id": "r2", "recommendation": "Start with sync conflicts: 2 signals."}
    assert [d["run_id"] for d in decisions_about_goal([undecided, decided], topics, ["sync"])] == ["r2"]
