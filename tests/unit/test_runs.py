"""The run store reads runs laid out as the runner writes them (request.json, run.json, documents, index)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents import runs
from kernel.errors import InputError, NotFoundError
from kernel.settings import get_settings


def write_run(directory: Path, run_id: str, *, workspace: str = "acme", created_at: str, status: str | None,
              docs: dict[str, dict[str, Any]] | None = None) -> Path:
    """A run directory with its index pointer; ``status`` None leaves it without run.json (in progress)."""
    run_dir = directory / run_id
    run_dir.mkdir(parents=True)
    request = {"run_id": run_id, "goal": "Plan Q3", "workspace": workspace, "offline": True,
               "created_at": created_at}
    (run_dir / "request.json").write_text(json.dumps(request))
    pointer = runs.index_path(run_id, get_settings())
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(json.dumps({"run_dir": str(run_dir)}))
    artifacts = []
    for kind, doc in (docs or {}).items():
        (run_dir / f"{kind}.md").write_text(f"# {kind}\n")
        (run_dir / f"{kind}.json").write_text(json.dumps(doc))
        artifacts.append({"kind": kind, "path_md": str(run_dir / f"{kind}.md"),
                          "path_json": str(run_dir / f"{kind}.json")})
    if status is not None:
        record = {"run_id": run_id, "status": status, "workspace": workspace, "created_at": created_at,
                  "artifacts": artifacts}
        (run_dir / "run.json").write_text(json.dumps(record))
    return run_dir


def test_runs_are_listed_newest_first_and_read_back(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "custom-out"  # a --out directory: found through the index pointer
    write_run(out, "r1", created_at="2026-11-01T09:00:00+00:00", status="completed", docs={"status": {"n": 1}})
    write_run(out, "r2", created_at="2026-11-08T09:00:00+00:00", status=None)
    write_run(out, "r3", workspace="other", created_at="2026-11-09T09:00:00+00:00", status="failed")

    assert [r["run_id"] for r in runs.list_runs("acme")] == ["r2", "r1"]
    assert [r["run_id"] for r in runs.list_runs()] == ["r3", "r2", "r1"]
    assert runs.get_run("r2")["status"] == "running"
    assert runs.read_artifact("r1", "status") == ("# status\n", {"n": 1})
    with pytest.raises(NotFoundError):
        runs.read_artifact("r1", "roadmap")
    with pytest.raises(NotFoundError):
        runs.get_run("r9")
    with pytest.raises(InputError):
        runs.get_run("../r1")


def test_latest_artifact_skips_unfinished_runs_and_removed_files(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    write_run(out, "old", created_at="2026-11-01T09:00:00+00:00", status="completed", docs={"roadmap": {"v": 1}})
    gone = write_run(out, "gone", created_at="2026-11-05T09:00:00+00:00", status="completed",
                     docs={"roadmap": {"v": 2}})
    (gone / "roadmap.json").unlink()
    write_run(out, "failed", created_at="2026-11-06T09:00:00+00:00", status="failed", docs={"roadmap": {"v": 3}})
    write_run(out, "brief", created_at="2026-11-07T09:00:00+00:00", status="completed", docs={"brief": {}})

    latest = runs.latest_artifact("acme", "roadmap")
    assert latest == {"run_id": "old", "created_at": "2026-11-01T09:00:00+00:00", "doc": {"v": 1}}
    assert runs.latest_artifact("acme", "status") is None
    assert runs.latest_artifact("other", "roadmap") is None
