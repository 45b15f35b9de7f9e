"""A "which segment / plan / account" question keeps its who-scope line whatever follows the noun.

The exclusions for an intention or a cause ("what plans to add SSO", "what plans are there for SSO",
"what accounts for the drop") apply after "what" only: after "which" the noun is the thing asked about.
"""

from __future__ import annotations

import pytest

from agents.ask import _WHICH


@pytest.mark.parametrize("question", [
    "Which accounts do we lose to the competitor?",
    "Which tiers do you see churning?",
    "Which segments to prioritise for the export feature?",
    "Which plans are there complaints about?",
    "Which accounts for the enterprise tier complain most?",
    "Whose accounts do we lose?",
])
def test_a_which_question_asks_who_whatever_follows(question: str) -> None:
    assert _WHICH.search(question)


@pytest.mark.parametrize(("question", "who"), [
    ("What plans to add SSO?", False),
    ("What plans are there for SSO?", False),
    ("What plans do we have to fix exports?", False),
    ("What accounts for the drop in signups?", False),
    ("What segments are asking to add SSO?", True),
    ("What plan tiers ask for SSO?", True),
])
def test_after_what_an_intention_or_a_cause_is_still_no_who_question(question: str, who: bool) -> None:
    assert bool(_WHICH.search(question)) is who
