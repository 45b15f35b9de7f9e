"""The last steps of a run: citation validation, publishing, human review and finalisation.

* ``validate`` applies :mod:`tools.citations` (with each kind's cited lists) to every draft against the stored
  signals;
* ``publish`` renders (each kind's layout) and writes ``<kind>.md`` / ``<kind>.json`` atomically into the run directory;
* ``human_review`` pauses the graph (``interrupt``) when the run asked for review;
* ``finalize`` logs the decision to the workspace's decision log and marks the run completed.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agents.context import RunCache, RunContext, timed
from agents.deliverables import DELIVERABLES, Deliverable, render_markdown
from agents.deliverables import validate as validate_artifact
from agents.state import ArtifactEntry, PMState
from memory import api as memory_api
from memory.snapshots import decision_text
from tools.citations import StoredSignal
from tools.research import fetch_signals

logger = logging.getLogger(__name__)


def _mentioned_ids(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("signal_id",) and isinstance(value, str):
                found.add(value)
            elif key == "citations" and isinstance(value, list):
                found.update(str(v) for v in value)
            else:
                found |= _mentioned_ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= _mentioned_ids(value)
    return found


def _validate_summary(update: dict[str, Any]) -> str:
    t = update["traceability"]
    return f"{t['cited']}/{t['claims']} claims cited; {update['dropped_invalid']} invalid citations removed"


@timed("validate", _validate_summary)
def validate(state: PMState, runtime: Runtime[RunContext]) -> PMState:
    """Remove every citation and quote not backed by stored evidence of this run."""
    drafts = state.get("drafts") or {}
    evidence = state.get("evidence") or {}
    ids = set().union(*(_mentioned_ids(d) for d in drafts.values())) if drafts else set()
    stored = {sid: StoredSignal(text=s.text, source=s.source, user_id=s.user_id)
              for sid, s in fetch_signals(state["workspace"], sorted(ids)).items()}
    run_evidence = {sid: row["quote"] for sid, row in evidence.items()}
    validated: dict[str, dict[str, Any]] = {}
    claims = cited = dropped = 0
    for kind, draft in drafts.items():
        result = validate_artifact(draft, stored, run_evidence)
        spec = DELIVERABLES.get(kind)
        validated[kind] = spec.model.model_validate(result.artifact).model_dump(mode="json", by_alias=True) \
            if spec else result.artifact
        claims += result.claims
        cited += result.cited
        dropped += result.dropped_invalid
        for item in result.dropped_items:
            runtime.context.emit("review", "validate", f"{kind}: dropped {item} (no valid evidence)")
    total_dropped = int(state.get("dropped_invalid") or 0) + dropped
    # The validated drafts are what finalize logs (unless the PM revises them): embed the decision's text
    # now, in the background, so publishing and the checkpoint writes overlap it instead of finalize waiting.
    prefetch_decision(state, validated, runtime.context.cache)
    return {"drafts": validated, "dropped_invalid": dropped,
            "traceability": {"claims": claims, "cited": cited, "dropped_invalid": total_dropped}}


def write_atomic(path: Path, text: str) -> None:
    """Write a file via a temporary file and rename, so readers never see half a document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@timed("publish", lambda u: f"wrote {len(u['artifacts'])} documents")
def publish(state: PMState, runtime: Runtime[RunContext]) -> PMState:
    """Render and write every validated draft into the run directory."""
    run_dir = runtime.context.run_dir
    artifacts: list[ArtifactEntry] = []
    for kind in state["plan"]["deliverables"]:
        draft = (state.get("drafts") or {}).get(kind)
        if draft is None:
            continue
        path_md, path_json = run_dir / f"{kind}.md", run_dir / f"{kind}.json"
        write_atomic(path_json, json.dumps(draft, indent=2, ensure_ascii=False) + "\n")
        write_atomic(path_md, render_markdown(draft))
        artifacts.append({"kind": kind, "path_md": str(path_md), "path_json": str(path_json)})
        runtime.context.emit("artifact", "publish", f"{kind}: {path_md}", kind=kind, path=str(path_md))
    return {"artifacts": artifacts}


@timed("human_review")
def human_review(state: PMState, runtime: Runtime[RunContext]) -> PMState:
    """Pause for the PM when the run asked for review; resume with ``{"approve": True}`` or ``{"revise": text}``."""
    if not state.get("review"):
        return {"human_feedback": None}
    runtime.context.emit("review", "human_review", "waiting for the PM: approve or revise",
                         artifacts=state.get("artifacts") or [])
    answer = interrupt({"run_id": runtime.context.run_id, "artifacts": state.get("artifacts") or [],
                        "message": "approve the drafts or send a revision"})
    revise = str((answer or {}).get("revise") or "").strip() if isinstance(answer, dict) else ""
    if revise:
        return {"human_feedback": revise, "review_rounds": 0, "pm_revised": True}
    return {"human_feedback": None}


def route_human(state: PMState) -> Literal["writer", "finalize"]:
    """Back to the writer with the PM's revision, else finalise."""
    return "writer" if state.get("human_feedback") else "finalize"


_FLUSHER: tuple[int, ThreadPoolExecutor] | None = None
_FLUSHER_LOCK = threading.Lock()


def _flusher() -> ThreadPoolExecutor:
    """The thread that flushes decision-log writes after finalize (one per process: a forked child gets its own)."""
    global _FLUSHER
    with _FLUSHER_LOCK:
        if _FLUSHER is None or _FLUSHER[0] != os.getpid():
            _FLUSHER = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmpilot-decision-flush"))
        return _FLUSHER[1]


def _flush(later: ExitStack) -> None:
    """Leave the deferred-flush block of a decision write (its flush); a failure is logged, the write is in the WAL."""
    try:
        later.close()
    except Exception:  # no caller to raise to: the next open replays the write-ahead log
        logger.exception("flushing the decision log failed")


def wait_for_flushes() -> None:
    """Wait until the decision-log flushes of the runs finished so far are done (a benchmark between runs)."""
    _flusher().submit(lambda: None).result()


def decision_of(state: PMState, drafts: Mapping[str, Any]) -> tuple[str, str, str, list[str]]:
    """What finalize logs for ``drafts``: question, recommendation, rationale and citations ('' when none).

    The document whose kind ranks highest for the decision log (a memo's recommendation before a brief's
    proposal before the requirements' stories) says what was decided.
    """
    recommendation, rationale, citations = "", "", list[str]()
    found = _deciding(drafts)
    if found is not None and found[0].decision is not None:
        recommendation, rationale, citations = found[0].decision(found[1])
    return state["plan"].get("focus") or state["goal"], recommendation, rationale, citations


def _deciding(drafts: Mapping[str, Any]) -> tuple[Deliverable, Mapping[str, Any]] | None:
    """The kind and document whose decision the run logs (highest ``decision_rank``), or None."""
    deciding = [(spec, doc) for kind, doc in drafts.items()
                if doc and (spec := DELIVERABLES.get(kind)) is not None and spec.decision is not None]
    return max(deciding, key=lambda d: d[0].decision_rank) if deciding else None


def decision_items(drafts: Mapping[str, Any], recommendation: str) -> list[dict[str, Any]]:
    """The parts of ``recommendation`` that each stand on their own evidence, with their citations ([] when none).

    A recommendation that lists items of the deciding document by id ('S1: … (high); S2: …', a requirements
    document's stories) is split at '; ' and each part takes the citations of the cited-list item it names;
    any other recommendation (a memo's 'X first: …') is one item and gets none (the log's ``citations``
    stand for it). A later run shows only the items whose evidence is about its own goal.
    """
    found = _deciding(drafts)
    if found is None:
        return []
    spec, doc = found
    by_id = {str(item["id"]): [str(c) for c in item["citations"]]
             for field_name in spec.cited_lists for item in doc.get(field_name) or []
             if isinstance(item, dict) and item.get("id") and item.get("citations")}
    texts = [t for t in recommendation.split("; ") if t.strip()]
    if not texts or not by_id:
        return []
    items = [{"text": t, "citations": by_id.get(t.split(": ", 1)[0], [])} for t in texts]
    return items if all(i["citations"] and ": " in i["text"] for i in items) else []


def prefetch_decision(state: PMState, drafts: Mapping[str, Any], cache: RunCache) -> None:
    """Start embedding the decision ``drafts`` would log, remembered by the embedder for ``log_decision``."""
    question, recommendation, rationale, _ = decision_of(state, drafts)
    if recommendation:
        text = decision_text(question, recommendation, rationale)
        embedder = memory_api.workspace(state["workspace"]).embedder
        cache.prefetch(("decision", embedder.name, text), embedder.embed_queries, [text])
        cache.start()


@timed("finalize")
def finalize(state: PMState, runtime: Runtime[RunContext]) -> PMState:
    """Log the run's decision to the workspace decision log and mark the run completed.

    The decision's vector was started by ``validate`` (:func:`prefetch_decision`): it is waited for here
    and the log's own ``embed_query`` finds it remembered. The write is in the store's write-ahead log
    when this returns, so a run acknowledged as completed keeps its decision through a killed process
    (the next open replays the log); persisting the shard's segments (a flush, ~0.1 s of disk wait) is
    left to a background thread instead of delaying the run's result, as ``deferred_flush`` allows: a
    power cut right after the run may lose the decision, as it may the run's last checkpoint.
    """
    question, recommendation, rationale, citations = decision_of(state, state.get("drafts") or {})
    if recommendation:
        memory = memory_api.workspace(state["workspace"])
        text = decision_text(question, recommendation, rationale)
        runtime.context.cache.get(("decision", memory.embedder.name, text), memory.embedder.embed_queries, [text])
        later = ExitStack()
        later.enter_context(memory.deferred_flush())
        try:
            memory.log_decision(runtime.context.run_id, question, recommendation, rationale, citations,
                                items=decision_items(state.get("drafts") or {}, recommendation))
        finally:
            _flusher().submit(_flush, later)
    return {"status": "completed"}
