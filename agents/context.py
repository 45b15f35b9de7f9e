"""Per-run runtime context: what every node needs that is not graph state.

The context is rebuilt for each invocation (it is not checkpointed): run identity, mode, where the
run writes, the event callback and, in LLM mode, the chat models. Everything a resumed run needs
to rebuild it is stored in the run's ``request.json`` by :mod:`agents.runner`.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from kernel.llm import LLMUsage, chat_model
from kernel.settings import Role, Settings, get_settings

logger = logging.getLogger(__name__)

EventType = Literal["node_start", "node_end", "tool_call", "evidence", "artifact", "review", "error"]


class RunEvent(BaseModel):
    """A progress event emitted while a run executes (shown by MCP progress, the UI, the CLI)."""

    type: EventType
    node: str = ""
    message: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


@dataclass
class RunContext:
    """Runtime knobs and handles of one run.

    Attributes:
        run_id: The run (and checkpoint thread) id.
        workspace: The tenant whose memory the run reads; tools take it from here, never from a model.
        offline: Deterministic specialists (True) or chat models (False).
        run_dir: Where the run's documents and run.json are written.
        on_event: Progress callback; exceptions it raises are logged, never break the run.
        models: Chat models per role overriding the configured endpoint (tests, custom clients).
        settings: Deployment settings.
    """

    run_id: str
    workspace: str
    offline: bool = True
    run_dir: Path = Path(".")
    on_event: Callable[[RunEvent], None] | None = None
    models: Mapping[str, BaseChatModel] = field(default_factory=dict)
    settings: Settings = field(default_factory=get_settings)

    def emit(self, type: EventType, node: str = "", message: str = "", **data: Any) -> None:
        """Send one progress event to the callback, if any."""
        if self.on_event is None:
            return
        try:
            self.on_event(RunEvent(type=type, node=node, message=message, data=data))
        except Exception:  # a broken progress consumer must not fail the run; it is logged
            logger.exception("run event callback failed")

    def chat(self, role: Role, usage: LLMUsage | None = None) -> BaseChatModel:
        """The chat model of one role: the injected one, else one from the configured endpoint."""
        if role in self.models:
            return self.models[role]
        return chat_model(role, self.settings, usage=usage)


def timed(
    node: str, summary: Callable[[dict[str, Any]], str] | None = None
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Decorate a node: emit node_start/node_end (with ``summary(update)``) and add its time to ``timings``."""

    def wrap(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(fn)
        def run(state: Any, runtime: Any) -> dict[str, Any]:
            context: RunContext = runtime.context
            context.emit("node_start", node)
            started = time.perf_counter()
            update = fn(state, runtime)
            elapsed = round(time.perf_counter() - started, 3)
            update = dict(update)
            timings = dict(update.get("timings") or {})
            timings[node] = round(timings.get(node, 0.0) + elapsed, 3)
            update["timings"] = timings
            message = summary(update) if summary else ""
            context.emit("node_end", node, message, seconds=elapsed)
            return update

        return run

    return wrap
