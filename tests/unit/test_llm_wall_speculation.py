"""LLM wall time: what a run prepares during a model call, and what it no longer does on the critical path."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from agents import graph as graph_module
from agents import researcher
from agents.context import RunCache
from agents.planner import offline_plan
from memory import api as memory_api
from tests.support.workspace import seeded_home
from tools.research import candidate_sentences

GOAL = "Should we fix sync bugs before building dark mode? Draft requirements and a decision memo."
WS = "acme"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with seeded_home(tmp_path_factory, "h8-speculation", WS):
        yield WS


class SearchSpy:
    """Counts the guessed questions the speculation searched (the real search still runs)."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def __call__(self, workspace: str, query: str, **kwargs: Any) -> list[str]:
        self.queries.append(query)
        return candidate_sentences(workspace, query, **kwargs)


def _guessed_with_sentences(workspace: str) -> list[str]:
    """The guessed queries whose candidates have sentences to score (the speculation's real work)."""
    return [q["query"] for q in offline_plan(GOAL, None, None)["questions"]
            if candidate_sentences(workspace, q["query"], candidates=researcher.CANDIDATES)]


def test_a_filled_workspace_is_searched_for_one_guess_only(workspace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    state: dict[str, Any] = {"goal": GOAL, "workspace": workspace}
    queries = [q["query"] for q in offline_plan(GOAL, None, None)["questions"]]
    guesses = _guessed_with_sentences(workspace)
    assert guesses and guesses[0] != queries[-1]  # a guess with sentences to score comes before the last one

    # Cold: nothing kept, every guess is searched and its sentences embedded for the research.
    memory_api.workspace(workspace).clear_sentence_vectors()
    spy = SearchSpy()
    monkeypatch.setattr(graph_module, "candidate_sentences", spy)
    assert graph_module.speculate_sentences(state, RunCache(), threading.Event()) > 0  # type: ignore[arg-type]
    assert spy.queries == queries

    # Filled (the scheduled refresh_themes job ran): the first guess finds all its sentences kept and stops.
    assert memory_api.fill_sentence_vectors(workspace) > 0
    spy.queries.clear()
    assert graph_module.speculate_sentences(state, RunCache(), threading.Event()) == 0  # type: ignore[arg-type]
    assert spy.queries == queries[: queries.index(guesses[0]) + 1]


def test_the_run_uses_the_graph_compiled_at_import(workspace: str) -> None:
    """A run binds its checkpointer to the module's compiled graph (same nodes and edges) instead of compiling."""
    from agents.checkpoint import open_checkpointer

    with open_checkpointer() as saver:
        app = graph_module.graph.copy(update={"checkpointer": saver})
        fresh = graph_module.builder.compile(checkpointer=saver, name="pmpilot")
        assert app.checkpointer is saver and graph_module.graph.checkpointer is None
        assert app.get_graph().draw_mermaid() == fresh.get_graph().draw_mermaid()
        assert set(app.nodes) == set(fresh.nodes) and app.name == fresh.name
