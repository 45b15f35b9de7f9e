"""A decision memo says where each option's score comes from: reach, impact by what the signals report."""

from __future__ import annotations

from agents.deliverables.decision_memo import draft_decision_memo
from agents.planner import offline_plan
from tests.unit.test_goal_topics import materials, row


def test_the_memo_says_where_each_score_comes_from() -> None:
    goal = "Should we fix the ATM keeping cards before improving top-ups?"
    atm = ["The ATM kept my card after I typed the PIN.", "My card is stuck in the ATM since this morning.",
           "The cash machine swallowed my card again."]
    top = ["How do I top up with a bank transfer?", "Can I top up by card?", "What is the top-up limit?",
           "How long does a top-up take?", "Where do I see my top-ups?"]
    evidence = {f"a{i}": row(f"a{i}", q, questions=["q1"], score=0.9) for i, q in enumerate(atm)}
    evidence |= {f"t{i}": row(f"t{i}", q, questions=["q2"], score=0.9, signal_type="question")
                 for i, q in enumerate(top)}
    state = {"goal": goal, "workspace": "w", "plan": offline_plan(goal, ["decision_memo"], None), "evidence": evidence}
    membership: dict[str, str | None] = {sid: ("t-atm" if sid.startswith("a") else "t-top") for sid in evidence}
    themes = [{"id": "t-atm", "label": "ATM card", "size": 3, "members": []},
              {"id": "t-top", "label": "top up", "size": 5, "members": []}]
    memo = draft_decision_memo(materials(state, membership, themes))
    by_name = {o["name"]: o for o in memo["options"]}
    fix = next(o for name, o in by_name.items() if "ATM" in name)
    tops = next(o for name, o in by_name.items() if "top" in name)
    assert "Impact 2 (high): what its 3 signals report — 3 bug reports (2 each)" in fix["scores"]["formulas"]["why"]
    assert "questions (0.5 each); their mean 0.50" in tops["scores"]["formulas"]["why"]
    # The recommendation puts reach and impact side by side and says the other option reaches more.
    reach = tops["scores"]["formulas"]["why"].split(":")[0].removeprefix("Reach ")
    assert f"Reach 3 vs {reach} users/accounts; impact 2 vs 0.5" in memo["recommendation"]
    assert "reaches more users" in memo["recommendation"]
