"""A decision memo's reach names what it counts, its type counts read as English, and the runner-up's
'reaches more … weighs less' is said only when its impact is lower."""

from __future__ import annotations

from typing import Any

from agents.deliverables.base import Materials
from agents.deliverables.decision_memo import _contrast, draft_decision_memo
from agents.planner import offline_plan
from tests.unit.test_goal_topics import materials, row

GOAL = "Should we fix the ATM keeping cards before improving top-ups?"
ATM = ["The ATM kept my card after I typed the PIN.", "My card is stuck in the ATM since this morning.",
       "The cash machine swallowed my card again.", "Why does the ATM keep my card every time?"]
TOP = ["How do I top up with a bank transfer?", "Can I top up by card?", "What is the top-up limit?",
       "How long does a top-up take?", "Where do I see my top-ups?",
       "Is there a fee for a top-up?", "Which cards can I use for a top-up?"]


def memo(*, users: bool, atm_types: list[str], top_type: str = "question") -> dict[str, Any]:
    evidence = {f"a{i}": {**row(f"a{i}", q, questions=["q1"], score=0.9, signal_type=t),
                          **({} if users else {"user_id": None})}
                for i, (q, t) in enumerate(zip(ATM, atm_types, strict=True))}
    evidence |= {f"t{i}": {**row(f"t{i}", q, questions=["q2"], score=0.9, signal_type=top_type),
                           **({} if users else {"user_id": None})} for i, q in enumerate(TOP)}
    state = {"goal": GOAL, "workspace": "w", "plan": offline_plan(GOAL, ["decision_memo"], None), "evidence": evidence}
    membership: dict[str, str | None] = {sid: ("t-atm" if sid.startswith("a") else "t-top") for sid in evidence}
    themes = [{"id": "t-atm", "label": "ATM card", "size": 4, "members": []},
              {"id": "t-top", "label": "top up", "size": 7, "members": []}]
    return draft_decision_memo(materials(state, membership, themes))


def why(doc: dict[str, Any], word: str) -> str:
    return str(next(o for o in doc["options"] if word in o["name"])["scores"]["formulas"]["why"])


def test_reach_without_user_ids_counts_signals() -> None:
    doc = memo(users=False, atm_types=["bug", "complaint", "complaint", "question"])
    assert "users/accounts" not in doc["recommendation"]
    reach = why(doc, "top").split(":")[0].removeprefix("Reach ")
    assert int(reach) > 4
    assert f"Reach 4 vs {reach} signals" in doc["recommendation"], doc["recommendation"]
    assert why(doc, "ATM").startswith("Reach 4: the signals in its evidence")
    assert "reaches more signals" in doc["recommendation"]
    named = memo(users=True, atm_types=["bug", "complaint", "complaint", "question"])
    assert f"Reach 4 vs {reach} users/accounts" in named["recommendation"]
    assert why(named, "ATM").startswith("Reach 4: the distinct users/accounts in its evidence")


def test_bug_reports_and_complaints_count_together_as_problems() -> None:
    doc = memo(users=True, atm_types=["bug", "complaint", "complaint", "question"])
    # Was '2 of 4 complaints' (2 complaints of 4 signals, a bug report besides).
    assert "3 of its 4 signals are problems (complaints and bug reports)" in doc["recommendation"]
    asked = int(why(doc, "top").split(":")[0].removeprefix("Reach "))
    assert f"{asked} of its {asked} signals are questions" in doc["recommendation"]
    assert "1 bug report (2)" in why(doc, "ATM") and "1 question (0.5)" in why(doc, "ATM")
    assert "1 bug reports" not in why(doc, "ATM") and "1 questions" not in why(doc, "ATM")


def test_the_runner_up_weighs_less_only_when_its_impact_is_lower() -> None:
    evidence = {f"a{i}": row(f"a{i}", q, questions=["q1"]) for i, q in enumerate(ATM)}
    evidence |= {f"t{i}": row(f"t{i}", q, questions=["q2"]) for i, q in enumerate(TOP)}
    m = Materials(goal=GOAL, focus=GOAL, audience="exec", mode="offline", evidence=evidence, topics=[],
                  criteria={}, findings=[], decisions=[], has_strategy=False)

    def option(name: str, prefix: str, reach: int, impact: float) -> Any:
        rice = {"score": 1.0, "reach": reach, "impact": impact, "confidence": 0.8, "effort": 1.0}
        return {"name": name, "signal_ids": [s for s in evidence if s.startswith(prefix)], "rice": rice}

    # The runner-up reaches more and its impact is as high (a lower confidence or a strategy put it second).
    same = _contrast(option("ATM card", "a", 4, 2.0), option("top up", "t", 7, 2.0), m)
    assert "weighs less per signal" not in same, same
    lower = _contrast(option("ATM card", "a", 4, 2.0), option("top up", "t", 7, 0.5), m)
    assert lower.endswith("top up reaches more users; its evidence weighs less per signal.")
