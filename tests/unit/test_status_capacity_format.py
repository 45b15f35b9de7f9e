"""A status update writes a share one way everywhere: the capacity list as its prose and trends ('11 %')."""

from __future__ import annotations

import re

from agents.deliverables import render_markdown
from agents.deliverables.status import _commits, _pct


def test_capacity_and_prose_write_the_same_share_the_same_way() -> None:
    share = 0.1130
    doc = {"kind": "status", "title": "Status", "mode": "offline", "period": "2026-11-27 to 2026-12-04",
           "changes": [{"summary": f"Sync: 3 changes shipped, {_pct(share)} of engineering capacity (weight 30 %).",
                        "goal": "Sync", "commits": ["a" * 40]}],
           "capacity": [{"goal": "Sync", "share": share}, {"goal": "Dark mode", "share": 0.003},
                        {"goal": "Unaligned", "share": 0.0}],
           "risks": [f"Sync is stalled: weight 30 %, {_pct(share)} of capacity ({_commits(3.5)} of 31 commits)."],
           "next": [], "evidence": []}
    md = render_markdown(doc)
    assert "- Sync: 11 %" in md and "11 % of engineering capacity" in md and "11 % of capacity" in md
    assert "- Dark mode: <1 %" in md and "- Unaligned: 0 %" in md  # a little is never shown as nothing
    assert not re.search(r"\d%", md), "one format: no '11%' beside '11 %'"
    assert "about 4 of 31 commits" in md and "3.5" not in md


def test_commit_counts_split_between_goals_read_as_about() -> None:
    assert _commits(34.0) == "34" and _commits(34.33) == "about 34"


def test_an_exec_line_shows_a_commit_subjects_first_clause() -> None:
    from datetime import UTC, datetime

    from agents.deliverables.status import SUBJECT_WORDS, _headline
    from memory.ingest.gitlog import Commit

    when = datetime(2026, 12, 1, tzinfo=UTC)
    long = ("Search: the question's key terms are computed once instead of twice in the check and again in the lead; "
            "same output on every backlog (177 tests pass)")
    commit = Commit(sha="a" * 40, parents=(), author="a", email="a@x", date=when, committed=when, message=long)
    shown = _headline(commit)  # the area before the colon is not what changed
    assert shown.startswith("the question's key terms") and "Search" not in shown
    assert shown.endswith(" …") and len(shown.split()) == SUBJECT_WORDS + 1 and ";" not in shown
