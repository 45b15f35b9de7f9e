"""The built-in job kinds: thin calls into the service APIs (runner, memory), and how to queue them.

Each kind registers its handler on :mod:`agents.jobs.registry` and, optionally, how its parameters
are checked and made JSON-safe when it is queued; the queue and the worker know no kind. Each
handler takes the job record and returns an :class:`~agents.jobs.registry.Outcome`. Handlers must
be idempotent — a job may run again after a worker died — and they are: runs resume by their
derived run id, ingestion deduplicates by deterministic signal ids, a theme refresh recomputes a
snapshot, retention deletes what is already past its age (a second pass finds nothing more).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from agents.jobs.queue import JobQueue
from agents.jobs.records import JobRecord
from agents.jobs.registry import JobFailed, Outcome, cancel_event, emit, register
from kernel.errors import InputError
from kernel.kinds import DELIVERABLE_KINDS
from kernel.timeutil import parse_iso

RUN_OPTIONS = frozenset({"deliverables", "strategy", "audience", "repo", "since", "until", "offline", "review",
                         "out"})
DELIVERABLES = frozenset(DELIVERABLE_KINDS)
AUDIENCES = frozenset({"exec", "eng", "sales"})
INGEST_KINDS = frozenset({
    "auto", "ticket", "review", "interview", "sales_call", "survey", "usage", "meeting", "commits", "issues",
})


def normalize_run_options(options: dict[str, Any]) -> dict[str, Any]:
    """Validate ``run`` options and make them JSON-safe (paths absolute, dates ISO)."""
    unknown = set(options) - RUN_OPTIONS
    if unknown:
        raise InputError(f"unknown run option(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for name, value in options.items():
        if value is None:
            continue
        if name == "deliverables":
            items = [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v) for v in value]
            items = [v for v in items if v]
            bad = [v for v in items if v not in DELIVERABLES]
            if bad:
                raise InputError(
                    f"unknown deliverable(s): {', '.join(bad)}; expected: {', '.join(sorted(DELIVERABLES))}"
                )
            if items:
                out[name] = items
        elif name == "audience":
            if value not in AUDIENCES:
                raise InputError(f"unknown audience {value!r}; expected one of: {', '.join(sorted(AUDIENCES))}")
            out[name] = value
        elif name in ("strategy", "repo", "out"):
            out[name] = str(Path(value).expanduser().resolve())
        elif name in ("since", "until"):
            out[name] = value.isoformat() if isinstance(value, date | datetime) else str(value)
        else:
            out[name] = bool(value)
    return out


def _prepare_run(params: dict[str, Any]) -> dict[str, Any]:
    goal = params.get("goal")
    if not isinstance(goal, str) or not goal.strip():
        raise InputError("a goal is required")
    return {"goal": goal.strip(), "options": normalize_run_options(dict(params.get("options") or {}))}


def _prepare_ingest(params: dict[str, Any]) -> dict[str, Any]:
    paths = params.get("paths") or []
    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        raise InputError("no files given to ingest")
    kind = params.get("kind", "auto")
    if kind not in INGEST_KINDS:
        raise InputError(f"unknown kind {kind!r}; expected one of: {', '.join(sorted(INGEST_KINDS))}")
    resolved = []
    for path in paths:
        full = Path(path).expanduser().resolve()
        if not full.exists():
            raise InputError(f"file not found: {path}")
        resolved.append(str(full))
    mapping = params.get("mapping")
    out: dict[str, Any] = {"paths": resolved, "kind": kind, "mapping": dict(mapping) if mapping else None}
    if params.get("fingerprints"):
        out["fingerprints"] = list(params["fingerprints"])
    return out


def _prepare_retention(params: dict[str, Any]) -> dict[str, Any]:
    as_of = params.get("as_of")
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None:
            raise InputError("as_of must be timezone-aware")
        return {"as_of": as_of.isoformat()}
    return {"as_of": str(as_of)} if as_of is not None else {}


@register("run", prepare=_prepare_run, run=True)
def run_job(record: JobRecord, queue: JobQueue) -> Outcome:
    """Run (or resume, or return) the agent-graph run whose id is derived from the job id."""
    from agents.runner import run_goal

    options: dict[str, Any] = dict(record.params.get("options") or {})
    for name in ("strategy", "repo", "out"):
        if options.get(name):
            options[name] = Path(options[name])

    def on_event(event: Any) -> None:
        emit(record.job_id, event)

    run = run_goal(
        record.params["goal"], record.workspace, run_id=record.run_id, on_event=on_event, cancel=cancel_event(),
        **options,
    )
    status = run.get("status")
    if status == "failed":
        raise JobFailed(str(run.get("error") or f"run {run.get('run_id')} failed"))
    return Outcome(
        run_id=run.get("run_id", record.run_id),
        artifacts=list(run.get("artifacts") or []),
        result={
            key: run[key] for key in ("status", "mode", "traceability", "llm") if key in run
        },
    )


@register("ingest", prepare=_prepare_ingest)
def ingest_job(record: JobRecord, queue: JobQueue) -> Outcome:
    """Ingest files; remember scheduled-folder files as seen once stored."""
    from memory import api

    paths = [Path(p) for p in record.params["paths"]]
    report = api.ingest(
        paths, record.workspace, kind=record.params.get("kind", "auto"), mapping=record.params.get("mapping")
    )
    fingerprints = record.params.get("fingerprints") or []
    if fingerprints:
        queue.store.mark_seen(record.workspace, fingerprints)
    return Outcome(result=report.model_dump(mode="json"))


@register("refresh_themes")
def refresh_themes_job(record: JobRecord, queue: JobQueue) -> Outcome:
    """Recompute and store the workspace's theme snapshot; embed and keep the new signals' sentence vectors."""
    from memory import api

    report = api.themes(record.workspace, refresh=True)
    sentences = api.fill_sentence_vectors(record.workspace)  # what research would otherwise embed in a run
    return Outcome(
        result={
            "workspace": report.workspace,
            "themes": len(report.themes),
            "labels": [theme.label for theme in report.themes[:20]],
            "sentence_vectors": sentences,
        }
    )


@register("retention", prepare=_prepare_retention)
def retention_job(record: JobRecord, queue: JobQueue) -> Outcome:
    """Expire the workspace's signals older than the retention settings, as of ``params["as_of"]``.

    A scheduled firing passes its minute as ``as_of``, so the outcome does not depend on how
    long the job waited in the queue; without it the worker's clock is used.
    """
    from memory import api

    as_of = record.params.get("as_of")
    now = parse_iso(as_of) if as_of else None
    expired = api.apply_retention(record.workspace, now=now)
    return Outcome(result={"workspace": record.workspace, "expired": expired, "as_of": as_of})


# --- queueing the built-in kinds ---------------------------------------------------------------


def enqueue_run(
    queue: JobQueue, goal: str, workspace: str, *, idempotency_key: str | None = None, schedule: str | None = None,
    **run_options: Any,
) -> JobRecord:
    """Queue one run of the agent graph; ``run_options`` are those of :func:`agents.runner.run_goal`."""
    params = {"goal": goal, "options": run_options}
    return queue.submit("run", workspace, params, idempotency_key=idempotency_key, schedule=schedule)


def enqueue_ingest(
    queue: JobQueue,
    paths: Sequence[Path | str],
    workspace: str,
    *,
    kind: str = "auto",
    mapping: dict[str, str] | None = None,
    idempotency_key: str | None = None,
    schedule: str | None = None,
    fingerprints: Sequence[str] = (),
) -> JobRecord:
    """Queue ingestion of files; ``fingerprints`` are marked as seen once it completes."""
    params = {"paths": paths, "kind": kind, "mapping": mapping, "fingerprints": list(fingerprints)}
    return queue.submit("ingest", workspace, params, idempotency_key=idempotency_key, schedule=schedule)


def enqueue_refresh_themes(
    queue: JobQueue, workspace: str, *, idempotency_key: str | None = None, schedule: str | None = None
) -> JobRecord:
    """Queue a recomputation of the workspace's themes."""
    return queue.submit("refresh_themes", workspace, {}, idempotency_key=idempotency_key, schedule=schedule)


def enqueue_retention(
    queue: JobQueue, workspace: str, *, as_of: datetime | None = None, idempotency_key: str | None = None,
    schedule: str | None = None,
) -> JobRecord:
    """Queue the retention pass of a workspace (``PMPILOT_RETENTION_DAYS`` / ``PMPILOT_RETENTION``).

    ``as_of`` (timezone-aware) is the time the ages are measured from; default: when it runs.
    """
    params = {"as_of": as_of} if as_of is not None else {}
    return queue.submit("retention", workspace, params, idempotency_key=idempotency_key, schedule=schedule)
