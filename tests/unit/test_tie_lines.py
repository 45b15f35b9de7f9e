"""Roadmap and decision memo say, in one line, how equal scores were ordered (scoring.tie_note in the documents)."""

from __future__ import annotations

from typing import Any

from agents.deliverables.base import render_markdown
from agents.deliverables.decision_memo import ORDER
from agents.deliverables.roadmap import tie_line
from tools import scoring


def item(name: str, score: float, why: str = "") -> dict[str, Any]:
    return {"item": name, "score": score, "citations": [], "why": why or f"score {score}/100"}


def roadmap(**buckets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "roadmap", "title": "Roadmap", "mode": "offline", "evidence": [],
            "now": buckets.get("now", []), "next": buckets.get("next", []), "later": buckets.get("later", [])}


def test_a_tie_across_now_and_next_is_stated_once_with_the_order() -> None:
    doc = roadmap(now=[item("kids", 56.6), item("camp groups", 41.4)], next=[item("tasks activities", 41.4)])
    line = tie_line(doc)
    assert line == (f"Equal scores: camp groups, tasks activities (score 41.4). Order among them: "
                    f"{scoring.TIE_BREAK}.")
    assert render_markdown(doc).count("Equal scores:") == 1


def test_no_tie_no_line_and_items_placed_by_growth_are_not_a_tie_break() -> None:
    assert tie_line(roadmap(now=[item("a", 50.0), item("b", 49.9)])) is None
    moved = item("b", 50.0, why="moved up: evidence grew from 3 to 9 signals; score 50.0/100")
    assert tie_line(roadmap(now=[item("a", 50.0), moved])) is None
    assert "Equal scores" not in render_markdown(roadmap(now=[item("a", 50.0), item("b", 49.9)]))


def memo(*totals: float) -> dict[str, Any]:
    options = [{"name": f"option {i}", "description": "", "scores": {"user value (RICE)": 0.5}, "total": t,
                "citations": []} for i, t in enumerate(totals)]
    return {"kind": "decision_memo", "title": "Memo", "mode": "offline", "evidence": [], "question": "q",
            "criteria": [{"name": "user value (RICE)", "weight": 1.0}], "options": options, "recommendation": "r"}


def test_the_memo_states_a_tie_for_first_place_only() -> None:
    text = render_markdown(memo(62.1, 62.1, 40.0))
    assert f"Equal totals: option 0, option 1 (total 62.1). Order among them: {ORDER}." in text
    assert "Equal totals" not in render_markdown(memo(62.1, 40.0, 40.0))  # a tie below the lead decides nothing


def test_memo_options_with_equal_totals_are_ordered_by_rice_then_reach() -> None:
    from agents.deliverables.decision_memo import option_order

    rice = {"wide": {"score": 3.0, "reach": 9}, "narrow": {"score": 3.0, "reach": 4},
            "high": {"score": 3.5, "reach": 1}}
    options: list[dict[str, Any]] = [{"name": n, "total": 50.0, "scores": {}} for n in ("narrow", "wide", "high")]
    assert [o["name"] for o in sorted(options, key=lambda o: option_order(o, rice))] == ["high", "wide", "narrow"]
