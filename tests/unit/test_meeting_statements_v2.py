"""Requirement statements: the general form cues (actor + modal, user-story form, question kind, discourse share)
carry the shipped model to written requirements it never saw, one line at a time; conversation stays out."""

from __future__ import annotations

from collections import Counter

import pytest

from tools.statements import HAND_FEATURES, classify_statements, explicit_requirement, hand_features

#: Written for this test (no data set's wording): a user story or a requirement, each read on its own.
WRITTEN = [
    "As a clinic receptionist, I want to see the next free appointment slot so that I can book callers quickly.",
    "As a warehouse picker, I want the scanner to show the shelf location of each item.",
    "As an auditor, I want to download the access log for a chosen month.",
    "As a teacher, I want to copy last year's course outline into a new term.",
    "As a volunteer, I want a reminder the day before my shift.",
    "The driver can mark a parcel as delivered from the lock screen.",
    "Tenants are able to report a broken heater with a photo attached.",
    "Librarians can renew a loan for a member who calls in.",
    "The app should remember the last filter a planner used.",
]
CONVERSATION = [
    "Yeah, I think that makes sense.", "Let me just find my notes.", "Okay, shall we move on to the next point?",
    "Sorry, can you repeat that?", "I'm not sure, to be honest.", "That's a good question, I'd have to check.",
    "Oh wait, someone is at the door.", "Right, so where were we?", "Thanks everyone for joining today.",
]


@pytest.mark.parametrize("text", WRITTEN)
def test_a_written_requirement_alone_is_a_requirement(text: str) -> None:
    (statement,) = classify_statements([text])
    assert statement.is_requirement, statement.score


def test_conversation_is_no_requirement() -> None:
    labelled = classify_statements(CONVERSATION)
    assert [s.text for s in labelled if s.is_requirement] == []


def features(text: str) -> dict[str, float]:
    return dict(zip(HAND_FEATURES, hand_features(text, Counter()), strict=True))


def test_form_cues() -> None:
    assert features("The manager should approve each request.")["actor_modal"] == 1.0
    assert features("I should approve it tomorrow.")["actor_modal"] == 0.0
    assert features("As a tenant, I want to pay rent online.")["story_form"] == 1.0
    asked = features("So how would the export work?")
    assert (asked["wh_question"], asked["yes_no_question"]) == (1.0, 0.0)
    asked = features("Do we support exports?")
    assert (asked["wh_question"], asked["yes_no_question"]) == (0.0, 1.0)
    assert features("Yeah, so I think, um, that's it.")["discourse_share"] > 0.5
    assert features("Invoices list every tax line per country.")["discourse_share"] == 0.0


def test_an_obligation_to_talk_or_check_is_not_explicit() -> None:
    assert not explicit_requirement("That's a good question, I'd have to check.")
    assert not explicit_requirement("We have to discuss the pricing with finance first.")
    assert explicit_requirement("Users have to confirm their email address before the first login.")
