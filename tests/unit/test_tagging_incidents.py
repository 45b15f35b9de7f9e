"""Incident reports with no problem word are problems (issue 14): theft, use by someone else, activity the
user did not do, a machine keeping or not handing back something, getting less or more than due.

Ordinary questions, praise and requests around the same words are not: a denied action followed by
"before / yet / anything special" is a first time, "someone ..." in a hypothetical question is no use by
someone else, "hacked" / "compromised" need the user's own things. The sentences are written for this test
across domains (accounts, licences, orders, kiosks), not taken from any evaluation set.
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
        # incidents the narrowed cues must still read
        "My account was compromised last night",
        "Hackers got into our workspace",
        "Somebody hacked my profile",
        "I didn't make it.",
        "I never placed this order",
        "There is a payment on my statement I did not make",
        "We never signed up for this subscription and want our money back",
        "Did someone use my card? There is a charge from another city",
        "Could you block it? Someone used my card in a shop",
        "A refund appeared in my history that I never made.",
        "There is a strange charge on my bill. I haven't bought anything for that price.",
        "Someone took cash out, I did not withdraw any money",
        "I think my profile has become compromised",
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
        # ordinary questions and praise around the same words (review of the incident cues)
        # a negated action followed by "before / yet / anything special" is a first time, not an incident
        ("I haven't done this before, how do I export a report?", S.QUESTION),
        ("I have not set up a workspace yet, how do I start?", S.QUESTION),
        ("I never made a dashboard before, how do I begin?", S.QUESTION),
        ("I never set up a recurring export, can I?", S.QUESTION),
        ("I did not do anything special and it just worked, love it", S.PRAISE),
        # "someone ..." in a hypothetical question
        ("Can someone use the API with a token?", S.QUESTION),
        ("Is it possible that someone used my card?", S.QUESTION),
        ("What if someone accessed the shared dashboard?", S.QUESTION),
        # "more / less than we expected" is no shortfall
        ("We love it more than we expected", S.PRAISE),
        ("It cost less than we expected, great value", S.PRAISE),
        # "compromised" / "hackers" without the user's own account
        ("We compromised on the design and it works well", S.PRAISE),
    ],
)
def test_incident_cues_leave_other_readings_alone(text: str, expected: SignalType) -> None:
    assert tag_text(text)[0] is expected


def test_contractions_typed_without_apostrophe_read_as_negations() -> None:
    assert tag_text("the export doesnt work")[0] is S.BUG
    assert tag_text("I cant log in since the update")[0] is S.BUG
    assert tag_text("I cant log in since the update") == tag_text("I can't log in since the update")


def test_request_about_hackers_is_no_complaint() -> None:
    stype, sentiment = tag_text("Protect against hackers with 2FA please")
    assert stype not in PROBLEMS
    assert sentiment >= 0
