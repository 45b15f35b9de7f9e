"""No two roadmap items read as one capability: a name that describes another item's messages as well as its own
is replaced by one that sets the item apart (defect: 'extra fee' and 'fee on a card payment' on one roadmap)."""

from __future__ import annotations

from typing import Any

from agents.deliverables.roadmap import distinct_names
from agents.planner import offline_plan
from tests.unit.test_goal_topics import materials, row
from tools.topics import told_apart

#: Messages worded like BANKING77's extra_charge_on_statement and card_payment_fee_charged intents.
STATEMENT = ["Why is there an extra fee on my statement?", "There's an extra fee on my statement I don't understand",
             "I see an extra fee on my statement", "What is this extra charge on my statement?",
             "Why was I charged an extra fee on my statement?"]
CARD_FEE = ["Why was I charged an extra fee for paying by card?", "I was charged an extra fee on a card payment",
            "What's the extra fee on my card payment?", "Is there a fee for card payments?",
            "I paid with my card and got an extra fee"]


def test_a_name_that_fits_another_items_messages_is_replaced() -> None:
    goal = "Roadmap for fees"
    evidence = {f"s{i}": row(f"s{i}", q, questions=["q0"]) for i, q in enumerate(STATEMENT)}
    evidence |= {f"c{i}": row(f"c{i}", q, questions=["q0"]) for i, q in enumerate(CARD_FEE)}
    state = {"goal": goal, "workspace": "w", "plan": offline_plan(goal, ["roadmap"], None), "evidence": evidence,
             "mode": "offline"}
    m = materials(state, {sid: sid[0] for sid in evidence}, [])
    topics: list[dict[str, Any]] = [
        {"id": "t1", "name": "extra fee", "signal_ids": [f"c{i}" for i in range(5)]},
        {"id": "t2", "name": "extra fee", "signal_ids": [f"s{i}" for i in range(5)]},
    ]
    assert not told_apart("extra fee", STATEMENT, CARD_FEE)
    out = distinct_names(topics, m)
    names = [t["name"] for t in out]
    assert names[0] != names[1], names
    own = {"t1": CARD_FEE, "t2": STATEMENT}
    assert all(told_apart(t["name"], own[t["id"]], own["t2" if t["id"] == "t1" else "t1"]) for t in out), names


def test_names_that_already_tell_items_apart_are_kept() -> None:
    goal = "Roadmap"
    evidence = {f"s{i}": row(f"s{i}", q, questions=["q0"]) for i, q in enumerate(STATEMENT)}
    evidence |= {"a1": row("a1", "The ATM kept my card", questions=["q0"]),
                 "a2": row("a2", "ATM did not give me cash", questions=["q0"])}
    state = {"goal": goal, "workspace": "w", "plan": offline_plan(goal, ["roadmap"], None), "evidence": evidence,
             "mode": "offline"}
    m = materials(state, {sid: sid[0] for sid in evidence}, [])
    topics: list[dict[str, Any]] = [{"id": "t1", "name": "extra fee", "signal_ids": [f"s{i}" for i in range(5)]},
                                    {"id": "t2", "name": "ATM", "signal_ids": ["a1", "a2"]}]
    assert [t["name"] for t in distinct_names(topics, m)] == ["extra fee", "ATM"]
