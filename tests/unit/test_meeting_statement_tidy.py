"""Tidy spoken requirements (tools.statements.tidy_requirement) on lines from other products than the dev meeting.

The shipped model, fitted on one rambling meeting, scored "When a slot frees up, the first patient on the waiting
list should get an offer." -0.75 (no requirement); each line here is written for another product (clinic, parcel
delivery, lettings, invoicing) or is meeting talk in the style of bench.meeting_tidy's.
"""

from __future__ import annotations

import pytest

from bench.meeting_tidy import TALK, said_requirement, said_story
from tools.statements import classify_statements, tidy_requirement

SAID = [
    "When a slot frees up, the first patient on the waiting list should get an offer.",
    "If a parcel is refused, the depot should get a note with the reason.",
    "Each invoice should show the tax number of the client.",
    "So, the caretaker should be able to close a repair job from his phone.",
    "It should refresh the display every 60 seconds.",
    "We need it to send the monthly statement as a PDF.",
    "Tenants can upload a photo of the damage with each report.",
]
NOT_SAID = [
    "We should ask Jane, she knows the old process.",
    "I have to jump to another call at ten.",
    "I'm out next week, so Tom will cover for me.",
    "Maybe the driver should get a text, I'm not sure.",
    "When is the next release planned?",
    "Should the courier app work without a signal?",
    "Let's say a tenant reports a leak.",
    "And those drivers can then decide if the routes are good or not.",  # what they decide is said elsewhere
    "In theory the depot should be able to do that.",
]


@pytest.mark.parametrize("text", SAID)
def test_a_plainly_stated_need_is_a_requirement_alone(text: str) -> None:
    assert tidy_requirement(text)
    (statement,) = classify_statements([text])
    assert statement.is_requirement, statement.score


@pytest.mark.parametrize("text", NOT_SAID)
def test_hedges_questions_and_the_speakers_own_plans_are_no_tidy_need(text: str) -> None:
    assert not tidy_requirement(text)


def test_meeting_talk_stays_out() -> None:
    called = [s.text for s in classify_statements(list(TALK[1::2])) if s.is_requirement]  # bench's held-out half
    assert called == []


def test_the_spoken_transforms_are_general_and_deterministic() -> None:
    assert said_requirement("'The system shall refresh the display every 60 seconds.'", 0) == (
        "It should refresh the display every 60 seconds.")
    assert said_requirement("The product shall be available 99% of the time.", 1) == (
        "So, we need it to be available 99% of the time.")
    assert said_story("As a clinic receptionist, I want to see my calendar, so that I can plan.", 0) == (
        "Clinic receptionists want to be able to see their calendar, so that they can plan.")
    assert said_story("As an auditor, I want to download the access log.", 1) == (
        "So, the auditor should be able to download the access log.")
    assert said_story("Not a story at all.", 0) is None
