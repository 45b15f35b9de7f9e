"""Graph state and artifact shapes: what a node may return, what a draft may hold, what the checkpointer stores."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import ValidationError

from agents.deliverables.base import check_drafts
from agents.state import check_update, merge_evidence
from kernel.artifacts import ActionItem, MeetingNotes, RunFile, RunRecord

ROW: dict[str, Any] = {
    "signal_id": "s1", "quote": "Sync loses my edits", "source": "tickets.csv", "kind": "ticket",
    "signal_type": "bug", "sentiment": -0.6, "user_id": "u1", "account_id": None, "segment": "smb",
    "created_at": "2026-11-02T10:00:00+00:00", "score": 0.71, "relevance": 0.93, "questions": ["q1"], "themes": [],
}

STATE: dict[str, Any] = {
    "goal": "Fix sync?", "workspace": "acme", "deliverables": None, "audience": None, "strategy": None,
    "review": False, "mode": "offline",
    "plan": {"deliverables": ["brief"], "audience": "exec", "focus": "sync", "landscape": False, "options": [],
             "questions": [{"id": "q1", "question": "What do users say about sync?", "query": "sync",
                            "scope": "goal", "focus": None, "segment": None, "landscape": False}]},
    "evidence": {"s1": ROW},
    "findings": [{"question_id": "q1", "question": "What do users say about sync?", "kind": "goal",
                  "summary": "1 signal", "signal_ids": ["s1"]}],
    "research": [{"question_id": "q1", "question": "What do users say about sync?", "query": "sync", "searched": 9,
                  "kept": 1, "floor": {"probability": 0.5, "fitted_on": "held-out"}}],
    "scores": {"criteria": {"user value (RICE)": 0.7}, "topics": [
        {"id": "theme:t1", "name": "sync", "kind": "theme", "signal_ids": ["s1"], "ranked": True, "signals": 1,
         "reach": 1, "theme": None, "rice": {"reach": 1, "impact": 2.0, "confidence": 1.0, "effort": 1.0,
                                                          "effort_source": "default", "score": 2.0,
                                                          "formula": "1 × 2 × 1 / 1"},
         "criteria": {"user value (RICE)": 0.4}, "formulas": {"rice": "1 × 1"}, "total": 40.0, "priority": "medium"}],
        "strategy": False, "context": [], "near": [{"label": "login", "size": 3, "reason": "below the floor"}],
        "searched": ["sync"], "relevant": 1},
    "review_notes": [{"kind": "brief", "target": "tldr", "problem": "no TL;DR", "fix": "write one"}],
    "artifacts": [{"kind": "brief", "path_md": "/r/brief.md", "path_json": "/r/brief.json"}],
    "traceability": {"claims": 1, "cited": 1, "dropped_invalid": 0},
    "llm": {"calls": 0}, "timings": {"planner": 0.01}, "warnings": [], "dropped_invalid": 0,
}


def test_a_whole_state_validates_and_is_left_as_it_is() -> None:
    state = copy.deepcopy(STATE)
    check_update(state)
    assert state == STATE


@pytest.mark.parametrize(("update", "where"), [
    ({"evidence": {"s1": {**ROW, "note": "patched"}}}, "evidence.s1.note"),
    ({"findings": [{"question_id": "q1", "question": "?", "kind": "goal", "summary": ""}]}, "findings.0.signal_ids"),
    ({"review_notes": [{"kind": "brief", "target": "tldr", "problem": "no TL;DR"}]}, "review_notes.0.fix"),
    ({"scores": {"topics": [{"id": "t", "name": "sync", "total": "high"}]}}, "scores.topics.0.total"),
    ({"scores": {"topics": [{"id": "t", "rice": {"score": 2.0}}]}}, "scores.topics.0.rice.formula"),
    ({"drafted_by": "writer"}, "drafted_by"),
])
def test_a_node_cannot_return_an_undeclared_key_or_a_wrong_shape(update: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as raised:
        check_update(update)
    assert where in {".".join(str(p) for p in e["loc"]) for e in raised.value.errors()}


def test_state_round_trips_through_the_checkpointer_serde_as_plain_data() -> None:
    serde = JsonPlusSerializer()
    state = copy.deepcopy(STATE)
    assert serde.loads_typed(serde.dumps_typed(state)) == STATE


def test_merged_evidence_unions_questions_and_themes_and_keeps_the_best_score() -> None:
    other = {**ROW, "questions": ["q2"], "themes": ["t1"], "score": 0.9}
    merged = merge_evidence({"s1": ROW}, {"s1": other})
    assert merged["s1"]["questions"] == ["q1", "q2"] and merged["s1"]["themes"] == ["t1"]
    assert merged["s1"]["score"] == 0.9 and ROW["questions"] == ["q1"]
    check_update({"evidence": merged})


def test_a_draft_with_an_undeclared_key_is_rejected() -> None:
    draft = MeetingNotes(title="Notes", mode="offline").model_dump(mode="json")
    check_drafts({"meeting_notes": draft})
    with pytest.raises(ValidationError):
        check_drafts({"meeting_notes": {**draft, "summary": "not a field"}})
    with pytest.raises(ValidationError):
        check_drafts({"meeting_notes": {**draft, "action_items": [{"item": "ship", "owner": None, "due": "Fri"}]}})


def test_action_item_quotes_are_validated_but_not_published() -> None:
    item = ActionItem.model_validate({"item": "ship", "citations": ["s1"], "quotes": [{"signal_id": "s1",
                                                                                      "quote": "I'll ship"}]})
    assert item.quotes[0].signal_id == "s1"
    assert item.model_dump(mode="json") == {"owner": None, "item": "ship", "citations": ["s1"]}


def test_run_file_is_the_run_record_then_research_and_warnings() -> None:
    fields = {"run_id": "r", "status": "completed", "mode": "offline", "goal": "g", "workspace": "w"}
    record = RunRecord(**fields).model_dump(mode="json")
    run_file = RunFile(**fields, research=[{"question_id": "q1"}], warnings=["thin"]).model_dump(mode="json")
    assert list(run_file) == [*record, "research", "warnings"]
    assert RunRecord.model_validate(run_file).model_dump(mode="json") == record


def test_a_topic_scored_under_a_wsjf_strategy_fits_the_state(tmp_path: Path) -> None:
    from tools.strategy import load_strategy
    from tools.topic_scores import score_topic

    path = tmp_path / "strategy.yaml"
    path.write_text("goals:\n  - name: Reliable sync\n    weight: 100\n    keywords: [sync]\nscoring:\n  wsjf: true\n")
    strategy = load_strategy(path)
    weights = {"user value (RICE)": 0.5, "urgency (WSJF)": 0.5}
    topic = {"id": "theme:t1", "name": "sync", "kind": "theme", "signal_ids": ["s1"], "theme": None}
    scored = {**topic, **score_topic(topic, {"s1": ROW}, strategy, weights, None)}
    assert "wsjf" in scored
    check_update({"scores": {"topics": [scored]}})
