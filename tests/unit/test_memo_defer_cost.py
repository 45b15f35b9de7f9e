"""The memo's defer cost counts a problem's reports (not the questions users ask), its guidance risk cites a
report, and a single option that scores below guidance recommends guidance first (review of c6ca962)."""

from __future__ import annotations

from agents.deliverables.common import memo_options
from agents.deliverables.decision_memo import DEFER, MITIGATE, _single, alternatives
from tests.unit.test_goal_topics import materials
from tests.unit.test_memo_alternatives import ASKED, REPORTS, memo_of, single_topic_state

GOAL = "Draft requirements to stop ATMs from keeping customers' cards"
MORE_ASKED = ASKED + [f"How do I get my card back from the ATM at branch {i}?" for i in range(8)]


def test_defer_cost_counts_reports_not_questions() -> None:
    memo = memo_of(single_topic_state(GOAL, REPORTS[:2], MORE_ASKED))
    defer = next(o for o in memo["options"] if o["name"] == DEFER)
    assert "2 reports in the period" in defer["description"]
    assert any("2 reports in the period keep coming" in r for r in memo["risks"])
    assert "2 reports in the period" in memo["recommendation"]
    assert not any("13 reports" in r for r in memo["risks"])


def test_guidance_risk_cites_a_report_even_when_a_question_is_cited_first() -> None:
    state = single_topic_state(GOAL, REPORTS, ASKED)
    for i, sid in enumerate(("a0", "a1", "a2")):  # the questions rank above the reports
        state["evidence"][sid]["score"] = 0.99 - i / 100
    memo = memo_of(state)
    fix = memo["options"][0]
    assert fix["name"] not in (MITIGATE, DEFER) and fix["citations"][0].startswith("a")
    risk = next(r for r in memo["risks"] if r.startswith("Guiding users"))
    assert "[s:r" in risk and "[s:a" not in risk


def test_single_option_below_guidance_recommends_guidance_first() -> None:
    state = single_topic_state(GOAL, REPORTS, ASKED)
    m = materials(state, dict.fromkeys(state["evidence"], "t-atm"),
                  [{"id": "t-atm", "label": "ATM card", "size": 6, "members": []}])
    memo = memo_of(state)
    best = memo["options"][0]
    topic = memo_options(m)[0]
    extra = alternatives(topic, best, m)
    guide = next(o for o in extra if o["name"] == MITIGATE)
    low = {**best, "total": round(guide["total"] - 10.0, 1)}  # the fix scoring 10 below the guidance
    text = _single(low, extra, m)
    assert text.startswith("Guide affected users first") and "Too close to call" not in text
    assert "(margin 10.0)" in text
    near = {**best, "total": round(guide["total"] - 2.0, 1)}
    assert _single(near, extra, m).startswith("Too close to call") and "(margin 2.0)" in _single(near, extra, m)
