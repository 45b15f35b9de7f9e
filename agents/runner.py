"""The run service: the only API surfaces (CLI, MCP, Gradio, queue) use to run the agent graph.

It writes a run's ``request.json`` (what was asked, enough to rebuild the runtime context on
resume) and ``run.json`` (atomically, when the run pauses, completes or fails); the layout and every
read (:func:`get_run`, :func:`list_runs`, :func:`read_artifact`) belong to the run store,
:mod:`agents.runs`. The run id is the checkpoint thread id.

Cancellation is cooperative: a :class:`CancelToken` (any ``threading.Event``) passed to
:func:`run_goal` / :func:`resume_run` and set from any thread stops the run at the next step
boundary of the graph (LangGraph's drain: the steps already done stay checkpointed). The run is
recorded ``failed`` with error ``cancelled`` and can be continued with :func:`resume_run`. Once its
documents are written (``publish``) a cancel is too late and the run completes, so a cancelled run
never leaves documents behind.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphDrained
from langgraph.runtime import RunControl
from langgraph.types import Command

from agents import runs
from agents.checkpoint import open_checkpointer
from agents.context import RunContext, RunEvent
from agents.deliverables import DELIVERABLES
from agents.graph import graph
from agents.planner import AUDIENCES
from agents.review import write_atomic
from agents.runs import get_run, list_runs, read_artifact
from kernel.artifacts import LLMUsage, RunFile, RunRecord, Traceability
from kernel.errors import InputError, NotFoundError, PmpilotError, TransientError
from kernel.kinds import DELIVERABLE_KINDS
from kernel.settings import Settings, get_settings
from kernel.timeutil import parse_when
from memory import api as memory_api
from tools.strategy import load_strategy

__all__ = ["CancelToken", "RunEvent", "get_run", "list_runs", "read_artifact", "resume_run", "run_goal"]

#: Deliverables of the contract that a later version provides.
#: Deliverables that need no ingested signals (a status update reads the repository).
SIGNAL_FREE_DELIVERABLES = frozenset(kind for kind, spec in DELIVERABLES.items() if not spec.needs_signals)
CONTRACT_DELIVERABLES = DELIVERABLE_KINDS
RECURSION_LIMIT = 80
CANCELLED = "cancelled"
#: Nodes that run once the documents are on disk: a cancel then is too late, the run completes.
_PUBLISHED_NODES = frozenset({"human_review", "finalize"})

EventCallback = Callable[[RunEvent], None]


class CancelToken(threading.Event):
    """Asks a run to stop at its next step boundary; safe to cancel from any thread (an MCP cancel).

    Any :class:`threading.Event` works as a token (``set()`` cancels); this one names the two calls.
    """

    def cancel(self) -> None:
        """Request the stop (idempotent)."""
        self.set()

    @property
    def cancelled(self) -> bool:
        """Whether a stop was requested."""
        return self.is_set()


class _CancelControl(RunControl):
    """LangGraph's run control, draining when the token is cancelled and the documents are not yet written.

    The Pregel loop reads ``drain_requested`` before every step, so a cancel that arrives while a
    node runs (an LLM call) takes effect as soon as that step ends.
    """

    __slots__ = ("_token", "published")

    def __init__(self, token: threading.Event | None) -> None:
        super().__init__()
        self._token = token
        self.published = False

    @property
    def drain_requested(self) -> bool:
        cancelled = self._token is not None and self._token.is_set() and not self.published
        return cancelled or self._drain_reason is not None

    @property
    def drain_reason(self) -> str | None:
        return self._drain_reason or (CANCELLED if self.drain_requested else None)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _check_deliverables(deliverables: Sequence[str] | None) -> list[str] | None:
    if not deliverables:
        return None
    chosen: list[str] = []
    for name in deliverables:
        kind = name.strip().lower().replace("-", "_")
        if kind in DELIVERABLES:
            if kind not in chosen:
                chosen.append(kind)
        elif kind in CONTRACT_DELIVERABLES:
            raise InputError(f"deliverable {kind!r} is not available in this version; "
                             f"available: {', '.join(DELIVERABLES)}")
        else:
            raise InputError(f"unknown deliverable {name!r}; expected some of: {', '.join(DELIVERABLES)}")
    return chosen


def run_goal(
    goal: str,
    workspace: str,
    *,
    deliverables: Sequence[str] | None = None,
    strategy: Path | None = None,
    audience: str | None = None,
    repo: Path | None = None,
    since: str | None = None,
    until: str | None = None,
    offline: bool | None = None,
    review: bool = False,
    out: Path | None = None,
    run_id: str | None = None,
    on_event: EventCallback | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Run the graph for a goal and return the content of run.json.

    With ``run_id`` of a run that already completed (or awaits review), its run.json is returned
    without re-running; when that run has a checkpoint (it crashed, failed or was cancelled), it
    resumes from it. ``cancel`` stops the run at its next step boundary (status ``failed``, error
    ``cancelled``).

    Raises:
        InputError: bad goal, workspace, deliverables, strategy file, audience, date or repository.
        ConfigError: LLM mode asked for (``offline=False``) without an endpoint.
    """
    settings = get_settings()
    if run_id is not None:
        runs.check_run_id(run_id)
        run_dir = runs.run_dir(run_id, settings)
        if run_dir is not None:
            record = runs.read_json(run_dir / "run.json")
            if record and record.get("status") in ("completed", "awaiting_review"):
                return record
            return _execute(run_id, run_dir, None, on_event, cancel)
    if not goal or not goal.strip():
        raise InputError("goal is empty")
    from memory.repository import validate_workspace

    validate_workspace(workspace)
    chosen = _check_deliverables(deliverables)
    strategy_data = load_strategy(Path(strategy)).to_dict() if strategy else None
    if audience is not None and audience not in AUDIENCES:
        raise InputError(f"unknown audience {audience!r}; expected one of: {', '.join(AUDIENCES)}")
    if since:
        parse_when(since)
    if until and since and parse_when(until) < parse_when(since):
        raise InputError(f"until ({until}) is before since ({since}): the period would be empty")
    if until:
        parse_when(until)
    if repo is not None and not Path(repo).is_dir():
        raise InputError(f"repository not found: {repo}")
    if offline is False and not settings.llm_configured:
        from kernel.errors import ConfigError

        raise ConfigError("LLM mode needs OPENAI_API_KEY or OPENAI_BASE_URL; use --offline otherwise")
    mode_offline = True if offline else not settings.llm_configured
    # a status update reads commits (and issues) only: it needs no ingested signals
    needs_signals = not chosen or any(kind not in SIGNAL_FREE_DELIVERABLES for kind in chosen)
    if needs_signals and memory_api.workspace(workspace).count() == 0:
        raise InputError(f"workspace {workspace!r} has no signals; ingest some first (pmpilot ingest ... --workspace)")

    run_id = run_id or runs.new_run_id()
    run_dir = Path(out or settings.runs_dir).expanduser().resolve() / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    request = {
        "run_id": run_id, "goal": goal.strip(), "workspace": workspace, "offline": mode_offline,
        "run_dir": str(run_dir), "created_at": _now(), "wall_s": 0.0,
        "inputs": {"goal": goal.strip(), "workspace": workspace, "deliverables": chosen, "audience": audience,
                   "strategy": strategy_data, "repo": str(repo) if repo else None, "since": since,
                   "until": until, "review": bool(review)},
    }
    write_atomic(run_dir / "request.json", json.dumps(request, indent=2))
    write_atomic(runs.index_path(run_id, settings), json.dumps({"run_dir": str(run_dir)}))
    return _execute(run_id, run_dir, request["inputs"], on_event, cancel)


def resume_run(run_id: str, *, approve: bool = False, revise: str | None = None,
               on_event: EventCallback | None = None, cancel: threading.Event | None = None) -> dict[str, Any]:
    """Continue a run paused for review (approve, or revise with the PM's text), or a crashed or cancelled run.

    Raises:
        NotFoundError: no such run.
        InputError: both or neither of approve/revise for a run awaiting review.
    """
    settings = get_settings()
    runs.check_run_id(run_id)
    run_dir = runs.run_dir(run_id, settings)
    if run_dir is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    record = runs.read_json(run_dir / "run.json") or {}
    if record.get("status") == "completed":
        return record
    if record.get("status") == "awaiting_review":
        if approve and revise:
            raise InputError("give either approve or revise, not both")
        if not approve and not (revise and revise.strip()):
            raise InputError(f"run {run_id} is awaiting review: approve it or send a revision")
        answer = {"approve": True} if approve else {"revise": revise.strip() if revise else ""}
        return _execute(run_id, run_dir, Command(resume=answer), on_event, cancel)
    return _execute(run_id, run_dir, None, on_event, cancel)


def _import_before_threads(settings: Settings) -> None:
    """Import here what a run's threads (researchers, prefetch) would otherwise import lazily at once.

    Two threads importing modules of one package at the same moment can meet a partially initialised
    module ("cannot import name … (most likely due to a circular import)"); a CLI run in LLM mode hit
    it under load. The theme stack and the model client are needed by the run anyway; the libraries
    they import only on first use are named here (tests/integration/test_run_thread_imports.py finds
    any module an offline run still imports first on one of its threads).
    """
    import igraph  # noqa: F401  (memory.themes' Leiden clustering imports it on first use)
    import leidenalg  # noqa: F401
    import scipy.cluster.hierarchy  # noqa: F401  (sklearn's average linkage imports it on first use)

    import memory.themes  # noqa: F401  (sklearn, scipy: theme snapshot prefetch)

    if settings.llm_configured:
        import langchain_openai  # noqa: F401
        from langchain_core.messages import HumanMessage

        # langchain-core imports its content-block translators on first use "to avoid a circular import"
        _ = HumanMessage("warm-up").content_blocks


def _execute(run_id: str, run_dir: Path, graph_input: Any, on_event: EventCallback | None,
             cancel: threading.Event | None = None) -> dict[str, Any]:
    """Invoke (or continue) the checkpointed graph and write run.json for where it stopped."""
    settings = get_settings()
    request = runs.read_json(run_dir / "request.json")
    if request is None:
        raise NotFoundError(f"run {run_id} has no request.json in {run_dir}")
    control = _CancelControl(cancel)

    def track(event: RunEvent) -> None:
        # Node events arrive from inside the node, before the loop's next drain check: once publish
        # has ended the documents are on disk and a cancel no longer applies; a revision re-opens it.
        if event.type == "node_end" and event.node == "publish":
            control.published = True
        elif event.type == "node_start" and event.node == "writer":
            control.published = False
        if on_event is not None:
            on_event(event)

    _import_before_threads(settings)
    context = RunContext(run_id=run_id, workspace=request["workspace"], offline=bool(request["offline"]),
                         run_dir=run_dir, on_event=track, settings=settings)
    config: RunnableConfig = {"configurable": {"thread_id": run_id, "workspace": request["workspace"]},
                              "recursion_limit": RECURSION_LIMIT}
    started = time.perf_counter()
    error: str | None = None
    values: dict[str, Any] = {}
    interrupted = False
    # The connection is closed on a background thread once run.json is written: the last connection's close
    # checkpoints the WAL into the database file and syncs it, disk wait the caller need not have (and that
    # would hold up the run's own file writes were they made while it syncs).
    with open_checkpointer(settings, close_later=True) as saver:
        # The graph compiled once at import, with this run's checkpointer: compiling it again (nodes,
        # edges, channel specs, validation) took ~15 ms of CPU before every run's first model request.
        app = graph.copy(update={"checkpointer": saver})
        snapshot = app.get_state(config)
        if graph_input is None and snapshot.values and not snapshot.next:
            values = dict(snapshot.values)
        else:
            if graph_input is None and not snapshot.values:
                graph_input = request["inputs"]
            # Resuming after review: the documents are already written.
            control.published = bool(set(snapshot.next) & _PUBLISHED_NODES)
            try:
                for _ in app.stream(graph_input, config, context=context, stream_mode="updates",
                                    control=control):
                    pass
            except GraphDrained:
                # Cancelled between two steps: the finished steps are checkpointed, so resume continues.
                error = CANCELLED
                context.emit("error", "", error)
            except TransientError as exc:
                # Worth retrying (LLM 429/5xx after retries, store busy): record, then let the caller
                # (the queue) retry; the next attempt resumes from the last checkpoint.
                _write_failed(run_id, run_dir, request, f"transient: {exc}")
                raise
            except PmpilotError as exc:
                error = str(exc)
                context.emit("error", "", error)
            except Exception as exc:  # a bug: record the run as failed for list_runs/the queue, then surface it
                _write_failed(run_id, run_dir, request, f"internal error: {type(exc).__name__}: {exc}")
                raise
            snapshot = app.get_state(config)
            values = dict(snapshot.values)
        interrupted = bool(snapshot.interrupts)
        if error == CANCELLED:
            current = runs.read_json(run_dir / "run.json")
            if current and current.get("status") in ("completed", "awaiting_review"):
                return current  # another attempt (a queue worker that took over) finished it meanwhile
        request["wall_s"] = round(float(request.get("wall_s") or 0.0) + time.perf_counter() - started, 3)
        write_atomic(run_dir / "request.json", json.dumps(request, indent=2))
        if error is not None:
            status = "failed"
        elif interrupted:
            status = "awaiting_review"
        elif values.get("status") == "completed":
            status = "completed"
        else:
            status, error = "failed", "the run stopped before completing"
        timings = dict(values.get("timings") or {})
        timings["wall"] = request["wall_s"]
        record = RunFile(
            run_id=run_id, status=status, mode="offline" if request["offline"] else "llm", goal=request["goal"],
            workspace=request["workspace"], artifacts=values.get("artifacts") or [],
            traceability=Traceability.model_validate(values.get("traceability") or {}),
            llm=LLMUsage.model_validate(values.get("llm") or {}), timings=timings,
            deliverables=(values.get("plan") or {}).get("deliverables") or [], created_at=request["created_at"],
            updated_at=_now(), error=error, research=list(values.get("research") or []),
            warnings=list(dict.fromkeys(values.get("warnings") or [])),
        ).model_dump(mode="json")
        write_atomic(run_dir / "run.json", json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        return record


def _write_failed(run_id: str, run_dir: Path, request: dict[str, Any], error: str) -> None:
    record = RunRecord(run_id=run_id, status="failed", mode="offline" if request["offline"] else "llm",
                       goal=request["goal"], workspace=request["workspace"], created_at=request["created_at"],
                       updated_at=_now(), error=error).model_dump(mode="json")
    write_atomic(run_dir / "run.json", json.dumps(record, indent=2, ensure_ascii=False) + "\n")
