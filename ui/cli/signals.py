"""User memory: ingest, stats, search, themes, profile, forget, retention."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kernel.errors import InputError
from ui.cli.base import Command, map_option, workspace_option
from ui.cli.common import clip, emit, interactive, note_empty, parse_mapping, print_table

SECTION = "User memory"
#: ``--kind`` of ``ingest``: the signal kinds plus the two repository exports, or detection.
INGEST_KINDS = ("auto", "ticket", "review", "interview", "sales_call", "survey", "usage", "meeting", "commits",
                "issues")
SINCE_HELP = "Only signals since DATE (YYYY-MM-DD, an ISO datetime, or a span like 30d)."


def _progress_bar() -> tuple[Any, Callable[[int, int | None], None] | None]:
    """A rich progress bar on an interactive terminal (never with --json)."""
    if not interactive():
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    )
    task = progress.add_task("ingest", total=None)

    def update(done: int, total: int | None) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


def _since(text: str | None) -> Any:
    from kernel.timeutil import parse_when

    return parse_when(text) if text else None


@click.command("ingest", cls=Command)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@workspace_option()
@click.option("--kind", type=click.Choice(INGEST_KINDS), default="auto", help="Source kind (default: detected).")
@map_option()
def ingest(paths: tuple[str, ...], workspace: str, kind: str, mapping: tuple[str, ...]) -> None:
    """Add user signals from files.

    Idempotent: signals already stored are counted as duplicates. Rows that cannot be read are
    reported with file:line and the rest is stored.
    """
    from memory import api

    files, columns = [Path(p) for p in paths], parse_mapping(mapping)
    progress, update = _progress_bar()
    if progress is not None:
        with progress:
            report = api.ingest(files, workspace, kind=kind, mapping=columns, progress=update)
    else:
        report = api.ingest(files, workspace, kind=kind, mapping=columns)

    def human(r: Any) -> None:
        print(f"{r.workspace}: {r.ingested} ingested, {r.duplicates} duplicates, {r.updated} updated, "
              f"{len(r.rejected)} rejected")
        for rejection in r.rejected[:50]:
            print(f"  rejected {rejection.path}:{rejection.line}: {rejection.reason}")
        if len(r.rejected) > 50:
            print(f"  … {len(r.rejected) - 50} more (use --json for all)")

    emit(report, human)


@click.command("stats", cls=Command)
@workspace_option()
def stats(workspace: str) -> None:
    """What a workspace holds."""
    from memory import api

    def human(s: Any) -> None:
        print(f"workspace {s.workspace}: {s.signals} signals, {s.users} users, {s.accounts} accounts, "
              f"{s.themes} themes")
        for source, count in sorted(s.sources.items()):
            print(f"  {source}: {count}")

    found = api.stats(workspace)
    if not found.signals:
        note_empty(workspace)
    emit(found, human)


@click.command("search", cls=Command, exclusive=[("user", "account", "segment")])
@click.argument("query", metavar="query")
@workspace_option()
@click.option("--user", help="Only this user's signals.")
@click.option("--account", help="Only this account's signals.")
@click.option("--segment", help="Only this segment's signals.")
@click.option("--kind", help="Only signals of this kind (ticket, review, …).")
@click.option("--since", metavar="DATE", help=SINCE_HELP)
@click.option("--limit", type=int, default=10, show_default=True)
def search(query: str, workspace: str, user: str | None, account: str | None, segment: str | None,
           kind: str | None, since: str | None, limit: int) -> None:
    """Hybrid search of user memory (dense + BM25)."""
    from memory import api

    hits = api.search(query, workspace, user_id=user, account_id=account, segment=segment, kind=kind,
                      since=_since(since), limit=limit)

    def human(p: dict[str, Any]) -> None:
        if not p["hits"]:
            print("no matches")
        print_table("search", ["score", "kind", "user", "account", "date", "text"], [
            (f"{h.score:.3f}", h.kind.value, h.user_id, h.account_id, h.created_at.date(), clip(h.text, 160))
            for h in p["hits"]
        ])

    if not hits:
        note_empty(workspace)
    emit({"hits": hits}, human)


@click.command("themes", cls=Command)
@workspace_option()
@click.option("--since", metavar="DATE", help=SINCE_HELP)
@click.option("--segment", help="Only this segment's signals.")
@click.option("--members", is_flag=True, help="List every member of every theme.")
@click.option("--refresh", is_flag=True, help="Recompute even if the cached analysis is current.")
def themes(workspace: str, since: str | None, segment: str | None, members: bool, refresh: bool) -> None:
    """Thematic analysis of a workspace."""
    from memory import api

    report = api.themes(workspace, since=_since(since), segment=segment, members=members, refresh=refresh)
    if not report.themes:
        note_empty(workspace)

    def human(r: Any) -> None:
        print_table(f"themes in {r.workspace}", ["label", "size", "users", "accounts", "trend", "quote"], [
            (t.label, t.size, t.users, t.accounts, f"{t.trend:+.0%}", clip(t.quotes[0].quote, 90) if t.quotes else "")
            for t in r.themes
        ])
        if r.bias_note:
            print(r.bias_note)

    emit(report, human)


@click.command("profile", cls=Command)
@workspace_option()
@click.option("--user")
@click.option("--account")
@click.option("--segment")
def profile(workspace: str, user: str | None, account: str | None, segment: str | None) -> None:
    """The evolving profile of a user, account or segment.

    Give exactly one of --user, --account or --segment; each claim carries its evidence.
    """
    from memory import api

    if len([value for value in (user, account, segment) if value]) != 1:
        raise InputError("give exactly one of --user, --account or --segment")

    def human(p: Any) -> None:
        if not p.claims:
            print(f"no claims about {p.subject} yet")
            return
        print_table(f"profile of {p.subject_type} {p.subject}", ["status", "type", "claim", "support", "last seen"], [
            (c.status.value, c.type.value, c.text, c.support, c.last_seen.date()) for c in p.claims
        ])

    found = api.profile(workspace, user=user, account=account, segment=segment)
    if not found.claims:
        note_empty(workspace)
    emit(found, human)


@click.command("forget", cls=Command)
@workspace_option()
@click.option("--user", required=True, help="The person to erase.")
def forget(workspace: str, user: str) -> None:
    """Erase a person from a workspace.

    Their signals, claims, quotes, theme snapshots and decision citations go; the receipt names no one.
    """
    from memory import api

    emit(api.forget(workspace, user), lambda r: print(
        f"erased {r.deleted_signals} signals and {r.deleted_claims} claims; receipt {r.receipt}"))


@click.command("retention", cls=Command)
@workspace_option()
def retention(workspace: str) -> None:
    """Expire old signals now, per the retention settings.

    Deletes the signals older than PMPILOT_RETENTION_DAYS, or per kind PMPILOT_RETENTION
    (ticket=365,review=730); nothing expires when neither is set.
    """
    from kernel.settings import get_settings
    from memory import api
    from memory.repository import validate_workspace

    validate_workspace(workspace)
    payload = {"workspace": workspace, "expired": api.apply_retention(workspace)}
    settings = get_settings()
    configured = settings.retention_days is not None or bool(settings.retention_policy)

    def human(p: dict[str, Any]) -> None:
        print(f"{p['workspace']}: {p['expired']} signals expired")
        if not configured:
            print("  no retention configured (PMPILOT_RETENTION_DAYS, PMPILOT_RETENTION): nothing expires")

    emit(payload, human)


COMMANDS = [ingest, stats, search, themes, profile, forget, retention]
