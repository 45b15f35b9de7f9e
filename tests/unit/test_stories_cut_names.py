"""A name or title cut before its verb ('Response time shall') is completed by the writer and flagged by the check."""

from __future__ import annotations

from tools.story_quality import complete_phrase, review_requirements

# PROMISE NFR: the topic 'response time shall' comes from requirement statements.
NFR = [
    "The response time shall be no longer than 2 seconds for 90% of the searches.",
    "The response time shall be under 5 seconds when the system is under peak load.",
]


def test_a_name_ending_on_a_modal_is_completed_without_it() -> None:
    for modal in ("shall", "must", "should", "will", "can"):
        assert complete_phrase(f"response time {modal}", NFR) == "response time"


def test_the_check_flags_a_title_ending_on_a_modal() -> None:
    story = {"as_a": "user", "i_want": "the system to respond within 2 seconds", "so_that": "[PM to decide]",
             "title": "Response time shall", "citations": ["n0", "n1"],
             "acceptance_criteria": ["Given a search, When it runs, Then it responds within 2 seconds"]}
    evidence = {f"n{i}": {"quote": q} for i, q in enumerate(NFR)}
    doc = review_requirements({"stories": [story]}, evidence)
    flags = doc["stories"][0]["flags"]
    assert any("'Response time shall' is cut: 'Response time'" in f for f in flags), flags
