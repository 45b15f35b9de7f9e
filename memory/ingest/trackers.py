"""Issue-tracker exports → raw rows of kind ``issue``: GitHub issues JSON, Jira CSV/JSON, Linear CSV.

Like every reader, :func:`open_tracker` validates the whole file first (one :class:`InputError`
for a file that is not a tracker export) and the returned :class:`~memory.ingest.source.Source`
then streams :class:`RawRow` objects and per-row :class:`Rejection` objects. Policy:

- ``external_id`` is the tracker's key: ``owner/repo#212`` for GitHub (``#212`` when the export has
  no URL), ``PROJ-12`` for Jira, ``ENG-123`` for Linear. The text is the title, a blank line and
  the description (Jira's Atlassian Document Format is flattened to text).
- Reporters are kept out of ``user_id`` (issues are mostly filed by the team, not by users);
  tracker metadata (state, labels, priority, type, URL, reporter, assignee, closed date) goes into
  ``extra``. GitHub pull requests in an issues export are kept, with ``extra["type"] = "pull_request"``.
- A row without a title and description, or with an unreadable creation date, is rejected; a row
  without a date gets the file's modification time (as in :mod:`memory.ingest.rows`).
- Exports are parsed whole (capped like every whole-file format in :mod:`memory.ingest.decode`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from kernel.errors import InputError
from kernel.schemas import Rejection, SignalKind

from .decode import check_file, read_whole
from .rows import RawRow, chunk_text, clean_text, parse_date
from .source import RowOrRejection, Source

__all__ = ["TRACKERS", "Tracker", "detect_tracker", "open_tracker", "read_tracker"]

Tracker = Literal["github", "jira", "linear"]
TRACKERS: tuple[Tracker, ...] = ("github", "jira", "linear")
_Item = tuple[int, Mapping[str, Any]]

_GITHUB_REPO = re.compile(r"github\.com/([^/]+/[^/]+)/(?:issues|pull)/\d+")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# ------------------------------------------------------------------------------------ file parsing


def _json_item_lines(text: str, start: int, count: int) -> list[int]:
    """Line numbers of the items of the JSON array that begins at ``text[start] == '['``."""
    decoder = json.JSONDecoder()
    lines: list[int] = []
    pos = start + 1
    for _ in range(count):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        lines.append(text.count("\n", 0, pos) + 1)
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
    while len(lines) < count:
        lines.append(lines[-1] if lines else 1)
    return lines


def _load_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply to be a list of records") from None


def _json_items(text: str, doc: Any, key: str | None) -> list[_Item]:
    items = doc if key is None else doc[key]
    if key is None:
        start = text.find("[")
    else:
        match = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text)
        start = match.end() - 1 if match else -1
    lines = _json_item_lines(text, start, len(items)) if start >= 0 else list(range(1, len(items) + 1))
    return [(line, item) for line, item in zip(lines, items, strict=True)]


def _csv_records(path: Path, text: str) -> tuple[list[str], list[tuple[int, dict[str, list[str]]]]]:
    """Header and rows of a CSV; repeated columns (Jira's ``Labels``, ``Labels``) keep every value."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path}: file is empty") from None
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    rows: list[tuple[int, dict[str, list[str]]]] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            record: dict[str, list[str]] = {}
            for name, value in zip(header, values, strict=False):
                record.setdefault(_norm(name), []).append(value)
            rows.append((reader.line_num, record))
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV at line {reader.line_num}: {exc}") from None
    return header, rows


def detect_tracker(path: Path, text: str) -> tuple[Tracker, list[_Item]]:
    """Which tracker wrote the export, and its issue records with their line numbers.

    Raises:
        InputError: The file is not a GitHub issues JSON, Jira CSV/JSON or Linear CSV export.
    """
    suffix = path.suffix.lower()
    expected = "expected a GitHub issues JSON, Jira CSV/JSON or Linear CSV export"
    if suffix == ".json":
        doc = _load_json(path, text)
        if isinstance(doc, list) and doc and all(isinstance(i, Mapping) for i in doc):
            if all("key" in i and isinstance(i.get("fields"), Mapping) for i in doc):
                return "jira", _json_items(text, doc, None)
            if all("number" in i and "title" in i for i in doc):
                return "github", _json_items(text, doc, None)
        if isinstance(doc, Mapping):
            if isinstance(doc.get("issues"), list) and all(
                isinstance(i, Mapping) and "key" in i and isinstance(i.get("fields"), Mapping) for i in doc["issues"]
            ):
                return "jira", _json_items(text, doc, "issues")
            if isinstance(doc.get("items"), list) and all(
                isinstance(i, Mapping) and "number" in i and "title" in i for i in doc["items"]
            ):
                return "github", _json_items(text, doc, "items")
        if doc == [] or (isinstance(doc, Mapping) and (doc.get("issues") == [] or doc.get("items") == [])):
            raise InputError(f"{path}: the export holds no issues")
        raise InputError(f"{path}: not a recognised issue-tracker export ({expected})")
    if suffix in (".csv", ".tsv"):
        header, rows = _csv_records(path, text)
        names = {_norm(h) for h in header}
        if {"issuekey", "summary"} <= names:
            tracker: Tracker = "jira"
        elif {"id", "title"} <= names and names & {"team", "status", "creator", "cycle", "estimate"}:
            tracker = "linear"
        else:
            raise InputError(f"{path}: not a recognised issue-tracker export ({expected}); "
                             f"columns: {', '.join(header[:8])}")
        if not rows:
            raise InputError(f"{path}: the export holds no issues")
        return tracker, [(line, record) for line, record in rows]
    raise InputError(f"{path}: unsupported file type {suffix or '(none)'!r} for an issue-tracker export "
                     "(.json or .csv)")


# ----------------------------------------------------------------------------------- field access


def _text(value: Any) -> str:
    """Plain text of a field: strings as they are, Atlassian Document Format flattened."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if value.get("type") == "text":
            return str(value.get("text") or "")
        inner = "".join(_text(c) for c in value.get("content") or [])
        block = value.get("type") in ("paragraph", "heading", "listItem", "codeBlock", "blockquote", "rule")
        return f"{inner}\n" if block else inner
    if isinstance(value, list):
        return "".join(_text(v) for v in value)
    return str(value)


def _name(value: Any) -> str:
    """A person, status, priority ... as a name (``{"name"}``, ``{"login"}``, ``{"displayName"}`` or text)."""
    if isinstance(value, Mapping):
        for key in ("name", "login", "displayName", "value", "emailAddress"):
            if value.get(key):
                return str(value[key])
        return ""
    return "" if value is None else str(value)


def _first(record: Mapping[str, list[str]], *names: str) -> str:
    for name in names:
        for value in record.get(_norm(name)) or []:
            if value.strip():
                return value.strip()
    return ""


def _all(record: Mapping[str, list[str]], name: str) -> list[str]:
    values: list[str] = []
    for value in record.get(_norm(name)) or []:
        values.extend(v.strip() for v in value.split(",") if v.strip())
    return values


def _github(item: Mapping[str, Any]) -> dict[str, Any]:
    url = str(item.get("html_url") or item.get("url") or "")
    repo = _GITHUB_REPO.search(url)
    number = item.get("number")
    labels = [_name(label) for label in item.get("labels") or []]
    return {
        "external_id": f"{repo.group(1)}#{number}" if repo else f"#{number}",
        "title": _text(item.get("title")), "body": _text(item.get("body")),
        "created": item.get("created_at"), "closed": item.get("closed_at"),
        "extra": {"state": _name(item.get("state")), "labels": ", ".join(x for x in labels if x), "url": url,
                  "reporter": _name(item.get("user")), "assignee": _name(item.get("assignee")),
                  "type": "pull_request" if item.get("pull_request") else "issue", "number": str(number)},
    }


def _jira_json(item: Mapping[str, Any]) -> dict[str, Any]:
    fields = item.get("fields") or {}
    labels = [str(x) for x in fields.get("labels") or []]
    return {
        "external_id": str(item.get("key")),
        "title": _text(fields.get("summary")), "body": _text(fields.get("description")),
        "created": fields.get("created"), "closed": fields.get("resolutiondate"),
        "extra": {"state": _name(fields.get("status")), "labels": ", ".join(labels),
                  "priority": _name(fields.get("priority")), "type": _name(fields.get("issuetype")),
                  "reporter": _name(fields.get("reporter")), "assignee": _name(fields.get("assignee"))},
    }


def _jira_csv(record: Mapping[str, list[str]]) -> dict[str, Any]:
    return {
        "external_id": _first(record, "Issue key"),
        "title": _first(record, "Summary"), "body": _first(record, "Description"),
        "created": _first(record, "Created"), "closed": _first(record, "Resolved"),
        "extra": {"state": _first(record, "Status"), "labels": ", ".join(_all(record, "Labels")),
                  "priority": _first(record, "Priority"), "type": _first(record, "Issue Type"),
                  "reporter": _first(record, "Reporter"), "assignee": _first(record, "Assignee")},
    }


def _linear_csv(record: Mapping[str, list[str]]) -> dict[str, Any]:
    return {
        "external_id": _first(record, "ID"),
        "title": _first(record, "Title"), "body": _first(record, "Description"),
        "created": _first(record, "Created"), "closed": _first(record, "Completed", "Canceled"),
        "extra": {"state": _first(record, "Status"), "labels": ", ".join(_all(record, "Labels")),
                  "priority": _first(record, "Priority"), "team": _first(record, "Team"),
                  "project": _first(record, "Project"), "reporter": _first(record, "Creator"),
                  "assignee": _first(record, "Assignee")},
    }


def _extractor(tracker: Tracker, suffix: str) -> Callable[[Any], dict[str, Any]]:
    if tracker == "github":
        return _github
    if tracker == "jira":
        return _jira_json if suffix == ".json" else _jira_csv
    return _linear_csv


# --------------------------------------------------------------------------------------- public API


def open_tracker(path: Path, *, tracker: str = "auto") -> Source:
    """Validate a tracker export completely and return a streaming source of ``issue`` rows.

    Args:
        path: A ``.json`` or ``.csv`` export.
        tracker: ``auto`` (detect), or ``github``/``jira``/``linear`` to insist on one.

    Raises:
        InputError: Unreadable file, not a tracker export, or not the tracker asked for.
    """
    path = Path(path)
    if tracker != "auto" and tracker not in TRACKERS:
        raise InputError(f"unknown tracker {tracker!r}; expected auto, {', '.join(TRACKERS)}")
    info = check_file(path)
    text = read_whole(info)
    found, items = detect_tracker(path, text)
    if tracker != "auto" and tracker != found:
        raise InputError(f"{path}: looks like a {found} export, not {tracker}")
    extract = _extractor(found, path.suffix.lower())
    default_date = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)

    def produce(source: Source) -> Iterator[RowOrRejection]:
        for line, item in items:
            source.consumed += 1
            yield from _rows(path, line, extract(item), found, default_date)

    return Source(path=path, kind=SignalKind.ISSUE, total=len(items), _produce=produce)


def read_tracker(path: Path, *, tracker: str = "auto") -> Iterator[RowOrRejection]:
    """Validate ``path`` now and return a generator of its issue rows and per-row rejections."""
    return open_tracker(path, tracker=tracker).rows()


def _rows(path: Path, line: int, fields: Mapping[str, Any], tracker: Tracker,
          default_date: datetime) -> Iterator[RowOrRejection]:
    external_id = str(fields["external_id"] or "").strip()
    if not external_id or external_id in ("#None", "None"):
        yield Rejection(path=str(path), line=line, reason="missing issue id/key")
        return
    title = clean_text(fields["title"] or "")
    body = clean_text(fields["body"] or "")
    text = f"{title}\n\n{body}" if title and body else title or body
    if not text:
        yield Rejection(path=str(path), line=line, reason=f"missing or empty text (issue {external_id} has no "
                                                             "title or description)")
        return
    if "\x00" in text:
        yield Rejection(path=str(path), line=line, reason=f"NUL byte in text (issue {external_id})")
        return
    try:
        created = parse_date(fields["created"]) or default_date
    except ValueError:
        yield Rejection(path=str(path), line=line,
                        reason=f"unparseable date {fields['created']!r} in field 'created' (issue {external_id})")
        return
    extra = {k: str(v) for k, v in fields["extra"].items() if v}
    extra["tracker"] = tracker
    extra["title"] = title
    try:
        closed = parse_date(fields["closed"]) if fields["closed"] else None
    except ValueError:
        closed = None
    if closed is not None:
        extra["closed_at"] = closed.isoformat()
    for i, piece in enumerate(chunk_text(text)):
        yield RawRow(line=line, kind=SignalKind.ISSUE, external_id=external_id, text=piece, created_at=created,
                     chunk=i, extra=dict(extra))
