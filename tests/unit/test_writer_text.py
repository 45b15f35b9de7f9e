"""The offline writer's wording helpers: subjects read as people write them."""

from __future__ import annotations

import pytest

from agents.writer import capability, stated_benefit, subject


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


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        ("Please add offline mode so that I can edit notes on the train.", "I can edit notes on the train"),
        ("I need exports in order to file my monthly report.", "I can file my monthly report"),
        ("Sync has to be fixed, otherwise I lose my edits every week.", "I don't lose my edits every week"),
        ("We want dark mode because we need to work late at night.", "I can work late at night"),
        ("Dark mode please!", None),
        ("The app is so slow.", None),
        ("I keep the phone open so that that part is.", None),
    ],
)
def test_so_that_comes_from_a_benefit_the_quote_states(quote: str, expected: str | None) -> None:
    assert stated_benefit(quote) == expected


def test_a_quote_cut_at_its_length_limit_gives_no_benefit() -> None:
    cut = "I would love a proper export of every notebook to markdown " * 4 + "so that I can move my archive to"
    assert stated_benefit(cut[:238]) is None


@pytest.mark.parametrize(
    ("name", "nature", "expected"),
    [("dark mode", "request", "dark mode"), ("add dark mode", "request", "dark mode"),
     ("change my PIN", "problem", "to change my PIN"), ("card payment was reverted", "problem",
                                                        "a fix for the “card payment was reverted” problem")],
)
def test_capability_reads_as_a_want(name: str, nature: str, expected: str) -> None:
    assert capability(name, nature) == expected
