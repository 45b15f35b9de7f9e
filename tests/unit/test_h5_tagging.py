"""Incident reports with no problem word are problems (issue 14): theft, use by someone else, activity the
user did not do, a machine keeping or not handing back something, getting less or more than due.

The sentences are written for this test across domains (accounts, licences, orders, kiosks), not taken
from any evaluation set.
"""

from __future__ import annotations

import pytest

from kernel.schemas import SignalType
from memory.tagging import tag_text

S = SignalType
PROBLEMS = {S.BUG, S.COMPLAINT}


@pytest.mark.parametrize(
    "text",
    [
        "Someone logged into my account from another country.",
        "My laptop was stolen with the app signed in",
        "I think my account has been hacked",
        "There is a charge on my invoice that I did not authorize",
        "An order I never placed appeared in my history",
        "The app says I bought a plan but I didn't.",
        "Somebody is using my subscription without my permission!",
        "There is unusual activity on our workspace",
        "The kiosk kept my card and would not give it back",
        "The self-checkout didn't give me my change",
        "We were billed for 12 seats, more than we ordered",
        "The order shows up three times on my statement",
        "I got 2 licences when I should've gotten 5",
        "I dont recognize this login",
        "The machine took my ticket.",
    ],
)
def test_incident_reports_without_problem_words_are_problems(text: str) -> None:
    stype, sentiment = tag_text(text)
    assert stype in PROBLEMS, (text, stype)
    assert sentiment < 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "kept my ... safe" is relief, not a machine keeping something
        ("This app kept my notes safe, love it", S.PRAISE),
        ("What happens if someone else uses my account?", S.QUESTION),
        ("How do I give my teammate access?", S.QUESTION),
        ("Thanks, that fixed it", S.PRAISE),
        # a denied incident is no incident
        ("My phone was not stolen, I just forgot the passcode. How do I reset it?", S.QUESTION),
    ],
)
def test_incident_cues_leave_other_readings_alone(text: str, expected: SignalType) -> None:
    assert tag_text(text)[0] is expected


def test_contractions_typed_without_apostrophe_read_as_negations() -> None:
    assert tag_text("the export doesnt work")[0] is S.BUG
    assert tag_text("I cant log in since the update")[0] is S.BUG
    assert tag_text("I cant log in since the update") == tag_text("I can't log in since the update")
