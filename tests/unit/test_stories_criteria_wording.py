"""A request's and a problem's first criterion reads as grammatical English in the evidence's words."""

from __future__ import annotations

import pytest

from tools.wording import situation_criterion


@pytest.mark.parametrize(("i_want", "then"), [
    ("reports to be exported as PDF", "reports are exported as PDF"),
    ("the admins to approve new users", "the admins are able to approve new users"),
    ("recycling centers to be shown on a map", "recycling centers are shown on a map"),
    ("my data to be encrypted at rest", "their data is encrypted at rest"),
    ("the product to be available 99% of the time", "the product is available 99% of the time"),
    ("the system to perform with 1500 users at a time", "the system is able to perform with 1500 users at a time"),
    ("the status to be shown on the home page", "the status is shown on the home page"),
])
def test_a_request_subject_agrees_with_its_verb(i_want: str, then: str) -> None:
    criterion = situation_criterion("user", "request", i_want, "f00dbeef", "")
    assert criterion.endswith(f"Then {then}"), criterion


def test_a_question_quote_is_quoted_never_retold_in_the_third_person() -> None:
    charged = situation_criterion("user", "problem", "a fix", "abcdef12", "Why was I charged twice?")
    assert "why was they" not in charged.lower()
    assert charged.endswith("Then they no longer have to ask “Why was I charged twice?”")
    locked = situation_criterion("user", "problem", "a fix", "abcdef12", "Is my account locked? It says error 5.")
    assert locked.endswith("Then they no longer have to ask “Is my account locked?”")
    # A report with a question after it still reports the situation.
    failed = situation_criterion("user", "problem", "a fix", "abcdef12", "My card payment failed, what do I do?")
    assert failed.endswith("Then this no longer happens: their card payment failed")


def test_the_action_a_user_could_not_do_stops_before_its_circumstance() -> None:
    login = situation_criterion("user", "problem", "a fix", "abcdef12", "I cannot log in since the update")
    assert login.endswith("When they log in after the change, Then they can log in"), login
    pay = situation_criterion("user", "problem", "a fix", "abcdef12", "I can't pay for my order after the update.")
    assert pay.endswith("When they pay for their order after the change, Then they can pay for their order")
    cash = situation_criterion("user", "problem", "a fix", "abcdef12", "I can't get cash from the ATM")
    assert cash.endswith("Then they can get cash from the ATM")
