"""CLI commands for the task queue and the servers (kept apart so ``ui.cli`` stays short)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kernel.errors import InputError
from kernel.settings import Role
from ui.cli_common import clip, emit, parse_mapping, print_table, run_options_from


def _jobs_table(jobs: list[dict[str, Any]]) -> None:

    print_table("jobs", ["job_id", "kind", "status", "attempts", "run_id", "error"], [
        (j["job_id"], j.get("kind"), j["status"], j.get("attempts"), j.get("run_id"), clip(j.get("error") or "", 60))
        for j in jobs
    ])


def cmd_worker(args: argparse.Namespace) -> Any:
    from agents.jobs import run_worker

    if args.concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    run_worker(concurrency=args.concurrency, periodic=not args.no_schedule)
    return None


def cmd_enqueue(args: argparse.Namespace) -> Any:
    from agents import jobs

    if args.task == "run":
        options = run_options_from(args)
        record = jobs.enqueue_run(args.goal, args.workspace, idempotency_key=args.key, **options)
    else:
        paths = [Path(p) for p in args.paths]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise InputError(f"file not found: {missing[0]}")
        record = jobs.enqueue_ingest(
            [p.resolve() for p in paths], args.workspace, kind=args.kind, mapping=parse_mapping(args.map),
            idempotency_key=args.key,
        )
    emit(args, record, lambda r: print(f"job {r.job_id}: {r.status}"))
    return record


def cmd_jobs(args: argparse.Namespace) -> Any:
    from agents import jobs

    if args.job_id:
        record = jobs.get_job(args.job_id)

        def human(r: Any) -> None:
            print(f"job {r.job_id} ({r.kind}): {r.status}, attempts {r.attempts}")
            if r.run_id:
                print(f"  run {r.run_id}")
            if r.error:
                print(f"  error: {r.error}")

        emit(args, record, human)
        return record
    payload = {"jobs": [j.model_dump(mode="json") for j in jobs.list_jobs(args.workspace)]}
    emit(args, payload, lambda p: _jobs_table(p["jobs"]))
    return payload


def cmd_retention(args: argparse.Namespace) -> Any:
    from kernel.settings import get_settings
    from memory import api
    from memory.repository import validate_workspace

    validate_workspace(args.workspace)
    payload = {"workspace": args.workspace, "expired": api.apply_retention(args.workspace)}
    settings = get_settings()
    configured = settings.retention_days is not None or bool(settings.retention_policy)

    def human(p: dict[str, Any]) -> None:
        print(f"{p['workspace']}: {p['expired']} signals expired")
        if not configured:
            print("  no retention configured (PMPILOT_RETENTION_DAYS, PMPILOT_RETENTION): nothing expires")

    emit(args, payload, human)
    return payload


def cmd_mcp(args: argparse.Namespace) -> Any:
    from ui.mcp import serve

    serve(args.transport, args.host, args.port, args.read_only, allowed_hosts=args.allowed_host or ())
    return None


def cmd_ui(args: argparse.Namespace) -> Any:
    from ui.gradio_app import launch

    launch(host=args.host, port=args.port, workspace=args.workspace, offline=args.offline, quiet=True, announce=True)
    return None


def _chat_model(role: Role, offline: bool) -> Any:
    """The role's chat model when an endpoint is configured and --offline was not given, else None."""
    from kernel.settings import get_settings

    if offline or not get_settings().llm_configured:
        return None
    from kernel.llm import chat_model

    return chat_model(role)


def cmd_align(args: argparse.Namespace) -> Any:
    from kernel.timeutil import parse_when
    from tools.alignment import align, format_explain, format_report

    repo, strategy = Path(args.repo), Path(args.strategy)
    if not repo.is_dir():
        raise InputError(f"repository not found: {repo}")
    if not strategy.is_file():
        raise InputError(f"strategy file not found: {strategy}")
    report = align(repo, strategy, since=parse_when(args.since) if args.since else None,
                   until=parse_when(args.until) if args.until else None,
                   chat_model=_chat_model("scorer", args.offline))
    emit(args, report, lambda r: print(format_report(r) + ("\n\n" + format_explain(r) if args.explain else "")))
    return report


def cmd_audit(args: argparse.Namespace) -> Any:
    from tools.calendar_audit import audit_calendar, render_text

    report = audit_calendar(Path(args.calendar), since=args.since, until=args.until, tz=args.tz,
                            owner=args.owner, chat_model=_chat_model("researcher", args.offline))
    emit(args, report, lambda r: print(render_text(r)))
    return report


def cmd_ask(args: argparse.Namespace) -> Any:
    from agents.ask import ask_users, render_text

    answer = ask_users(args.question, args.workspace, segment=args.segment, account=args.account,
                       offline=True if args.offline else None)
    emit(args, answer, lambda a: print(render_text(a)))
    return answer


def register(command: Any, run_options: Any, workspace: Any) -> None:
    """Add the queue and server commands to the parser."""
    p = command("worker", cmd_worker, "run a queue worker (embedded queue, or Redis with PMPILOT_QUEUE_URL)")
    p.add_argument("--concurrency", type=int, default=2, help="jobs run at once by this worker")
    p.add_argument("--no-schedule", action="store_true", help="do not fire scheduled jobs from this worker")

    p = command("enqueue", cmd_enqueue, "queue a run or an ingestion for a worker")
    tasks = p.add_subparsers(dest="task", required=True, metavar="TASK")
    parents = [argparse.ArgumentParser(add_help=False)]
    parents[0].add_argument("--key", help="idempotency key: the same key returns the same job")
    parents[0].add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    parents[0].add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    run = tasks.add_parser("run", parents=parents, help="queue a run of the agent graph")
    run_options(run)
    ingest = tasks.add_parser("ingest", parents=parents, help="queue an ingestion")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    workspace(ingest)
    ingest.add_argument("--kind", default="auto")
    ingest.add_argument("--map", action="append", metavar="COLUMN=FIELD")

    p = command("retention", cmd_retention,
                "delete signals older than PMPILOT_RETENTION_DAYS / PMPILOT_RETENTION (per kind) now")
    workspace(p)

    p = command("jobs", cmd_jobs, "list queued jobs or show one")
    p.add_argument("job_id", nargs="?")
    p.add_argument("--workspace", "-w")

    p = command("mcp", cmd_mcp, "MCP server for IDE and assistant clients (stdio, or streamable HTTP at /mcp)")
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--read-only", action="store_true", help="register only the read-only tools")
    p.add_argument("--allowed-host", action="append", metavar="NAME",
                   help="extra Host header accepted over HTTP (e.g. behind a proxy)")

    p = command("ui", cmd_ui, "the Gradio app for PMs")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--workspace", "-w", help="pin the app to this workspace (the only one it offers and serves)")
    p.add_argument("--offline", action="store_true", help="offline mode even if an LLM endpoint is configured")

    p = command("align", cmd_align, "where engineering capacity went versus the strategy's weighted goals "
                "(strategy: Markdown/plain text, YAML or JSON)")
    p.add_argument("--repo", required=True, metavar="PATH")
    p.add_argument("--strategy", required=True, metavar="FILE")
    p.add_argument("--since", metavar="DATE")
    p.add_argument("--until", metavar="DATE")
    p.add_argument("--explain", action="store_true", help="per commit: the goal, its score and the evidence")
    p.add_argument("--offline", action="store_true", help="rules and embeddings only, even if an LLM is configured")

    p = command("audit", cmd_audit, "where the PM's time goes, from an iCalendar export")
    p.add_argument("--calendar", required=True, metavar="FILE.ics")
    p.add_argument("--since", metavar="DATE")
    p.add_argument("--until", metavar="DATE")
    p.add_argument("--tz", default="UTC", metavar="ZONE", help="IANA time zone, e.g. Europe/Berlin")
    p.add_argument("--owner", metavar="EMAIL", help="the calendar owner (to skip their declined meetings)")
    p.add_argument("--offline", action="store_true")

    p = command("ask", cmd_ask, "answer a question from the user model, with evidence and dissent")
    p.add_argument("question")
    workspace(p)
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--segment")
    scope.add_argument("--account")
    p.add_argument("--offline", action="store_true")
