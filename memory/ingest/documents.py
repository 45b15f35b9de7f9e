"""Documents and transcripts (.txt, .md, .vtt, .srt) -> raw rows, one per turn or paragraph chunk.

A header (date, type, account, user, segment, plan, ARR, language, internal and customer names)
sets what the lines do not say; the date falls back to one in the file name, then the file's
modification time. In transcripts, a named customer speaker's turns are that user's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from kernel.errors import InputError
from kernel.schemas import SignalKind
from memory.tagging import is_user_story

from .decode import FileInfo, WrapStats, read_whole, unwrap
from .detect import MappingSpec, kind_from_name, parse_kind
from .rows import (
    RawRow,
    chunk_text,
    clean_text,
    duplicate_key,
    is_generic_label,
    name_matches,
    parse_date,
    parse_number,
    parse_offset,
    row_hash,
    speaker_role,
)
from .source import ChunkCounter, Duplicates, RowOrRejection, Source, file_mtime, rejection
from .transcripts import DocMeta, Turn, host_by_greeting, parse_document, parse_srt, parse_vtt

_DATE_IN_NAME_RE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _document_date(path: Path, meta: DocMeta) -> datetime:
    raw = meta.values.get("date")
    if raw:
        try:
            parsed = parse_date(raw)
        except ValueError as exc:
            raise InputError(f"{path}: unparseable date {raw!r} in the header") from exc
        if parsed is not None:
            return parsed
    m = _DATE_IN_NAME_RE.search(path.name)
    if m:
        try:
            found = parse_date(m.group(1))
        except ValueError:
            found = None
        if found is not None:
            return found
    return file_mtime(path)


def open_document(info: FileInfo, fmt: str, spec: MappingSpec, forced: SignalKind | None) -> Source:
    """A document or transcript, parsed whole (turns are small); rows stream from the parsed turns."""
    path = info.path
    text = read_whole(info)
    if fmt == "vtt":
        meta, turns = parse_vtt(text, path)
        transcript = True
    elif fmt == "srt":
        meta, turns = parse_srt(text, path)
        transcript = True
    else:
        meta, turns, transcript = parse_document(text)
    if not turns:
        raise InputError(f"{path}: no text found (only a header)")
    type_hint = meta.values.get("type")
    named = kind_from_name(path)
    if named is SignalKind.MEETING and not transcript and written_backlog(turns):
        named = None  # "planning-poker.txt" holding user stories is a backlog, not a planning meeting
    kind = (
        forced
        or named
        or (parse_kind_lenient(type_hint) if type_hint else None)
        or SignalKind.INTERVIEW
    )
    base_date = _document_date(path, meta)
    internal = meta.internal | spec.internal
    customer = meta.customer | spec.customer
    if transcript and kind in (SignalKind.INTERVIEW, SignalKind.SALES_CALL) and not any(
        speaker_role(t.speaker, internal, customer) == "internal" for t in turns if t.speaker
    ):
        host = host_by_greeting(turns)
        if host is not None:
            internal = internal | {host.lower()}

    def produce(source: Source) -> Iterator[RowOrRejection]:
        yield from _document_rows(source, path, kind, meta, turns, transcript, base_date, internal, customer)

    return Source(path=path, kind=kind, total=len(turns), _produce=produce)


#: Share of a document's lines in the user-story form that makes it a written backlog.
BACKLOG_SHARE = 0.5


def written_backlog(turns: list[Turn]) -> bool:
    """Whether a document without speakers is a backlog: most of its lines are user stories.

    The users' needs written down, not what a meeting said: a file name that suggests a meeting
    ("planning") does not make it one, so `ask` and the drafts read it as the users' voice.
    """
    return bool(turns) and sum(is_user_story(t.text) for t in turns) >= BACKLOG_SHARE * len(turns)


def parse_kind_lenient(value: str) -> SignalKind | None:
    """A kind named in a document header (``Type: Sales call``), or ``None``."""
    try:
        return parse_kind(re.sub(r"\s+", "_", value.strip().lower()))
    except InputError:
        return kind_from_name(Path(value))


def _document_rows(
    source: Source,
    path: Path,
    kind: SignalKind,
    meta: DocMeta,
    turns: list[Turn],
    transcript: bool,
    base_date: datetime,
    internal: set[str],
    customer: set[str],
) -> Iterator[RowOrRejection]:
    account = meta.values.get("account")
    meta_user = meta.values.get("user")
    segment, plan = meta.values.get("segment"), meta.values.get("plan")
    arr = parse_number(meta.values.get("arr"))
    language = (meta.values.get("language") or "en").lower()
    counter = ChunkCounter()
    next_chunk = 0
    # paragraphs of notes (not turns of a transcript, nor a meeting's statements): a repeated one is a duplicate
    duplicates = Duplicates() if not transcript and kind != SignalKind.MEETING else None
    wrap = None
    if not transcript:  # lines an export wrapped whole in quote marks, like a CSV column (see decode.WrapStats)
        stats = WrapStats()
        for turn in turns:
            stats.add([turn.text])
        wrap = stats.wrapping().get(0)
    if duplicates is not None:
        for turn in turns:
            text = clean_text(turn.text) if "\x00" not in turn.text else ""
            if text and len(text.encode("utf-8")) <= 1 << 20:
                duplicates.scan(duplicate_key((meta_user,), base_date.date(), text))
        duplicates.scanned()
        duplicates.start()
    for turn in turns:
        source.consumed += 1
        if "\x00" in turn.text:
            yield rejection(path, turn.line, "NUL byte in text")
            continue
        text = clean_text(unwrap(turn.text, wrap) if wrap else turn.text)
        if not text:
            continue
        if len(text.encode("utf-8")) > 1 << 20:
            yield rejection(path, turn.line, f"text is over 1 MB ({len(text.encode('utf-8')):,} bytes)")
            continue
        pieces = chunk_text(text)
        speaker = turn.speaker
        role = speaker_role(speaker, internal, customer) if transcript else None
        if role == "customer" and kind == SignalKind.MEETING and not name_matches(speaker or "", customer):
            role = "internal"  # meetings are the team's own; only speakers listed as customers are customers
        if speaker and role == "customer" and not is_generic_label(speaker):
            user_id: str | None = re.sub(r"\s*[\(\[].*$", "", speaker).strip() or meta_user
        else:
            user_id = meta_user
        at = base_date + parse_offset(turn.start) if turn.start else base_date
        key = None
        if duplicates is not None and duplicates.active:
            key = duplicate_key((meta_user,), base_date.date(), text)
        earlier = duplicates.take(key) if duplicates is not None else None
        if earlier is not None:
            yield from earlier
            continue
        if transcript:
            external_id, base = path.stem, next_chunk
            next_chunk += len(pieces)
        else:
            external_id = row_hash(text)
            base = counter.base(external_id, len(pieces))
        rows = [
            RawRow(
                line=turn.line, kind=kind, external_id=external_id, text=piece, created_at=at, chunk=base + i,
                user_id=user_id, account_id=account, segment=segment or plan, plan=plan, arr=arr,
                speaker=speaker, role=role, language=language,
                extra={"start": turn.start} if turn.start else {},
            )
            for i, piece in enumerate(pieces)
        ]
        if duplicates is not None:
            duplicates.hold(key, rows)
        yield from rows
