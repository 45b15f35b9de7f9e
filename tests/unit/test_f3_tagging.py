"""Incident cues (issue 14) do not read ordinary questions, praise or requests as complaints.

A denied action is an incident only when its object closes the clause or is a transaction ("I didn't make
it.", "I never placed this order"), not a first time ("I haven't done this before"); use by someone else is
not read in a hypothetical question ("can someone ...", "is it possible that someone ..."); "hacked" and
"compromised" need the user's own things ("my account was compromised"). Sentences are written for this
test, not taken from any evaluation set.
"""

from __future__ import annotations

import pytest

from kernel.schemas import SignalType
from memory.tagging import tag_text

S = SignalType
PROBLEMS = {S.BUG, S.COMPLAINT}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
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
def test_ordinary_questions_and_praise_are_not_incidents(text: str, expected: SignalType) -> None:
    stype, _ = tag_text(text)
    assert stype is expected, (text, stype)


def test_request_about_hackers_is_no_complaint() -> None:
    stype, sentiment = tag_text("Protect against hackers with 2FA please")
    assert stype not in PROBLEMS
    assert sentiment >= 0


@pytest.mark.parametrize(
    "text",
    [
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
def test_incidents_still_read_as_problems(text: str) -> None:
    stype, sentiment = tag_text(text)
    assert stype in PROBLEMS, (text, stype)
    assert sentiment < 0
