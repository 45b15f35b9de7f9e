"""Living roadmap: buckets from scored topics, commits matched from a real git repo, and the diff across two runs.

The roadmap is built from real stored signals (ingested into a tmp PMPILOT_HOME), topics scored by the
scorer's own functions and commits read from a git repository created here. The graph run at the end
builds it twice through the real offline graph.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.deliverables import DELIVERABLES, Materials
from agents.deliverables.roadmap import build_roadmap, match_commits
from kernel.settings import get_settings
from memory.ingest.gitlog import read_commits
from tools.research import evidence_row
from tools.scoring import criteria_weights
from tools.topic_scores import score_topic

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
WS = "roadmap-ws"
TOPICS = {
    "Sync reliability": (r"\bsync", ["sync", "conflict", "offline", "notes"]),
    "Single sign-on": (r"\bsso\b|single sign-on", ["sso", "saml", "okta", "single", "sign"]),
    "Dark mode": (r"dark (mode|theme)", ["dark", "mode", "theme", "night"]),
    "Search": (r"\bsearch", ["search", "slow", "attachments"]),
    "Billing": (r"charged|invoice", ["invoice", "charged", "vat"]),
}
MORE_DARK = """id,created_at,user_id,segment,rating,text
D-1,2025-09-01,user70,smb,3,"Dark mode is the one thing keeping me from recommending you."
D-2,2025-09-02,user71,smb,3,"Still no dark mode? My eyes hurt after an hour of writing."
D-3,2025-09-03,user72,consumer,3,"Please ship a dark theme, I use the app every night."
D-4,2025-09-04,user73,consumer,3,"A dark mode for the editor would make night shifts bearable."
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from memory import api
    from memory.repository import reset_memory

    root = tmp_path_factory.mktemp("roadmap")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PMPILOT_HOME", str(root / "home"))
        get_settings.cache_clear()
        reset_memory()
        report = api.ingest([FIXTURES / "tickets.csv", FIXTURES / "reviews.csv"], WS)
        assert report.ingested > 20 and not report.rejected
        yield root
        reset_memory()
    get_settings.cache_clear()


def materials(repo: Path | None = None) -> Materials:
    """Scored topics over every stored signal, the way the scorer builds them."""
    from memory import api

    signals = [s for s, _ in api.workspace(WS).iter_signals()]
    evidence: dict[str, dict[str, Any]] = {}
    topics: list[dict[str, Any]] = []
    weights = criteria_weights(None)
    for name, (pattern, keywords) in TOPICS.items():
        ids = []
        for signal in signals:
            if re.search(pattern, signal.text, re.IGNORECASE):
                evidence[signal.id] = evidence_row(signal, " ".join(keywords), score=0.5)
                ids.append(signal.id)
        topic = {"id": f"theme:{name}", "kind": "theme", "name": name, "description": ", ".join(keywords),
                 "signal_ids": ids, "theme": {"id": name, "label": name, "keywords": keywords, "trend": 0.0}}
        topic.update(score_topic(topic, evidence, None, weights, None))
        topics.append(topic)
    return Materials(goal="Update the roadmap", focus="what to build next", audience="exec", mode="offline",
                     evidence=evidence, topics=topics, criteria=weights, findings=[], decisions=[],
                     has_strategy=False, workspace=WS, repo=str(repo) if repo else None)


def git_repo(path: Path, subjects: list[str]) -> Path:
    path.mkdir(parents=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.test",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.test",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(path)}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True, env=env)
    for i, subject in enumerate(subjects):
        (path / f"f{i}.txt").write_text(subject + "\n")
        subprocess.run(["git", "add", "."], cwd=path, check=True, env=env)
        day = f"2026-10-{10 + i:02d}T10:00:00+00:00"
        subprocess.run(["git", "commit", "-q", "-m", subject], cwd=path, check=True,
                       env={**env, "GIT_AUTHOR_DATE": day, "GIT_COMMITTER_DATE": day})
    return path


def all_items(doc: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {item["item"]: (bucket, item) for bucket in ("now", "next", "later", "done") for item in doc[bucket]}


def assert_grounded(doc: dict[str, Any]) -> None:
    from memory import api

    evidence = {e["signal_id"]: e["quote"] for e in doc["evidence"]}
    texts = {s.id: s.text for s in api.workspace(WS).get_signals(list(evidence))}
    assert set(texts) == set(evidence)
    for sid, quote in evidence.items():
        assert quote in texts[sid]
    for _, item in all_items(doc).values():
        assert item["citations"] and set(item["citations"]) <= set(evidence)


def test_roadmap_registers_as_a_deliverable() -> None:
    assert DELIVERABLES["roadmap"].model.__name__ == "Roadmap"


def test_commits_match_the_items_they_advance(home: Path) -> None:
    repo = git_repo(home / "match-repo", ["feat(sso): SAML single sign-on with Okta for admins",
                                          "chore(ci): cache pip downloads",
                                          "fix(sync): stop offline edits being lost on reconnect"])
    m = materials(repo)
    commits = read_commits(repo)
    matched = match_commits(commits, m.ranked())
    subjects = {tid: [c.subject for c in cs] for tid, cs in matched.items()}
    assert subjects["theme:Single sign-on"] == ["feat(sso): SAML single sign-on with Okta for admins"]
    assert subjects["theme:Sync reliability"] == ["fix(sync): stop offline edits being lost on reconnect"]
    assert not any("cache pip" in s for group in subjects.values() for s in group)


def test_two_runs_diff_shipped_and_growing_items(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.deliverables import roadmap
    from memory import api

    monkeypatch.setattr(roadmap, "NOW_SIZE", 1)  # five topics: 1 now, 3 next, 1 later
    first = build_roadmap(materials(), previous={}, themes=[])
    assert first["moved"] == [] and first["done"] == []
    placed = all_items(first)
    assert set(placed) == set(TOPICS)
    ranked = [i["item"] for b in ("now", "next", "later") for i in first[b]]
    scores = [placed[name][1]["score"] for name in ranked]
    assert scores == sorted(scores, reverse=True)
    assert [i["item"] for i in first["now"]] == ["Sync reliability"]
    assert len(first["next"]) == 3 and len(first["later"]) == 1
    assert_grounded(first)
    dark_before = placed["Dark mode"]

    extra = home / "more_dark.csv"
    extra.write_text(MORE_DARK)
    assert api.ingest([extra], WS, kind="review").ingested == 4
    # an explicit done marker ships SSO; a plain fix for search is progress, not done
    repo = git_repo(home / "ship-repo", ["feat(sso): SAML single sign-on with Okta for admins\n\nRoadmap: done",
                                         "chore(ci): cache pip downloads",
                                         "fix(search): search finds words inside attachments"])
    second = build_roadmap(materials(repo), previous={"run_id": "run-1", "created_at": "", "doc": first},
                           themes=[])
    after = all_items(second)
    assert after["Single sign-on"][0] == "done"
    assert len(after["Single sign-on"][1]["commits"]) == 1
    assert after["Single sign-on"][1]["status"] == "done" and "marks it done" in after["Single sign-on"][1]["why"]
    assert after["Search"][0] != "done" and after["Search"][1]["status"] == "in progress"
    assert len(after["Search"][1]["commits"]) == 1
    assert after["Dark mode"][1]["signals"] == dark_before[1]["signals"] + 4
    moves = {m["item"]: m for m in second["moved"]}
    assert moves["Single sign-on"]["to"] == "done" and moves["Single sign-on"]["why"].startswith("shipped")
    assert moves["Single sign-on"]["from"] == placed["Single sign-on"][0]
    assert dark_before[0] == "next" and after["Dark mode"][0] == "now"
    assert moves["Dark mode"] == {"item": "Dark mode", "from": "next", "to": "now",
                                  "why": f"evidence grew from {dark_before[1]['signals']} to "
                                         f"{dark_before[1]['signals'] + 4} signals"}
    for move in second["moved"]:
        assert {"item", "from", "to", "why"} <= set(move) and move["why"]
    assert second["previous_run"] == "run-1"
    assert_grounded(second)
    from agents.deliverables import render_markdown

    md = render_markdown(second)
    assert "## Done" in md and "- **Single sign-on**" in md.split("## Done", 1)[1]
    assert "**Dark mode**: next → now (evidence grew" in md


def test_dropped_items_are_reported(home: Path) -> None:
    previous = {"now": [{"item": "Offline maps", "themes": [], "score": 0.9, "commits": [],
                         "citations": ["not-a-current-signal"], "signals": 9}], "next": [], "later": [], "done": []}
    doc = build_roadmap(materials(), previous={"run_id": "old", "created_at": "", "doc": previous}, themes=[])
    dropped = [m for m in doc["moved"] if m["to"] == "dropped"]
    assert dropped == [{"item": "Offline maps", "from": "now", "to": "dropped",
                        "why": "no longer among the run's evidence-backed topics"}]
    assert all(m["from"] is None for m in doc["moved"] if m["to"] != "dropped")


def test_roadmap_through_the_graph_twice(home: Path) -> None:
    from agents.runner import read_artifact, run_goal

    goal = "Update the roadmap: what should we build now, next and later?"
    one = run_goal(goal, WS, deliverables=["roadmap"], offline=True)
    assert one["status"] == "completed"
    _, first = read_artifact(one["run_id"], "roadmap")
    assert first["kind"] == "roadmap" and first["previous_run"] is None
    two = run_goal(goal, WS, deliverables=["roadmap"], offline=True)
    _, second = read_artifact(two["run_id"], "roadmap")
    assert second["previous_run"] == one["run_id"]
    assert {i["item"] for b in ("now", "next", "later", "done") for i in second[b]}
