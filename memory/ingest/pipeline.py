"""The ingest pipeline: files → redacted, tagged, embedded signals in one workspace's memory.

Every file is validated before anything is stored (an unreadable file is one clear error and
changes nothing). Rows then stream in batches of ``batch_size``: redact → build signals with
deterministic ids → compare content hashes with what is stored → tag the new and changed ones,
plan their profile update, embed their texts and the claim phrases the update needs (one model
call, each distinct text once) → merge the claims → store signals and claims together. Memory
stays bounded by the batch size whatever the file size. Re-ingesting the same file stores nothing
(all duplicates); an edited row is updated in place.

Durability: a batch's signals and claims are stored as one unit
(:meth:`memory.repository.WorkspaceMemory.commit_batch` writes a redo record first, and every
ingest starts by finishing a batch a killed or failed run left half-written, see
:meth:`~memory.repository.WorkspaceMemory.recover`). So a process killed at any point, or a
failure in a later batch (e.g. the embeddings endpoint going down), leaves whole batches stored,
and re-running the same command ends with the same signals and profile claims as a run that was
never interrupted, without duplicating anything. The profile step runs before anything of the
batch is stored; storing the signals first (as this module once did) lost the claims of a batch
killed between the two writes, because the re-run saw its signals as duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kernel.errors import InputError
from kernel.pii import Redactor
from kernel.schemas import IngestReport, Rejection, Signal, SignalKind, SignalType, content_hash, signal_id
from kernel.settings import get_settings
from memory.profiles import ProfileUpdate
from memory.tagging import tag_texts

from .readers import Source, open_source
from .rows import RawRow

if TYPE_CHECKING:
    from memory.repository import WorkspaceMemory

Progress = Callable[[int, int | None], None]


def ingest_files(
    memory: WorkspaceMemory,
    paths: Sequence[Path],
    *,
    kind: str = "auto",
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
    batch_size: int = 512,
    on_batch: Callable[[list[Signal]], None] | None = None,
) -> IngestReport:
    """Ingest files into ``memory``'s workspace and report what happened.

    Args:
        memory: The tenant-scoped memory to write into.
        paths: Files of any supported format (see :data:`memory.ingest.FORMATS`).
        kind: ``auto`` or a signal kind forced for every file.
        mapping: ``{source column: field}`` overrides (``--map``), plus ``internal``/``customer``
            speaker lists for transcripts.
        progress: Called after every batch with (source records read, total records or ``None``).
        batch_size: Rows redacted, embedded and stored together.
        on_batch: Called with the signals each batch stored (new or changed), e.g. to assign them to themes.

    Raises:
        InputError: Any file is unreadable as a whole (nothing is stored then), or a bad option.
    """
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}")
    unique = list(dict.fromkeys(Path(p) for p in paths))
    if not unique:
        raise InputError("no files given to ingest")
    sources = [open_source(p, kind=kind, mapping=mapping) for p in unique]
    totals = [s.total for s in sources]
    total = sum(t for t in totals if t is not None) if all(t is not None for t in totals) else None
    report = IngestReport(workspace=memory.workspace)
    redactor = Redactor() if get_settings().redact_pii else None
    memory.recover()
    done = 0
    for source in sources:
        batch: list[RawRow] = []
        for item in source.rows():
            if isinstance(item, Rejection):
                report.rejected.append(item)
                continue
            batch.append(item)
            if len(batch) >= batch_size:
                stored = store_batch(memory, source, batch, redactor, report)
                if on_batch is not None and stored:
                    on_batch(stored)
                batch = []
                if progress is not None:
                    progress(done + source.consumed, total)
        if batch:
            stored = store_batch(memory, source, batch, redactor, report)
            if on_batch is not None and stored:
                on_batch(stored)
        done += source.consumed
        if progress is not None:
            progress(done, total)
    memory.recover()  # every batch is complete: this only drops the last redo record
    return report


def to_signal(workspace: str, source_name: str, row: RawRow, redactor: Redactor | None) -> Signal:
    """The stored form of a raw row: redacted text, deterministic id, content hash."""
    text, redacted = redactor.redact(row.text) if redactor is not None else (row.text, False)
    return Signal(
        id=signal_id(workspace, source_name, row.external_id, row.chunk),
        workspace=workspace,
        kind=row.kind,
        source=source_name,
        external_id=row.external_id,
        chunk=row.chunk,
        user_id=row.user_id,
        account_id=row.account_id,
        segment=row.segment,
        plan=row.plan,
        arr=row.arr,
        created_at=row.created_at,
        text=text,
        speaker=row.speaker,
        role=row.role,
        language=row.language,
        rating=row.rating,
        content_hash=content_hash(text),
        redacted=redacted,
        feature=row.feature,
    )


def _last_per_id(signals: Iterable[Signal]) -> list[Signal]:
    by_id: dict[str, Signal] = {}
    for signal in signals:
        by_id[signal.id] = signal
    return list(by_id.values())


def store_batch(
    memory: WorkspaceMemory, source: Source, batch: Sequence[RawRow], redactor: Redactor | None, report: IngestReport
) -> list[Signal]:
    """Store one batch; count new/updated/duplicate rows into ``report``; return the signals written."""
    signals = _last_per_id(to_signal(memory.workspace, source.path.name, row, redactor) for row in batch)
    stored = memory.existing([s.id for s in signals])
    fresh = [s for s in signals if stored.get(s.id) != s.content_hash]
    new = sum(1 for s in fresh if s.id not in stored)
    report.ingested += new
    report.updated += len(fresh) - new
    report.duplicates += len(batch) - len(fresh)
    if not fresh:
        return []
    tags = tag_texts([s.text for s in fresh], [s.rating for s in fresh])
    for signal, (signal_type, sentiment) in zip(fresh, tags, strict=True):
        signal.signal_type = SignalType.USAGE_PATTERN if signal.kind == SignalKind.USAGE else signal_type
        signal.sentiment = sentiment
    profile = ProfileUpdate(memory, fresh)
    texts = list(dict.fromkeys([s.text for s in fresh] + profile.phrases))
    vectors = dict(zip(texts, memory.embedder.embed(texts), strict=True))
    claims, claim_vectors = profile.merge(vectors)
    memory.commit_batch(fresh, np.vstack([vectors[s.text] for s in fresh]), claims, claim_vectors)
    return fresh
