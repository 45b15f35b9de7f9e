"""Issue-tracker exports (GitHub JSON, Jira CSV/JSON, Linear CSV) → rows of kind issue or rejections."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.demo import demo_offset, issues_file
from kernel.errors import InputError
from kernel.schemas import Rejection, SignalKind
from memory.ingest.rows import RawRow
from memory.ingest.trackers import open_tracker, read_tracker


def rows_of(path: Path, **kwargs: str) -> tuple[list[RawRow], list[Rejection]]:
    items = list(read_tracker(path, **kwargs))
    return [i for i in items if isinstance(i, RawRow)], [i for i in items if isinstance(i, Rejection)]


def test_github_issues_export_from_the_demo() -> None:
    rows, rejected = rows_of(issues_file())
    doc = json.loads(issues_file().read_text(encoding="utf-8"))
    assert not rejected and len({r.external_id for r in rows}) == len(doc) == 21
    first = rows[0]
    assert first.kind == SignalKind.ISSUE and first.external_id == "tandem-labs/tandem#212"
    assert first.text.startswith("Last-write-wins overwrites newer server content after a client wakes from sleep\n\n")
    assert "Linked support escalations" in first.text
    assert first.created_at == datetime(2026, 10, 16, 9, 20, tzinfo=UTC) + demo_offset()  # dated relative to today
    assert first.extra["labels"] == "bug, sync, P0, customer-escalation" and first.extra["state"] == "open"
    assert first.extra["tracker"] == "github" and first.user_id is None
    assert first.line == 2
    text = issues_file().read_text(encoding="utf-8").splitlines()
    for row in rows:
        number = row.external_id.split("#")[1]
        assert any(f'"number": {number}' in line for line in text[row.line - 1:row.line + 2])


def test_github_search_wrapper_pull_requests_and_rejections(tmp_path: Path) -> None:
    path = tmp_path / "issues.json"
    path.write_text(json.dumps({"total_count": 3, "items": [
        {"number": 1, "title": "Export to PDF", "body": None, "labels": ["feature"],
         "created_at": "2026-01-02T03:04:05Z", "user": {"login": "sam"}, "state": "open"},
        {"number": 2, "title": "", "body": "", "created_at": "2026-01-02T00:00:00Z"},
        {"number": 3, "title": "Faster sync", "body": "PR body", "created_at": "not a date",
         "pull_request": {"url": "x"}},
        {"number": 4, "title": "Sync PR", "body": "Adds merge", "created_at": "2026-01-03T00:00:00Z",
         "pull_request": {"url": "x"}, "closed_at": "2026-01-04T00:00:00Z"},
    ]}, indent=2), encoding="utf-8")
    rows, rejected = rows_of(path)
    assert [r.external_id for r in rows] == ["#1", "#4"]
    assert rows[0].text == "Export to PDF" and rows[0].extra["labels"] == "feature"
    assert rows[1].extra["type"] == "pull_request" and rows[1].extra["closed_at"].startswith("2026-01-04")
    text = path.read_text(encoding="utf-8").splitlines()
    opening = [next(i for i, line in enumerate(text, 1) if f'"number": {n},' in line) - 1 for n in (2, 3)]
    assert [r.line for r in rejected] == opening and text[opening[0] - 1].strip() == "{"
    assert "no title or description" in rejected[0].reason and "unparseable date" in rejected[1].reason


def test_jira_csv_with_repeated_label_columns(tmp_path: Path) -> None:
    path = tmp_path / "jira.csv"
    path.write_text(
        "Summary,Issue key,Issue id,Issue Type,Status,Priority,Reporter,Created,Labels,Labels,Description\n"
        'SSO via Okta,ENT-7,10007,Story,To Do,High,Dana,12/Mar/26 10:15 AM,sso,enterprise,"Customers ask for\n'
        'SAML with Okta."\n'
        "Dark mode,UX-2,10008,Story,Done,Low,Lee,2026-03-14 09:00,,,\n"
        ",UX-3,10009,Bug,Open,Low,Lee,2026-03-15 09:00,,,\n",
        encoding="utf-8",
    )
    rows, rejected = rows_of(path)
    assert [r.external_id for r in rows] == ["ENT-7", "UX-2"]
    assert rows[0].text == "SSO via Okta\n\nCustomers ask for\nSAML with Okta."
    assert rows[0].created_at == datetime(2026, 3, 12, 10, 15, tzinfo=UTC)
    assert rows[0].extra["labels"] == "sso, enterprise" and rows[0].extra["priority"] == "High"
    assert rows[0].extra["tracker"] == "jira" and rows[0].line == 3
    assert len(rejected) == 1 and rejected[0].line == 5


def test_jira_json_with_document_format_description(tmp_path: Path) -> None:
    path = tmp_path / "jira.json"
    path.write_text(json.dumps({"issues": [{"key": "SYNC-1", "fields": {
        "summary": "Edits lost after sleep", "created": "2026-02-01T10:00:00.000+0100",
        "status": {"name": "In Progress"}, "labels": ["sync"], "issuetype": {"name": "Bug"},
        "description": {"type": "doc", "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Open the lid and "},
                                              {"type": "text", "text": "edits vanish."}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "Seen at Helix."}]}]}}}]}), encoding="utf-8")
    rows, rejected = rows_of(path)
    assert not rejected and rows[0].external_id == "SYNC-1"
    assert rows[0].text == "Edits lost after sleep\n\nOpen the lid and edits vanish.\nSeen at Helix."
    assert rows[0].extra["state"] == "In Progress" and rows[0].extra["type"] == "Bug"
    assert rows[0].created_at == datetime(2026, 2, 1, 9, tzinfo=UTC)


def test_linear_csv(tmp_path: Path) -> None:
    path = tmp_path / "linear.csv"
    path.write_text(
        "ID,Team,Title,Description,Status,Estimate,Priority,Project,Creator,Assignee,Labels,Created,Completed\n"
        'ENG-101,Engineering,Offline queue survives app updates,"Keep the queue in app storage",In Progress,3,Urgent,'
        'Sync,Owen,Ravi,"Bug, Mobile",2026-11-01T09:00:00.000Z,\n',
        encoding="utf-8",
    )
    source = open_tracker(path)
    assert source.kind == SignalKind.ISSUE and source.total == 1
    rows = list(source.rows())
    assert source.consumed == 1
    row = rows[0]
    assert isinstance(row, RawRow) and row.external_id == "ENG-101"
    assert row.extra["labels"] == "Bug, Mobile" and row.extra["team"] == "Engineering"
    assert row.extra["tracker"] == "linear" and row.text.endswith("Keep the queue in app storage")


def test_files_that_are_not_tracker_exports(tmp_path: Path) -> None:
    tickets = tmp_path / "tickets.csv"
    tickets.write_text("id,subject,body\n1,Hi,There\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a recognised issue-tracker export"):
        open_tracker(tickets)
    broken = tmp_path / "broken.json"
    broken.write_text('[{"number": 1,', encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON"):
        open_tracker(broken)
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    with pytest.raises(InputError, match="holds no issues"):
        open_tracker(empty)
    with pytest.raises(InputError, match="not jira"):
        open_tracker(issues_file(), tracker="jira")
    with pytest.raises(InputError, match="unsupported file type"):
        open_tracker(tmp_path / "x.txt") if (tmp_path / "x.txt").write_text("x") else None
