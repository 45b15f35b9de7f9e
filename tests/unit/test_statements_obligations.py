"""An obligation of a third party or the system is explicit; only the speakers' own to-do is not.

'I'd have to check' / 'we need to discuss' are meeting logistics, but 'Backups have to go offsite every
night' or 'The system has to check the user's permissions' state a requirement.
"""

from __future__ import annotations

import pytest

from tools.statements import explicit_requirement


@pytest.mark.parametrize("text", [
    "Backups have to go offsite every night.",
    "Each invoice has to specify the VAT number.",
    "Uploads have to check the file type before they are stored.",
    "Every refund has to go through a second approver.",
    "The system has to check the user's permissions before every export.",
    "Users need to specify a due date when they create a task.",
])
def test_a_third_party_obligation_is_explicit(text: str) -> None:
    assert explicit_requirement(text)


@pytest.mark.parametrize("text", [
    "That's a good question, I'd have to check.",
    "We have to discuss the pricing with finance first.",
    "I'll have to check with legal about the retention period.",
    "We really need to think about how to distribute the rights.",
    "So we also have to think about the survey itself.",
    "I mean, are there specifics we, we need to discuss or that they're unclear.",
    "There's some small stuff that we need to specify in this meeting.",
])
def test_the_speakers_own_to_do_is_not_explicit(text: str) -> None:
    assert not explicit_requirement(text)
