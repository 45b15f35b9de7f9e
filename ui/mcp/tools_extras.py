"""MCP tools of the seed extras: asking the user model and auditing a PM's calendar."""

import tempfile
from pathlib import Path
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from agents import ask
from agents.ask import AskAnswer
from kernel.errors import PmpilotError
from kernel.timeutil import parse_when
from tools import calendar_audit
from tools.calendar_audit import AuditReport
from ui.mcp.common import ToolHost, WorkspaceArg, blocking, result, tool_errors


class ExtraTools(ToolHost):
    """``ask_users`` and ``audit_calendar``."""

    async def ask_users(
        self,
        ctx: Context,
        question: Annotated[str, Field(min_length=3, max_length=2000, description="A question about the users.")],
        workspace: WorkspaceArg,
        segment: Annotated[str | None, Field(description="Only evidence from this segment.")] = None,
        account_id: Annotated[str | None, Field(description="Only evidence from this account.")] = None,
        offline: Annotated[bool | None, Field(description="Force the deterministic offline mode.")] = None,
    ) -> Annotated[CallToolResult, AskAnswer]:
        """Answer from the persistent user model with verbatim quotes, dissent and a confidence.

        Says "not enough evidence" (insufficient_evidence: true) rather than guessing.
        """
        self.check_workspace(ctx, workspace)
        if segment is not None and account_id is not None:
            raise ToolError("give at most one of segment or account_id")
        with tool_errors():
            answer = await blocking(ask.ask_users, question, workspace, segment=segment, account=account_id,
                                    offline=offline)
        return result(answer, ask.render_text(answer))

    async def audit_calendar(
        self,
        ctx: Context,
        workspace: WorkspaceArg,
        calendar_ics: Annotated[str | None, Field(description="The iCalendar (.ics) export, inline.")] = None,
        calendar_path: Annotated[str | None, Field(description="Path of an .ics file (stdio only).")] = None,
        since: Annotated[str | None, Field(description="Start: YYYY-MM-DD or a span like 4w.")] = None,
        until: Annotated[str | None, Field(description="End: YYYY-MM-DD.")] = None,
        tz: Annotated[str, Field(description="IANA time zone, e.g. Europe/Berlin.")] = "UTC",
        owner: Annotated[str | None, Field(description="Calendar owner's email (to skip declined).")] = None,
    ) -> Annotated[CallToolResult, AuditReport]:
        """Where the PM's time goes: hours per category and week, top coordination meetings, suggestions."""
        self.check_workspace(ctx, workspace)
        if (calendar_ics is None) == (calendar_path is None):
            raise ToolError("give exactly one of calendar_ics or calendar_path")
        _check_zone(tz)
        for argument, value in (("since", since), ("until", until)):
            with tool_errors(argument):
                if value:
                    parse_when(value)
        with tempfile.TemporaryDirectory(prefix="pmpilot-ics-") as tmp:
            path = self._path(calendar_path, "calendar")
            argument = "calendar_path"
            if path is None:
                path, argument = Path(tmp) / "calendar.ics", "calendar_ics"
                path.write_text(calendar_ics or "", encoding="utf-8")
            try:
                report = await blocking(calendar_audit.audit_calendar, path, since=since, until=until, tz=tz,
                                        owner=owner)
            except PmpilotError as exc:  # name the argument; an inline calendar's temp path means nothing
                message = str(exc)
                if argument == "calendar_ics":
                    message = message.replace(f"{path}: ", "").replace(str(path), "the calendar")
                raise ToolError(f"{argument}: {message}") from None
        return result(report, calendar_audit.render_text(report))


def _check_zone(tz: str) -> None:
    """Reject an unknown IANA zone name, naming the ``tz`` argument."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolError(f"tz: unknown time zone {tz!r}: use an IANA name such as Europe/Berlin or UTC") from None
