"""What every pmpilot MCP tool shares: argument types, annotations, error mapping, results, access checks.

The tools themselves are grouped by surface (:mod:`ui.mcp.tools_memory`, :mod:`ui.mcp.tools_runs`,
:mod:`ui.mcp.tools_extras`) as mixins of :class:`ToolHost`; :mod:`ui.mcp.server` assembles them.
"""

import contextlib
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from kernel.errors import PmpilotError
from memory.repository import validate_workspace
from ui.mcp.access import AccessPolicy, bearer

T = TypeVar("T")

WorkspaceArg = Annotated[
    str, Field(description="Workspace (tenant) name: 1-64 letters, digits, '_', '.' or '-'.", examples=["demo"])
]
GoalArg = Annotated[
    str,
    Field(min_length=1, max_length=4000,
          description="The product question or goal in plain words, e.g. 'Should we fix sync before dark mode?'"),
]
OfflineArg = Annotated[
    bool | None,
    Field(description="True: deterministic offline specialists (no LLM). False: use the configured "
                      "OpenAI-compatible endpoint. Omitted: offline unless an endpoint is configured."),
]

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
DRAFT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
DESTROY = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)

@contextlib.contextmanager
def tool_errors(argument: str | None = None) -> Iterator[None]:
    """Turn service errors into MCP tool errors carrying their one-line message.

    ``argument`` names the tool argument at fault, so a caller (often a model) knows what to fix.
    """
    try:
        yield
    except PmpilotError as exc:
        raise ToolError(f"{argument}: {exc}" if argument else str(exc)) from None


def argument_errors(exc: ValidationError) -> str:
    """One line naming every argument that failed the input schema (not the rejected values)."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "arguments"
        parts.append(f"missing required argument {where}" if error["type"] == "missing"
                     else f"invalid argument {where}: {error['msg']}")
    return "; ".join(parts)


def result(model: BaseModel, markdown: str, *, is_error: bool = False) -> CallToolResult:
    """A tool result: structured content (validated against the output schema) plus Markdown."""
    return CallToolResult(
        content=[TextContent(type="text", text=markdown)],
        structured_content=model.model_dump(mode="json"),
        is_error=is_error,
    )


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a short blocking service call in a worker thread, so the event loop keeps serving."""
    return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs))


class ToolHost:
    """Workspace access and path rules every tool mixin relies on.

    Attributes:
        policy: HTTP tokens and the workspaces each may use.
        allow_paths: Whether tools accept paths on the server's file system (stdio: yes; HTTP: no,
            a remote caller must not make the server read its files).
    """

    policy: AccessPolicy
    allow_paths: bool

    def check_workspace(self, ctx: Context, workspace: str) -> str:
        """Validate the workspace name and that the caller's token may use it."""
        with tool_errors():
            validate_workspace(workspace)
        if not self._allowed(ctx, workspace):
            raise ToolError(f"workspace not allowed: this token cannot access {workspace!r}")
        return workspace

    def _allowed(self, ctx: Context, workspace: str) -> bool:
        headers = ctx.headers
        if headers is None:  # stdio or in-process: the local user who started the server
            return True
        return self.policy.allows(self.policy.match(bearer(headers)), workspace)

    def _path(self, value: str | None, what: str) -> Path | None:
        if value is None:
            return None
        if not self.allow_paths:
            raise ToolError(f"{what} paths are only accepted over stdio; send the content inline instead")
        return Path(value).expanduser()
