"""A decision memo's options stand on evidence about what each asks for, not on its object alone (real BANKING77).

'fix card top-up failures' must not be argued from 'How do I top up my card?', and 'build a new exchange-rate
feature' must not win on 'What is the exchange rate?' questions: information needs, not demand.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from agents.deliverables.decision_memo import draft_decision_memo, on_condition, predicate, predicate_queries
from agents.planner import offline_plan
from tests.unit.test_goal_topics import materials, row

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "banking77" / "train.csv"
GOAL = "Should we fix card top-up failures or build a new exchange-rate feature first?"
#: The first 14 'topping_up_by_card' rows that report a failed or missing top-up, labelled by reading (the intent
#: also holds how-to questions: "What's the process for topping up by card?", "Can my friends top up my account?").
BY_CARD_PROBLEMS = {1, 2, 4, 6, 12, 13}


def intents(*names: str, n: int) -> dict[str, list[str]]:
    if not DATA.exists():
        pytest.skip("BANKING77 train not in ../shared/data")
    out: dict[str, list[str]] = {name: [] for name in names}
    with DATA.open(newline="", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            if rec["category"] in out and len(out[rec["category"]]) < n:
                out[rec["category"]].append(rec["text"])
    return out


def memo() -> tuple[dict[str, Any], dict[str, list[str]]]:
    texts = intents("topping_up_by_card", "top_up_failed", "exchange_rate", n=14)
    plan = offline_plan(GOAL, ["decision_memo"], None)
    fix_q = [q["id"] for q in plan["questions"] if q.get("focus") == "fix card top-up failures"]
    rate_q = [q["id"] for q in plan["questions"] if q.get("focus") == "build a new exchange-rate feature"]
    evidence: dict[str, Any] = {}
    for intent, qids in (("topping_up_by_card", fix_q[:1]), ("top_up_failed", fix_q[-1:]), ("exchange_rate", rate_q)):
        for i, text in enumerate(texts[intent]):
            # how-to questions come first (higher retrieval score), as the whole option's search ranks them
            score = 0.9 if intent != "top_up_failed" else 0.6
            evidence[f"{intent}-{i}"] = row(f"{intent}-{i}", text, questions=qids, score=score - i / 1000,
                                            signal_type="question" if text.rstrip().endswith("?") else "other")
    state = {"goal": GOAL, "workspace": "w", "plan": plan, "evidence": evidence, "mode": "offline"}
    membership: dict[str, str | None] = {sid: sid.rsplit("-", 1)[0] for sid in evidence}
    themes = [{"id": k, "label": k, "size": 14, "members": []} for k in texts]
    return draft_decision_memo(materials(state, membership, themes)), texts


def test_the_fix_option_is_researched_by_its_condition_too() -> None:
    plan = offline_plan(GOAL, ["decision_memo"], None)
    fix = [q["query"] for q in plan["questions"] if q.get("focus") == "fix card top-up failures"]
    assert "top-up failures" in fix, fix
    assert predicate_queries("fix sync bugs") == []  # nothing to add when the name is already the predicate


def test_fix_option_cites_only_failures_and_questions_do_not_win() -> None:
    doc, texts = memo()
    fix = next(o for o in doc["options"] if o["name"] == "fix card top-up failures")
    assert fix["citations"]
    on = {f"topping_up_by_card-{i}" for i in BY_CARD_PROBLEMS}
    assert all(sid.startswith("top_up_failed") or sid in on for sid in fix["citations"]), fix["citations"]
    assert "are not counted" in fix["scores"]["formulas"]["evidence"]
    assert doc["recommendation"].startswith("fix card top-up failures"), doc["recommendation"]
    text = " ".join([doc["recommendation"], *doc["unknowns"]])
    assert "not demand for a new one" in text, text
    # the exchange-rate questions are not demand: the option is not scored on them
    assert all(o["name"] != "build a new exchange-rate feature" for o in doc["options"])


def test_condition_reads_the_evidence_not_its_object() -> None:
    pred = predicate("fix card top-up failures")
    assert (pred.kind, pred.head) == ("problem", "top-up")
    assert on_condition(pred, {"quote": "Can you tell me why my top-up failed?", "signal_type": "question"})
    assert not on_condition(pred, {"quote": "How do I top up using my card?", "signal_type": "question"})
    new = predicate("build a new exchange-rate feature")
    assert new.kind == "new"
    assert not on_condition(new, {"quote": "What are the exchange rates?", "signal_type": "question"})
    assert on_condition(new, {"quote": "I wish I could lock an exchange rate for a week", "signal_type": "other"})
    general = predicate("dark mode")
    assert general.kind == "general"
    assert on_condition(general, {"quote": "How do I turn on dark mode?", "signal_type": "question"})
