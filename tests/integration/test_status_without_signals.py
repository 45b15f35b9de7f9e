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
        # --until ends the period: only the commits committed in it are counted and cited
        dates = subprocess.run(["git", "log", "--format=%H %cI"], cwd=repo, capture_output=True, text=True,
                               check=True).stdout.split("\n")
        dated = sorted((d, sha) for sha, d in (line.split() for line in dates if line.strip()))
        middle = dated[len(dated) // 2][0]
        bounded = run_goal("Status update", "empty", deliverables=["status"], repo=repo, since="2026-01-01",
                           until=middle, strategy=strategy_file(), offline=True)
        _, part = read_artifact(bounded["run_id"], "status")
        early = {sha for d, sha in dated if d <= middle}
        cited_part = {sha for c in part["changes"] for sha in c.get("commits") or []}
        assert cited_part and cited_part <= early and cited_part < cited
        assert part["period"].endswith(middle[:10])
        with pytest.raises(InputError, match="is before since"):
            run_goal("Status update", "empty", deliverables=["status"], repo=repo, since="2026-12-01",
                     until="2026-01-01", offline=True)
    finally:
        reset_memory()
