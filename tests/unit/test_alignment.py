"""Strategy alignment: goal shares by commits and by lines, gaps, findings, validation, offline and LLM."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.demo import build_demo_repo, issues_file, strategy_file
from kernel.errors import InputError
from memory.ingest.trackers import read_tracker
from tests.unit.test_gitlog import commit, git, lines, make_repo
from tools.alignment import (
    AlignmentReport,
    GoalAssignments,
    align,
    exact_shares,
    format_explain,
    format_report,
    load_alignment_strategy,
)

PROJECT = Path(__file__).resolve().parents[2]

STRATEGY = """\
product: Acme
goals:
  - name: Reliable sync
    weight: 0.5
    description: No edit is ever lost; offline edits merge on reconnect.
    keywords: [sync, conflict, offline]
    paths: ["src/sync/**"]
  - name: Enterprise readiness
    weight: 0.3
    description: SAML SSO, SCIM provisioning and audit logs for enterprise customers.
    keywords: [saml, sso, scim]
    paths: ["src/auth/**"]
  - name: Delight
    weight: 0.2
    description: Polish such as dark mode and animations.
    keywords: [dark mode, theme]
    paths: ["src/ui/theme/**"]
"""


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    root = tmp_path_factory.mktemp("align")
    repo, shas = make_repo(root)
    strategy = root / "strategy.yaml"
    strategy.write_text(STRATEGY, encoding="utf-8")
    return repo, shas, strategy


@pytest.fixture(scope="module")
def product_report(product: tuple[Path, dict[str, str], Path]) -> AlignmentReport:
    repo, _, strategy = product
    return align(repo, strategy)


def goal(report: AlignmentReport, name: str):  # noqa: ANN201 - test helper
    return next(g for g in report.goals if g.goal == name)


def assert_sums_to_one(report: AlignmentReport) -> None:
    assert sum(g.share for g in report.goals) + report.unaligned_share == pytest.approx(1.0, abs=1e-9)
    assert sum(g.share_by_lines for g in report.goals) + report.unaligned_share_by_lines == pytest.approx(1.0, abs=1e-9)


def test_shares_by_commits_and_lines_on_a_known_repo(product: tuple[Path, dict[str, str], Path],
                                                     product_report: AlignmentReport) -> None:
    _, shas, _ = product
    report = product_report
    assert report.commits == 6 and report.merges == 1 and report.lines == 165 and report.mode == "offline"
    sync, enterprise, delight = (goal(report, n) for n in ("Reliable sync", "Enterprise readiness", "Delight"))
    assert sorted(sync.commits) == sorted([shas["sync"], shas["branch"], shas["rename"]])
    assert enterprise.commits == [shas["auth"]] and delight.commits == [shas["theme"]]
    assert report.unaligned_commits == [shas["chore"]]
    assert (sync.share, enterprise.share, delight.share, report.unaligned_share) == (0.5, 0.1667, 0.1667, 0.1666)
    assert sync.share_by_lines == pytest.approx(95 / 165, abs=1e-4) and sync.lines == 95
    assert enterprise.share_by_lines == pytest.approx(50 / 165, abs=1e-4)
    assert report.unaligned_share_by_lines == pytest.approx(5 / 165, abs=1e-4)
    assert sync.gap == pytest.approx(0.0) and enterprise.gap == pytest.approx(0.1667 - 0.3, abs=1e-4)
    assert_sums_to_one(report)
    dumped = report.model_dump()
    assert {"goals", "unaligned_share", "commits"} <= set(dumped)
    assert set(dumped["goals"][0]) >= {"goal", "weight", "share", "commits", "share_by_lines", "gap"}
    methods = {m.sha: m.method for m in report.mapping}
    assert methods[shas["branch"]] == "rules" and methods[shas["chore"]] == "none"


def test_a_commit_serving_two_goals_splits_its_weight(tmp_path: Path) -> None:
    repo = tmp_path / "split"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    both = commit(repo, "feat: SAML users keep offline edits", {"src/sync/a.ts": lines(10), "src/auth/b.ts": lines(10)},
                  "2026-10-01T10:00:00+00:00")
    commit(repo, "feat(theme): dark mode", {"src/ui/theme/x.css": lines(20)}, "2026-10-02T10:00:00+00:00")
    strategy = tmp_path / "s.yaml"
    strategy.write_text(STRATEGY, encoding="utf-8")
    report = align(repo, strategy)
    assert goal(report, "Reliable sync").share == goal(report, "Enterprise readiness").share == 0.25
    assert goal(report, "Delight").share == 0.5 and report.unaligned_share == 0
    assert goal(report, "Reliable sync").commit_count == 0.5 and goal(report, "Reliable sync").lines == 10
    assert both in goal(report, "Reliable sync").commits and both in goal(report, "Enterprise readiness").commits
    assert_sums_to_one(report)


def test_since_limits_the_period(product: tuple[Path, dict[str, str], Path]) -> None:
    repo, shas, strategy = product
    report = align(repo, strategy, since=datetime(2026, 10, 4, 12, tzinfo=UTC))
    assert report.commits == 2 and goal(report, "Reliable sync").share == 1.0
    assert report.since == "2026-10-04T12:00:00+00:00"
    empty = align(repo, strategy, since=datetime(2030, 1, 1, tzinfo=UTC))
    assert empty.commits == 0 and all(g.share == 0 for g in empty.goals) and empty.unaligned_share == 0
    assert "no commits in the period" in " ".join(empty.warnings)


def test_demo_repo_top_goal_is_starved(tmp_path: Path) -> None:
    repo = build_demo_repo(tmp_path / "tandem")
    issues = list(read_tracker(issues_file()))
    report = align(repo, strategy_file(), issues=issues)
    sync = goal(report, "Reliable sync")
    assert report.commits == 40 and sync.weight == 0.35 and sync.share == 0.05 and len(sync.commits) == 2
    assert sync.gap == pytest.approx(-0.30)
    assert goal(report, "Delight").share > 0.3
    assert report.findings[0].startswith("Reliable sync has weight 35 % but got 5 % of capacity")
    assert sync.issue_share > 0.2 and report.issues == 21
    assert any("of the issues" in f and f.startswith("Reliable sync") for f in report.findings)
    assert_sums_to_one(report)
    assert sum(g.issue_share for g in report.goals) + report.unaligned_issue_share == pytest.approx(1.0)
    existing = set(subprocess.run(["git", "rev-list", "HEAD"], cwd=repo, capture_output=True, text=True,
                                  check=True).stdout.split())
    assert {sha for g in report.goals for sha in g.commits} <= existing
    text = format_report(report)
    assert "Reliable sync" in text and "Findings:" in text and "(unaligned)" in text


def test_this_projects_own_history(tmp_path: Path) -> None:
    if not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout")
    strategy = tmp_path / "pmpilot.yaml"
    strategy.write_text(
        "goals:\n"
        "  - {name: User memory, weight: 0.4, keywords: [memory, ingest, qdrant], paths: ['memory/**']}\n"
        "  - {name: Agent graph, weight: 0.4, keywords: [graph, planner, writer], paths: ['agents/**']}\n"
        "  - {name: Surfaces, weight: 0.2, keywords: [cli, mcp, gradio], paths: ['ui/**']}\n",
        encoding="utf-8",
    )
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT, capture_output=True, text=True,
                          check=True).stdout.strip()  # pinned: other work may land while this test runs
    date = subprocess.run(["git", "log", "-1", "--format=%cI", head], cwd=PROJECT, capture_output=True, text=True,
                          check=True).stdout.strip()
    report = align(PROJECT, strategy, until=datetime.fromisoformat(date))
    count = int(subprocess.run(["git", "rev-list", "--count", "--no-merges", head], cwd=PROJECT,
                               capture_output=True, text=True, check=True).stdout)
    assert report.commits == count
    assert_sums_to_one(report)
    assert {m.sha for m in report.mapping} == {sha for g in report.goals for sha in g.commits} | set(
        report.unaligned_commits)
    assert goal(report, "User memory").share > 0


def test_strategy_validation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("product: x\n", encoding="utf-8")
    with pytest.raises(InputError, match="no goals found; expected a Markdown list"):
        load_alignment_strategy(bad)
    bad.write_text("goals:\n  - {name: A, weight: 0.5}\n  - {name: a, weight: 0.5}\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate goal name"):
        load_alignment_strategy(bad)
    bad.write_text("goals:\n  - {name: A, weight: lots}\n", encoding="utf-8")
    with pytest.raises(InputError, match="must be a number"):
        load_alignment_strategy(bad)
    with pytest.raises(InputError, match="not found"):
        load_alignment_strategy(tmp_path / "missing.yaml")
    off = tmp_path / "off.yaml"
    off.write_text("goals:\n  - {name: A, weight: 0.9}\n  - {name: B, weight: 0.4}\n", encoding="utf-8")
    strategy, warnings = load_alignment_strategy(off)
    assert [g.weight for g in strategy.goals] == [pytest.approx(0.9 / 1.3, abs=1e-4), pytest.approx(0.4 / 1.3,
                                                                                                    abs=1e-4)]
    assert warnings == ["goal weights sum to 1.3, not 1: normalised (each divided by 1.3)"]
    pct = tmp_path / "pct.yaml"
    pct.write_text("goals:\n  - {name: A, weight: 60%}\n  - {name: B, weight: 40}\n", encoding="utf-8")
    strategy, warnings = load_alignment_strategy(pct)
    assert [g.weight for g in strategy.goals] == [0.6, 0.4] and "percentages" in warnings[0]
    assert load_alignment_strategy(strategy_file())[1] == []


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=12))
def test_exact_shares_always_sum_to_one(values: list[float]) -> None:
    shares = exact_shares(values)
    assert len(shares) == len(values) and all(s >= 0 for s in shares)
    if sum(values) > 0:
        assert round(sum(shares), 6) == 1.0
        assert all(abs(s - v / sum(values)) <= 1e-4 + 1e-9 for s, v in zip(shares, values, strict=True))
    else:
        assert shares == [0.0] * len(values)


def test_llm_mode_decides_what_no_rule_matches(product: tuple[Path, dict[str, str], Path], scripted_openai) -> None:
    from kernel.llm import LLMUsage, chat_model

    repo, shas, strategy = product
    scripted_openai.push(GoalAssignments.model_validate(
        {"assignments": [{"index": 0, "goals": ["delight", "Made-up goal"]}]}))
    usage = LLMUsage()
    report = align(repo, strategy, chat_model=chat_model("scorer", usage=usage), usage=usage)
    assert report.mode == "llm" and usage.as_dict()["calls"] == 1
    request = scripted_openai.chat_requests[0].request
    assert "chore(deps): bump react" in request.text and '<data kind="items">' in request.text
    assert "[0]" in request.text and "src/sync/merge.ts" not in request.text.split('<data kind="items">')[1]
    mapped = {m.sha: m for m in report.mapping}
    assert mapped[shas["chore"]].goals == ["Delight"] and mapped[shas["chore"]].method == "llm"
    assert report.unaligned_share == 0 and goal(report, "Delight").share == pytest.approx(2 / 6, abs=1e-4)
    assert_sums_to_one(report)


MARKDOWN = """\
# Acme strategy

## Goals

1. Reliable sync (weight 50). No edit is ever lost: offline edits merge on reconnect.
2. Enterprise readiness (weight 30). Single sign-on with SAML and audit logs for admins.
3. Delight (weight 20). Polish such as dark mode and animations.
"""


def no_meaning(texts, goals):  # noqa: ANN001, ANN201 - lexical evidence and history only
    return np.zeros((len(texts), len(goals)))


def test_markdown_strategy_json_and_explain(product: tuple[Path, dict[str, str], Path], tmp_path: Path) -> None:
    repo, shas, _ = product
    strategy = tmp_path / "strategy.md"
    strategy.write_text(MARKDOWN, encoding="utf-8")
    report = align(repo, strategy, similarity=no_meaning)
    assert [(g.name, g.weight) for g in report.strategy_goals] == [("Reliable sync", 0.5),
                                                                  ("Enterprise readiness", 0.3), ("Delight", 0.2)]
    assert report.strategy_goals[0].description == "No edit is ever lost: offline edits merge on reconnect."
    mapped = {m.sha: m for m in report.mapping}
    assert mapped[shas["sync"]].goals == ["Reliable sync"] and mapped[shas["sync"]].method == "evidence"
    assert any("word 'offline'" in e for e in mapped[shas["sync"]].evidence)
    assert mapped[shas["auth"]].goals == ["Enterprise readiness"]
    assert mapped[shas["theme"]].goals == ["Delight"]
    assert mapped[shas["chore"]].goals == [] and shas["chore"] in report.unaligned_commits
    assert_sums_to_one(report)
    text = format_explain(report)
    assert "Parsed goals:" in text and "- Reliable sync (50 %): No edit is ever lost" in text
    assert f"{shas['sync'][:10]} fix(sync): keep offline edits" in text and "(unaligned: maintenance)" in text
    done = subprocess.run([sys.executable, "-m", "ui.cli", "align", "--repo", str(repo), "--strategy", str(strategy),
                           "--offline", "--json", "--until", "2026-10-03T12:00:00+00:00"], cwd=PROJECT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"goals", "unaligned_share", "commits", "strategy_goals"} <= set(data)
    assert data["commits"] == 3 and data["until"].startswith("2026-10-03T12:00")
    assert data["strategy_goals"][1] == {"name": "Enterprise readiness", "weight": 0.3,
                                         "description": "Single sign-on with SAML and audit logs for admins."}
    assert all({"score", "evidence", "goals"} <= set(m) for m in data["mapping"])
    with pytest.raises(InputError, match="before --since"):
        align(repo, strategy, since=datetime(2026, 10, 5, tzinfo=UTC), until=datetime(2026, 10, 1, tzinfo=UTC))


def test_a_test_or_doc_commit_serves_the_goal_of_what_it_touches(tmp_path: Path) -> None:
    repo = tmp_path / "history"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    day = iter(range(1, 20))

    def at() -> str:
        return f"2026-10-{next(day):02d}T10:00:00+00:00"

    sync = [commit(repo, "feat: merge offline edits on reconnect", {"src/replica/merge.ts": lines(40)}, at()),
            commit(repo, "fix: edits lost while offline are replayed", {"src/replica/queue.ts": lines(30),
                                                                        "src/replica/merge.ts": lines(5)}, at())]
    auth = commit(repo, "feat: SAML single sign-on for admins", {"src/login/saml.ts": lines(30)}, at())
    queue_test = commit(repo, "test: ordering of queued operations", {"tests/replica/queue.test.ts": lines(25)}, at())
    login_doc = commit(repo, "docs: explain the settings page", {"docs/saml.md": lines(10)}, at())
    chore = commit(repo, "chore: bump eslint", {"package.json": lines(4)}, at())
    strategy = tmp_path / "strategy.md"
    strategy.write_text(MARKDOWN, encoding="utf-8")
    report = align(repo, strategy, similarity=no_meaning)
    mapped = {m.sha: m for m in report.mapping}
    assert all(mapped[s].goals == ["Reliable sync"] for s in sync) and mapped[auth].goals == ["Enterprise readiness"]
    # the test names no goal: it serves the goal of the queue it tests (module history)
    assert mapped[queue_test].goals == ["Reliable sync"]
    assert any("history: other commits touching tests/replica/queue.test.ts" in e for e in mapped[queue_test].evidence)
    assert mapped[login_doc].goals == ["Enterprise readiness"]
    assert mapped[chore].goals == [] and mapped[chore].method == "none"


def test_llm_mode_classifies_with_the_strategy_text(product: tuple[Path, dict[str, str], Path], tmp_path: Path,
                                                    scripted_openai) -> None:
    from kernel.llm import LLMUsage, chat_model

    repo, shas, _ = product
    strategy = tmp_path / "strategy.md"
    strategy.write_text(MARKDOWN + "\nWe sell to teams that must never lose work.\n", encoding="utf-8")
    scripted_openai.push(GoalAssignments.model_validate({"assignments": [{"index": 0, "goals": ["Delight"]}]}))
    usage = LLMUsage()
    report = align(repo, strategy, chat_model=chat_model("scorer", usage=usage), usage=usage, similarity=no_meaning)
    request = scripted_openai.chat_requests[0].request.text
    assert "We sell to teams that must never lose work." in request and "chore(deps): bump react" in request
    mapped = {m.sha: m for m in report.mapping}
    assert mapped[shas["chore"]].goals == ["Delight"] and mapped[shas["chore"]].method == "llm"
    assert usage.as_dict()["calls"] == 1 and report.mode == "llm"
