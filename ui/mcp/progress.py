"""Run blocking service calls in a worker thread while streaming their progress to the MCP client.

The agent graph and ingestion are synchronous: they run in a thread (``anyio.to_thread``) and
report through a callback. The callback hands each event to the event loop (``from_thread`` with
the loop's token, so it also works from LangGraph's own worker threads); a task on the loop turns
events into ``notifications/progress`` and log messages. When the client cancels, the tool stops
waiting at once and sets the work's cancel token: a run stops at its next step boundary and its
run.json records ``failed`` / ``cancelled`` (work without a token, like ingestion, finishes on its own).
"""

from __future__ import annotations

import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import LoggingLevel

from agents.context import RunEvent
from agents.runner import CancelToken

T = TypeVar("T")
Level = Literal["debug", "info", "notice", "warning", "error"]

#: Handshake-era clients (and the conformance suite) still use logging/setLevel and log
#: notifications; the SDK marks that capability deprecated for the 2026 protocol, which we
#: support as well, so its warning is expected here and not actionable.
warnings.filterwarnings("ignore", category=MCPDeprecationWarning, module=r"ui\.mcp(\..*)?$")

_SEVERITY: tuple[str, ...] = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")

#: At most this many blocking service calls (runs, ingestion) at once; more wait their turn.
WORK_LIMITER = anyio.CapacityLimiter(2)


class LogLevels:
    """Minimum log level per client connection, as set by ``logging/setLevel`` (default ``info``)."""

    def __init__(self, capacity: int = 1024) -> None:
        """Remember levels for up to ``capacity`` connections (least recently set dropped first)."""
        self._levels: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity

    @staticmethod
    def key(headers: Mapping[str, str] | None) -> str:
        """The connection of a request: its HTTP session id, or the single stdio/in-process peer."""
        return (headers.get("mcp-session-id") or "") if headers else ""

    def set(self, key: str, level: str) -> None:
        """Record the minimum level of one connection."""
        self._levels[key] = level
        self._levels.move_to_end(key)
        while len(self._levels) > self._capacity:
            self._levels.popitem(last=False)

    def enabled(self, key: str, level: str) -> bool:
        """Whether a message at ``level`` may be sent on that connection."""
        minimum = self._levels.get(key, "info")
        return _SEVERITY.index(level) >= _SEVERITY.index(minimum)


LOG_LEVELS = LogLevels()


async def log(ctx: Context, level: Level, message: str) -> None:
    """Send one log message to the client, honouring its requested level."""
    if not LOG_LEVELS.enabled(LogLevels.key(ctx.headers), level):
        return
    lvl: LoggingLevel = level
    await ctx.request_context.session.send_log_message(
        level=lvl, data=message, logger="pmpilot", related_request_id=ctx.request_id
    )


#: (progress value and total, or None when the event is not a step; log level; message).
Report = tuple[tuple[float, float | None] | None, Level, str]


def run_reporter() -> Callable[[RunEvent], Report]:
    """Describe the events of one run: every node start/end of the graph is a progress step."""
    steps = 0

    def report(event: RunEvent) -> Report:
        nonlocal steps
        if event.type in ("node_start", "node_end"):
            steps += 1
            if event.type == "node_start":
                return (steps, None), "info", f"{event.node}: started"
            return (steps, None), "info", f"{event.node}: {event.message or 'done'}"
        if event.type == "error":
            return None, "error", f"error: {event.message}"
        if event.type in ("artifact", "review"):
            return None, "notice", f"{event.node}: {event.message}"
        return None, "debug", f"{event.node}: {event.message}" if event.node else event.message

    return report


def ingest_reporter(event: tuple[int, int | None]) -> Report:
    """Describe ingestion progress: (records read, total records when known)."""
    done, total = event
    of = f"/{total}" if total is not None else ""
    return (float(done), None if total is None else float(total)), "info", f"ingest: {done}{of} records read"


async def call_with_events(
    ctx: Context, work: Callable[[Callable[[Any], None]], T], render: Callable[[Any], Report],
    cancel: CancelToken | None = None,
) -> T:
    """Run ``work(on_event)`` in a worker thread, forwarding its events as progress and logs.

    Args:
        ctx: The tool call's context (progress token, session).
        work: Blocking function; it calls ``on_event`` from any thread as it makes progress.
        render: Turns an event into (progress or None, log level, message); called on the event loop.
        cancel: The token ``work`` watches; cancelled when the call is (client cancel, disconnect).

    Returns:
        What ``work`` returned. Its exceptions propagate unchanged.
    """
    token = anyio.lowlevel.current_token()
    send, receive = anyio.create_memory_object_stream[Any](math.inf)
    detached = threading.Event()

    def on_event(event: Any) -> None:
        if detached.is_set():
            return
        try:
            anyio.from_thread.run_sync(send.send_nowait, event, token=token)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, RuntimeError):
            # The tool call is over (finished, cancelled or the loop closed): nobody is listening.
            detached.set()

    async def forward() -> None:
        last = -math.inf
        async with receive:
            async for event in receive:
                progress, level, message = render(event)
                if progress is not None and progress[0] > last:
                    last = progress[0]
                    await ctx.report_progress(progress[0], progress[1], message)
                await log(ctx, level, message)

    outcome: list[T] = []
    failure: list[Exception] = []
    async with anyio.create_task_group() as group:
        group.start_soon(forward)
        finished = False
        try:
            outcome.append(
                await anyio.to_thread.run_sync(work, on_event, abandon_on_cancel=True, limiter=WORK_LIMITER)
            )
            finished = True
        except Exception as exc:  # re-raised below, outside the task group, so it is not wrapped in a group
            failure.append(exc)
            finished = True
        finally:
            if not finished and cancel is not None:
                # The call was cancelled while the thread runs: ask the work to stop at its next step.
                cancel.cancel()
            detached.set()
            send.close()
    if failure:
        raise failure[0]
    return outcome[0]
