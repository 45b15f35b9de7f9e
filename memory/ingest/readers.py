"""Readers: every supported file format → a stream of :class:`RawRow` or per-row :class:`Rejection`.

``open_source`` does all file-level validation eagerly (existence, encoding, binary content,
JSON syntax, CSV structure, columns) so that a bad file fails with one :class:`InputError`
before anything is stored; ``Source.rows()`` then streams. CSV and JSONL are read row by row
(a first pass only counts rows and checks structure); JSON, Markdown/text and subtitles are
parsed whole (capped at 64 MB).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kernel.errors import InputError
from kernel.schemas import Rejection, SignalKind

from .decode import FileInfo, WrapStats, check_file, read_whole, sniff_csv, unwrap
from .detect import (
    ColumnMap,
    MappingSpec,
    column_list,
    detect_columns,
    detect_kind,
    kind_from_name,
    parse_kind,
    parse_mapping,
)
from .documents import open_document
from .rows import (
    CONVERSATION_KINDS,
    RawRow,
    chunk_text,
    clean_text,
    duplicate_key,
    normalize_role,
    oversized_field,
    parse_date,
    parse_number,
    row_hash,
    speaker_role,
)
from .source import ChunkCounter, Duplicates, RowOrRejection, Source, file_mtime, rejection
from .trackers import open_tracker
from .usage import aggregate_usage

FORMATS: dict[str, str] = {
    ".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".txt": "text", ".text": "text", ".md": "text", ".markdown": "text", ".vtt": "vtt", ".srt": "srt",
}
_CSV_FIELD_LIMIT = 16 << 20
_JSONL_KEY_SAMPLE = 500
_SINGLE_COLUMN = "\x1e"

Record = tuple[int, dict[str, Any]]


def read_file(
    path: Path, *, kind: str = "auto", mapping: dict[str, str] | None = None
) -> Iterator[RawRow | Rejection]:
    """Validate ``path`` now and return a generator of its rows and per-row rejections.

    Raises:
        InputError: The file cannot be read as a whole (one line: path and reason).
    """
    return open_source(path, kind=kind, mapping=mapping).rows()


def open_source(path: Path, *, kind: str = "auto", mapping: dict[str, str] | None = None) -> Source:
    """Check a file completely enough that streaming it can only produce per-row rejections.

    Raises:
        InputError: Unsupported extension, missing/empty/binary/undecodable file, invalid JSON,
            malformed CSV, no text column, unknown kind or ``--map`` field.
    """
    path = Path(path)
    forced = parse_kind(kind)
    spec = parse_mapping(mapping)
    if forced is SignalKind.COMMIT:
        return _open_git(path)
    if forced is SignalKind.ISSUE and path.suffix.lower() in (".json", ".csv"):
        return open_tracker(path)  # tracker exports have their own shapes
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(FORMATS))
        raise InputError(f"{path}: unsupported file type {path.suffix or '(none)'!r} (supported: {supported})")
    info = check_file(path)
    if fmt == "csv":
        return _open_csv(info, spec, forced)
    if fmt == "jsonl":
        return _open_jsonl(info, spec, forced)
    if fmt == "json":
        return _open_json(info, spec, forced)
    return open_document(info, fmt, spec, forced)


def _open_git(path: Path) -> Source:
    """A git repository's history as ``commit`` signals (``--kind commits``)."""
    from memory.ingest.gitlog import commit_rows, read_commits

    if not (path / ".git").exists():
        raise InputError(f"{path}: --kind commits expects a git repository directory")
    total = len(read_commits(path))  # validates the repository before anything is stored

    def produce(source: Source) -> Iterator[RowOrRejection]:
        for row in commit_rows(path):
            source.consumed += 1
            yield row

    return Source(path=path, kind=SignalKind.COMMIT, total=total, _produce=produce)


# ------------------------------------------------------------------------------------------ tabular


class RowBuilder:
    """Turns one flat record into rows (one per chunk) or a rejection, using a column map.

    A missing segment falls back to the plan (filters by segment then still work); a missing
    date falls back to ``default_date``; a missing id to a hash of user, date and text. A record
    repeating an earlier one of the file (see :mod:`memory.ingest.rows`: same author, day and
    text up to trivial differences) yields that record's rows again, once :meth:`scan` has seen
    the file.
    """

    def __init__(self, path: Path, kind: SignalKind, cmap: ColumnMap, spec: MappingSpec, default_date: datetime):
        self.path, self.kind, self.cmap, self.spec, self.default_date = path, kind, cmap, spec, default_date
        self._counter = ChunkCounter()
        self._mapped = set(cmap.fields.values())
        self._columns = dict(cmap.fields)
        self.duplicates = Duplicates() if kind not in CONVERSATION_KINDS else None

    def _cell(self, record: dict[str, Any], name: str) -> str | None:
        column = self._columns.get(name)
        if column is None:
            return None
        value = record.get(column)
        if value is None:
            return None
        text = str(value).strip()
        return text or None

    def _text(self, record: dict[str, Any]) -> str | None:
        """The record's text (title first), or ``None`` when there is none."""
        raw_text = self._cell(record, "text") or ""
        title = self._cell(record, "title") or ""
        if "\x00" in raw_text or "\x00" in title:
            return None
        text = clean_text(raw_text)
        if not text:
            return None
        title = clean_text(title)
        if title and not text.startswith(title):
            text = f"{title}{'' if title[-1] in '.!?:' else '.'} {text}"
        return text

    def _author(self, record: dict[str, Any]) -> tuple[str | None, ...]:
        user = self._cell(record, "user_id")
        return (user, None if user else self._cell(record, "account_id"), self._cell(record, "speaker"))

    def _key(self, record: dict[str, Any], text: str, created: datetime, *, scanning: bool = False) -> int | None:
        if self.duplicates is None or not (scanning or self.duplicates.active):
            return None
        return duplicate_key(self._author(record), created.astimezone(UTC).date(), text)

    def scan(self, records: Iterator[Record | Rejection]) -> None:
        """The first pass over the file's records: note which repeat an earlier one."""
        duplicates = self.duplicates
        if duplicates is None:
            return
        for item in records:  # an oversized record is rejected later: never held, its repeats stay repeats
            if isinstance(item, Rejection):
                continue
            text = self._text(item[1])
            if text is None:
                continue
            created = self._date(item[1])
            if created is not None:
                duplicates.scan(self._key(item[1], text, created, scanning=True))
        duplicates.scanned()

    def _date(self, record: dict[str, Any]) -> datetime | None:
        date_col = self.cmap.get("created_at")
        try:
            return parse_date(record.get(date_col) if date_col else None) or self.default_date
        except ValueError:
            return None

    def start(self) -> None:
        """Begin streaming (again): chunk numbers and held duplicates start afresh."""
        self._counter = ChunkCounter()
        if self.duplicates is not None:
            self.duplicates.start()

    def build(self, line: int, record: dict[str, Any]) -> list[RawRow] | Rejection:
        """Rows for one record (several when the text is chunked) or why it was rejected."""
        oversized = oversized_field(record)
        if oversized:
            return rejection(self.path, line, oversized)
        text_col = self.cmap.fields["text"]
        text = self._text(record)
        if text is None:
            if "\x00" in (self._cell(record, "text") or "") + (self._cell(record, "title") or ""):
                return rejection(self.path, line, "NUL byte in text")
            return rejection(self.path, line, f"missing or empty text (column {text_col!r})")
        date_col = self.cmap.get("created_at")
        raw_date = record.get(date_col) if date_col else None
        created = self._date(record)
        if created is None:
            return rejection(self.path, line, f"unparseable date {raw_date!r} in column {date_col!r}")
        key = self._key(record, text, created)
        if self.duplicates is not None:
            earlier = self.duplicates.take(key)
            if earlier is not None:
                return earlier
        user = self._cell(record, "user_id")
        external_id = self._cell(record, "external_id") or (
            # a table of meeting statements is one meeting: rows keep their order as chunks 0..n
            self.path.stem if self.kind == SignalKind.MEETING else row_hash(user, raw_date, text))
        speaker = self._cell(record, "speaker")
        role_value = self._cell(record, "role")
        role = None
        if role_value is not None:
            role = normalize_role(role_value, speaker, self.spec.internal, self.spec.customer)
        elif speaker is not None:
            role = speaker_role(speaker, self.spec.internal, self.spec.customer)
        segment, plan = self._cell(record, "segment"), self._cell(record, "plan")
        extra = {k: str(v)[:500] for k, v in record.items() if k not in self._mapped and v not in (None, "")}
        chunks = chunk_text(text)
        base = self._counter.base(external_id, len(chunks))
        rows = [
            RawRow(
                line=line, kind=self.kind, external_id=external_id, text=chunk, created_at=created,
                chunk=base + i, user_id=user, account_id=self._cell(record, "account_id"),
                segment=segment or plan, plan=plan, arr=parse_number(self._cell(record, "arr")),
                speaker=speaker, role=role, rating=parse_number(self._cell(record, "rating")),
                feature=self._cell(record, "feature"), language=(self._cell(record, "language") or "en").lower(),
                extra=extra,
            )
            for i, chunk in enumerate(chunks)
        ]
        if self.duplicates is not None:
            self.duplicates.hold(key, rows)
        return rows


def _tabular_source(
    info: FileInfo,
    columns: list[str],
    total: int | None,
    records: Callable[[], Iterator[Record | Rejection]],
    spec: MappingSpec,
    forced: SignalKind | None,
    default: SignalKind = SignalKind.TICKET,
) -> Source:
    path = info.path
    cmap = detect_columns(columns, spec, path, need_text=False)
    kind = forced or detect_kind(path, columns, cmap, default)
    if kind == SignalKind.USAGE:
        missing = [n for n, f in (("user", "user_id"), ("feature/event", "feature"), ("timestamp", "created_at"))
                   if cmap.get(f) is None]
        if missing:
            raise InputError(
                f"{path}: usage events need {', '.join(missing)} column(s) (columns seen: {column_list(columns)})"
            )

        def produce_usage(source: Source) -> Iterator[RowOrRejection]:
            yield from aggregate_usage(_counted(source, records()), cmap, path)

        return Source(path=path, kind=kind, total=total, _produce=produce_usage)
    if cmap.get("text") is None:
        raise InputError(f"{path}: no text column found (columns seen: {column_list(columns)}); "
                         "use --map COLUMN=text")
    builder = RowBuilder(path, kind, cmap, spec, file_mtime(path))
    builder.scan(records())

    def produce(source: Source) -> Iterator[RowOrRejection]:
        builder.start()
        for item in _counted(source, records()):
            if isinstance(item, Rejection):
                yield item
                continue
            built = builder.build(*item)
            if isinstance(built, Rejection):
                yield built
            else:
                yield from built

    return Source(path=path, kind=kind, total=total, _produce=produce)


def _counted(source: Source, records: Iterator[Record | Rejection]) -> Iterator[Record | Rejection]:
    for item in records:
        source.consumed += 1
        yield item


# ---------------------------------------------------------------------------------------------- CSV


def _count_outside_quotes(line: str, delimiter: str) -> int:
    return len(re.sub(r'"[^"]*"', "", line).split(delimiter)) - 1


def _delimiter(info: FileInfo) -> str:
    if info.path.suffix.lower() == ".tsv":
        return "\t"
    with info.path.open(encoding=info.encoding, newline="") as fh:
        first = next((line for line in fh if line.strip()), "")
    counts = {d: _count_outside_quotes(first, d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else _SINGLE_COLUMN


def _header_name(cell: str) -> str:
    """A header cell without quote marks wrapping it whole (``'text'``: no column is named with quotes)."""
    name = cell.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
        return name[1:-1]
    return cell


def _unique_header(row: list[str]) -> list[str]:
    header: list[str] = []
    for i, name in enumerate(row):
        name = name.strip().lstrip("\ufeff") or f"column_{i + 1}"
        while name in header:
            name = f"{name}_{i + 1}"
        header.append(name)
    return header


def _open_csv(info: FileInfo, spec: MappingSpec, forced: SignalKind | None) -> Source:
    """A CSV/TSV file, streamed row by row.

    The dialect is sniffed (:func:`~memory.ingest.decode.sniff_csv`), then a first pass checks the structure,
    counts the rows and finds the columns an exporter wrapped in quote marks.
    """
    path = info.path
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    dialect = sniff_csv(info, _delimiter(info))
    header: list[str] | None = None
    total = 0
    wraps = WrapStats()
    with path.open(encoding=info.encoding, newline="") as fh:
        reader = dialect.reader(fh)
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if header is None:
                    header = _unique_header([_header_name(dialect.field(cell)) for cell in row])
                else:
                    total += 1
                    wraps.add(row)
        except csv.Error as exc:
            raise InputError(f"{path}: malformed CSV near line {reader.line_num}: {exc}") from exc
    if header is None:
        raise InputError(f"{path}: file is empty")
    if total == 0:
        raise InputError(f"{path}: no data rows below the header")
    columns = header
    wrapped = wraps.wrapping()

    def records() -> Iterator[Record | Rejection]:
        with path.open(encoding=info.encoding, newline="") as fh:
            reader = dialect.reader(fh)
            previous = 0
            header_seen = False
            for row in reader:
                start, previous = previous + 1, reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                if wrapped or dialect.escapes:
                    cells = [dialect.field(unwrap(cell, wrapped[i]) if i in wrapped else cell)
                             for i, cell in enumerate(row)]
                else:
                    cells = [dialect.field(cell) if '""' in cell else cell for cell in row]
                record = dict(zip(columns, cells, strict=False))
                for i in range(len(columns), len(cells)):
                    record[f"column_{i + 1}"] = cells[i]
                yield start, record

    return _tabular_source(info, columns, total, records, spec, forced)


# -------------------------------------------------------------------------------------------- JSON


def _flatten(obj: dict[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if depth < 2:
                out.update(_flatten(value, f"{name}.", depth + 1))
        elif isinstance(value, list):
            scalars = [str(v) for v in value if isinstance(v, str | int | float) and not isinstance(v, bool)]
            if scalars:
                out[name] = ", ".join(scalars)
        else:
            out[name] = value
    return out


def _not_object(path: Path, line: int, value: Any) -> Rejection:
    return rejection(path, line, f"row is not a JSON object (got {type(value).__name__})")


def _open_jsonl(info: FileInfo, spec: MappingSpec, forced: SignalKind | None) -> Source:
    path = info.path
    columns: dict[str, None] = {}
    total = objects = 0
    with path.open(encoding=info.encoding) as fh:
        for line in fh:
            if not line.strip():
                continue
            total += 1
            if objects >= _JSONL_KEY_SAMPLE:
                continue
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                continue
            if isinstance(obj, dict):
                objects += 1
                columns.update(dict.fromkeys(_flatten(obj)))
    if objects == 0:
        raise InputError(f"{path}: no JSON object found on any line (expected one JSON object per line)")

    def records() -> Iterator[Record | Rejection]:
        with path.open(encoding=info.encoding) as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield rejection(path, n, f"invalid JSON: {exc.msg} (column {exc.colno})")
                    continue
                except RecursionError:
                    yield rejection(path, n, "JSON nested too deeply")
                    continue
                if not isinstance(obj, dict):
                    yield _not_object(path, n, obj)
                    continue
                yield n, _flatten(obj)

    return _tabular_source(info, list(columns), total, records, spec, forced)


_WS_RE = re.compile(r"[ \t\n\r]*")


def _item_lines(text: str, key: str | None, count: int) -> list[int]:
    """1-based line of each element of the top-level array (or of ``text[key]``).

    Falls back to element numbers when the layout cannot be scanned (e.g. duplicate keys),
    which only affects the line numbers shown in rejections.
    """
    decoder = json.JSONDecoder()
    try:
        i = _WS_RE.match(text, 0).end()  # type: ignore[union-attr]
        if key is not None:
            i += 1
            while True:
                i = _WS_RE.match(text, i).end()  # type: ignore[union-attr]
                name, i = decoder.raw_decode(text, i)
                i = _WS_RE.match(text, i).end() + 1  # type: ignore[union-attr]
                i = _WS_RE.match(text, i).end()  # type: ignore[union-attr]
                if name == key:
                    break
                _, i = decoder.raw_decode(text, i)
                i = _WS_RE.match(text, i).end()  # type: ignore[union-attr]
                if text[i] == ",":
                    i += 1
        i += 1
        offsets: list[int] = []
        while True:
            i = _WS_RE.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == "]":
                break
            offsets.append(i)
            _, i = decoder.raw_decode(text, i)
            i = _WS_RE.match(text, i).end()  # type: ignore[union-attr]
            if text[i] == ",":
                i += 1
    except (ValueError, IndexError, RecursionError):
        return list(range(1, count + 1))
    if len(offsets) != count:
        return list(range(1, count + 1))
    lines: list[int] = []
    line, pos = 1, 0
    for off in offsets:
        line += text.count("\n", pos, off)
        pos = off
        lines.append(line)
    return lines


_RECORD_KEYS = ("data", "items", "records", "results", "rows", "reviews", "responses", "issues", "events",
                "feedback", "messages", "entries")


def _open_json(info: FileInfo, spec: MappingSpec, forced: SignalKind | None) -> Source:
    path = info.path
    text = read_whole(info)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: invalid or truncated JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply to be a list of records") from None
    key: str | None = None
    single = False
    default = SignalKind.TICKET
    if isinstance(data, dict):
        if isinstance(data.get("conversations"), list):
            return _intercom_source(path, data["conversations"], _item_lines(text, "conversations",
                                    len(data["conversations"])), forced, spec)
        if isinstance(data.get("tickets"), list):
            key = "tickets"
        else:
            lists = [k for k, v in data.items() if isinstance(v, list) and any(isinstance(x, dict) for x in v)]
            preferred = [k for k in _RECORD_KEYS if k in lists]
            if preferred or len(lists) == 1:
                key = (preferred or lists)[0]
                default = kind_from_name(Path(key)) or default
            else:
                data, single = [data], True
    if key is not None:
        items: list[Any] = data[key]
        lines = _item_lines(text, key, len(items))
    elif isinstance(data, list):
        items = data
        lines = [1] if single else _item_lines(text, None, len(items))
    else:
        raise InputError(f"{path}: JSON must be an array of objects or an object holding one")
    if not items:
        raise InputError(f"{path}: JSON holds no records")
    columns: dict[str, None] = {}
    for item in items:
        if isinstance(item, dict):
            columns.update(dict.fromkeys(_flatten(item)))
    if not columns:
        raise InputError(f"{path}: no JSON objects found among {len(items)} records")

    def records() -> Iterator[Record | Rejection]:
        for line, item in zip(lines, items, strict=True):
            if isinstance(item, dict):
                yield line, _flatten(item)
            else:
                yield _not_object(path, line, item)

    return _tabular_source(info, list(columns), len(items), records, spec, forced, default)


#: Intercom author types written by the vendor's side (users, leads and contacts are customers).
_INTERCOM_INTERNAL = frozenset({"admin", "bot", "team", "operator"})


def _intercom_source(
    path: Path, conversations: list[Any], lines: list[int], forced: SignalKind | None, spec: MappingSpec
) -> Source:
    """Intercom export: each conversation's opening message and replies become chunks 0..n."""
    kind = forced or SignalKind.TICKET
    default_date = file_mtime(path)

    def produce(source: Source) -> Iterator[RowOrRejection]:
        for line, conv in zip(lines, conversations, strict=True):
            source.consumed += 1
            if not isinstance(conv, dict):
                yield _not_object(path, line, conv)
                continue
            yield from _intercom_rows(path, line, conv, kind, default_date, spec)

    return Source(path=path, kind=kind, total=len(conversations), _produce=produce)


def _intercom_rows(
    path: Path, line: int, conv: dict[str, Any], kind: SignalKind, default_date: datetime, spec: MappingSpec
) -> Iterator[RowOrRejection]:
    try:
        created = parse_date(conv.get("created_at")) or default_date
    except ValueError:
        yield rejection(path, line, f"unparseable date {conv.get('created_at')!r} in field 'created_at'")
        return
    src = conv.get("source") if isinstance(conv.get("source"), dict) else {}
    parts_field = conv.get("conversation_parts")
    parts = parts_field.get("conversation_parts", []) if isinstance(parts_field, dict) else parts_field or []
    messages: list[tuple[dict[str, Any], str, Any]] = []
    opening = clean_text(str(src.get("body") or ""))
    subject = clean_text(str(src.get("subject") or ""))
    if subject and opening and not opening.startswith(subject):
        opening = f"{subject}{'' if subject[-1] in '.!?:' else '.'} {opening}"
    messages.append((src.get("author") or {}, opening or subject, conv.get("created_at")))
    for part in parts:
        if isinstance(part, dict):
            messages.append((part.get("author") or {}, clean_text(str(part.get("body") or "")), part.get("created_at")))
    authors = [a for a, _, _ in messages if isinstance(a, dict) and a.get("type")]
    customer = next((a for a in authors if str(a["type"]).lower() not in _INTERCOM_INTERNAL), {})
    user_id = str(customer.get("email") or customer.get("id") or "") or None
    company = conv.get("company") if isinstance(conv.get("company"), dict) else {}
    account = str(company.get("name") or company.get("id") or "") or None
    external_id = str(conv.get("id") or row_hash(user_id, conv.get("created_at"), opening))
    chunk = 0
    for author, body, when in messages:
        if not body:
            continue
        if "\x00" in body:
            yield rejection(path, line, f"NUL byte in text (conversation {external_id}, message {chunk})")
            continue
        if len(body.encode("utf-8")) > 1 << 20:
            yield rejection(path, line, f"field 'body' is over 1 MB (conversation {external_id})")
            continue
        author = author if isinstance(author, dict) else {}
        author_type = str(author.get("type") or "").lower()
        role = "internal" if author_type in _INTERCOM_INTERNAL else "customer" if author_type else speaker_role(
            str(author.get("name") or ""), spec.internal, spec.customer
        )
        try:
            at = parse_date(when) or created
        except ValueError:
            at = created
        for piece in chunk_text(body):
            yield RawRow(
                line=line, kind=kind, external_id=external_id, text=piece, created_at=at, chunk=chunk,
                user_id=user_id, account_id=account, speaker=str(author.get("name") or "") or None, role=role,
            )
            chunk += 1
    if chunk == 0:
        yield rejection(path, line, f"missing or empty text (conversation {external_id} has no message body)")
