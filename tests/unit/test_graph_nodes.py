"""Researcher, scorer, writer, review and validation nodes over a seeded workspace; LLM paths scripted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agents import researcher, review, scorer, writer
from agents.context import RunContext
from agents.deliverables import review_drafts
from agents.deliverables.requirements import RequirementsDraft, StoryDraft
from agents.planner import offline_plan
from tests.support.fake_chat import ScriptedChatModel, tool_call_message
from tests.support.workspace import seeded_home
from tools.research import RESEARCH_TOOLS

GOAL = "Should we fix sync bugs before building dark mode? Draft requirements and a decision memo."
WS = "acme"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with seeded_home(tmp_path_factory, "nodes-home", WS) as home:
        yield home


def rt(tmp_path: Path, offline: bool = True, **models: Any) -> SimpleNamespace:
    return SimpleNamespace(context=RunContext(run_id="t", workspace=WS, offline=offline, run_dir=tmp_path,
                                              models=models))


def researched_state(tmp_path: Path) -> dict[str, Any]:
    """State after planner, researchers and scorer (offline), merged as the graph's reducers would."""
    from agents.state import extend, merge_dict, merge_evidence

    plan = offline_plan(GOAL, None, None)
    state: dict[str, Any] = {"goal": GOAL, "workspace": WS, "plan": plan, "mode": "offline", "evidence": {},
                             "findings": [], "themes": {}, "decisions": [], "strategy": None}
    for question in plan["questions"]:
        update = researcher.research({"question": question, "goal": GOAL, "workspace": WS}, rt(tmp_path))
        state["evidence"] = merge_evidence(state["evidence"], update["evidence"])
        state["findings"] = extend(state["findings"], update["findings"])
        state["themes"] = merge_dict(state["themes"], update["themes"])
    state.update(scorer.score(state, rt(tmp_path)))
    return state


def stored(ids: list[str]) -> dict[str, str]:
    from memory import api

    return {s.id: s.text for s in api.workspace(WS).get_signals(ids)}


def test_offline_research_returns_verbatim_evidence_and_themes(seeded: Path, tmp_path: Path) -> None:
    plan = offline_plan(GOAL, None, None)
    update = researcher.research({"question": plan["questions"][0], "goal": GOAL, "workspace": WS}, rt(tmp_path))
    evidence = update["evidence"]
    assert evidence and update["themes"]
    texts = stored(list(evidence))
    assert all(row["quote"] in texts[sid] for sid, row in evidence.items())
    assert update["findings"][0]["question_id"] == "q0"
    assert update["llm"]["calls"] == 0
    option = researcher.research({"question": plan["questions"][2], "goal": GOAL, "workspace": WS}, rt(tmp_path))
    assert any("dark" in stored([sid])[sid].lower() for sid in option["evidence"])


def test_research_tools_never_take_the_workspace_from_the_model() -> None:
    for tool in RESEARCH_TOOLS:
        schema = tool.tool_call_schema.model_json_schema()
        assert "workspace" not in schema.get("properties", {})
        assert "config" not in schema.get("properties", {})
    assert {t.name for t in RESEARCH_TOOLS} == {"search_memory", "get_themes", "get_profile", "search_decision_log"}


def test_llm_researcher_tool_loop_keeps_only_real_citations(seeded: Path, tmp_path: Path) -> None:
    plan = offline_plan(GOAL, None, None)
    question = plan["questions"][2]  # dark mode
    dark = researcher.retrieve({"question": question, "goal": GOAL, "workspace": WS})["evidence"]
    real_id = next(iter(dark))
    real_quote = stored([real_id])[real_id][:20].strip()
    model = ScriptedChatModel(script=[
        tool_call_message(("search_memory", {"query": "dark theme at night", "limit": 5})),
        tool_call_message(("SubmitFindings", {"summary": "Users want dark mode for night work.", "citations": [
            {"signal_id": real_id, "quote": real_quote},
            {"signal_id": "00000000-0000-0000-0000-000000000000", "quote": "made up"},
            {"signal_id": real_id, "quote": "a quote nobody wrote"},
        ]})),
    ])
    update = researcher.research({"question": question, "goal": GOAL, "workspace": WS},
                                 rt(tmp_path, offline=False, researcher=model))
    assert update["dropped_invalid"] == 2
    assert update["llm"]["calls"] == 2
    finding = update["findings"][0]
    assert finding["kind"] == "llm" and finding["signal_ids"] == [real_id]
    assert update["evidence"][real_id]["quote"] == real_quote
    assert "SubmitFindings" in model.calls[0].tool_names
    assert "<data kind=\"signals\">" in model.calls[0].text


def test_scorer_scores_options_and_themes_with_formulas(seeded: Path, tmp_path: Path) -> None:
    state = researched_state(tmp_path)
    topics = state["scores"]["topics"]
    names = [t["name"] for t in topics]
    assert names[:2] == ["fix sync bugs", "building dark mode"]
    for topic in topics:
        assert topic["rice"]["formula"].startswith("RICE = ")
        assert topic["formulas"]["total"].startswith("total = 100 × (")
        assert "strategic alignment" not in topic["criteria"]  # no strategy given
    sync, dark = topics[0], topics[1]
    assert sync["rice"]["impact"] >= dark["rice"]["impact"]


def test_review_sends_back_specific_fixes_and_writer_applies_them(seeded: Path, tmp_path: Path) -> None:
    state = researched_state(tmp_path)
    state.update(writer.write(state, rt(tmp_path)))
    assert review_drafts(state["drafts"], state["scores"]["topics"]) == []
    bad = state["drafts"]["requirements"]["stories"][0]
    bad["i_want"] = "sync and dark mode"
    bad["acceptance_criteria"] = ["works fast"]
    state["drafts"]["requirements"]["stories"].append({**bad, "id": "S9", "citations": []})
    update = scorer.review(state, rt(tmp_path))
    problems = {(n["target"], n["problem"]) for n in update["review_notes"]}
    assert ("S1", "story is not atomic") in problems
    assert ("S1", "criterion 1 is not Given/When/Then") in problems
    assert ("S9", "story cites no evidence") in problems
    assert scorer.route_review({**state, **update}) == "writer"
    state.update(update)
    state.update(writer.write(state, rt(tmp_path)))
    stories = state["drafts"]["requirements"]["stories"]
    assert [s["i_want"] for s in stories[:2]] == ["sync", "dark mode"]
    assert all(s["citations"] for s in stories)
    assert review_drafts(state["drafts"], state["scores"]["topics"]) == []
    # at most two rounds: the third review lets the drafts through
    stuck = {**state, "review_rounds": 2, "drafts": {"requirements": {**state["drafts"]["requirements"], "stories": [
        {**stories[0], "acceptance_criteria": ["nope"]}]}}}
    assert scorer.review(stuck, rt(tmp_path))["review_notes"] == []


def test_llm_writer_output_is_completed_and_validated(seeded: Path, tmp_path: Path) -> None:
    state = researched_state(tmp_path)
    state["plan"]["deliverables"] = ["requirements"]
    ids = state["scores"]["topics"][0]["signal_ids"][:2]
    model = ScriptedChatModel(script=[RequirementsDraft(
        problem="Sync loses data.", goals=["Reliable sync"], non_goals=[], open_questions=[], success_metrics=[],
        stories=[
            StoryDraft(as_a="enterprise admin", i_want="sync to never lose notes", so_that="teams trust it",
                              acceptance_criteria=["Given two devices, When both edit offline, Then no edit is lost"],
                              citations=[*ids, "invented-id"]),
            StoryDraft(as_a="user", i_want="a pony", so_that="fun",
                              acceptance_criteria=["Given a user, When they ask, Then a pony"], citations=["fake"]),
        ],
    )])
    ctx = rt(tmp_path, offline=False, writer=model)
    update = writer.write({**state, "mode": "llm"}, ctx)
    assert update["llm"]["calls"] == 1
    draft = update["drafts"]["requirements"]
    assert draft["stories"][0]["rice"]["formula"].startswith("RICE")
    assert draft["mode"] == "llm"
    validated = review.validate({**state, **update, "dropped_invalid": 0}, ctx)
    doc = validated["drafts"]["requirements"]
    assert [s["i_want"] for s in doc["stories"]] == ["sync to never lose notes"]
    assert doc["stories"][0]["citations"] == ids
    assert validated["dropped_invalid"] == 2
    assert validated["traceability"] == {"claims": 1, "cited": 1, "dropped_invalid": 2}
    texts = stored([e["signal_id"] for e in doc["evidence"]])
    assert all(e["quote"] in texts[e["signal_id"]] for e in doc["evidence"])
    assert "<data kind=\"signals\">" in model.calls[0].text
