"""The ``pmpilot`` command line.

Every command takes ``--json`` (one JSON document on stdout). Errors a user can act on
print one line on stderr and exit 1; usage errors exit 2; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from kernel.errors import InputError, PmpilotError  # noqa: E402
from kernel.timeutil import parse_when  # noqa: E402
from ui.cli_common import (  # noqa: E402
    DELIVERABLES,
    clip,
    emit,
    parse_mapping,
    print_table,
    run_options_from,
)

DEMO_GOAL = (
    "Should we fix sync bugs before building dark mode? "
    "Draft requirements, a brief for leadership and a decision memo."
)

Handler = Callable[[argparse.Namespace], Any]


# --------------------------------------------------------------------------- output helpers


def _progress_bar(args: argparse.Namespace) -> tuple[Any, Callable[[int, int | None], None] | None]:
    """A rich progress bar on an interactive terminal (never with --json)."""
    if args.json or not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    )
    task = progress.add_task("ingest", total=None)

    def update(done: int, total: int | None) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


# --------------------------------------------------------------------------- memory commands


def cmd_ingest(args: argparse.Namespace) -> Any:
    from memory import api

    paths = [Path(p) for p in args.paths]
    progress, update = _progress_bar(args)
    if progress is not None:
        with progress:
            report = api.ingest(paths, args.workspace, kind=args.kind, mapping=parse_mapping(args.map), progress=update)
    else:
        report = api.ingest(paths, args.workspace, kind=args.kind, mapping=parse_mapping(args.map))

    def human(r: Any) -> None:
        print(f"{r.workspace}: {r.ingested} ingested, {r.duplicates} duplicates, {r.updated} updated, "
              f"{len(r.rejected)} rejected")
        for rejection in r.rejected[:50]:
            print(f"  rejected {rejection.path}:{rejection.line}: {rejection.reason}")
        if len(r.rejected) > 50:
            print(f"  … {len(r.rejected) - 50} more (use --json for all)")

    emit(args, report, human)
    return report


def cmd_stats(args: argparse.Namespace) -> Any:
    from memory import api

    stats = api.stats(args.workspace)

    def human(s: Any) -> None:
        print(f"workspace {s.workspace}: {s.signals} signals, {s.users} users, {s.accounts} accounts, "
              f"{s.themes} themes")
        for source, count in sorted(s.sources.items()):
            print(f"  {source}: {count}")

    emit(args, stats, human)
    return stats


def cmd_search(args: argparse.Namespace) -> Any:
    from memory import api

    hits = api.search(
        args.query, args.workspace, user_id=args.user, account_id=args.account, segment=args.segment,
        kind=args.kind, since=parse_when(args.since) if args.since else None, limit=args.limit,
    )
    payload = {"hits": hits}

    def human(p: Any) -> None:
        if not p["hits"]:
            print("no matches")
        print_table("search", ["score", "kind", "user", "account", "date", "text"], [
            (f"{h.score:.3f}", h.kind.value, h.user_id, h.account_id, h.created_at.date(), clip(h.text, 160))
            for h in p["hits"]
        ])

    emit(args, payload, human)
    return payload


def cmd_themes(args: argparse.Namespace) -> Any:
    from memory import api

    report = api.themes(
        args.workspace, since=parse_when(args.since) if args.since else None, segment=args.segment,
        members=args.members, refresh=args.refresh,
    )

    def human(r: Any) -> None:
        print_table(f"themes in {r.workspace}", ["label", "size", "users", "accounts", "trend", "quote"], [
            (t.label, t.size, t.users, t.accounts, f"{t.trend:+.0%}", clip(t.quotes[0].quote, 90) if t.quotes else "")
            for t in r.themes
        ])
        if r.bias_note:
            print(r.bias_note)

    emit(args, report, human)
    return report


def cmd_profile(args: argparse.Namespace) -> Any:
    from memory import api

    chosen = [value for value in (args.user, args.account, args.segment) if value]
    if len(chosen) != 1:
        raise InputError("give exactly one of --user, --account or --segment")
    profile = api.profile(args.workspace, user=args.user, account=args.account, segment=args.segment)

    def human(p: Any) -> None:
        if not p.claims:
            print(f"no claims about {p.subject} yet")
            return
        print_table(f"profile of {p.subject_type} {p.subject}", ["status", "type", "claim", "support", "last seen"], [
            (c.status.value, c.type.value, c.text, c.support, c.last_seen.date()) for c in p.claims
        ])

    emit(args, profile, human)
    return profile


def cmd_forget(args: argparse.Namespace) -> Any:
    from memory import api

    receipt = api.forget(args.workspace, args.user)
    emit(args, receipt, lambda r: print(
        f"erased {r.deleted_signals} signals and {r.deleted_claims} claims; receipt {r.receipt}"))
    return receipt


# --------------------------------------------------------------------------- runs


def _print_run(run: dict[str, Any]) -> None:
    print(f"run {run['run_id']}: {run['status']} ({run['mode']} mode)")
    trace = run.get("traceability") or {}
    if trace:
        print(f"  traceability: {trace.get('cited', 0)}/{trace.get('claims', 0)} claims cited, "
              f"{trace.get('dropped_invalid', 0)} invalid citations dropped")
    for artifact in run.get("artifacts", []):
        print(f"  {artifact['kind']}: {artifact['path_md']}")
    if run["status"] == "awaiting_review":
        print(f"  review the drafts, then: pmpilot resume {run['run_id']} --approve  (or --revise \"…\")")


def _event_printer(args: argparse.Namespace) -> Callable[[Any], None] | None:
    if args.json or not sys.stderr.isatty():
        return None

    def show(event: Any) -> None:
        if event.type in ("node_start", "tool_call", "review", "error"):
            print(f"· {event.node or ''} {event.message}".rstrip(), file=sys.stderr)

    return show


def cmd_run(args: argparse.Namespace) -> Any:
    from agents.runner import run_goal

    if not args.goal.strip():
        raise InputError("goal is empty")
    run = run_goal(args.goal, args.workspace, on_event=_event_printer(args), **run_options_from(args))
    emit(args, run, _print_run)
    return run


def cmd_resume(args: argparse.Namespace) -> Any:
    from agents.runner import resume_run

    if args.approve and args.revise:
        raise InputError("give either --approve or --revise, not both")
    run = resume_run(args.run_id, approve=args.approve, revise=args.revise, on_event=_event_printer(args))
    emit(args, run, _print_run)
    return run


def cmd_runs(args: argparse.Namespace) -> Any:
    from agents.runner import list_runs

    payload = {"runs": list_runs(args.workspace)}
    emit(args, payload, lambda p: print_table("runs", ["run_id", "status", "mode", "workspace", "goal"], [
        (r["run_id"], r["status"], r["mode"], r["workspace"], clip(r["goal"], 70)) for r in p["runs"]
    ]))
    return payload


def cmd_demo(args: argparse.Namespace) -> Any:
    from agents import demo
    from agents.runner import run_goal
    from kernel.settings import get_settings
    from memory import api

    settings = get_settings()
    report = api.ingest(demo.signal_files(), demo.DEMO_WORKSPACE)
    meeting = api.ingest([demo.meeting_file()], demo.DEMO_WORKSPACE, kind="meeting")
    if not args.json:
        print(f"sample workspace '{demo.DEMO_WORKSPACE}': {report.ingested + meeting.ingested} new signals "
              f"({report.duplicates + meeting.duplicates} already there), {len(report.rejected)} rejected")
    repo = demo.build_demo_repo(settings.home / "demo-repo")
    run = run_goal(
        DEMO_GOAL, demo.DEMO_WORKSPACE, strategy=demo.strategy_file(), offline=True,
        deliverables=["requirements", "brief", "decision_memo"], audience="exec",
        out=Path(args.out) if args.out else None, on_event=_event_printer(args),
    )
    if not args.json:
        print(f"demo repository for status/align examples: {repo}")
    emit(args, run, _print_run)
    return run


# --------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """argparse with the contract's usage errors: one line on stderr, exit code 2 (subcommands inherit it)."""

    def error(self, message: str) -> NoReturn:
        """Print one line (not argparse's usage block) and exit 2."""
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print one machine-readable JSON document on stdout")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks on errors")

    parser = _Parser(
        prog="pmpilot", parents=[common],
        description="Turn a PM's goal into decision-ready drafts grounded in a long-term memory of users.",
    )
    parser.add_argument("--version", action="version", version=f"pmpilot {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    def workspace(p: argparse.ArgumentParser, required: bool = True) -> None:
        p.add_argument("--workspace", "-w", required=required, default=None if required else None,
                       help="workspace (tenant) name")

    p = command("ingest", cmd_ingest, "add user signals from files")
    p.add_argument("paths", nargs="+", metavar="PATH")
    workspace(p)
    p.add_argument("--kind", default="auto",
                   choices=["auto", "ticket", "review", "interview", "sales_call", "survey", "usage", "meeting",
                            "commits", "issues"])
    p.add_argument("--map", action="append", metavar="COLUMN=FIELD", help="map a source column to a field")

    p = command("stats", cmd_stats, "what a workspace holds")
    workspace(p)

    p = command("search", cmd_search, "hybrid search of user memory")
    p.add_argument("query")
    workspace(p)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--user")
    who.add_argument("--account")
    who.add_argument("--segment")
    p.add_argument("--kind")
    p.add_argument("--since", help="ISO date or a span like 30d")
    p.add_argument("--limit", type=int, default=10)

    p = command("themes", cmd_themes, "thematic analysis")
    workspace(p)
    p.add_argument("--since", help="ISO date or a span like 30d")
    p.add_argument("--segment")
    p.add_argument("--members", action="store_true", help="list every member of every theme")
    p.add_argument("--refresh", action="store_true", help="recompute even if the cached analysis is current")

    p = command("profile", cmd_profile, "the evolving profile of a user, account or segment")
    workspace(p)
    p.add_argument("--user")
    p.add_argument("--account")
    p.add_argument("--segment")

    p = command("forget", cmd_forget, "erase a person from a workspace")
    workspace(p)
    p.add_argument("--user", required=True)

    def run_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("goal")
        workspace(p)
        p.add_argument("--deliverables", help=f"comma-separated: {','.join(DELIVERABLES)}")
        p.add_argument("--strategy", metavar="FILE")
        p.add_argument("--audience", choices=["exec", "eng", "sales"])
        p.add_argument("--repo", metavar="PATH")
        p.add_argument("--since", metavar="DATE")
        p.add_argument("--until", metavar="DATE", help="end of the period (status updates); default: now")
        p.add_argument("--offline", action="store_true", help="deterministic offline mode even if an LLM is set")
        p.add_argument("--review", action="store_true", help="pause for human review before final output")
        p.add_argument("--out", metavar="DIR")

    p = command("run", cmd_run, "run the agent graph on a goal")
    run_options(p)

    p = command("resume", cmd_resume, "continue a run paused for review, or a cancelled or crashed one")
    p.add_argument("run_id")
    p.add_argument("--approve", action="store_true")
    p.add_argument("--revise", metavar="TEXT")

    p = command("runs", cmd_runs, "history of runs")
    p.add_argument("--workspace", "-w")

    p = command("demo", cmd_demo, "seed the sample workspace and run a goal offline")
    p.add_argument("--out", metavar="DIR")

    _register_extensions(command, run_options, workspace)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pmpilot")
    except PackageNotFoundError:  # a source tree that is not installed
        return "0.0.0"


def _register_extensions(command: Any, run_options: Any, workspace: Any) -> None:
    """Commands whose implementations live in their own modules (queue, servers, automations)."""
    from ui import cli_ext

    cli_ext.register(command, run_options, workspace)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pmpilot`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.json = getattr(args, "json", False)
    args.debug = getattr(args, "debug", False)
    try:
        args.handler(args)
    except PmpilotError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`pmpilot ... | head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # a bug, not bad input: one line unless --debug
        if args.debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for a traceback)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
