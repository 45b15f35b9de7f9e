"""A decision memo on a goal whose evidence backs one option weighs real alternatives, each grounded."""

from __future__ import annotations

from typing import Any

from agents.deliverables.base import render_markdown
from agents.deliverables.decision_memo import DEFER, MITIGATE, draft_decision_memo
from agents.planner import offline_plan
from tests.unit.test_goal_topics import materials, row
from tools.citations import StoredSignal, validate_artifact

REPORTS = ["The ATM kept my card after I typed the PIN.", "My card is stuck in the ATM since this morning.",
           "The cash machine swallowed my card again."]
ASKED = ["How do I get my card back after the ATM swallowed it?", "What should I do, the ATM kept my card?",
         "Who do I talk to about an ATM keeping my card?"]


def single_topic_state(goal: str, reports: list[str], asked: list[str]) -> dict[str, Any]:
    evidence = {f"r{i}": row(f"r{i}", q, questions=["q0"], score=0.9 - i / 100) for i, q in enumerate(reports)}
    evidence |= {f"a{i}": row(f"a{i}", q, questions=["q0"], score=0.8 - i / 100, signal_type="question")
                 for i, q in enumerate(asked)}
    return {"goal": goal, "workspace": "w", "plan": offline_plan(goal, ["decision_memo"], None),
            "evidence": evidence}


def memo_of(state: dict[str, Any]) -> dict[str, Any]:
    membership: dict[str, str | None] = dict.fromkeys(state["evidence"], "t-atm")
    themes = [{"id": "t-atm", "label": "ATM card", "size": 6, "members": []}]
    return draft_decision_memo(materials(state, membership, themes))


def test_a_problem_with_one_backed_option_is_weighed_against_guidance_and_deferring() -> None:
    state = single_topic_state("Draft requirements to stop ATMs from keeping customers' cards", REPORTS, ASKED)
    memo = memo_of(state)
    names = [o["name"] for o in memo["options"]]
    assert len(names) == 3 and names[1:] == [MITIGATE, DEFER]
    fix, guide, defer = memo["options"]
    # Guidance cites the questions users ask when it happens, and is scored on them alone.
    assert set(guide["citations"]) == {"a0", "a1", "a2"}
    assert guide["scores"]["formulas"]["rice"].startswith("RICE = reach 3 ")
    assert 0 < guide["total"] < fix["total"]
    # Deferring delivers nothing; its cost is the problem's own evidence, cited.
    assert defer["total"] == 0.0 and defer["scores"]["user value (RICE)"] == 0.0
    assert set(defer["citations"]) == set(fix["citations"])
    assert "3 reports in the period" in defer["description"]  # the reports, not the 3 questions too
    assert "the only option" not in memo["recommendation"]
    assert "guiding affected users" in memo["recommendation"] and "Deferring" in memo["recommendation"]
    assert any(r.startswith("Deferring ") for r in memo["risks"])
    # Every option is grounded: validation keeps all three and drops no citation.
    stored = {sid: StoredSignal(text=r["quote"]) for sid, r in state["evidence"].items()}
    result = validate_artifact(memo, stored, {sid: r["quote"] for sid, r in state["evidence"].items()},
                               cited_lists=("options",), note_field="unknowns")
    assert result.dropped_items == [] and result.dropped_invalid == 0
    assert "| Defer: change nothing now |" in render_markdown(memo)


def test_without_questions_from_affected_users_only_deferring_is_added() -> None:
    state = single_topic_state("Draft requirements to stop ATMs from keeping customers' cards", REPORTS, ASKED[:1])
    names = [o["name"] for o in memo_of(state)["options"]]
    assert MITIGATE not in names and names[-1] == DEFER and len(names) == 2


def test_a_request_gets_no_guidance_alternative() -> None:
    requests = ["Please add dark mode, my eyes hurt at night.", "Dark mode would make evening work possible.",
                "Dark mode please, the white screen is blinding."]
    state = single_topic_state("Should we build dark mode?", requests, [])
    for r in state["evidence"].values():
        r["signal_type"] = "feature_request"
    memo = memo_of(state)
    assert [o["name"] for o in memo["options"]][-1] == DEFER and MITIGATE not in [o["name"] for o in memo["options"]]
    assert "rather than deferring" in memo["recommendation"]
