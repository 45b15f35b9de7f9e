"""A user theme serves a strategy goal only when they are about the same thing (PM review F11/F12).

A library backlog's 'collection' theme shares one common word ('item') with a goal about meeting
capture ('action items'): it must serve no goal. A theme about lost edits serves the sync goal.
The status update's risk line calls a goal stalled only when it got little work beside the others.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agents.deliverables.status import _behind
from tools.alignment import embedding_similarity, theme_goals, theme_text
from tools.scoring import Strategy

STRATEGY = Strategy.from_dict({"goals": [
    {"name": "Trustworthy answers", "weight": 0.4,
     "description": "every answer and draft cites real customer evidence and refuses when the evidence is thin."},
    {"name": "Faster onboarding", "weight": 0.3,
     "description": "a new team can ingest their backlog and get a useful first draft in under ten minutes."},
    {"name": "Meeting capture", "weight": 0.2,
     "description": "turn meeting transcripts into decisions, action items and requirements."},
    {"name": "Reliable sync", "weight": 0.1,
     "description": "No edit is ever silently lost; conflicts are visible and recoverable."},
]})


@pytest.fixture(scope="module")
def similarity():  # type: ignore[no-untyped-def]
    return embedding_similarity()


def test_a_theme_sharing_one_common_word_with_a_goal_serves_none(similarity) -> None:  # type: ignore[no-untyped-def]
    collection = {"label": "collection", "keywords": ["collection", "member", "repository", "support", "team",
                                                      "item", "library", "staff", "access", "material"]}
    assert theme_goals(STRATEGY, [collection], similarity=similarity) == [[]]


def test_a_theme_about_a_goal_serves_it(similarity) -> None:  # type: ignore[no-untyped-def]
    edits = {"label": "edits", "keywords": ["edits", "version", "lost", "history", "version history", "sync",
                                            "conflict", "changes"]}
    meetings = {"label": "meeting notes", "keywords": ["meeting", "transcript", "decisions", "action items",
                                                       "notes", "call"]}
    assert theme_goals(STRATEGY, [edits, meetings], similarity=similarity) == [["Reliable sync"], ["Meeting capture"]]
    assert theme_text(edits).startswith("edits. edits version")


def _goal(name: str, commits: int, share: float, weight: float, split: bool = False) -> SimpleNamespace:
    return SimpleNamespace(goal=name, commits=[f"{i:040x}" for i in range(commits)], share=share, weight=weight,
                           commit_count=commits - (0.5 if split else 0.0))


def test_a_goal_with_real_work_is_behind_not_stalled() -> None:
    busy = _goal("Trustworthy answers", 53, 0.097, 0.4, split=True)
    line = _behind(busy, 499, [53, 110, 115, 2])
    assert "stalled" not in line and "behind its weight" in line
    # one count: the commits its change line lists, never a fraction
    assert "53 of the period's 499 commits, some shared with other goals)" in line
    assert ".5" not in line and "about" not in line
    idle = _goal("Faster onboarding", 2, 0.004, 0.3)
    assert "is stalled" in _behind(idle, 499, [53, 110, 115, 2])
    assert "is stalled" in _behind(_goal("Meeting capture", 0, 0.0, 0.2), 499, [53, 110])
