"""Status update for an exec audience (PM review defect 9) and the goal-relevance warnings a run owes.

An exec update was 55 raw commit-subject bullets, identifiers lower-cased ('lOOSE', 'pMPILOT_…'), arrows
HTML-escaped ('-&gt;') in the Markdown, and a user-evidence warning a status update has no use for.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from agents.deliverables import DELIVERABLES
from agents.deliverables.base import Materials, own_evidence_only, render_markdown, uncovered_parts
from agents.deliverables.status import EXEC_AREAS, build_status, lower_word

AREAS = ["sync", "search", "billing", "export", "login", "themes", "calendar", "onboarding"]


def _repo(path: Path) -> Path:
    path.mkdir()
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@x", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "init", "-q", str(path)], check=True, env=env)
    subjects = []
    for i, area in enumerate(AREAS):  # sync has 8 commits, onboarding 1
        subjects += [f"{area}: retry queue for {area} requests, case {j}" for j in range(len(AREAS) - i)]
    subjects += ["LOOSE stays 0.6 (measured)", "PMPILOT_STORE_LOCK_TIMEOUT is read once", "held-out 0.81 -> 0.86"]
    for n, subject in enumerate(subjects):
        (path / f"f{n}.txt").write_text(subject, encoding="utf-8")
        date = f"2026-11-{10 + n % 15:02d}T12:00:00+00:00"
        subprocess.run(["git", "add", "-A"], cwd=path, check=True, env=env)
        subprocess.run(["git", "commit", "-q", "-m", subject], cwd=path, check=True,
                       env={**env, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    return path


def _status(repo: Path, audience: str) -> dict[str, Any]:
    m = Materials(goal="Weekly status update for leadership", focus="status", audience=audience, mode="offline",
                  evidence={}, topics=[], criteria={}, findings=[], decisions=[], has_strategy=False,
                  repo=str(repo), since="2026-11-01", until="2026-11-30")
    return build_status(m)


def test_exec_update_caps_areas_one_sentence_each_and_keeps_identifiers(tmp_path: Path) -> None:
    doc = _status(_repo(tmp_path / "r"), "exec")
    summaries = [c["summary"] for c in doc["changes"]]
    areas = [s for s in summaries if "of the period's commits" in s]
    assert len(areas) == EXEC_AREAS + 1  # the largest areas, then one line for the rest
    assert areas[0].startswith("Sync: 8 changes")
    assert areas[-1].startswith("3 smaller areas (theme, calendar, onboarding) and 3 commits with no area")
    assert sum(len(c["commits"]) for c in doc["changes"]) == 36 + 3
    assert sum(1 for s in summaries if s.startswith("No strategy given")) == 1
    assert all(s.count(". ") == 0 for s in areas)  # one sentence per area
    # The area sentences summarise, never paste the subjects.
    assert not any("case 0" in s for s in areas)


def test_identifiers_keep_their_case_and_markdown_has_no_html_entities(tmp_path: Path) -> None:
    assert lower_word("LOOSE stays 0.6") == "LOOSE stays 0.6"
    assert lower_word("PMPILOT_HOME is read") == "PMPILOT_HOME is read"
    assert lower_word("iOS build") == "iOS build" and lower_word("Fix the export") == "fix the export"
    doc = _status(_repo(tmp_path / "r"), "sales")
    text = " ".join(c["summary"] for c in doc["changes"])
    assert "LOOSE stays" in text and "PMPILOT_STORE_LOCK_TIMEOUT" in text
    assert "lOOSE" not in text and "pMPILOT" not in text
    doc["changes"].append({"summary": "Quote: <script>x</script> and [a](javascript:1)", "goal": None, "commits": []})
    md = render_markdown(doc)
    assert "0.81 -> 0.86" in md and "&gt;" not in md and "&lt;" not in md
    assert not re.search(r"(?<!\\)<script>", md) and "\\<script>" in md and "](javascript" not in md


def test_no_goal_relevance_warning_for_a_run_that_needs_no_user_evidence() -> None:
    assert not DELIVERABLES["status"].needs_signals
    assert own_evidence_only(["status"])
    assert not own_evidence_only(["status", "requirements"]) and not own_evidence_only([])
    plan = {"deliverables": ["status"], "questions": [{"id": "q1", "scope": "search", "query": "weekly status"},
                                                      {"id": "q2", "scope": "search", "query": "leadership"}]}
    research = [{"question_id": "q1", "searched": 100, "kept": 1}, {"question_id": "q2", "searched": 100, "kept": 0}]
    assert uncovered_parts(plan, research, [], {}) == []


def test_a_part_with_one_or_two_kept_signals_is_too_little_evidence_not_none() -> None:
    plan = {"deliverables": ["requirements"], "questions": [
        {"id": "q1", "scope": "search", "query": "access control"},
        {"id": "q2", "scope": "search", "query": "system security"}]}
    research = [{"question_id": "q1", "searched": 100, "kept": 1}, {"question_id": "q2", "searched": 100, "kept": 0}]
    lines = uncovered_parts(plan, research, [], {})
    assert lines[0] == ("Too little evidence for 'access control', a part of the goal: 1 signal kept of 100 searched, "
                        "no topic stands for it.")
    assert lines[1].startswith("No evidence found for 'system security'") and "none reached the relevance floor" \
        in lines[1]
