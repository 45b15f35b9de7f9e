"""MCP tools over the user memory: search, themes, profiles, ingest and erasure."""

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from kernel.schemas import ForgetReceipt, IngestReport, Profile, ThemeReport
from kernel.timeutil import parse_when
from memory import api
from ui.mcp import models
from ui.mcp.common import ToolHost, WorkspaceArg, blocking, result, tool_errors
from ui.mcp.models import IngestKind, InlineSignal, Kind, SearchResult
from ui.mcp.progress import call_with_events, ingest_reporter


class MemoryTools(ToolHost):
    """``search_user_memory``, ``get_themes``, ``get_profile``, ``ingest_signals``, ``forget_user``."""

    async def search_user_memory(
        self,
        ctx: Context,
        query: Annotated[str, Field(min_length=1, max_length=2000, description="What to look for, in plain words.")],
        workspace: WorkspaceArg,
        limit: Annotated[int, Field(ge=1, le=200, description="Maximum number of hits.")] = 10,
        user_id: Annotated[str | None, Field(description="Only signals of this user.")] = None,
        account_id: Annotated[str | None, Field(description="Only signals of this account.")] = None,
        segment: Annotated[str | None, Field(description="Only signals of this segment, e.g. enterprise.")] = None,
        kind: Annotated[Kind | None, Field(description="Only signals of this kind.")] = None,
    ) -> Annotated[CallToolResult, SearchResult]:
        """Hybrid (semantic + keyword) search of what users said in a workspace; best matches first."""
        self.check_workspace(ctx, workspace)
        with tool_errors():
            hits = await blocking(api.search, query, workspace, user_id=user_id, account_id=account_id,
                                  segment=segment, kind=kind, limit=limit)
        found = SearchResult(workspace=workspace, query=query, hits=hits)
        return result(found, models.md_search(found))

    async def get_themes(
        self,
        ctx: Context,
        workspace: WorkspaceArg,
        since: Annotated[str | None, Field(description="Only signals since: YYYY-MM-DD or a span like 30d.")] = None,
        segment: Annotated[str | None, Field(description="Only signals of this segment.")] = None,
        members: Annotated[bool, Field(description="List every member signal of every theme.")] = False,
    ) -> Annotated[CallToolResult, ThemeReport]:
        """Themes users talk about (discovered, not predefined): size, users, accounts, trend and quotes."""
        self.check_workspace(ctx, workspace)
        with tool_errors("since"):
            when = parse_when(since) if since else None
        with tool_errors():
            report = await blocking(api.themes, workspace, since=when, segment=segment, members=members)
        return result(report, models.md_themes(report))

    async def get_profile(
        self,
        ctx: Context,
        workspace: WorkspaceArg,
        user_id: Annotated[str | None, Field(description="The user to profile.")] = None,
        account_id: Annotated[str | None, Field(description="The account to profile.")] = None,
        segment: Annotated[str | None, Field(description="The segment to profile.")] = None,
    ) -> Annotated[CallToolResult, Profile]:
        """The evolving profile of exactly one user, account or segment: typed claims with their evidence."""
        self.check_workspace(ctx, workspace)
        if sum(v is not None for v in (user_id, account_id, segment)) != 1:
            raise ToolError("give exactly one of user_id, account_id or segment")
        with tool_errors():
            profile = await blocking(api.profile, workspace, user=user_id, account=account_id, segment=segment)
        return result(profile, models.md_profile(profile))

    async def ingest_signals(
        self,
        ctx: Context,
        workspace: WorkspaceArg,
        signals: Annotated[
            list[InlineSignal] | None,
            Field(max_length=5000, description="Signals sent inline (at most 5000 per call)."),
        ] = None,
        paths: Annotated[
            list[str] | None,
            Field(max_length=100, description="Files on the server's machine (CSV, JSON, JSONL, VTT, SRT ...); "
                                              "accepted over stdio only."),
        ] = None,
        kind: Annotated[IngestKind, Field(description="What the signals are; auto detects it per file.")] = "auto",
        source: Annotated[
            str,
            Field(pattern=r"^[A-Za-z0-9_-]{1,64}$",
                  description="Name of the system inline signals come from (part of their stable ids)."),
        ] = "mcp",
    ) -> Annotated[CallToolResult, IngestReport]:
        """Add user signals to a workspace's memory (idempotent: re-sending the same ids stores nothing new).

        PII is redacted before storage. Give inline ``signals``, ``paths``, or both.
        """
        self.check_workspace(ctx, workspace)
        if not signals and not paths:
            raise ToolError("give signals (inline) or paths (files) to ingest")
        files = [self._path(p, "file") for p in paths or []]
        missing = [str(f) for f in files if f is not None and not f.exists()]
        if missing:
            raise ToolError(f"paths: file not found: {missing[0]}")
        with tempfile.TemporaryDirectory(prefix="pmpilot-mcp-") as tmp:
            if signals:
                files.append(_write_inline(Path(tmp) / f"{source}.jsonl", signals))
            chosen = [f for f in files if f is not None]

            def work(on_event: Callable[[Any], None]) -> IngestReport:
                return api.ingest(chosen, workspace, kind=kind, progress=lambda done, total: on_event((done, total)))

            with tool_errors():
                report = await call_with_events(ctx, work, ingest_reporter)
        return result(report, models.md_ingest(report))

    async def forget_user(
        self,
        ctx: Context,
        workspace: WorkspaceArg,
        user_id: Annotated[str, Field(min_length=1, max_length=200, description="The person to erase.")],
    ) -> Annotated[CallToolResult, ForgetReceipt]:
        """Erase a person from the workspace everywhere (signals, claims, quotes, themes, decisions). Irreversible."""
        self.check_workspace(ctx, workspace)
        if not user_id.strip():
            raise ToolError("user_id is empty")
        with tool_errors():
            receipt = await blocking(api.forget, workspace, user_id)
        return result(receipt, models.md_forget(receipt, user_id))


def _write_inline(path: Path, signals: list[InlineSignal]) -> Path:
    """Write inline signals as JSONL (the ingestion pipeline's input format) and return the file."""
    with path.open("w", encoding="utf-8") as fh:
        for signal in signals:
            row = {"id": signal.external_id, "text": signal.text, "user_id": signal.user_id,
                   "account_id": signal.account_id, "segment": signal.segment, "created_at": signal.created_at}
            fh.write(json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False) + "\n")
    return path
