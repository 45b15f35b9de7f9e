"""PII redaction on realistic text, and the numbers it must leave alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import pii
from kernel.pii import Redactor, iban_valid, luhn_valid, redact
from kernel.settings import get_settings

R = Redactor()


def red(text: str) -> str:
    return R.redact(text)[0]


def test_support_ticket_with_signature() -> None:
    ticket = (
        "Hi team,\n\nThe CSV export drops the last column since v4.2.1 (order #4829-1193-22).\n"
        "Card on file is 4242 4242 4242 4242, please refund to IBAN GB82 WEST 1234 5698 7654 32.\n\n"
        "Best regards,\nMaria Gonzalez\nHead of Finance Ops, Northwind\n"
        "maria.gonzalez@northwind.example | +1 (415) 555-0132 | Mobile: 07700 900123\n"
        "Northwind Ltd, 55 Water Street, Suite 400, New York, NY 10041"
    )
    out, changed = R.redact(ticket)
    assert changed
    assert out == (
        "Hi team,\n\nThe CSV export drops the last column since v4.2.1 (order #4829-1193-22).\n"
        "Card on file is [CARD], please refund to IBAN [IBAN].\n\n"
        "Best regards,\nMaria Gonzalez\nHead of Finance Ops, Northwind\n"
        "[EMAIL] | [PHONE] | Mobile: [PHONE]\n"
        "Northwind Ltd, [ADDRESS]"
    )


def test_call_transcript_reading_numbers_aloud() -> None:
    turns = {
        "Sure, my cell is 415 555 0132, or the office line 415.555.0199.": (
            "Sure, my cell is [PHONE], or the office line [PHONE]."
        ),
        "You can call me on plus 44 20 7946 0958 after 5.": "You can call me on [PHONE] after 5.",
        "My direct number is 5550132, extension 22.": "My direct number is [PHONE], extension 22.",
        "The card number is 5555 5555 5555 4444 and it expires 09/28.": (
            "The card number is [CARD] and it expires 09/28."
        ),
        "We're at 1600 Amphitheatre Parkway, Mountain View.": "We're at [ADDRESS].",
        "Ship it to 12 Oak Drive, Austin, TX 78701 please.": "Ship it to [ADDRESS] please.",
        "Bureau Paris: 01 42 68 53 00, Berlin +49 30 1234567.": "Bureau Paris: [PHONE], Berlin [PHONE].",
    }
    for said, expected in turns.items():
        assert red(said) == expected


@pytest.mark.parametrize(
    "secret",
    [
        "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "sk-AbCdEfGhIjKlMnOpQrStUvWx",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_1234567890abcdefghijABCDEFGHIJ123456",
        "gho_1234567890abcdefghijABCDEFGHIJ123456",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKl",
        "xoxp-123456789012-abcdef",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    ],
)
def test_tokens(secret: str) -> None:
    assert red(f"our key is {secret} (rotated)") == "our key is [SECRET] (rotated)"


def test_key_value_secrets_keep_the_key() -> None:
    text = 'curl -H "Authorization: Bearer 9f8e7d6c5b4a39281706abcd" with password=hunter22 and api_key: "s3cr3t-v@lue"'
    assert red(text) == (
        'curl -H "Authorization: Bearer [SECRET]" with password=[SECRET] and api_key: [SECRET]'
    )
    assert red("client_secret=abc123def456") == "client_secret=[SECRET]"


def test_emails() -> None:
    assert red("Contact j.smith+billing@acme-uk.co.uk or ops@x.io.") == "Contact [EMAIL] or [EMAIL]."


@pytest.mark.parametrize(
    "text",
    [
        "Released on 2026-03-01 at 10:30, then 03/01/2026 and 01.03.2026 and 1 March 2026.",
        "Upgrade from v4.2.1 to 10.15.7 (build 2026.03.1) fixed it; see RFC 7231 section 6.5.1.",
        "Order #4829-1193-22, invoice INV-2026-000123, ticket 48213 and order number 123-456-7890.",
        "It costs $1,299.00 per year, or 1 299,00 EUR, or 12k ARR for 350 seats.",
        "Standup runs 09:15-09:30 and 10:30 - 11:45, room 402, floor 3.",
        "Growth: 2019 2020 2021 2022 and 45% of 120000 users; latency p95 1450 ms.",
        "IP 192.168.100.200, port 8080, UUID 123e4567-e89b-12d3-a456-426614174000.",
        "Tracking number 1Z999AA10123456784 and order 4111111111111112 (not Luhn).",
        "We synced 3 Google Drive folders and have 2 users on the way.",
        "Version 4 Road map review with 5 Ave-style layouts.",
        "ISO 9001 and SOC 2 certified; GDPR art. 17; error code 0x80070005.",
        "Ratings: 4.5 stars, NPS 42, 3/5, 10/10.",
    ],
)
def test_false_positives_left_alone(text: str) -> None:
    assert R.redact(text) == (text, False)


def test_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE88 3704 0044 0532 0130 00")
    assert red("IBAN DE88 3704 0044 0532 0130 00") == "IBAN DE88 3704 0044 0532 0130 00"
    assert red("IBAN DE89370400440532013000.") == "IBAN [IBAN]."


def test_categories_are_configurable() -> None:
    text = "mail a@b.io, call +1 415 555 0132, key AKIAIOSFODNN7EXAMPLE"
    only_email = Redactor(categories=["email"]).redact(text)[0]
    assert only_email == "mail [EMAIL], call +1 415 555 0132, key AKIAIOSFODNN7EXAMPLE"
    assert Redactor(categories=["phone", "secret"]).redact(text)[0] == "mail a@b.io, call [PHONE], key [SECRET]"
    assert Redactor(categories=[]).redact(text) == (text, False)
    with pytest.raises(ValueError, match="unknown PII categories: ssn"):
        Redactor(categories=["email", "ssn"])


@pytest.fixture()
def no_redaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PMPILOT_REDACT_PII", "false")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_module_function_follows_settings(no_redaction: None) -> None:
    assert redact("mail a@b.io") == ("mail a@b.io", False)


def test_module_function_redacts_by_default() -> None:
    get_settings.cache_clear()
    assert redact("mail a@b.io") == ("mail [EMAIL]", True)
    assert redact("") == ("", False)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc 0123456789+-.()@:/,#$\n")), max_size=80))
def test_redaction_is_idempotent_and_only_grows_placeholders(text: str) -> None:
    once, _ = R.redact(text)
    assert R.redact(once) == (once, False)
    for placeholder in pii.PLACEHOLDERS.values():
        assert once.count(placeholder) >= text.count(placeholder)
