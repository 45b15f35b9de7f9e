"""The brief's close call follows the memo's: a margin that rests on reach counts within their noise decides nothing."""

from __future__ import annotations

from typing import Any

from agents.deliverables.common import close_call


def option(name: str, total: float, reach: int, impact: float = 2.0) -> dict[str, Any]:
    return {"id": f"option:{name}", "name": name, "total": total, "rice": {"reach": reach, "impact": impact},
            "signal_ids": ["s"]}


def test_reach_within_noise_is_too_close_to_call() -> None:
    # PM review 3 F7: the memo called 21 vs 12 fee / declined reports a tie while the brief named a winner
    said = close_call(None, [option("reduce fee complaints", 71.4, 21), option("fix declined payments", 62.8, 12)])  # type: ignore[arg-type]
    assert said and said.startswith("Too close to call") and "reach 21 vs 12" in said


def test_a_margin_outside_the_noise_decides() -> None:
    assert close_call(None, [option("versioning", 80.0, 40), option("usage statistics", 30.0, 2)]) is None  # type: ignore[arg-type]


def test_a_small_margin_is_a_close_call_whatever_the_reach() -> None:
    said = close_call(None, [option("a", 60.0, 40), option("b", 58.0, 2)])  # type: ignore[arg-type]
    assert said and "(margin 2.0)" in said


def test_a_leader_reporting_the_weightier_need_is_not_a_reach_tie() -> None:
    # sync failures (problems, impact 2) over dark-mode requests (impact 1): the margin is not reach alone
    assert close_call(None, [option("fix sync bugs", 49.4, 10, 2.0), option("dark mode", 27.4, 4, 1.0)]) is None  # type: ignore[arg-type]
