"""The run store: where runs live on disk and how they are read back.

A run lives in ``OUT/RUN_ID/`` (``OUT`` defaults to ``PMPILOT_HOME/runs``): ``request.json`` (what
was asked), ``run.json`` (contract shape, written when the run pauses, completes or fails) and one
``<kind>.md`` / ``<kind>.json`` per document. ``PMPILOT_HOME/run-index/RUN_ID.json`` points at the
run directory, so runs written to a custom ``--out`` are still found by id.

:mod:`agents.runner` writes runs; this module only reads them. It imports nothing of the graph, so
a deliverable that builds on its previous document (status, roadmap) reads it here without an import
circle through the runner.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kernel.errors import InputError, NotFoundError
from kernel.settings import Settings, get_settings

__all__ = [
    "check_run_id",
    "get_run",
    "index_path",
    "latest_artifact",
    "list_runs",
    "new_run_id",
    "read_artifact",
    "read_json",
    "run_dir",
]

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def new_run_id() -> str:
    """A sortable, unique run id."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def check_run_id(run_id: str) -> str:
    """``run_id`` when it is a valid id (it names a directory and a file).

    Raises:
        InputError: anything but letters, digits, '-', '_' or '.' (up to 96 characters).
    """
    if not _RUN_ID.match(run_id or ""):
        raise InputError(f"invalid run id {run_id!r}: use letters, digits, '-', '_' or '.'")
    return run_id


def index_path(run_id: str, settings: Settings) -> Path:
    """The pointer file ``PMPILOT_HOME/run-index/RUN_ID.json`` that records a run's directory."""
    return settings.home / "run-index" / f"{run_id}.json"


def run_dir(run_id: str, settings: Settings | None = None) -> Path | None:
    """The directory of run ``run_id`` (from its index pointer, else under ``runs_dir``); None if unknown."""
    settings = settings or get_settings()
    pointer = read_json(index_path(run_id, settings))
    if pointer is not None:
        return Path(pointer["run_dir"])
    default = settings.runs_dir / run_id
    return default if (default / "request.json").is_file() else None


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object stored at ``path``, or None when there is no such file."""
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def get_run(run_id: str) -> dict[str, Any]:
    """The run.json of one run (a run still in progress shows status ``running``).

    Raises:
        InputError: an invalid run id.
        NotFoundError: no such run.
    """
    check_run_id(run_id)
    directory = run_dir(run_id)
    if directory is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    record = read_json(directory / "run.json")
    if record is not None:
        return record
    request = read_json(directory / "request.json") or {}
    return {"run_id": run_id, "status": "running", "mode": "offline" if request.get("offline") else "llm",
            "goal": request.get("goal", ""), "workspace": request.get("workspace", ""), "artifacts": [],
            "traceability": {"claims": 0, "cited": 0, "dropped_invalid": 0},
            "llm": {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}, "timings": {},
            "created_at": request.get("created_at", "")}


def list_runs(workspace: str | None = None) -> list[dict[str, Any]]:
    """Every known run (newest first), optionally of one workspace."""
    settings = get_settings()
    index = settings.home / "run-index"
    ids: set[str] = set()
    if index.is_dir():
        ids |= {p.stem for p in index.glob("*.json")}
    if settings.runs_dir.is_dir():
        ids |= {p.parent.name for p in settings.runs_dir.glob("*/request.json")}
    runs = []
    for run_id in ids:
        try:
            record = get_run(run_id)
        except (NotFoundError, InputError):
            continue
        if workspace is None or record.get("workspace") == workspace:
            runs.append(record)
    return sorted(runs, key=lambda r: (r.get("created_at") or "", r["run_id"]), reverse=True)


def read_artifact(run_id: str, kind: str) -> tuple[str, dict[str, Any]]:
    """The Markdown and JSON of one document of a run.

    Raises:
        NotFoundError: no such run, or the run has no document of that kind.
    """
    record = get_run(run_id)
    for artifact in record.get("artifacts") or []:
        if artifact["kind"] == kind:
            md, js = Path(artifact["path_md"]), Path(artifact["path_json"])
            if md.is_file() and js.is_file():
                document: dict[str, Any] = json.loads(js.read_text(encoding="utf-8"))
                return md.read_text(encoding="utf-8"), document
    raise NotFoundError(f"run {run_id} has no {kind!r} document")


def latest_artifact(workspace: str, kind: str) -> dict[str, Any] | None:
    """The newest completed run of ``workspace`` that wrote a ``kind`` document.

    Returns ``{"run_id", "created_at", "doc"}`` (``doc`` is the document's JSON), or None. A run
    whose files were removed since is skipped: the lookup goes further back.
    """
    for run in list_runs(workspace):
        if run.get("status") != "completed" or not any(a.get("kind") == kind for a in run.get("artifacts") or []):
            continue
        try:
            _, doc = read_artifact(run["run_id"], kind)
        except NotFoundError:
            continue
        return {"run_id": run["run_id"], "created_at": run.get("created_at") or "", "doc": doc}
    return None
