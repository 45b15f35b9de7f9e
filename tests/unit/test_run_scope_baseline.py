"""Run scope: a story's baseline counts what its criterion counts (questions, or reports), not every signal."""

from __future__ import annotations

import re
from typing import Any

from agents.deliverables.requirements import draft_requirements
from agents.planner import offline_plan
from tests.unit.test_goal_topics import materials, row


def _requirements(types: dict[str, str], quotes: dict[str, str]) -> dict[str, Any]:
    goal = "Requirements for cancelling a transfer"
    evidence = {sid: row(sid, quotes[sid], questions=["q0"], signal_type=types[sid], score=0.8) for sid in quotes}
    state: dict[str, Any] = {"goal": goal, "workspace": "w", "plan": offline_plan(goal, ["requirements"], None),
                             "evidence": evidence}
    m = materials(state, dict.fromkeys(quotes, "t"), [{"id": "t", "label": "cancel a transfer", "size": 9,
                                                        "members": []}])
    return draft_requirements(m)


def _baseline(draft: dict[str, Any]) -> str:
    criteria = " ".join(c for s in draft["stories"] for c in s["acceptance_criteria"])
    found = re.search(r"baseline: ([^)]*)\)", criteria)
    assert found, criteria
    return found.group(1)


def test_a_question_storys_baseline_counts_its_questions_only() -> None:
    quotes = {"q0": "How do I cancel a transfer?", "q1": "Can I cancel a transfer I just made?",
              "q2": "How can I cancel my transfer?", "q3": "Is it possible to cancel a transfer?",
              "c0": "I could not cancel the transfer and lost the money.", "c1": "Cancelling a transfer failed."}
    types = {"q0": "question", "q1": "question", "q2": "question", "q3": "question", "c0": "complaint", "c1": "bug"}
    base = _baseline(_requirements(types, quotes))
    # All six signals share one creation date in these rows, so no weekly rate: a count of the questions.
    assert base == "4 questions in the period", base


def test_a_problem_storys_baseline_counts_its_reports_not_the_questions() -> None:
    quotes = {"c0": "I could not cancel the transfer and lost the money.", "c1": "Cancelling a transfer failed.",
              "c2": "The cancel button did nothing and the transfer went through.", "q0": "How do I cancel a transfer?"}
    types = {"c0": "complaint", "c1": "bug", "c2": "bug", "q0": "question"}
    assert _baseline(_requirements(types, quotes)) == "3 reports in the period"
