"""The bundled Tandem demo workspace: files parse, counts and story hold, the git history is deterministic."""

from __future__ import annotations

import csv
import fnmatch
import json
import math
import re
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from agents.demo import (
    DATA_DIR,
    DEMO_WORKSPACE,
    INTERNAL_SPEAKERS,
    anchor_date,
    build_demo_repo,
    commits_file,
    demo_offset,
    issues_file,
    meeting_file,
    signal_files,
    strategy_file,
)
from kernel.errors import InputError

START = datetime(2026, 8, 17, tzinfo=UTC)
END = datetime(2026, 11, 15, tzinfo=UTC)
VTT_CUE = re.compile(r"^(\d{2}:\d{2}:\d{2}\.\d{3}) --> (\d{2}:\d{2}:\d{2}\.\d{3})$")
SRT_CUE = re.compile(r"^(\d{2}:\d{2}:\d{2},\d{3}) --> (\d{2}:\d{2}:\d{2},\d{3})$")
SYNC_WORDS = ("sync", "overwr", "revert", "lost", "conflict", "vanish", "rolled back", "undone")


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines() if line]


def _when(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _vtt_turns(path: Path) -> list[tuple[str, str]]:
    """(speaker, text) per cue, checking the WebVTT structure on the way."""
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    assert blocks[0].strip() == "WEBVTT"
    turns, last_end = [], ""
    for block in blocks[1:]:
        lines = block.strip().splitlines()
        if not lines or lines[0] == "NOTE":
            continue
        cue = VTT_CUE.match(lines[0])
        assert cue, f"{path.name}: bad cue timing {lines[0]!r}"
        assert cue.group(1) < cue.group(2) and cue.group(1) >= last_end
        last_end = cue.group(2)
        voice = re.match(r"^<v ([^>]+)>(.+)$", " ".join(lines[1:]))
        assert voice, f"{path.name}: cue without a speaker tag"
        turns.append((voice.group(1), voice.group(2)))
    return turns


def _srt_turns(path: Path) -> list[tuple[str, str]]:
    turns, last_end = [], ""
    for n, block in enumerate(path.read_text(encoding="utf-8").strip().split("\n\n"), 1):
        lines = block.splitlines()
        assert lines[0] == str(n)
        cue = SRT_CUE.match(lines[1])
        assert cue and cue.group(1) < cue.group(2) and cue.group(1) >= last_end
        last_end = cue.group(2)
        speaker, text = " ".join(lines[2:]).split(": ", 1)
        turns.append((speaker, text))
    return turns


def _luhn(digits: str) -> bool:
    nums = [int(d) for d in digits][::-1]
    return (sum(nums[0::2]) + sum(sum(divmod(2 * d, 10)) for d in nums[1::2])) % 10 == 0


def _iban_ok(iban: str) -> bool:
    compact = iban.replace(" ", "")
    return int("".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])) % 97 == 1


def test_api_paths_exist_and_meeting_is_separate() -> None:
    assert DEMO_WORKSPACE == "demo"
    files = signal_files()
    assert all(path.is_file() for path in files)
    assert meeting_file().is_file() and meeting_file() not in files
    assert strategy_file().is_file() and issues_file().is_file() and commits_file().is_file()
    suffixes = Counter(path.suffix for path in files)
    assert suffixes[".vtt"] >= 3 and suffixes[".srt"] >= 2 and suffixes[".csv"] == 3 and suffixes[".jsonl"] == 1


def test_counts_and_formats_parse_with_the_stdlib() -> None:
    tickets, reviews, survey = _csv("tickets.csv"), _csv("reviews.csv"), _jsonl("survey.jsonl")
    interviews = [_vtt_turns(p) for p in sorted((DATA_DIR / "interviews").glob("*.vtt"))]
    calls = [_srt_turns(p) for p in sorted((DATA_DIR / "sales_calls").glob("*.srt"))]
    assert 100 <= len(tickets) <= 120 and len(reviews) >= 75 and len(survey) >= 45
    assert 3 <= len(interviews) <= 4 and all(15 <= len(turns) <= 30 for turns in interviews)
    assert 2 <= len(calls) <= 3 and all(len(turns) >= 15 for turns in calls)
    transcript_turns = sum(map(len, interviews)) + sum(map(len, calls))
    assert len(tickets) + len(reviews) + len(survey) + transcript_turns >= 300
    assert len({t["ticket_id"] for t in tickets}) == len(tickets)
    assert len({r["review_id"] for r in reviews}) == len(reviews)
    assert all(t["subject"] and t["description"] and t["requester"] for t in tickets)
    assert {int(r["rating"]) for r in reviews} == {1, 2, 3, 4, 5}
    assert all(0 <= row["score"] <= 10 and row["comment"] for row in survey)
    usage = _csv("usage_events.csv")
    assert len(usage) >= 2000
    assert set(usage[0]) >= {"user_id", "account", "event", "feature", "timestamp"}


def test_every_dated_row_is_inside_the_90_days_before_the_demo_date() -> None:
    stamps = [_when(t["created_at"]) for t in _csv("tickets.csv")]
    stamps += [_when(r["date"]) for r in _csv("reviews.csv")]
    stamps += [_when(s["submitted_at"]) for s in _jsonl("survey.jsonl")]
    stamps += [_when(u["timestamp"]) for u in _csv("usage_events.csv")]
    assert all(START <= moment < END for moment in stamps)
    assert max(stamps) - min(stamps) >= timedelta(days=80)


def test_transcripts_have_customer_and_internal_speakers() -> None:
    for path in [*sorted((DATA_DIR / "interviews").glob("*.vtt")), *sorted((DATA_DIR / "sales_calls").glob("*.srt"))]:
        turns = _vtt_turns(path) if path.suffix == ".vtt" else _srt_turns(path)
        speakers = {speaker for speaker, _ in turns}
        assert speakers & INTERNAL_SPEAKERS, path.name
        assert speakers - INTERNAL_SPEAKERS, path.name
    meeting = _vtt_turns(meeting_file())
    assert len(meeting) >= 25 and {s for s, _ in meeting} <= INTERNAL_SPEAKERS
    text = " ".join(t for _, t in meeting)
    assert "decided" in text and "you own it" in text and "Open question" in text and "p95" in text


def test_accounts_segments_and_users_are_varied() -> None:
    tickets, survey, usage = _csv("tickets.csv"), _jsonl("survey.jsonl"), _csv("usage_events.csv")
    accounts = {t["organization"] for t in tickets if t["organization"]}
    assert len(accounts) >= 12
    assert {t["segment"] for t in tickets} == {"enterprise", "mid-market", "smb", "consumer"}
    users = {t["requester"] for t in tickets} | {s["user_id"] for s in survey} | {u["user_id"] for u in usage}
    assert len(users) >= 60
    assert all(t["arr"] for t in tickets if t["segment"] != "consumer")
    assert len({r["review"] for r in _csv("reviews.csv")}) == 80


def test_sync_complaints_grow_and_both_sides_of_the_goal_have_evidence() -> None:
    tickets = _csv("tickets.csv")
    buckets: Counter[int] = Counter()
    for ticket in tickets:
        text = (ticket["subject"] + " " + ticket["description"]).lower()
        if any(word in text for word in SYNC_WORDS):
            buckets[(END - _when(ticket["created_at"])).days // 30] += 1
    assert buckets[0] > buckets[1] + buckets[2]
    enterprise_recent = [
        t for t in tickets
        if t["segment"] == "enterprise" and (END - _when(t["created_at"])).days < 30
        and any(word in (t["subject"] + " " + t["description"]).lower() for word in SYNC_WORDS)
    ]
    assert len({t["organization"] for t in enterprise_recent}) >= 3
    dark = [r for r in _csv("reviews.csv") if re.search(r"dark|night", r["review"], re.I)]
    assert len(dark) >= 15
    conflicts = [u for u in _csv("usage_events.csv") if u["event"] == "sync_conflict_shown"]
    release = datetime(2026, 10, 14, tzinfo=UTC)
    before = sum(_when(u["timestamp"]) < release for u in conflicts)
    assert len(conflicts) - before > 3 * before


def test_pii_examples_are_present_in_the_raw_files() -> None:
    raw = (DATA_DIR / "tickets.csv").read_text(encoding="utf-8") + (DATA_DIR / "survey.jsonl").read_text("utf-8")
    emails = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", raw)
    assert {"hollie.bennett@example.com", "accounts.payable@northwind-logistics.example"} <= set(emails)
    assert "+1 (415) 555-0142" in raw and "+44 20 7946 0958" in raw and "07700 900123" in raw
    cards = {c.replace(" ", ""): _luhn(c.replace(" ", "")) for c in re.findall(r"\b(?:\d{4} ){3}\d{4}\b", raw)}
    assert cards["4539578722143309"] is True
    ibans = re.findall(r"\b[A-Z]{2}\d{2}(?: \d{4}){4} \d{2}\b", raw)
    assert ibans and all(_iban_ok(iban) for iban in ibans)
    assert "1842 Larkspur Lane, Suite 300, Portland, OR 97205" in raw
    assert re.search(r"\bsk-[a-z]+-[a-z]+-[0-9a-f]{32}\b", raw)


def test_strategy_weights_sum_to_one_and_goals_have_rules() -> None:
    strategy = yaml.safe_load(strategy_file().read_text(encoding="utf-8"))
    goals = strategy["goals"]
    assert strategy["product"] == "Tandem" and len(goals) == 5
    assert math.isclose(sum(goal["weight"] for goal in goals), 1.0)
    assert all(goal["name"] and goal["description"] and goal["keywords"] and goal["paths"] for goal in goals)
    assert max(goals, key=lambda goal: goal["weight"])["name"] == "Reliable sync"


def test_issues_export_has_github_shape() -> None:
    issues = json.loads((DATA_DIR / "github_issues.json").read_text(encoding="utf-8"))
    assert len(issues) >= 20 and len({i["number"] for i in issues}) == len(issues)
    for issue in issues:
        assert issue["title"] and issue["body"] and issue["state"] in {"open", "closed"}
        assert issue["user"]["login"] and all(label["name"] for label in issue["labels"])
        assert START <= _when(issue["created_at"]) < END


def test_commit_history_is_misaligned_with_strategy() -> None:
    commits = json.loads(commits_file().read_text(encoding="utf-8"))["commits"]
    goals = yaml.safe_load(strategy_file().read_text(encoding="utf-8"))["goals"]
    assert 35 <= len(commits) <= 45
    dates = [datetime.fromisoformat(c["date"]) for c in commits]
    assert dates == sorted(dates) and timedelta(days=35) <= dates[-1] - dates[0] <= timedelta(days=50)
    assert all(re.match(r"^(feat|fix|chore|ci|docs|refactor|perf|style|test)(\([\w-]+\))?: ", c["message"])
               for c in commits)
    assert sum(bool(re.search(r"\(#\d+\)", c["message"])) for c in commits) >= 30
    top = max(goals, key=lambda goal: goal["weight"])
    on_top = [c for c in commits
              if any(fnmatch.fnmatch(f["path"], pattern) for f in c["files"] for pattern in top["paths"])]
    assert len(on_top) / len(commits) <= 0.1 < top["weight"]


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_repo(tmp_path_factory.mktemp("first") / "tandem")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_build_demo_repo_replays_commits_json(demo_repo: Path) -> None:
    commits = json.loads(commits_file().read_text(encoding="utf-8"))["commits"]
    assert int(_git(demo_repo, "rev-list", "--count", "HEAD")) == len(commits)
    log = _git(demo_repo, "log", "--reverse", "--format=%x00%an|%ae|%aI|%s", "--numstat").split("\x00")[1:]
    assert len(log) == len(commits)
    for entry, commit in zip(log, commits, strict=True):
        head, *stat = [line for line in entry.splitlines() if line.strip()]
        author, email, date, subject = head.split("|", 3)
        assert (author, email, subject) == (commit["author"], commit["email"], commit["message"].splitlines()[0])
        assert datetime.fromisoformat(date) == datetime.fromisoformat(commit["date"]) + demo_offset(), subject
        numstat = {path: (int(a), int(r)) for a, r, path in (line.split("\t") for line in stat)}
        assert numstat == {f["path"]: (f["added"], f["removed"]) for f in commit["files"]}
    assert _git(demo_repo, "status", "--porcelain").strip() == ""


def test_build_demo_repo_is_deterministic_and_idempotent(demo_repo: Path, tmp_path: Path) -> None:
    head = _git(demo_repo, "rev-parse", "HEAD").strip()
    other = build_demo_repo(tmp_path / "elsewhere" / "repo")
    assert _git(other, "rev-parse", "HEAD").strip() == head
    index = other / ".git" / "index"
    stamp = index.stat().st_mtime_ns
    assert build_demo_repo(other) == other.resolve()
    assert index.stat().st_mtime_ns == stamp


def test_build_demo_repo_refuses_a_foreign_directory(tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not the pmpilot demo repository"):
        build_demo_repo(foreign)
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_build_demo_repo_rebuilds_a_stale_demo_repository(demo_repo: Path, tmp_path: Path) -> None:
    repo = build_demo_repo(tmp_path / "stale")
    marker = repo / ".git" / "pmpilot-demo"
    head = marker.read_text(encoding="utf-8").split()[1]
    marker.write_text(f"0000older0000 {head}\n", encoding="utf-8")
    (repo / "leftover.txt").write_text("from an older demo", encoding="utf-8")
    assert build_demo_repo(repo) == repo
    assert not (repo / "leftover.txt").exists()
    assert _git(repo, "rev-parse", "HEAD").strip() == _git(demo_repo, "rev-parse", "HEAD").strip()


def test_readme_pii_table_matches_the_data() -> None:
    readme = (DATA_DIR.parent / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(tickets\.csv|survey\.jsonl)` (\S+) \| \w[\w ]*? `([^`]+)`", readme, re.M)
    assert len(rows) >= 8
    texts = {t["ticket_id"]: t["description"] for t in _csv("tickets.csv")}
    texts |= {s["response_id"]: s["comment"] for s in _jsonl("survey.jsonl")}
    for _file, row_id, value in rows:
        assert value in texts[row_id], (row_id, value)


def test_shipped_copies_are_dated_relative_to_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMPILOT_DEMO_TODAY", "2031-03-02")
    assert demo_offset() == date(2031, 3, 1) - anchor_date()
    newest = max(_when(row["created_at"]) for row in csv.DictReader(
        (signal_files()[0]).read_text(encoding="utf-8").splitlines()))
    written = max(_when(row["created_at"]) for row in _csv("tickets.csv"))
    assert newest - written == demo_offset()
    issues = json.loads(issues_file().read_text(encoding="utf-8"))
    assert max(_when(i["created_at"]) for i in issues).date() <= date(2031, 3, 1)
    assert "Recorded: " + (date(2026, 11, 10) + demo_offset()).isoformat() in meeting_file().read_text("utf-8")
    names = [p.name for p in signal_files()]
    assert "orbital_insurance.srt" in names and not any(re.match(r"\d{4}-", n) for n in names)
    monkeypatch.setenv("PMPILOT_DEMO_TODAY", "2026-11-15")
    assert demo_offset() == timedelta(0)
    assert signal_files()[0].read_bytes() == (DATA_DIR / "tickets.csv").read_bytes()


def test_a_bad_pinned_today_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMPILOT_DEMO_TODAY", "next week")
    with pytest.raises(InputError, match="PMPILOT_DEMO_TODAY"):
        demo_offset()
