"""The offline writer's wording helpers: subjects read as people write them."""

from __future__ import annotations

import pytest

from tools.wording import capability, example_report, stated_benefit, subject


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
     ("change my PIN", "problem", "to change my PIN"), ("rate for my payment", "request", "rate for my payment"),
     ("card payment was reverted", "problem", "a fix for the “card payment was reverted” problem")],
)
def test_capability_reads_as_a_want(name: str, nature: str, expected: str) -> None:
    assert capability(name, nature) == expected


def test_a_short_report_in_the_users_words_shows_the_capability() -> None:
    evidence = {
        "a": {"quote": "Why did the ATM eat my card? I was only checking my balance at the machine."},
        "b": {"quote": "The ATM would not give my card back."},
        "c": {"quote": "What happens when an ATM keeps the card?"},
        "d": {"quote": "The ATM kept my card (the one ending 1234) and the bank was closed..."},
    }
    problem = example_report(list(evidence), "card back", "problem", evidence)
    assert capability("card back", "problem", problem) == "a fix for “The ATM would not give my card back”"
    question = example_report(list(evidence), "ATM keeps the card", "question", evidence)
    assert capability("ATM keeps the card", "question", question) == \
        "answers to questions like “What happens when an ATM keeps the card?”"
    assert example_report(["d"], "card", "problem", evidence) == ""  # brackets and an ellipsis: not a clean want
