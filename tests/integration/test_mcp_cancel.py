"""An MCP client cancelling run_goal stops the run itself, not only the wait (in-process SDK client).

The run is in LLM mode against the scripted OpenAI-compatible server with a delay on every call,
so it is still early in the graph when the cancel arrives. Assertions are on counts and states:
fewer model calls than the same run uncancelled, run.json failed / "cancelled", no documents, and
the checkpoint continues the run to completion.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from agents.runner import get_run, list_runs, resume_run
from tests.support.scripted_openai import ScriptedOpenAI
from tests.support.workspace import seeded_home
from ui.mcp import build_server

pytestmark = pytest.mark.slow

WS = "acme"
GOAL = "Should we fix sync bugs before building dark mode? Draft requirements."
ARGS = {"workspace": WS, "goal": GOAL, "offline": False, "deliverables": ["requirements"]}
LATENCY_S = 0.4


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with seeded_home(tmp_path_factory, "mcp-cancel-home", WS) as home:
        yield home


def settled(run_id: str | None = None, timeout: float = 300.0) -> list[dict[str, Any]]:
    """Wait (bounded) until no run is still running; the runs of the workspace, newest first."""
    deadline = time.monotonic() + timeout
    while True:
        runs = list_runs(WS) if run_id is None else [get_run(run_id)]
        if runs and all(r["status"] != "running" for r in runs):
            return list_runs(WS)
        assert time.monotonic() < deadline, f"runs still running: {runs}"
        time.sleep(0.2)


def test_cancelled_run_goal_stops_the_run_early(seeded: Path, scripted_openai: ScriptedOpenAI) -> None:
    scripted_openai.latency_s = LATENCY_S
    server = build_server()

    async def full_run() -> dict[str, Any]:
        async with Client(server) as client:
            result = await client.call_tool("run_goal", ARGS)
        assert not result.is_error, result.content
        return dict(result.structured_content)

    full = anyio.run(full_run)
    assert full["status"] == "completed" and full["mode"] == "llm"
    full_calls = len(scripted_openai.chat_requests)
    assert full_calls >= 3

    scripted_openai.clear()
    progress: list[str] = []

    async def cancelled_run() -> bool:
        started = anyio.Event()

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(message or "")
            started.set()

        async with Client(server) as client:
            with anyio.CancelScope() as scope:
                async with anyio.create_task_group() as group:
                    async def run() -> None:
                        await client.call_tool("run_goal", ARGS, progress_callback=on_progress)

                    group.start_soon(run)
                    await started.wait()  # "planner: started": its model call is in flight
                    scope.cancel()
            pong = await client.call_tool("search_user_memory", {"workspace": WS, "query": "sync"})
            assert not pong.is_error
        return scope.cancelled_caught

    assert anyio.run(cancelled_run)
    runs = settled()
    cancelled = next(r for r in runs if r["run_id"] != full["run_id"])
    assert cancelled["status"] == "failed" and cancelled["error"] == "cancelled"
    assert cancelled["artifacts"] == []
    run_dir = seeded / "runs" / cancelled["run_id"]
    assert sorted(p.name for p in run_dir.iterdir()) == ["request.json", "run.json"]
    calls_when_cancelled = len(scripted_openai.chat_requests)
    assert 1 <= calls_when_cancelled < full_calls
    print({"full_run_llm_calls": full_calls, "cancelled_run_llm_calls": calls_when_cancelled,
           "progress_before_cancel": progress})

    # The checkpoint is kept: resuming finishes the run without redoing the planner's call.
    done = resume_run(cancelled["run_id"])
    assert done["status"] == "completed", done.get("error")
    assert [a["kind"] for a in done["artifacts"]] == ["requirements"]
    assert len(scripted_openai.chat_requests) - calls_when_cancelled < full_calls
