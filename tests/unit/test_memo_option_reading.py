"""How a decision memo reads an option: fix, build or explain, from its name *and* its evidence (real BANKING77 text).

'add money' is what users already do ("I added money through a bank transfer and it is not showing"): an existing
capability to fix or explain, not a new one to build whose every signal is then thrown out as 'not demand'.
"""

from __future__ import annotations

from typing import Any

from agents.deliverables.decision_memo import draft_decision_memo, predicate, reading
from agents.planner import offline_plan
from tests.unit.test_goal_topics import materials, row

GOAL = "Should we improve add money or card delivery first?"
#: Verbatim BANKING77 train messages about adding money (questions and failed top-ups) and about card delivery.
ADD_MONEY = [
    ("What currencies are accepted to add money?", "question"),
    ("Can I use a bank transfer to add money to my account?", "question"),
    ("What ways are okay to add money to my account?", "question"),
    ("How can I put more money into my account?", "question"),
    ("I added money through a bank transfer and it is not showing in my balance.", "bug"),
    ("I transferred money but the balance did not update.", "bug"),
    ("I transferred money to my account but it is not showing.", "bug"),
]
DELIVERY = [
    ("How do I receive a card?", "question"),
    ("How can I periodically check the delivery of the card you sent?", "question"),
    ("My card still hasn't arrived after 2 weeks. Is it lost?", "bug"),
    ("When will my card get here?", "question"),
]


def rows(quotes: list[tuple[str, str]], prefix: str, qids: list[str]) -> dict[str, Any]:
    return {f"{prefix}{i}": row(f"{prefix}{i}", q, questions=qids, score=0.8 - i / 100, signal_type=t)
            for i, (q, t) in enumerate(quotes)}


def memo() -> dict[str, Any]:
    plan = offline_plan(GOAL, ["decision_memo"], None)
    assert [o["name"] for o in plan["options"]] == ["add money", "card delivery"]
    focus = {o["name"]: [q["id"] for q in plan["questions"] if q.get("focus") == o["name"]] for o in plan["options"]}
    evidence = rows(ADD_MONEY, "a", focus["add money"]) | rows(DELIVERY, "d", focus["card delivery"])
    state = {"goal": GOAL, "workspace": "w", "plan": plan, "evidence": evidence, "mode": "offline"}
    membership: dict[str, str | None] = {sid: sid[0] for sid in evidence}
    return draft_decision_memo(materials(state, membership, [{"id": k, "label": k, "size": 7, "members": []}
                                                             for k in "ad"]))


def test_an_option_named_by_what_users_already_do_is_the_existing_capability() -> None:
    assert predicate("add money").kind == "new"  # the name alone reads as something to build
    pred, own = reading("add money", [{"quote": q, "signal_type": t} for q, t in ADD_MONEY])
    assert pred.kind == "existing" and len(own) == 4


def test_the_memo_weighs_the_existing_capability_on_all_its_evidence() -> None:
    doc = memo()
    add = next(o for o in doc["options"] if o["name"] == "add money")
    assert len(add["citations"]) == len(ADD_MONEY)
    assert add["scores"]["formulas"]["reading"].startswith("Reading: a capability")
    assert "needs explaining" in add["scores"]["formulas"]["reading"]  # 4 questions, 3 reports
    text = " ".join([doc["recommendation"], *doc["unknowns"]])
    assert "not demand for a new one" not in text and "existing money" not in text, text


def test_wishes_and_framing_keep_an_option_new_and_themes_read_as_general() -> None:
    wishes = [{"quote": "Please add dark mode", "signal_type": "feature_request"},
              {"quote": "I wish you would add dark mode", "signal_type": "feature_request"},
              {"quote": "I added dark mode in settings but it resets", "signal_type": "bug"}]
    assert reading("add dark mode", wishes)[0].kind == "new"  # asked for more than used
    used = [{"quote": "I can't add money to my card", "signal_type": "bug"},
            {"quote": "Adding money failed twice", "signal_type": "bug"}]
    assert reading("add money", used)[0].kind == "existing"
    assert reading("add money to my account", used)[0].kind == "existing"  # the verb's object, not the last word
    assert reading("add a new money feature", used)[0].kind == "new"  # the PM calls it new
    assert reading("card I thought I lost", used, kind="theme")[0].kind == "general"
    assert predicate("card I thought I lost").kind == "problem"  # what a theme's phrase alone would say
