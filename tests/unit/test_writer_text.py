"""The offline writer's wording helpers: subjects read as people write them."""

from __future__ import annotations

import pytest

from agents.writer import subject


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Fix sync bugs", "sync"),
        ("Building dark mode", "dark mode"),
        ("SSO", "SSO"),
        ("Invest in SSO", "SSO"),
        ("iOS app crashes", "iOS app"),
        ("Improving GitHub integration", "GitHub integration"),
        ("Markdown export", "markdown export"),
        ("sync (conflicted)", "sync (conflicted)"),
    ],
)
def test_subject_strips_lead_verbs_and_problem_words_and_keeps_acronyms(name: str, expected: str) -> None:
    assert subject(name) == expected
