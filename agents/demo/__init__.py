"""The bundled sample workspace: Tandem, a fictional collaborative notes and docs app.

`pmpilot demo`, the tests and the UI load these files. They are written for this project (see
``README.md`` beside this module) and shipped as package data, so the demo works offline on a
fresh machine. ``build_demo_repo`` turns ``commits.json`` into a real git repository with
deterministic shas for ``pmpilot align`` and the status deliverable.

The files are written at fixed dates; every function here hands out a copy shifted by one whole
number of days (``demo_offset``) so that the newest demo record falls on yesterday (UTC), and
README's ``--since 7d`` / ``--since 30d`` examples find content on any day.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from kernel.errors import InputError

DATA_DIR: Path = Path(__file__).resolve().parent / "data"
DEMO_WORKSPACE = "demo"

#: People who work at Tandem: their transcript turns are interviewer / sales / internal speech.
INTERNAL_SPEAKERS: frozenset[str] = frozenset({
    "Priya Raman", "Marco Bellini", "Owen Achterberg", "Mei Tanaka", "Ravi Subramanian",
    "Claire Dubois", "Jonah Price", "Tom Brennan", "Lena Ortiz", "Gus Whitman",
})

#: Bump when the file-content generator changes, so stale demo repositories are rebuilt.
_GENERATOR_VERSION = "2"
#: Pins "today" (``YYYY-MM-DD``) for the demo's date shift; for tests that need fixed dates.
TODAY_ENV = "PMPILOT_DEMO_TODAY"
#: An ISO calendar date not embedded in a longer number or id (``2026-10-14``, ``2026-10-14T09:00Z``).
_ISO_DATE_RE = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\d])")
#: A leading ``YYYY-MM-DD_`` in a transcript's file name (dropped in the shifted copy: see ``_shifted_dir``).
_NAME_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}_")
_MARKER = "pmpilot-demo"
_STOPWORDS = frozenset({"and", "for", "the", "with", "from", "when", "into", "instead", "both", "get", "new"})


def _data_files() -> list[Path]:
    """Every dated data file of the demo (the commit history included), in a fixed order."""
    return sorted(p for p in DATA_DIR.rglob("*") if p.is_file() and p.suffix != ".yaml")


@lru_cache(maxsize=1)
def anchor_date() -> date:
    """The newest calendar date written anywhere in the demo files (computed once per process)."""
    found = [
        date(int(m[1]), int(m[2]), int(m[3]))
        for path in _data_files()
        for m in _ISO_DATE_RE.finditer(path.read_text(encoding="utf-8"))
    ]
    return max(found)


def _today() -> date:
    pinned = os.environ.get(TODAY_ENV, "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError as exc:
            raise InputError(f"{TODAY_ENV}={pinned!r} is not a date (YYYY-MM-DD)") from exc
    return datetime.now(UTC).date()


def demo_offset(today: date | None = None) -> timedelta:
    """Whole days added to every demo date so the newest record lands on ``today`` − 1 day.

    ``today`` defaults to ``$PMPILOT_DEMO_TODAY`` when set, else the current UTC date.
    """
    return (today or _today()) - timedelta(days=1) - anchor_date()


def shift_dates(text: str, offset: timedelta) -> str:
    """``text`` with every ISO calendar date moved by ``offset`` (times and zones kept as written)."""
    if not offset:
        return text

    def move(m: re.Match[str]) -> str:
        try:
            moved = date(int(m[1]), int(m[2]), int(m[3])) + offset
        except ValueError:
            return m[0]
        return moved.isoformat()

    return _ISO_DATE_RE.sub(move, text)


def _shifted_dir(offset: timedelta) -> Path:
    """A cached copy of ``data/`` with every date moved by ``offset``; built once per offset and data.

    Transcript names lose their leading date so signal ids stay the same from one day to the next;
    the VTT ``Recorded:`` header carries the shifted date and an SRT (which has no header) gets it
    as its modification time, the ingest readers' documented fallback.
    """
    digest = hashlib.sha256(_GENERATOR_VERSION.encode())
    for path in _data_files():
        digest.update(path.relative_to(DATA_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    key = f"{digest.hexdigest()[:16]}-{offset.days:+d}"
    root = Path(tempfile.gettempdir()) / f"pmpilot-demo-{getattr(os, 'getuid', lambda: 0)()}"
    target = root / key
    if (target / ".complete").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        for path in sorted(DATA_DIR.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(DATA_DIR)
            name = _NAME_DATE_RE.sub("", rel.name) if rel.parent != Path(".") else rel.name
            out = work / rel.parent / name
            out.parent.mkdir(parents=True, exist_ok=True)
            text = path.read_text(encoding="utf-8")
            out.write_text(text if path.suffix == ".yaml" else shift_dates(text, offset), encoding="utf-8")
            named = _NAME_DATE_RE.match(rel.name)
            if named:
                day = date.fromisoformat(named[0][:10]) + offset
                stamp = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
                os.utime(out, (stamp, stamp))
        (work / ".complete").write_text(key + "\n", encoding="utf-8")
        try:
            work.rename(target)
        except OSError:  # another process built it first
            if not (target / ".complete").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def data_dir(today: date | None = None) -> Path:
    """The demo data, dated relative to ``today`` (see ``demo_offset``)."""
    return _shifted_dir(demo_offset(today))


def signal_files(today: date | None = None) -> list[Path]:
    """Every user-signal file to ingest (tickets, reviews, interviews, sales calls, survey, usage).

    Dated relative to ``today`` (see ``demo_offset``). The internal meeting transcript is not a
    user signal: see ``meeting_file``.
    """
    base = data_dir(today)

    def dated(folder: str, pattern: str) -> list[Path]:  # in date order, as the written names sort
        return [base / folder / _NAME_DATE_RE.sub("", p.name) for p in sorted((DATA_DIR / folder).glob(pattern))]

    return [
        base / "tickets.csv",
        base / "reviews.csv",
        *dated("interviews", "*.vtt"),
        *dated("sales_calls", "*.srt"),
        base / "survey.jsonl",
        base / "usage_events.csv",
    ]


def meeting_file(today: date | None = None) -> Path:
    """The internal product-meeting transcript (ingest with ``--kind meeting``), dated like the signals."""
    return data_dir(today) / "meeting_notes_sync.vtt"


def strategy_file() -> Path:
    """The product strategy with weighted goals and keyword/path rules for commit alignment."""
    return DATA_DIR / "strategy.yaml"


def issues_file(today: date | None = None) -> Path:
    """A GitHub issues export (JSON) of the Tandem repository, dated like the signals."""
    return data_dir(today) / "github_issues.json"


def commits_file() -> Path:
    """The commit history that ``build_demo_repo`` replays (as written: the shift is applied on build)."""
    return DATA_DIR / "commits.json"


@dataclass(frozen=True)
class _FileChange:
    path: str
    added: int
    removed: int


@dataclass(frozen=True)
class _Commit:
    author: str
    email: str
    date: str
    message: str
    files: tuple[_FileChange, ...]


def _load_commits(path: Path, offset: timedelta = timedelta(0)) -> list[_Commit]:
    """Parse and validate ``commits.json`` with its dates moved by ``offset`` (one clear error if malformed)."""
    try:
        doc = json.loads(shift_dates(path.read_text(encoding="utf-8"), offset))
        commits = [
            _Commit(
                author=str(c["author"]), email=str(c["email"]), date=str(c["date"]),
                message=str(c["message"]).strip(),
                files=tuple(_FileChange(str(f["path"]), int(f["added"]), int(f["removed"])) for f in c["files"]),
            )
            for c in doc["commits"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"invalid demo commit history {path}: {exc}") from exc
    sizes: dict[str, int] = {}
    for commit in commits:
        _git_date(commit.date)
        for change in commit.files:
            if change.added < 0 or change.removed > sizes.get(change.path, 0):
                raise InputError(f"invalid line counts for {change.path} in commit {commit.message.splitlines()[0]!r}")
            sizes[change.path] = sizes.get(change.path, 0) - change.removed + change.added
    return commits


def _git_date(value: str) -> str:
    """ISO 8601 with offset → git's raw ``<unix seconds> <+hhmm>`` (unambiguous on every git)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"invalid commit date {value!r}: {exc}") from exc
    offset = moment.utcoffset()
    if offset is None:
        raise InputError(f"commit date {value!r} needs a UTC offset")
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{int(moment.timestamp())} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _words(subject: str) -> list[str]:
    body = re.sub(r"^\w+(\([^)]*\))?!?:\s*", "", subject)
    body = re.sub(r"\(#\d+\)", "", body)
    words = [w for w in re.findall(r"[a-z]+", body.lower()) if len(w) > 2 and w not in _STOPWORDS]
    return words or ["change"]


def _ident(path: str) -> str:
    stem = Path(path).name.split(".")[0]
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", stem) if p] or ["file"]
    head = parts[0][0].lower() + parts[0][1:]
    return head + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _line(path: str, subject: str, k: int) -> str:
    """One plausible, unique line of source for ``path`` (unique so git's numstat equals the JSON counts)."""
    words = _words(subject)
    word = words[k % len(words)]
    name = _ident(path)
    slug = re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    num = (k * 37 + len(word) * 11) % 480 + 4
    form = k % 4
    suffix = path.rsplit(".", 1)[-1] if "." in Path(path).name else ""
    if suffix in ("ts", "tsx"):
        return [
            f"export const {name}{word.capitalize()}{k} = {num};",
            f'const {name}Label{k} = "{" ".join(words[:3])} {k}";',
            f"export function {word}Step{k}(input: string): string {{ return input.trim(); }}",
            f"// {word}: handled by {name}Step{k}",
        ][form]
    if suffix == "css":
        return f".{slug}-{word}-{k} {{ color: var(--{slug}-{word}-{num}); padding: {num % 24}px; }}"
    if suffix == "swift":
        return [f"let {name}{word.capitalize()}Limit{k} = {num}",
                f"func {word}Step{k}() {{ loadIfNeeded(page: {k}) }}",
                f"private let {word}Key{k} = \"{slug}.{word}.{k}\"",
                f"// {word} tuning, step {k}"][form]
    if suffix == "kt":
        return [f"private const val {word.upper()}_{k} = {num}L",
                f"fun {word}Step{k}() = warmUp({k})",
                f'private val {word}Tag{k} = "{slug}-{k}"',
                f"// {word} tuning, step {k}"][form]
    if suffix == "md":
        return f"- {word.capitalize()} ({k}): see `{slug}` for the {' '.join(words[:4])} details."
    if suffix == "json":
        return f'  "{slug}-{word}-{k}": {num},'
    if suffix in ("yml", "yaml"):
        return f"      - run: npm run {word}:{k}"
    if suffix == "snap":
        return f"exports[`{slug} {word} {k}`] = `<div class=\"theme-{word}-{k}\"></div>`;"
    return f"{slug} {word} {k}"


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _fast_import_stream(commits: list[_Commit]) -> bytes:
    """One ``git fast-import`` stream for the whole history (a single git process, not one per commit).

    Each commit carries the full content of the files it touches; messages end with one newline,
    as ``git commit`` stores them.
    """
    contents: dict[str, list[str]] = {}
    counters: dict[str, int] = {}
    out = bytearray()
    for mark, commit in enumerate(commits, 1):
        subject = commit.message.splitlines()[0]
        ident = f"{commit.author} <{commit.email}> {_git_date(commit.date)}".encode()
        out += b"commit refs/heads/main\nmark :%d\n" % mark
        out += b"author " + ident + b"\ncommitter " + ident + b"\n"
        out += _data((commit.message + "\n").encode("utf-8"))
        if mark > 1:
            out += b"from :%d\n" % (mark - 1)
        for change in commit.files:
            lines = contents.setdefault(change.path, [])
            if change.removed:
                del lines[-change.removed:]
            for _ in range(change.added):
                counters[change.path] = counters.get(change.path, 0) + 1
                lines.append(_line(change.path, subject, counters[change.path]))
            body = ("\n".join(lines) + "\n" if lines else "").encode("utf-8")
            out += f"M 100644 inline {change.path}\n".encode() + _data(body)
    return bytes(out + b"done\n")


def _git_env() -> dict[str, str]:
    """An environment with no user/system git config, hooks or inherited repository variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
                "LC_ALL": "C"})
    return env


def _git(repo: Path, *args: str, env: dict[str, str], stdin: bytes | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", *args],
            cwd=repo, env=env, input=stdin, capture_output=True, check=False,
        )
    except FileNotFoundError as exc:
        raise InputError("git is not installed; the demo repository needs the git command") from exc
    stdout = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        command = next((a for a in args if not a.startswith("-") and "=" not in a), "")
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise InputError(f"git {command} failed: {stderr or stdout}")
    return stdout


def _fingerprint(source: Path, offset: timedelta) -> str:
    digest = hashlib.sha256(source.read_bytes())
    digest.update(_GENERATOR_VERSION.encode())
    digest.update(f"offset {offset.days:+d}".encode())
    return digest.hexdigest()[:24]


def _existing_head(dest: Path, fingerprint: str, env: dict[str, str]) -> str | None:
    """HEAD of an up-to-date demo repository at ``dest``, else None."""
    marker = dest / ".git" / _MARKER
    if not marker.is_file():
        return None
    recorded = marker.read_text(encoding="utf-8").split()
    if len(recorded) != 2 or recorded[0] != fingerprint:
        return None
    try:
        head = _git(dest, "rev-parse", "HEAD", env=env)
    except InputError:
        return None
    return head if head == recorded[1] else None


def build_demo_repo(dest: Path, today: date | None = None) -> Path:
    """Create the Tandem git repository at ``dest`` from ``commits.json`` and return ``dest``.

    Commit dates are moved by ``demo_offset(today)`` whole days. Authors, emails, messages and
    file contents are fixed and no user or system git config is read, so commit shas are
    identical on every machine for a given day. Idempotent: an up-to-date demo repository at
    ``dest`` is returned as is; a stale one (older data, or built on another day) is rebuilt.
    The repository is built in a temporary sibling directory and moved into place, so a failure
    never leaves a half-written repository behind.

    Raises:
        InputError: ``dest`` exists and is not a demo repository, git is missing or fails.
    """
    dest = Path(dest).expanduser().resolve()
    source = commits_file()
    offset = demo_offset(today)
    fingerprint = _fingerprint(source, offset)
    env = _git_env()
    if dest.exists():
        if _existing_head(dest, fingerprint, env) is not None:
            return dest
        if (dest / ".git" / _MARKER).is_file():
            shutil.rmtree(dest)
        elif not dest.is_dir() or any(dest.iterdir()):
            raise InputError(f"{dest} already exists and is not the pmpilot demo repository")
    commits = _load_commits(source, offset)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        repo = work / "repo"
        repo.mkdir()
        _git(repo, "init", "-q", "--template=", "--object-format=sha1", "-b", "main", env=env)
        _git(repo, "fast-import", "--quiet", "--done", env=env, stdin=_fast_import_stream(commits))
        _git(repo, "reset", "-q", "--hard", "main", env=env)
        head = _git(repo, "rev-parse", "HEAD", env=env)
        (repo / ".git" / _MARKER).write_text(f"{fingerprint} {head}\n", encoding="utf-8")
        if dest.exists():
            dest.rmdir()
        repo.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest
