"""The git history reader, against repositories built in the test and against this project's own history."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kernel.errors import InputError
from kernel.schemas import SignalKind
from memory.ingest.gitlog import commit_rows, conventional, pr_number, read_commits

PROJECT = Path(__file__).resolve().parents[2]


def git(repo: Path, *args: str, date: str | None = None) -> str:
    """Run git in ``repo`` with a fixed identity and no user/system config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C",
                "GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
                "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com"})
    if date:
        env.update({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    done = subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, env=env, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def commit(repo: Path, message: str, files: dict[str, str | bytes], date: str) -> str:
    """Write ``files`` (text or bytes; None-like empty string deletes) and commit them; returns the sha."""
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD")


def lines(n: int, word: str = "line") -> str:
    return "".join(f"{word} {i}\n" for i in range(n))


def make_repo(root: Path) -> tuple[Path, dict[str, str]]:
    """A small product repository with known commits (sync, auth, theme, chores, a merged PR)."""
    repo = root / "product"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shas = {
        "sync": commit(repo, "fix(sync): keep offline edits when reconnecting (#12)\n\nReplays queued operations.",
                       {"src/sync/merge.ts": lines(30)}, "2026-10-01T10:00:00+00:00"),
        "auth": commit(repo, "feat(auth): SAML login (#13)", {"src/auth/saml.ts": lines(50)},
                       "2026-10-02T10:00:00+00:00"),
        "theme": commit(repo, "feat(theme)!: dark mode palette\n\nBREAKING CHANGE: tokens renamed",
                        {"src/ui/theme/dark.css": lines(15), "src/ui/theme/logo.png": b"\x89PNG\r\n\x1a\n\x00\x01"},
                        "2026-10-03T10:00:00+00:00"),
        "chore": commit(repo, "chore(deps): bump react", {"package.json": lines(5)}, "2026-10-04T10:00:00+00:00"),
    }
    git(repo, "checkout", "-q", "-b", "feature/conflicts")
    shas["branch"] = commit(repo, "Show a conflict banner for lost edits", {"src/sync/banner.ts": lines(20)},
                            "2026-10-05T10:00:00+00:00")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "feature/conflicts", "-m", "Merge pull request #14 from acme/feature/conflicts",
        date="2026-10-06T10:00:00+00:00")
    shas["merge"] = git(repo, "rev-parse", "HEAD")
    (repo / "src/sync/merge.ts").write_text(lines(25), encoding="utf-8")
    git(repo, "mv", "src/sync/banner.ts", "src/sync/conflict banner é.ts")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "refactor(sync): rename banner, trim merge", date="2026-10-07T10:00:00+00:00")
    shas["rename"] = git(repo, "rev-parse", "HEAD")
    return repo, shas


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return make_repo(tmp_path_factory.mktemp("gitlog"))


def test_reads_every_commit_with_metadata(product: tuple[Path, dict[str, str]]) -> None:
    repo, shas = product
    commits = read_commits(repo)
    order = ("rename", "merge", "branch", "chore", "theme", "auth", "sync")
    assert [c.sha for c in commits] == [shas[k] for k in order]
    by_sha = {c.sha: c for c in commits}
    sync = by_sha[shas["sync"]]
    assert sync.author == "Ada Lovelace" and sync.email == "ada@example.com"
    assert sync.date == datetime(2026, 10, 1, 10, tzinfo=UTC)
    assert sync.subject == "fix(sync): keep offline edits when reconnecting (#12)"
    assert sync.body == "Replays queued operations."
    assert (sync.type, sync.scope, sync.pr, sync.breaking, sync.merge) == ("fix", "sync", 12, False, False)
    assert [(f.path, f.added, f.removed) for f in sync.files] == [("src/sync/merge.ts", 30, 0)]


def test_line_counts_binary_files_and_renames(product: tuple[Path, dict[str, str]]) -> None:
    repo, shas = product
    by_sha = {c.sha: c for c in read_commits(repo)}
    theme = by_sha[shas["theme"]]
    assert (theme.type, theme.breaking) == ("feat", True)
    files = {f.path: f for f in theme.files}
    assert files["src/ui/theme/logo.png"].binary and files["src/ui/theme/logo.png"].lines == 0
    assert files["src/ui/theme/dark.css"].added == 15 and theme.lines == 15
    rename = by_sha[shas["rename"]]
    changes = {f.path: (f.added, f.removed) for f in rename.files}
    assert changes == {"src/sync/banner.ts": (0, 20), "src/sync/conflict banner é.ts": (20, 0),
                       "src/sync/merge.ts": (0, 5)}
    assert (rename.added, rename.removed, rename.lines) == (20, 25, 45)


def test_merge_commits_are_flagged_with_their_pr(product: tuple[Path, dict[str, str]]) -> None:
    repo, shas = product
    merge = {c.sha: c for c in read_commits(repo)}[shas["merge"]]
    assert merge.merge and len(merge.parents) == 2 and merge.pr == 14 and merge.files == ()


def test_since_and_until_filter_on_commit_date(product: tuple[Path, dict[str, str]]) -> None:
    repo, shas = product
    recent = read_commits(repo, since=datetime(2026, 10, 4, 12, tzinfo=UTC))
    assert [c.sha for c in recent] == [shas["rename"], shas["merge"], shas["branch"]]
    window = read_commits(repo, since=datetime(2026, 10, 2), until=datetime(2026, 10, 3, 12, tzinfo=UTC))
    assert [c.sha for c in window] == [shas["theme"], shas["auth"]]
    assert read_commits(repo, max_count=2) == read_commits(repo)[:2]
    assert read_commits(repo, since=datetime(2030, 1, 1, tzinfo=UTC)) == []


def test_commit_rows_for_ingestion(product: tuple[Path, dict[str, str]]) -> None:
    repo, shas = product
    rows = list(commit_rows(repo, since=datetime(2026, 10, 5, tzinfo=UTC)))
    assert {r.external_id for r in rows} == {shas["rename"], shas["merge"], shas["branch"]}
    row = next(r for r in rows if r.external_id == shas["branch"])
    assert row.kind == SignalKind.COMMIT and row.role == "internal" and row.speaker == "Ada Lovelace"
    assert row.text.startswith("Show a conflict banner for lost edits") and "src/sync/banner.ts" in row.text
    assert row.extra["sha"] == shas["branch"] and row.extra["lines"] == "20"


def test_message_parsing_rules() -> None:
    assert pr_number("Merge pull request #7 from a/b") == 7
    assert pr_number("feat: thing (#123)") == 123
    assert pr_number("Merged PR 77: fix login") == 77
    assert pr_number("Fix login\n\nSee merge request acme/app!45") == 45
    assert pr_number("fix: mention #5 in the middle") is None
    assert conventional("feat(ui)!: x") == ("feat", "ui", True)
    assert conventional("Fix: x\n\nBREAKING CHANGE: y") == ("fix", None, True)
    assert conventional("Update README") == (None, None, False)


def test_bad_repositories_are_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="repository not found"):
        read_commits(tmp_path / "missing")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / ".git").write_text("gitdir: /nonexistent\n")
    with pytest.raises(InputError, match="not a git repository"):
        read_commits(plain)
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    assert read_commits(empty) == []
    with pytest.raises(InputError, match="unknown revision"):
        read_commits(empty, rev="v9.9")
    with pytest.raises(InputError, match="invalid revision"):
        read_commits(empty, rev="--output=/tmp/x")


def test_this_projects_own_history_matches_git() -> None:
    if not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout")
    commits = read_commits(PROJECT)
    count = int(subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=PROJECT, capture_output=True, text=True,
                               check=True).stdout)
    assert len(commits) == count and count >= 1
    assert all(len(c.sha) == 40 and c.author and c.subject for c in commits)
    first = commits[-1]
    shortstat = subprocess.run(["git", "show", "--numstat", "--format=", "--no-renames", first.sha], cwd=PROJECT,
                               capture_output=True, text=True, check=True).stdout
    expected = sum(int(a) + int(r) for a, r, _ in (line.split("\t", 2) for line in shortstat.splitlines() if line)
                   if a != "-")
    assert first.lines == expected > 0
