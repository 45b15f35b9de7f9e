"""Planner node: offline keyword rules and option extraction; LLM path with a scripted chat model."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agents.context import RunContext, RunEvent
from agents.planner import Plan, PlannedOption, ResearchQuestion, extract_options, offline_plan, plan, research_focus
from tests.support.fake_chat import ScriptedChatModel

GOAL = ("Should we fix sync bugs before building dark mode? Draft requirements, a brief for leadership "
        "and a decision memo.")


def runtime(offline: bool = True, **models: object) -> SimpleNamespace:
    events: list[RunEvent] = []
    ctx = RunContext(run_id="r1", workspace="w", offline=offline, models=models, on_event=events.append)  # type: ignore[arg-type]
    return SimpleNamespace(context=ctx, events=events)


@pytest.mark.parametrize("goal, options", [
    ("Should we fix sync bugs before building dark mode?", ["fix sync bugs", "building dark mode"]),
    ("SSO or the mobile app?", ["SSO", "the mobile app"]),
    ("Decide whether to ship offline mode vs improve search", ["ship offline mode", "improve search"]),
    ("Dark mode instead of SSO first?", ["Dark mode", "SSO"]),
    ("Draft requirements for sync reliability.", []),
])
def test_options_come_from_the_goal_wording(goal: str, options: list[str]) -> None:
    assert [o["name"] for o in extract_options(goal)] == options


@pytest.mark.parametrize("goal, options", [
    ("Should we build sync or dark mode first?", ["sync", "dark mode"]),  # the verb is shared
    ("Which is more urgent, sync or dark mode?", ["sync", "dark mode"]),  # the choice inside its clause
    ("What should we build next: SSO or the mobile app?", ["SSO", "the mobile app"]),
    ("Should we add export to PDF or Word?", ["export to PDF", "export to Word"]),  # one phrase, two objects
    ("Should we invest in search, or in templates?", ["search", "templates"]),
    ("Should we prioritise either SSO or offline mode this quarter?", ["SSO", "offline mode"]),
    ("Sync or dark mode — which first?", ["Sync", "dark mode"]),
])
def test_or_goals_give_the_options_they_name(goal: str, options: list[str]) -> None:
    assert [o["name"] for o in extract_options(goal)] == options


@pytest.mark.parametrize("goal", [
    "How do we keep teams with 10 or more seats?",
    "Should we fix sync bugs or not?",
    "Should we ship one or two themes?",
    "Users who lose or forget their password keep calling support?",
    "What do users say about export or sharing?",
    "Should we warn users before they lose edits?",
])
def test_an_or_inside_a_phrase_is_no_choice(goal: str) -> None:
    assert extract_options(goal) == []


def test_offline_plan_for_the_demo_goal() -> None:
    result = offline_plan(GOAL, None, None)
    assert result["deliverables"] == ["requirements", "brief", "decision_memo"]
    assert result["audience"] == "exec"
    assert result["focus"] == "Should we fix sync bugs before building dark mode?"
    assert [q["scope"] for q in result["questions"]] == ["landscape", "option", "option"]
    assert [q["focus"] for q in result["questions"][1:]] == ["fix sync bugs", "building dark mode"]
    assert "ahead of" in result["options"][0]["description"]


@pytest.mark.parametrize("goal, expected", [
    ("Write a PRD with user stories for offline editing", ["requirements"]),
    ("A brief for the board on what users say about search", ["brief"]),
    ("Should we build SSO?", ["decision_memo"]),
    ("What do users think about search?", ["requirements", "brief"]),
])
def test_deliverables_from_keywords(goal: str, expected: list[str]) -> None:
    assert offline_plan(goal, None, None)["deliverables"] == expected


def test_explicit_deliverables_and_audience_win() -> None:
    result = offline_plan(GOAL, ["brief"], "sales")
    assert result["deliverables"] == ["brief"] and result["audience"] == "sales"
    assert offline_plan("Brief for the engineering team", None, None)["audience"] == "eng"


def test_research_focus_drops_instructions() -> None:
    assert research_focus("Draft a brief. Users hate slow search.") == "Users hate slow search."
    assert research_focus("Draft a brief on search") == "Draft a brief on search"


def test_offline_node_returns_plan_and_mode() -> None:
    rt = runtime()
    update = plan({"goal": GOAL, "workspace": "w"}, rt)
    assert update["mode"] == "offline"
    assert update["llm"] == {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
    assert update["plan"]["deliverables"] == ["requirements", "brief", "decision_memo"]
    assert "planner" in update["timings"]
    assert [e.type for e in rt.events] == ["node_start", "node_end"]
    assert "3 research questions" in rt.events[-1].message


def test_llm_node_normalises_the_models_plan() -> None:
    scripted = Plan(
        deliverables=["brief", "poem", "decision_memo"],
        audience="board",
        questions=[ResearchQuestion(question=f"q{i}", query=f"k{i}", focus="SSO" if i == 1 else "nonexistent")
                   for i in range(5)],
        options=[PlannedOption(name="SSO", description="ship SSO"), PlannedOption(name=" ", description="")],
    )
    model = ScriptedChatModel(script=[scripted])
    rt = runtime(offline=False, planner=model)
    update = plan({"goal": "Should we ship SSO? Brief the board.", "workspace": "w", "strategy": None}, rt)
    result = update["plan"]
    assert result["deliverables"] == ["brief", "decision_memo"]  # unknown 'poem' dropped
    assert result["audience"] == "exec"  # 'board' is not an audience
    assert len(result["questions"]) == 3
    assert result["questions"][0]["scope"] == "landscape"
    assert result["questions"][1]["focus"] == "SSO" and result["questions"][2]["focus"] is None
    assert [o["name"] for o in result["options"]] == ["SSO"]
    assert update["mode"] == "llm"
    assert update["llm"]["calls"] == 1 and update["llm"]["prompt_tokens"] > 0
    call = model.calls[0]
    assert call.structured_schema is Plan
    assert "<data kind=\"goal\">\nShould we ship SSO? Brief the board.\n</data>" in call.text


def test_llm_plan_keeps_requested_deliverables() -> None:
    model = ScriptedChatModel(script=[Plan(deliverables=["brief"], questions=[], options=[])])
    update = plan({"goal": "x", "workspace": "w", "deliverables": ["requirements"]}, runtime(False, planner=model))
    assert update["plan"]["deliverables"] == ["requirements"]
    assert update["plan"]["questions"][0]["scope"] == "landscape"


@pytest.mark.parametrize("phrase, parts", [
    ("Reduce failed and pending top-ups", ["failed top-ups", "pending top-ups"]),  # the verb and the noun shared
    ("social and entertainment features", ["social features", "entertainment features"]),
    ("Make exchange rates and fees transparent to customers", ["exchange rates", "fees transparent to customers"]),
    ("sync reliability and dark mode", ["sync reliability", "dark mode"]),  # a noun keeps its own phrase
    ("Help older people get help quickly in an emergency", []),
])
def test_conjoined_objects_are_researched_one_by_one(phrase: str, parts: list[str]) -> None:
    from agents.planner import conjuncts

    assert conjuncts(phrase) == parts


def test_each_listed_object_gets_its_own_question() -> None:
    plan_ = offline_plan("Reduce failed and pending top-ups", None, None)
    assert [q["query"] for q in plan_["questions"][1:]] == ["failed top-ups", "pending top-ups"]
    options = offline_plan("Should we build health monitoring before social and entertainment features?", None, None)
    social = [q for q in options["questions"] if q.get("focus") == "social and entertainment features"]
    assert [q["query"] for q in social] == ["social features", "entertainment features"]


@pytest.mark.parametrize("goal", [
    "Should we fix declined card payments before anything else?",
    "Fix declined card payments or other work first?",
    "Should we fix declined card payments before everything else?",
])
def test_a_vague_alternative_is_no_option(goal: str) -> None:
    plan_ = offline_plan(goal, None, None)
    assert [o["name"] for o in plan_["options"]] == ["declined card payments"]
    assert plan_["vague_options"] and "names no subject" in plan_["options"][0]["description"]


def test_an_option_another_covers_is_one_option() -> None:
    assert [o["name"] for o in extract_options("Should we fix fees or fees to transfer first?")] == ["fees"]
