"""MCP tools over runs: drafting tools, the whole graph, the queue and reading a run back."""

from functools import partial
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from agents import runner
from kernel.artifacts import RunRecord
from kernel.errors import InputError, NotFoundError
from kernel.timeutil import parse_when
from ui.mcp import models
from ui.mcp.common import GoalArg, OfflineArg, ToolHost, WorkspaceArg, blocking, result, tool_errors
from ui.mcp.models import Audience, Deliverable, DraftResult, JobSummary
from ui.mcp.progress import call_with_events, run_reporter


class RunTools(ToolHost):
    """``get_run``, ``draft_requirements``, ``write_brief``, ``write_decision_memo``, ``run_goal``, ``enqueue_run``."""

    async def get_run(
        self,
        ctx: Context,
        run_id: Annotated[str, Field(min_length=1, max_length=96, description="The run id returned by a run.")],
        workspace: WorkspaceArg,
    ) -> Annotated[CallToolResult, RunRecord]:
        """A run's status, documents (as pmpilot://runs/... resources), traceability and timings."""
        self.check_workspace(ctx, workspace)
        with tool_errors():
            record = RunRecord.model_validate(await blocking(runner.get_run, run_id))
            if record.workspace != workspace:
                raise NotFoundError(f"no run with id {run_id!r} in workspace {workspace!r}")
        return result(record, models.md_run(record))

    async def draft_requirements(
        self, ctx: Context, goal: GoalArg, workspace: WorkspaceArg, offline: OfflineArg = None
    ) -> Annotated[CallToolResult, DraftResult]:
        """Draft product requirements (user stories with acceptance criteria, RICE) grounded in user evidence."""
        return await self._draft(ctx, "requirements", goal, workspace, offline)

    async def write_brief(
        self,
        ctx: Context,
        goal: GoalArg,
        workspace: WorkspaceArg,
        offline: OfflineArg = None,
        audience: Annotated[Audience | None, Field(description="Who reads it: exec, eng or sales.")] = None,
    ) -> Annotated[CallToolResult, DraftResult]:
        """Write a stakeholder brief: TL;DR, the user themes behind it with quotes, proposal, risks and asks."""
        return await self._draft(ctx, "brief", goal, workspace, offline, audience=audience)

    async def write_decision_memo(
        self, ctx: Context, goal: GoalArg, workspace: WorkspaceArg, offline: OfflineArg = None
    ) -> Annotated[CallToolResult, DraftResult]:
        """Write a decision memo: weighted criteria, scored options, a recommendation, risks and unknowns."""
        return await self._draft(ctx, "decision_memo", goal, workspace, offline)

    async def run_goal(
        self,
        ctx: Context,
        goal: GoalArg,
        workspace: WorkspaceArg,
        deliverables: Annotated[
            list[Deliverable] | None, Field(description="Documents to draft; omitted: the planner chooses.")
        ] = None,
        offline: OfflineArg = None,
        audience: Annotated[Audience | None, Field(description="Who reads the documents.")] = None,
        since: Annotated[str | None, Field(description="Only evidence and commits since this date or span.")] = None,
        strategy: Annotated[str | None, Field(description="Strategy file, Markdown/YAML/JSON (stdio only).")] = None,
        repo: Annotated[str | None, Field(description="Git repository path for status/alignment (stdio only).")] = None,
    ) -> Annotated[CallToolResult, RunRecord]:
        """Run the whole agent graph (planner, researchers, scorer, writer, review) for a goal; reports progress."""
        self.check_workspace(ctx, workspace)
        strategy_path, repo_path = self._path(strategy, "strategy"), self._path(repo, "repository")
        with tool_errors("since"):
            if since:
                parse_when(since)
        if strategy_path is not None and not strategy_path.is_file():
            raise ToolError(f"strategy: file not found: {strategy_path}")
        if repo_path is not None and not repo_path.is_dir():
            raise ToolError(f"repo: repository not found: {repo_path}")
        token = runner.CancelToken()
        work = partial(runner.run_goal, goal, workspace, deliverables=deliverables, audience=audience,
                       offline=offline, since=since, strategy=strategy_path, repo=repo_path, cancel=token)
        with tool_errors():
            record = RunRecord.model_validate(
                await call_with_events(ctx, lambda e: work(on_event=e), run_reporter(), cancel=token))
        return result(record, models.md_run(record), is_error=record.status == "failed")

    async def enqueue_run(
        self,
        ctx: Context,
        goal: GoalArg,
        workspace: WorkspaceArg,
        deliverables: Annotated[
            list[Deliverable] | None, Field(description="Documents to draft; omitted: the planner chooses.")
        ] = None,
        offline: OfflineArg = None,
        audience: Annotated[Audience | None, Field(description="Who reads the documents.")] = None,
        idempotency_key: Annotated[
            str | None, Field(max_length=200, description="The same key always yields the same job (no duplicates).")
        ] = None,
    ) -> Annotated[CallToolResult, JobSummary]:
        """Queue a run for a background worker and return the job at once (poll it with get_run / pmpilot jobs)."""
        self.check_workspace(ctx, workspace)
        from agents import jobs

        options: dict[str, Any] = {"deliverables": deliverables, "audience": audience, "offline": offline}
        with tool_errors():
            if not goal.strip():
                raise InputError("goal is empty")
            job = await blocking(jobs.enqueue_run, goal, workspace, idempotency_key=idempotency_key,
                                 **{k: v for k, v in options.items() if v is not None})
        summary = JobSummary(job_id=job.job_id, kind=job.kind, workspace=job.workspace, status=str(job.status.value),
                             run_id=job.run_id, error=job.error, created_at=job.created_at.isoformat())
        return result(summary, models.md_job(summary))

    async def _draft(self, ctx: Context, kind: str, goal: str, workspace: str, offline: bool | None,
                     audience: str | None = None) -> CallToolResult:
        self.check_workspace(ctx, workspace)
        token = runner.CancelToken()
        work = partial(runner.run_goal, goal, workspace, deliverables=[kind], audience=audience, offline=offline,
                       cancel=token)
        with tool_errors():
            record = RunRecord.model_validate(
                await call_with_events(ctx, lambda e: work(on_event=e), run_reporter(), cancel=token))
            draft = DraftResult(run_id=record.run_id, status=record.status, mode=record.mode, kind=kind,
                                traceability=record.traceability, error=record.error)
            if any(a.kind == kind for a in record.artifacts):
                markdown, document = await blocking(runner.read_artifact, record.run_id, kind)
                draft = draft.model_copy(update={"markdown": markdown, "document": document,
                                                 "title": str(document.get("title", "")),
                                                 "resource_uri": models.artifact_uri(record.run_id, kind)})
        failed = not draft.markdown
        if failed and draft.error is None:
            draft.error = f"the run finished with status {draft.status} without a {kind} document"
        return result(draft, models.md_draft(draft), is_error=failed)
