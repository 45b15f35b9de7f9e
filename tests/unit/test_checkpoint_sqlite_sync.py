"""The SQLite checkpointer commits without a per-step fsync (WAL + synchronous NORMAL) and still resumes."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph

from agents.checkpoint import SQLITE_SYNCHRONOUS, open_checkpointer
from kernel.settings import Settings


class _State(TypedDict):
    steps: Annotated[list[str], operator.add]


def _graph() -> StateGraph[_State]:
    graph: StateGraph[_State] = StateGraph(_State)
    graph.add_node("one", lambda state: {"steps": ["one"]})
    graph.add_node("two", lambda state: {"steps": ["two"]})
    graph.add_edge(START, "one")
    graph.add_edge("one", "two")
    graph.add_edge("two", END)
    return graph


def test_sqlite_checkpoints_are_wal_with_normal_sync(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with open_checkpointer(settings) as saver:
        conn = saver.conn  # type: ignore[attr-defined]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == SQLITE_SYNCHRONOUS == 1


def test_a_checkpointed_run_is_readable_from_a_new_connection(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    config = {"configurable": {"thread_id": "run-1"}}
    with open_checkpointer(settings) as saver:
        app = _graph().compile(checkpointer=saver)
        assert app.invoke({"steps": []}, config)["steps"] == ["one", "two"]  # type: ignore[arg-type]
    with open_checkpointer(settings) as saver:
        app = _graph().compile(checkpointer=saver)
        assert app.get_state(config).values["steps"] == ["one", "two"]  # type: ignore[arg-type]
