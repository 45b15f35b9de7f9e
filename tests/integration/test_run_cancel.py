"""Cooperative cancellation of a run (agents.runner.CancelToken) on the real offline graph.

A token cancelled from the event callback (the way an MCP cancel arrives: from another thread,
while a node runs) stops the run at the next step boundary: status failed, error "cancelled",
no documents, the checkpoint kept so resume continues without redoing the finished steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agents.context import RunEvent
from agents.runner import CancelToken, get_run, resume_run, run_goal
from tests.support.workspace import seeded_home

GOAL = "Should we fix sync bugs before building dark mode? Draft requirements and a decision memo."
WS = "acme"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with seeded_home(tmp_path_factory, "cancel-home", WS) as home:
        yield home


def cancel_when(token: CancelToken, event_type: str, node: str,
                log: list[str]) -> Callable[[RunEvent], None]:
    def on_event(event: RunEvent) -> None:
        if event.type in ("node_start", "node_end"):
            log.append(f"{event.node}:{event.type}")
        if event.type == event_type and event.node == node:
            token.cancel()

    return on_event


def test_cancel_mid_node_stops_at_the_next_step_and_resume_finishes(seeded: Path) -> None:
    token, log = CancelToken(), []
    run = run_goal(GOAL, WS, offline=True, deliverables=["requirements", "decision_memo"], cancel=token,
                   on_event=cancel_when(token, "node_start", "planner", log))
    assert token.cancelled
    assert run["status"] == "failed" and run["error"] == "cancelled"
    assert run["artifacts"] == []
    assert log == ["planner:node_start", "planner:node_end"]  # the running node finished, nothing after it
    run_dir = seeded / "runs" / run["run_id"]
    assert sorted(p.name for p in run_dir.iterdir()) == ["request.json", "run.json"]
    assert get_run(run["run_id"])["error"] == "cancelled"

    resumed_log: list[str] = []
    done = resume_run(run["run_id"], cancel=CancelToken(), on_event=cancel_when(CancelToken(), "-", "-", resumed_log))
    assert done["status"] == "completed", done.get("error")
    assert [a["kind"] for a in done["artifacts"]] == ["requirements", "decision_memo"]
    assert "planner:node_start" not in resumed_log  # continued from the checkpoint
    assert resumed_log[0] == "researcher:node_start"


def test_cancel_after_the_documents_are_written_is_too_late(seeded: Path) -> None:
    token, log = CancelToken(), []
    run = run_goal(GOAL, WS, offline=True, deliverables=["requirements"], cancel=token,
                   on_event=cancel_when(token, "artifact", "publish", log))
    assert token.cancelled
    assert run["status"] == "completed" and run["error"] is None
    assert [a["kind"] for a in run["artifacts"]] == ["requirements"]
    assert log[-1] == "finalize:node_end"


def test_a_token_cancelled_before_the_start_runs_nothing(seeded: Path) -> None:
    token, log = CancelToken(), []
    token.cancel()
    run = run_goal(GOAL, WS, offline=True, deliverables=["requirements"], cancel=token,
                   on_event=cancel_when(token, "-", "-", log))
    assert run["status"] == "failed" and run["error"] == "cancelled"
    assert log == [] and run["artifacts"] == []
