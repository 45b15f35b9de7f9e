"""A baseline of one reads in the singular ('1 report in the period', never '1 reports')."""

from __future__ import annotations

from typing import Any

import pytest

from agents.deliverables.common import baseline, singular


class _Materials:
    evidence: dict[str, Any] = {"s1": {"quote": "It broke.", "kind": "ticket"},
                                "s2": {"quote": "Again.", "kind": "ticket"}}


@pytest.mark.parametrize(("ids", "noun", "expected"), [
    (["s1"], "reports", "1 report in the period"),
    (["s1", "s2"], "reports", "2 reports in the period"),
    (["s1"], "questions", "1 question in the period"),
])
def test_the_period_count_agrees_with_its_noun(ids: list[str], noun: str, expected: str) -> None:
    topic: Any = {"signal_ids": ids, "signals": len(ids)}
    assert baseline(topic, _Materials(), noun, ids) == expected  # type: ignore[arg-type]


def test_singular_keeps_words_that_are_not_plurals() -> None:
    assert [singular(w) for w in ("signals", "access", "reports")] == ["signal", "access", "report"]
