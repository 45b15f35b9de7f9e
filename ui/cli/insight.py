"""Answers and audits: ask, align, audit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kernel.errors import InputError
from ui.cli.base import Command, workspace_option
from ui.cli.common import emit, note_empty

if TYPE_CHECKING:
    from kernel.settings import Role

SECTION = "Answers and audits"


def _chat_model(role: Role, offline: bool) -> Any:
    """The role's chat model when an endpoint is configured and --offline was not given, else None."""
    from kernel.settings import get_settings

    if offline or not get_settings().llm_configured:
        return None
    from kernel.llm import chat_model

    return chat_model(role)


@click.command("ask", cls=Command, exclusive=[("segment", "account")])
@click.argument("question", metavar="question")
@workspace_option()
@click.option("--segment", help="Ask only this segment's users.")
@click.option("--account", help="Ask only this account's users.")
@click.option("--offline", is_flag=True, help="Offline mode even if an LLM endpoint is configured.")
def ask(question: str, workspace: str, segment: str | None, account: str | None, offline: bool) -> None:
    """Answer a question from the user model.

    The answer comes with its evidence (verbatim quotes), dissent and a confidence.
    """
    from agents.ask import ask_users, render_text

    answer = ask_users(question, workspace, segment=segment, account=account, offline=True if offline else None)
    emit(answer, lambda a: print(render_text(a)))
    # A workspace holding nothing answers like MCP and Gradio do (insufficient evidence, exit 0), and says so
    note_empty(workspace)


@click.command("align", cls=Command)
@click.option("--repo", required=True, metavar="PATH", help="Git repository.")
@click.option("--strategy", required=True, metavar="FILE", help="Weighted goals: Markdown/plain text, YAML or JSON.")
@click.option("--since", metavar="DATE", help="A date or a span like 60d.")
@click.option("--until", metavar="DATE")
@click.option("--explain", is_flag=True, help="Per commit: the goal, its score and the evidence.")
@click.option("--offline", is_flag=True, help="Rules and embeddings only, even if an LLM is configured.")
def align(repo: str, strategy: str, since: str | None, until: str | None, explain: bool, offline: bool) -> None:
    """Engineering capacity versus the strategy's goals.

    Where commits and changed lines went, per weighted goal of the strategy (Markdown/plain
    text, YAML or JSON), and the unaligned share.
    """
    from kernel.timeutil import parse_when
    from tools.alignment import align as align_commits
    from tools.alignment import format_explain, format_report

    repo_path, strategy_path = Path(repo), Path(strategy)
    if not repo_path.is_dir():
        raise InputError(f"repository not found: {repo_path}")
    if not strategy_path.is_file():
        raise InputError(f"strategy file not found: {strategy_path}")
    report = align_commits(repo_path, strategy_path, since=parse_when(since) if since else None,
                           until=parse_when(until) if until else None, chat_model=_chat_model("scorer", offline))
    emit(report, lambda r: print(format_report(r) + ("\n\n" + format_explain(r) if explain else "")))


@click.command("audit", cls=Command)
@click.option("--calendar", required=True, metavar="FILE.ics", help="An iCalendar export.")
@click.option("--since", metavar="DATE")
@click.option("--until", metavar="DATE")
@click.option("--tz", default="UTC", show_default=True, metavar="ZONE", help="IANA time zone, e.g. Europe/Berlin.")
@click.option("--owner", metavar="EMAIL", help="The calendar owner (to skip their declined meetings).")
@click.option("--offline", is_flag=True, help="Rules only, even if an LLM endpoint is configured.")
def audit(calendar: str, since: str | None, until: str | None, tz: str, owner: str | None, offline: bool) -> None:
    """Where the PM's time goes, from an iCalendar export."""
    from tools.calendar_audit import audit_calendar, render_text

    report = audit_calendar(Path(calendar), since=since, until=until, tz=tz, owner=owner,
                            chat_model=_chat_model("researcher", offline))
    emit(report, lambda r: print(render_text(r)))


COMMANDS = [ask, align, audit]
