"""The agent graph: run, resume, runs, demo."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kernel.errors import InputError
from ui.cli.base import Command, json_mode, run_options, workspace_option
from ui.cli.common import clip, emit, interactive, print_table, require_signals, run_options_from

SECTION = "Runs"
DEMO_GOAL = (
    "Should we fix sync bugs before building dark mode? "
    "Draft requirements, a brief for leadership and a decision memo."
)


def print_run(run: dict[str, Any]) -> None:
    """A run.json for a person: status, traceability, where the drafts are, what to do next."""
    print(f"run {run['run_id']}: {run['status']} ({run['mode']} mode)")
    trace = run.get("traceability") or {}
    if trace:
        print(f"  traceability: {trace.get('cited', 0)}/{trace.get('claims', 0)} claims cited, "
              f"{trace.get('dropped_invalid', 0)} invalid citations dropped")
    for artifact in run.get("artifacts", []):
        print(f"  {artifact['kind']}: {artifact['path_md']}")
    if run["status"] == "awaiting_review":
        print(f"  review the drafts, then: pmpilot resume {run['run_id']} --approve  (or --revise \"…\")")


def finish(record: dict[str, Any]) -> None:
    """Print a run's run.json (or its summary); a failed run then exits 1 with its error on one stderr line."""
    emit(record, print_run)
    if record.get("status") == "failed":
        why = " ".join(str(record.get("error") or "see its run.json").split())
        raise InputError(f"run {record['run_id']} failed: {why}")


def event_printer() -> Callable[[Any], None] | None:
    """Node starts, tool calls and reviews on stderr, on an interactive terminal only (never with --json)."""
    if not interactive():
        return None

    def show(event: Any) -> None:
        if event.type in ("node_start", "tool_call", "review", "error"):
            print(f"· {event.node or ''} {event.message}".rstrip(), file=sys.stderr)

    return show


@click.command("run", cls=Command)
@run_options
def run(goal: str, workspace: str, **options: Any) -> None:
    """Run the agent graph on a goal and write the drafts."""
    from agents.runner import SIGNAL_FREE_DELIVERABLES, run_goal

    if not goal.strip():
        raise InputError("goal is empty")
    chosen = run_options_from(options)
    kinds = chosen["deliverables"]
    if not kinds or any(kind not in SIGNAL_FREE_DELIVERABLES for kind in kinds):  # a status update needs commits only
        require_signals(workspace)
    finish(run_goal(goal, workspace, on_event=event_printer(), **chosen))


@click.command("resume", cls=Command)
@click.argument("run_id", metavar="run_id")
@click.option("--approve", is_flag=True, help="Approve the drafts as they are.")
@click.option("--revise", metavar="TEXT", help="Revise the drafts with this instruction.")
def resume(run_id: str, approve: bool, revise: str | None) -> None:
    """Continue a run paused for review, or a crashed one.

    A run paused for review continues with --approve or --revise TEXT; a cancelled or crashed run
    continues from its checkpoint.
    """
    from agents.runner import resume_run

    if approve and revise:
        raise InputError("give either --approve or --revise, not both")
    finish(resume_run(run_id, approve=approve, revise=revise, on_event=event_printer()))


@click.command("runs", cls=Command)
@workspace_option(required=False, help_text="Only this workspace's runs.")
def runs(workspace: str | None) -> None:
    """History of runs."""
    from agents.runner import list_runs

    emit({"runs": list_runs(workspace)}, lambda p: print_table(
        "runs", ["run_id", "status", "mode", "workspace", "goal"],
        [(r["run_id"], r["status"], r["mode"], r["workspace"], clip(r["goal"], 70)) for r in p["runs"]]))


@click.command("demo", cls=Command)
@click.option("--out", metavar="DIR", help="Where the run is written (default: PMPILOT_HOME/runs).")
def demo(out: str | None) -> None:
    """Seed the sample workspace and run a goal offline."""
    from agents import demo as sample
    from agents.runner import run_goal
    from kernel.settings import get_settings
    from memory import api

    settings = get_settings()
    report = api.ingest(sample.signal_files(), sample.DEMO_WORKSPACE)
    meeting = api.ingest([sample.meeting_file()], sample.DEMO_WORKSPACE, kind="meeting")
    if not json_mode():
        print(f"sample workspace '{sample.DEMO_WORKSPACE}': {report.ingested + meeting.ingested} new signals "
              f"({report.duplicates + meeting.duplicates} already there), {len(report.rejected)} rejected")
    repo = sample.build_demo_repo(settings.home / "demo-repo")
    result = run_goal(
        DEMO_GOAL, sample.DEMO_WORKSPACE, strategy=sample.strategy_file(), offline=True,
        deliverables=["requirements", "brief", "decision_memo"], audience="exec",
        out=Path(out) if out else None, on_event=event_printer(),
    )
    if not json_mode():
        print(f"demo repository for status/align examples: {repo}")
    emit(result, print_run)


COMMANDS = [run, resume, runs, demo]
