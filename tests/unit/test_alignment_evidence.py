"""How align weighs a commit's evidence: quality concerns, upkeep, framing verbs, prefixes and light imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.unit.test_gitlog import commit, git, lines
from tools.alignment import align, stem

PROJECT = Path(__file__).resolve().parents[2]

STRATEGY = """\
# Beacon strategy

## Goals

1. Meet people in their tools (weight 40). A browser app, a command line and a chat bot, each a thin surface
   over one service API.
2. Understand users (weight 30). Call notes, meeting transcripts and reviews tell us what users need.
3. Trust: reliability and security (weight 30). Customers' data stays theirs and nothing is lost.
"""


def no_meaning(texts, goals):  # noqa: ANN001, ANN201 - lexical evidence and history only
    return np.zeros((len(texts), len(goals)))


def build(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "beacon"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    day = iter(range(1, 28))

    def at() -> str:
        return f"2026-10-{next(day):02d}T10:00:00+00:00"

    shas = {
        "app": commit(repo, "app: a browser app page for the command line's history", {"web/app/page.ts": lines(40)},
                      at()),
        "app2": commit(repo, "app: the chat bot answers in the browser app", {"web/app/chat.ts": lines(30),
                                                                                "web/app/page.ts": lines(45)}, at()),
        # security work done in surface code: the concern's words, not the surface's, say which goal it serves
        "login": commit(repo, "app: refuse to serve off loopback without a login or a bearer token",
                        {"web/app/server.ts": lines(20)}, at()),
        "notes": commit(repo, "meetings: speakers of transcripts and call notes", {"src/meetings/notes.py": lines(30)},
                        at()),
        "style": commit(repo, "tests: line length", {"tests/test_page.ts": lines(3),
                                                     "web/app/page.ts": lines(47)}, at()),
        "ci": commit(repo, "ci: cache the browser download for the app's tests",
                     {".github/workflows/ci.yml": lines(12)}, at()),
        "story": commit(repo, "stories: one story per reviewed requirement", {"src/drafts/stories.py": lines(10)},
                        at()),
        "prefix": commit(repo, "Store faults: retries survive a crashed worker", {"src/jobs/worker.py": lines(25)},
                         at()),
    }
    return repo, shas


def test_concerns_upkeep_and_framing(tmp_path: Path) -> None:
    repo, shas = build(tmp_path)
    strategy = tmp_path / "strategy.md"
    strategy.write_text(STRATEGY, encoding="utf-8")
    report = align(repo, strategy, similarity=no_meaning)
    mapped = {m.sha: m for m in report.mapping}
    surface, users, trust = "Meet people in their tools", "Understand users", "Trust: reliability and security"
    assert mapped[shas["app"]].goals == [surface] and mapped[shas["app2"]].goals == [surface]
    # security work in surface code serves the trust goal (the surface's own files may keep it on the surface too)
    assert trust in mapped[shas["login"]].goals
    assert any("word 'login' (security)" in e for e in mapped[shas["login"]].evidence)
    # "Meet" frames the goal's name: a meeting is no evidence for it
    assert mapped[shas["notes"]].goals == [users]
    assert not any("meet" in e for e in mapped[shas["notes"]].evidence if e.startswith(surface))
    # a style fix and a CI chore touch nothing goal-specific, even in a goal's files
    assert mapped[shas["style"]].goals == [] and mapped[shas["ci"]].goals == []
    assert any("style fix: score × 0.2" in e for e in mapped[shas["style"]].evidence)
    assert any("ci chore + build/CI/test-harness files" in e for e in mapped[shas["ci"]].evidence)
    # "stories" is not "store"; a prefix of a few words is the commit's area
    assert not any("'stories'" in e for e in mapped[shas["story"]].evidence if e.startswith(trust))
    assert mapped[shas["prefix"]].goals == [trust]
    assert shas["style"] in report.unaligned_commits and shas["ci"] in report.unaligned_commits


def test_stems_keep_distinct_words_apart() -> None:
    assert stem("story") == stem("stories") != stem("store")
    assert stem("apply") == stem("applied") != stem("app")
    assert stem("isolation") == stem("isolated")


def test_importing_alignment_leaves_heavy_libraries_unloaded() -> None:
    code = ("import sys, tools.alignment; "
            "print(sorted(m for m in ('sklearn', 'langchain_core', 'openai', 'torch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.strip() == "[]"
