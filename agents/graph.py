"""The pmpilot graph of specialists, assembled in one place.

planner → researcher ×N (parallel) → scorer → writer ⇄ review → validate → publish →
human review (optional interrupt) → finalize.

``builder`` is the module-level StateGraph; ``graph`` is compiled without a checkpointer for
LangGraph Studio / ``langgraph dev`` (``langgraph.json``); :mod:`agents.runner` compiles it with the
configured SQLite or Postgres checkpointer.
"""

from __future__ import annotations

import threading
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

import agents.deliverables  # noqa: F401  (registers the status and meeting_notes deliverables)
from agents import planner, researcher, review, scorer, writer
from agents.context import RunCache, RunContext
from agents.state import InputState, OutputState, Plan, PMState
from memory import api as memory_api
from tools.research import candidate_sentences

#: Sentences embedded per step of :func:`speculate_sentences` (a researcher needing one waits for its step only).
SPECULATE_CHUNK = 16


def plan(state: PMState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """The planner; with a model, what later nodes need whatever the plan says is prepared meanwhile.

    The theme snapshot (researchers) and the strategy goals' vectors (scorer) are read while the
    planner's model call is in flight (``RunContext.cache``), instead of between later calls. The
    research queries come in the model's answer: they are embedded as it arrives, in one batch, so
    no researcher embeds its query before its first request and the scorer ranks topics against
    the same vectors (:func:`embed_queries`). The sentences the research will score are guessed from
    the goal's wording and embedded during the call (:func:`speculate_sentences`). Offline there is no
    wait to fill, so later nodes compute what they need when they need it.
    """
    cache = runtime.context.cache
    if runtime.context.offline:
        return planner.plan(state, runtime)
    researcher.prefetch(state["workspace"], cache)
    scorer.prefetch(state, cache)
    planned = threading.Event()
    cache.prefetch(("sentences", state["goal"]), speculate_sentences, state, cache, planned)
    try:
        update = planner.plan(state, runtime)
    finally:
        planned.set()
        cache.start()  # when the model call failed before its request went out
    embed_queries(state["workspace"], update["plan"], cache)
    return update


def speculate_sentences(state: PMState, cache: RunCache, planned: threading.Event) -> int:
    """While the planner's call is in flight, embed the sentences the research will most likely score.

    Each research question's search scores the sentences of its long candidates below the relevance
    floor one by one (:func:`tools.research.goal_search`), a few hundred MiniLM passes before the
    first research request can go out. The model's queries are only known from its answer, but the
    goal's own wording (the offline plan's queries) finds mostly the same candidates, so their
    sentences are embedded into the run's cache, :data:`SPECULATE_CHUNK` at a time, until the plan
    arrives; the researchers take them from there and embed only the rest. Sentences the memory already
    keeps for their signal (:mod:`memory.sentence_vectors`) are skipped; when every sentence of a guessed
    question's candidates is kept (the scheduled ``refresh_themes`` job filled them), the other guesses
    are not searched: they would find theirs kept too, and their searches (~15 ms of CPU each) would
    only compete with the research once the plan is in. Returns how many were embedded.
    """
    workspace = state["workspace"]
    memory = memory_api.workspace(workspace)
    embedder = memory.embedder
    guessed = planner.offline_plan(state["goal"], state.get("deliverables") or None, state.get("audience"))
    done = 0
    for question in guessed["questions"]:
        if planned.is_set():
            break
        parts = candidate_sentences(workspace, question["query"], segment=question.get("segment"),
                                    candidates=researcher.CANDIDATES)
        kept = memory.known_sentences(parts)  # kept with their signal: read, not embedded, by the research
        if parts and len(kept) == len(set(parts)):
            break  # a filled workspace: nothing to guess
        parts = [part for part in parts if part not in kept]
        for start in range(0, len(parts), SPECULATE_CHUNK):
            if planned.is_set():
                break
            done += len(cache.vectors(embedder, parts[start:start + SPECULATE_CHUNK]))
    return done


def embed_queries(workspace: str, plan_: Plan, cache: RunCache) -> None:
    """Embed the plan's research queries in one batch, remembered by the embedder and the run's cache.

    Each researcher branch would otherwise embed its query once its thread starts — three single
    passes competing for the cores just before the first research requests go out — and again to
    score relevance; the scorer embedded them once more to rank its topics.
    """
    queries = list(dict.fromkeys(q["query"] for q in plan_.get("questions") or [] if q.get("query")))
    if queries:
        embedder = memory_api.workspace(workspace).embedder
        cache.put_vectors(embedder, queries, embedder.embed_queries(queries))


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
