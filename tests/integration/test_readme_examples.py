"""README's date-relative usage examples on the sample workspace, through the CLI's ``main()``.

The console script itself runs each of these commands in test_contract_cli.py / test_cli_memory.py; here
they run in this process (``cli``), which spares a process start and a model load per example.

The demo data is dated relative to today (agents/demo/README.md): on any day, ``--since 30d`` and a
``--since`` 60 days back must find demo content, not an empty period. README's ``run … --deliverables status
--since 7d`` example is checked the same way (its week's commits, its period) by test_readme_deliverables.py,
which runs every README example once on its own copy of the demo home.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agents import demo
from tests.support.contract import DemoHome, as_json, cli, demo_home

WS = demo.DEMO_WORKSPACE


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> DemoHome:
    return demo_home(tmp_path_factory)


def commits_since(repo: Path, since: datetime) -> dict[str, datetime]:
    """sha → committer date of every demo commit at or after ``since``."""
    out = subprocess.run(["git", "-C", str(repo), "log", "--format=%H %cI"], capture_output=True, text=True,
                         check=True).stdout
    dated = {sha: datetime.fromisoformat(when) for sha, when in (line.split() for line in out.splitlines())}
    return {sha: when for sha, when in dated.items() if when >= since}


def test_themes_since_30d_is_not_empty(seeded: DemoHome) -> None:
    report = as_json(cli(seeded.home, "themes", "--workspace", WS, "--since", "30d", "--json"))
    themes = report["themes"]
    assert len(themes) >= 3
    assert sum(t["size"] for t in themes) >= 50
    assert any("sync" in (t["label"] + " " + " ".join(q["quote"] for q in t["quotes"])).lower() for t in themes)


def test_align_since_60_days_ago_counts_the_demo_commits(seeded: DemoHome) -> None:
    repo = seeded.home / "demo-repo"
    since = (datetime.now(UTC) - timedelta(days=60)).date()
    report = as_json(cli(seeded.home, "align", "--repo", str(repo), "--strategy", str(demo.strategy_file()),
                         "--since", since.isoformat(), "--json"))
    expected = commits_since(repo, datetime(since.year, since.month, since.day, tzinfo=UTC))
    assert report["commits"] == len(expected) >= 30
    shares = {g["goal"]: g["share"] for g in report["goals"]}
    assert shares["Reliable sync"] < 0.35 and any(share > 0 for share in shares.values())


def test_newest_demo_record_is_yesterday(seeded: DemoHome) -> None:
    newest = max(commits_since(seeded.home / "demo-repo", datetime(1970, 1, 1, tzinfo=UTC)).values())
    today = datetime.now(UTC).date()
    assert today - timedelta(days=3) <= newest.astimezone(UTC).date() < today
