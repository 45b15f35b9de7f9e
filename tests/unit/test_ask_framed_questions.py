"""Questions framed as a complaint or as a kind of statement are searched by their subject (agents.ask.search_question).

PM review 3 F4/F10: "What goes wrong when customers top up their account?" quoted 3 auto top-up requests (none
about a failure) while a 1,000-message BANKING77 slice holds ~36 failed, reverted and pending top-ups; "Which fees
annoy customers the most?" found 3 messages of ~94 about fees; "What rules apply to passwords and logins?" was
refused because the evidence "does not mention 'rules'". The real-data part asks such questions, worded apart from
the reviewer's, on BANKING77 train messages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.ask import SPLIT_EVIDENCE, ask_users, search_question
from tests.support.banking77 import banking_workspace
from tests.support.services import require_shared_data


@pytest.mark.parametrize(("question", "searched"), [
    ("What goes wrong when customers send a transfer?", "problems with send a transfer"),
    ("Which charges frustrate customers the most?", "problems with charges"),
    ("What is bothering customers most about cash withdrawals?", "problems with cash withdrawals"),
    ("What are the biggest problems customers have with their card payments?", "problems with their card payments"),
    ("What requirements apply to backups and recovery?", "backups and recovery"),
    ("What rules apply to user access and authentication?", "user access and authentication"),
    ("What constraints apply to the user interface?", "the user interface"),
    ("What keeps going wrong when people top up?", "problems with top up"),
])
def test_a_framed_question_searches_its_subject(question: str, searched: str) -> None:
    assert search_question(question) == searched


@pytest.mark.parametrize("question", [
    "Why do customers' card payments get declined?",
    "How long are people waiting for their new card to arrive?",
    "What do customers say about fees?",
    "Which browsers must be supported?",
    "What problems do users report?",  # names no subject: the broad overview's, not a search
])
def test_any_other_question_is_searched_as_written(question: str) -> None:
    assert search_question(question) == question


FAILED = {"top_up_failed", "top_up_reverted", "pending_top_up"}
CHARGED = {"transfer_fee_charged", "card_payment_fee_charged", "cash_withdrawal_charge", "exchange_charge"}
INTENTS = (*sorted(FAILED), "automatic_top_up", "top_up_limits", *sorted(CHARGED), "card_arrival", "change_pin",
           "lost_or_stolen_card")


def test_complaint_questions_quote_the_complaints(tmp_path: Path) -> None:
    require_shared_data("banking77", "train.csv")
    with banking_workspace(tmp_path, "framed", INTENTS, 12, themes=True) as label:
        failing = ask_users("What goes wrong when people top up their balance?", "framed", offline=True)
        assert not failing.insufficient_evidence
        assert failing.question == "What goes wrong when people top up their balance?"  # as asked
        quotes = [label[c.signal_id] for c in failing.evidence]
        assert len(quotes) >= 3 and sum(q in FAILED for q in quotes) >= len(quotes) - 1, quotes
        assert failing.relevant_signals >= 12  # of the 36 failures, not a handful

        fees = ask_users("Which fees annoy customers the most?", "framed", offline=True)
        assert not fees.insufficient_evidence
        quotes = [label[c.signal_id] for c in fees.evidence]
        assert quotes and all(q in CHARGED for q in quotes), quotes
        assert fees.relevant_signals >= SPLIT_EVIDENCE  # more than the thin answer as worded
