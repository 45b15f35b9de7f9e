"""Git history reader: commits, authors, dates, changed files and line counts, via the ``git`` CLI.

Read-only and offline: only ``git rev-parse`` and ``git log`` run, with optional locks disabled
(``GIT_OPTIONAL_LOCKS=0``), no pager, no prompt and no network. Policy written down here:

- Renames are counted as a delete plus an add (``--no-renames``), so line counts never depend on
  rename detection settings. Binary files count 0 lines and are flagged ``binary``.
- ``since``/``until`` filter on the committer date (when a change landed on the branch, which is
  what a period report asks), while :attr:`Commit.date` is the author date.
- Merge commits are kept and flagged (``merge``); git reports no file changes for them, so they
  add no lines. A "Merge pull request #12" merge carries ``pr=12``.
- PR references: ``(#123)`` at the end of the subject (squash merges), ``Merge pull request #12``,
  GitLab's ``See merge request group/project!45`` and Azure's ``Merged PR 77:``.
- Conventional commits: ``type(scope)!: subject``; ``!`` or a ``BREAKING CHANGE:`` footer sets
  ``breaking``.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kernel.errors import InputError
from kernel.schemas import SignalKind
from kernel.timeutil import parse_iso

from .rows import RawRow, chunk_text

__all__ = ["Commit", "FileChange", "commit_rows", "commit_text", "conventional", "pr_number", "read_commits"]

_RECORD = "\x1e"
_FIELD = "\x1f"
_END = "\x1d"
_FORMAT = f"{_RECORD}%H{_FIELD}%P{_FIELD}%an{_FIELD}%ae{_FIELD}%aI{_FIELD}%cI{_FIELD}%B{_END}"
_TIMEOUT_S = 120

_CONVENTIONAL = re.compile(r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:\s+\S")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")
_MERGE_PR = re.compile(r"^Merge pull request #(\d+)\b")
_GITLAB_MR = re.compile(r"See merge request [\w./-]+!(\d+)")
_AZURE_PR = re.compile(r"^Merged PR (\d+):")
_BREAKING = re.compile(r"^BREAKING[ -]CHANGE:", re.MULTILINE)


@dataclass(frozen=True)
class FileChange:
    """Lines added and removed in one file by one commit."""

    path: str
    added: int
    removed: int
    binary: bool = False

    @property
    def lines(self) -> int:
        """Changed lines (added + removed)."""
        return self.added + self.removed


@dataclass(frozen=True)
class Commit:
    """One commit as git records it, plus what its message says (PR number, conventional type)."""

    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: datetime
    committed: datetime
    message: str
    files: tuple[FileChange, ...] = ()
    pr: int | None = None
    type: str | None = None
    scope: str | None = None
    breaking: bool = False
    merge: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        """The first line of the message."""
        return self.message.split("\n", 1)[0].strip()

    @property
    def body(self) -> str:
        """The message without its subject."""
        parts = self.message.split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""

    @property
    def short(self) -> str:
        """The 10-character abbreviated sha."""
        return self.sha[:10]

    @property
    def lines(self) -> int:
        """Changed lines over all files."""
        return sum(f.lines for f in self.files)

    @property
    def added(self) -> int:
        """Added lines over all files."""
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        """Removed lines over all files."""
        return sum(f.removed for f in self.files)


def pr_number(message: str) -> int | None:
    """The pull/merge request a commit message refers to, if any."""
    subject = message.split("\n", 1)[0].strip()
    for pattern in (_MERGE_PR, _AZURE_PR, _SQUASH_PR):
        match = pattern.search(subject)
        if match:
            return int(match.group(1))
    match = _GITLAB_MR.search(message)
    return int(match.group(1)) if match else None


def conventional(message: str) -> tuple[str | None, str | None, bool]:
    """``(type, scope, breaking)`` of a conventional-commit message; ``(None, None, False)`` otherwise."""
    subject = message.split("\n", 1)[0].strip()
    match = _CONVENTIONAL.match(subject)
    breaking = bool(_BREAKING.search(message))
    if not match:
        return None, None, breaking
    scope = (match.group("scope") or "").strip() or None
    return match.group("type").lower(), scope, breaking or bool(match.group("bang"))


def _env() -> dict[str, str]:
    """The caller's environment minus variables that would point git at another repository."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES")}
    env.update({"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"})
    return env


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-c", "core.quotePath=false", "-c", "log.showSignature=false", *args],
            cwd=repo, env=_env(), capture_output=True, check=False, timeout=_TIMEOUT_S,
        )
    except FileNotFoundError as exc:
        raise InputError("git is not installed; reading a repository's history needs the git command") from exc
    except subprocess.TimeoutExpired as exc:
        raise InputError(f"git log on {repo} took longer than {_TIMEOUT_S} s") from exc


def _first_line(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "unknown error"


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def read_commits(
    repo: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    rev: str = "HEAD",
    max_count: int | None = None,
) -> list[Commit]:
    """Commits reachable from ``rev`` (newest first), with per-file line counts.

    Args:
        repo: A git working tree or bare repository (any directory inside one works).
        since: Only commits committed at or after this time (naive = UTC).
        until: Only commits committed at or before this time.
        rev: The revision to walk from (a branch, tag or sha).
        max_count: At most this many commits.

    Raises:
        InputError: ``repo`` is not a directory or not a git repository, ``rev`` is unknown, or git fails.
    """
    repo = Path(repo).expanduser()
    if not repo.is_dir():
        raise InputError(f"repository not found: {repo}")
    if rev.startswith("-"):
        raise InputError(f"invalid revision {rev!r}")
    probe = _git(repo, "rev-parse", "--git-dir")
    if probe.returncode != 0:
        raise InputError(f"not a git repository: {repo} ({_first_line(probe.stderr)})")
    head = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if head.returncode != 0:
        if rev == "HEAD":
            return []
        raise InputError(f"unknown revision {rev!r} in {repo}")
    args = ["log", "-z", "--numstat", "--no-renames", "--no-color", f"--format={_FORMAT}"]
    if since is not None:
        args.append(f"--since={_iso(since)}")
    if until is not None:
        args.append(f"--until={_iso(until)}")
    if max_count is not None:
        if max_count < 1:
            raise InputError(f"max_count must be at least 1, got {max_count}")
        args.append(f"--max-count={max_count}")
    args += [head.stdout.decode().strip(), "--"]
    done = _git(repo, *args)
    if done.returncode != 0:
        raise InputError(f"git log failed in {repo}: {_first_line(done.stderr)}")
    commits = list(_parse(done.stdout.decode("utf-8", "replace")))
    if since is not None:
        floor = since if since.tzinfo else since.replace(tzinfo=UTC)
        commits = [c for c in commits if c.committed >= floor]
    return commits


def _parse(output: str) -> Iterator[Commit]:
    for record in output.split(_RECORD)[1:]:
        header, _, numstat = record.partition(_END)
        parts = header.split(_FIELD)
        if len(parts) != 7:
            raise InputError("unexpected git log output (a commit message contains control characters)")
        sha, parents, author, email, authored, committed, message = parts
        files: list[FileChange] = []
        for entry in numstat.split("\x00"):
            entry = entry.strip("\n")
            if not entry:
                continue
            added, removed, path = entry.split("\t", 2)
            binary = added == "-" or removed == "-"
            files.append(FileChange(path=path, added=0 if binary else int(added),
                                    removed=0 if binary else int(removed), binary=binary))
        message = message.strip()
        kind, scope, breaking = conventional(message)
        parent_list = tuple(p for p in parents.split() if p)
        yield Commit(
            sha=sha, parents=parent_list, author=author, email=email,
            date=parse_iso(authored), committed=parse_iso(committed),
            message=message, files=tuple(files), pr=pr_number(message), type=kind, scope=scope,
            breaking=breaking, merge=len(parent_list) > 1,
        )


def commit_text(commit: Commit) -> str:
    """What a commit is about, as text: its message and the files it touched."""
    paths = ", ".join(f.path for f in commit.files[:20])
    more = f" and {len(commit.files) - 20} more" if len(commit.files) > 20 else ""
    return f"{commit.message}\n\nFiles: {paths}{more}" if paths else commit.message


def commit_rows(repo: Path, *, since: datetime | None = None, line_start: int = 1) -> Iterator[RawRow]:
    """Commits as raw rows of kind ``commit`` (one row per chunk of a long message), for ingestion.

    The author is the speaker with role ``internal`` (engineers are not users); ``external_id`` is
    the full sha, so re-ingesting a history stores nothing new.
    """
    for n, commit in enumerate(read_commits(repo, since=since), line_start):
        extra = {"sha": commit.sha, "author": commit.author, "lines": str(commit.lines),
                 "files": str(len(commit.files))}
        if commit.pr is not None:
            extra["pr"] = str(commit.pr)
        if commit.type:
            extra["type"] = commit.type
        if commit.scope:
            extra["scope"] = commit.scope
        for i, piece in enumerate(chunk_text(commit_text(commit))):
            yield RawRow(line=n, kind=SignalKind.COMMIT, external_id=commit.sha, text=piece, created_at=commit.date,
                         chunk=i, speaker=commit.author, role="internal", extra=dict(extra))
