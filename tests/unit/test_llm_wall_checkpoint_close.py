"""The checkpoint connection a run leaves to the background closer is closed, and what it committed is readable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from langchain_core.runnables import RunnableConfig

from agents.checkpoint import open_checkpointer, wait_for_closes
from kernel.settings import Settings
from tests.unit.test_checkpoint_sqlite_sync import _graph


def test_a_connection_closed_later_is_closed_and_its_commits_are_kept(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    config: RunnableConfig = {"configurable": {"thread_id": "run-1"}}
    with open_checkpointer(settings, close_later=True) as saver:
        app = _graph().compile(checkpointer=saver)
        assert app.invoke({"steps": []}, config)["steps"] == ["one", "two"]
        conn: sqlite3.Connection = saver.conn  # type: ignore[attr-defined]
    wait_for_closes()
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")
    with open_checkpointer(settings) as saver:
        app = _graph().compile(checkpointer=saver)
        assert app.get_state(config).values["steps"] == ["one", "two"]


def test_critical_gaps_measure_the_time_between_dependent_calls() -> None:
    from bench.runs import critical_gaps
    from tests.support.scripted_openai import RecordedRequest

    def request(at: float, body: dict[str, object]) -> RecordedRequest:
        return RecordedRequest(method="POST", path="/v1/chat/completions", headers={}, body=body, received_at=at)

    def structured(name: str) -> dict[str, object]:
        return {"messages": [{"role": "user", "content": "x"}],
                "response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": {"title": name}}}}

    def tools(question: str) -> dict[str, object]:
        return {"messages": [{"role": "user", "content": f"Research question: {question}\nmore"}],
                "tools": [{"type": "function", "function": {"name": "search_memory", "parameters": {}}},
                          {"type": "function", "function": {"name": "SubmitFindings", "parameters": {}}}]}

    requests = [request(10.1, structured("Plan")),
                request(10.5, tools("a")), request(10.6, tools("b")),
                request(10.9, tools("a")), request(11.0, tools("b")),
                request(11.5, structured("BriefDraft")), request(11.6, structured("RequirementsDraft"))]
    gaps = critical_gaps(requests, started=10.0, ended=12.0, latency_s=0.3)
    assert gaps == pytest.approx({"before_plan": 0.1, "plan_to_research": 0.2, "tool_round": 0.1,
                                  "research_to_drafts": 0.3, "after_drafts": 0.1})
