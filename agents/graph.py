"""The pmpilot graph of specialists, assembled in one place.

planner → researcher ×N (parallel) → scorer → writer ⇄ review → validate → publish →
human review (optional interrupt) → finalize.

``builder`` is the module-level StateGraph; ``graph`` is compiled without a checkpointer for
LangGraph Studio / ``langgraph dev`` (``langgraph.json``); :mod:`agents.runner` compiles it with the
configured SQLite or Postgres checkpointer.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

import agents.deliverables  # noqa: F401  (registers the status and meeting_notes deliverables)
from agents import planner, researcher, review, scorer, writer
from agents.context import RunContext
from agents.state import InputState, OutputState, PMState


def plan(state: PMState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """The planner; with a model, what later nodes need whatever the plan says is prepared meanwhile.

    The theme snapshot (researchers) and the strategy goals' vectors (scorer) are read while the
    planner's model call is in flight (``RunContext.cache``), instead of between later calls.
    Offline there is no wait to fill, so later nodes compute them when they need them.
    """
    cache = runtime.context.cache
    if runtime.context.offline:
        return planner.plan(state, runtime)
    researcher.prefetch(state["workspace"], cache)
    scorer.prefetch(state, cache)
    try:
        return planner.plan(state, runtime)
    finally:
        cache.start()  # when the model call failed before its request went out


def route_research(state: PMState) -> list[Send]:
    """One researcher branch per research question, run in parallel."""
    return [
        Send("researcher", {"question": question, "goal": state["goal"], "workspace": state["workspace"]})
        for question in state["plan"]["questions"]
    ]


builder = StateGraph(PMState, context_schema=RunContext, input_schema=InputState, output_schema=OutputState)
builder.add_node("planner", plan)
builder.add_node("researcher", researcher.research)
builder.add_node("scorer", scorer.score)
builder.add_node("writer", writer.write)
builder.add_node("review", scorer.review)
builder.add_node("validate", review.validate)
builder.add_node("publish", review.publish)
builder.add_node("human_review", review.human_review)
builder.add_node("finalize", review.finalize)

builder.add_edge(START, "planner")
builder.add_conditional_edges("planner", route_research, ["researcher"])
builder.add_edge("researcher", "scorer")
builder.add_edge("scorer", "writer")
builder.add_edge("writer", "review")
builder.add_conditional_edges("review", scorer.route_review, ["writer", "validate"])
builder.add_edge("validate", "publish")
builder.add_edge("publish", "human_review")
builder.add_conditional_edges("human_review", review.route_human, ["writer", "finalize"])
builder.add_edge("finalize", END)

graph = builder.compile(name="pmpilot")
