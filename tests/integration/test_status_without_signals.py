"""A status update needs commits, not ingested signals: an empty workspace still gets one, and says so."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agents.demo import build_demo_repo, strategy_file
from kernel.errors import InputError


def test_status_from_commits_alone_in_an_empty_workspace(home: Path, tmp_path: Path) -> None:
    from agents.runner import read_artifact, run_goal
    from memory.repository import reset_memory

    reset_memory()
    try:
        repo = build_demo_repo(tmp_path / "tandem")
        with pytest.raises(InputError, match="has no signals; ingest some first"):
            run_goal("Draft requirements for offline sync", "empty", deliverables=["requirements"])
        run = run_goal("Weekly status update", "empty", deliverables=["status"], repo=repo, since="2026-01-01",
                       strategy=strategy_file(), offline=True)
        assert run["status"] == "completed"
        _, doc = read_artifact(run["run_id"], "status")
        said = [c["summary"] for c in doc["changes"] if c["summary"].startswith("What users said:")]
        assert said == ["What users said: nothing has been ingested in workspace 'empty' yet, so this update reads "
                        "commits and issues only (pmpilot ingest FILE --workspace W adds feedback)."]
        shas = set(subprocess.run(["git", "rev-list", "--all"], cwd=repo, capture_output=True, text=True,
                                  check=True).stdout.split())
        cited = {sha for c in doc["changes"] for sha in c.get("commits") or []}
        assert cited and cited <= shas
        assert sum(c["share"] for c in doc["capacity"]) == pytest.approx(1.0, abs=1e-6)
        assert doc["evidence"] == []
    finally:
        reset_memory()
