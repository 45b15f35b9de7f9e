"""The ingest pipeline: files → redacted, tagged, embedded signals in one workspace's memory.

Every file is validated before anything is stored (an unreadable file is one clear error and
changes nothing). Rows then stream in batches of ``batch_size``: redact → build signals with
deterministic ids → compare content hashes with what is stored → embed the new and changed texts
(each distinct text once; a second thread, so batch *n+1* is embedded while batch *n* is merged and
stored) and tag them → plan their profile update and merge the claims (a claim phrase takes the
vector of the signal it was extracted from: no model call per phrase) → store signals and claims
together. Memory stays bounded by the batch size whatever the file size. Re-ingesting the same file
stores nothing (all duplicates); an edited row is updated in place.

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

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kernel.errors import InputError
from kernel.pii import Redactor
from kernel.schemas import IngestReport, Rejection, Signal, SignalKind, SignalType, content_hash, signal_id
from kernel.settings import get_settings
from memory.batches import SignalParts, signal_parts
from memory.profiles import ProfileUpdate, SubjectIndexes
from memory.tagging import tag_texts

from .readers import open_source
from .rows import RawRow
from .source import Source

if TYPE_CHECKING:
    from memory.repository import WorkspaceMemory

Progress = Callable[[int, int | None], None]

#: Signals of an ingest whose accounts its merge keeps rather than reading them back (~150 bytes each).
KEPT_ACCOUNTS = 65_536


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
        progress: Called after every batch is stored, with (source records read up to it, total records or
            ``None``).
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
    joint = memory.embedder.packs_by_length  # several batches per model call (see _call_size)
    with memory.deferred_flush(), _Pipeline(memory, redactor, report, on_batch) as pipeline:
        for source in sources:
            batch: list[RawRow] = []
            #: Batches to embed in one model call (see :func:`_call_size`), each with the records read up to it
            #: (its progress figure; none for the source's last, reported below); ``size``: how many the call
            #: takes, ``calls``: the source's calls so far.
            group: list[tuple[list[RawRow], int | None]] = []
            size = calls = 0
            for item in source.rows():
                if isinstance(item, Rejection):
                    report.rejected.append(item)
                    continue
                batch.append(item)
                if len(batch) >= batch_size:
                    if not group:
                        size = _call_size(source, batch_size, calls) if joint else 1
                    group.append((batch, source.consumed))
                    batch = []
                    if len(group) >= size and not (joint and _short_rest(source, batch_size)):
                        pipeline.add(source, group, done, progress, total)
                        group, calls = [], calls + 1
            if batch and group and len(batch) >= batch_size // 2:  # the rest was not short after all
                pipeline.add(source, group, done, progress, total)
                group = []
            if batch:
                group.append((batch, None))
            if group:
                pipeline.add(source, group, done, progress, total)
            done += source.consumed
            if progress is not None:
                pipeline.then(functools.partial(progress, done, total))
        pipeline.close()
        memory.finish_batches()  # every batch is complete: this only drops the last redo record
    return report


#: Most batches one model call embeds (:func:`_call_size`).
CALL_BATCHES = 4


def _call_size(source: Source, batch_size: int, calls: int) -> int:
    """How many batches the source's next model call embeds: 1, 2, then up to :data:`CALL_BATCHES`.

    The model packs its forward passes by token length within a call (:func:`memory.embeddings.pack_by_length`),
    and a call of few texts packs poorly (few texts of each length): 10,000 banking77 rows in 512-text calls took
    199 passes and 9.3 % more padded tokens than in one call's 168; in calls of 1, 2, 4, 4, 4, 2, 1, 1, 1 batches
    181 passes, 3.9 % more. The batches of a call are still stored one by one, in order (the merge of the first
    runs while the model embeds them). The first call is one batch (the model starts as soon as it is read) and,
    when the source's size is known, a call takes at most half of the batches left, so the last calls are single
    batches again: the batches stored after the model's last call, which nothing overlaps, stay as few as before.
    An unknown size keeps one batch per call, and so does an embedder that does not pack its passes by length
    (:attr:`memory.embeddings.Embedder.packs_by_length`: an endpoint's requests are fixed-size anyway).
    """
    if source.total is None:
        return 1
    left = 1 + -(-max(0, source.total - source.consumed) // batch_size)  # this batch and the ones after it
    return max(1, min(1 << min(calls, 8), CALL_BATCHES, left // 2))


def _short_rest(source: Source, batch_size: int) -> bool:
    """Whether the source's records not read yet, if known, are fewer than half a batch (but some).

    Such a rest is embedded in one model call with the batches before it (it is still stored as a batch of
    its own): a short call packs poorly (512 + 88 texts took 12 passes and 4.4 % more padded tokens than the
    same 600 texts in one call's 10).
    """
    if source.total is None:
        return False
    rest = source.total - source.consumed
    return 0 < rest < batch_size // 2


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


class _Prepared:
    """A batch whose new and changed signals are tagged and whose texts are being embedded."""

    def __init__(self, signals: list[Signal], fresh: list[Signal], vectors: Future[np.ndarray] | None) -> None:
        self.signals, self.fresh, self.vectors = signals, fresh, vectors
        #: Run once the batch is stored (progress reports).
        self.then: list[Callable[[], object]] = []
        #: The fresh signals' payloads and sparse vectors, once computed (:meth:`fill_parts`).
        self.parts: list[SignalParts] | None = None

    def fill_parts(self) -> None:
        """Compute the fresh signals' point payloads and sparse vectors (they need no model vector)."""
        if self.parts is None and self.fresh:
            self.parts = signal_parts(self.fresh)


class _Pipeline:
    """Store batches in order while the next batch's texts are embedded (a second thread).

    Batch *n+1* is redacted, compared with what is stored, tagged and handed to the embedder; then
    batch *n*'s profile update is merged and the batch stored while the model embeds batch *n+1*
    (torch releases the GIL). Everything that reads the store's claims or writes the store still
    runs in order on the caller's thread, so the result equals storing one batch after the other.
    The stored content hashes read for batch *n+1* before batch *n* is stored are patched with batch
    *n*'s signals, so a row repeated across the two batches counts as it would sequentially.
    """

    def __init__(self, memory: WorkspaceMemory, redactor: Redactor | None, report: IngestReport,
                 on_batch: Callable[[list[Signal]], None] | None) -> None:
        self._memory, self._redactor, self._report, self._on_batch = memory, redactor, report, on_batch
        #: Batches prepared and not stored yet, in order (the last one, or two when a batch was embedded with
        #: the source's rest).
        self._pending: list[_Prepared] = []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmpilot-embed")
        #: Kept across batches for the profile merge: busy subjects' word indexes, and the account of the
        #: signals stored so far (the last :data:`KEPT_ACCOUNTS`; what the store holds for them, so the merge
        #: need not read them back).
        self._indexes = SubjectIndexes()
        self._accounts: dict[str, str | None] = {}

    def __enter__(self) -> _Pipeline:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self._finish()
        finally:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def add(self, source: Source, batches: Sequence[tuple[Sequence[RawRow], int | None]], done: int = 0,
            progress: Progress | None = None, total: int | None = None) -> None:
        """Prepare ``batches`` (one model call embeds them all; it starts), then store the batches before them.

        ``batches``: each with the source's records read up to it (or ``None``); ``progress`` is called with
        ``done`` plus that figure once the batch is stored.
        """
        previous = [s for p in self._pending for s in p.signals]
        prepared = _prepare(self._memory, source, [rows for rows, _ in batches], self._redactor, self._report,
                            previous, self._executor)
        if progress is not None:
            for item, (_, read) in zip(prepared, batches, strict=True):
                if read is not None:
                    item.then.append(functools.partial(progress, done + read, total))
        waiting, self._pending = self._pending, prepared
        for earlier in waiting:
            self._store(earlier)

    def close(self) -> None:
        """Store the last batches (then progress callbacks have all run)."""
        self._finish()

    def then(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once every batch added so far is stored (now, if it is)."""
        if not self._pending:
            callback()
        else:
            self._pending[-1].then.append(callback)

    def _finish(self) -> None:
        while self._pending:
            self._store(self._pending.pop(0))

    def _store(self, prepared: _Prepared) -> None:
        if prepared.vectors is not None:
            # What needs no vector is done before waiting for the model, while it may still embed this batch
            # (the caller's thread would only wait, and the merge and writes after the model's last call,
            # which nothing overlaps, get shorter): the profile plan (claims extracted, their subjects' stored
            # claims read: every batch before is stored by now, so it reads what it read after the wait),
            # this batch's point payloads and sparse vectors, and the next batch's.
            profile = ProfileUpdate(self._memory, prepared.fresh, indexes=self._indexes, accounts=self._accounts)
            prepared.fill_parts()
            if not prepared.vectors.done():
                for later in self._pending:
                    if later is not prepared:
                        later.fill_parts()
            # The merge runs while the model embeds (it waits for the vectors only when it needs one: a claim
            # compared by meaning, or the claims to write), then the batch is stored.
            stored = _merge_and_commit(self._memory, prepared.fresh, prepared.vectors, prepared.parts, profile)
            accounts = self._accounts
            accounts.update((s.id, s.account_id) for s in prepared.fresh)
            while len(accounts) > KEPT_ACCOUNTS:  # memory stays bounded: the oldest are read back when needed
                del accounts[next(iter(accounts))]
            if self._on_batch is not None and stored:
                self._on_batch(stored)
        for callback in prepared.then:
            callback()


def _prepare(
    memory: WorkspaceMemory,
    source: Source,
    batches: Sequence[Sequence[RawRow]],
    redactor: Redactor | None,
    report: IngestReport,
    previous: Sequence[Signal],
    executor: ThreadPoolExecutor,
) -> list[_Prepared]:
    """Redact, find what is new or changed, start embedding it, tag it; count rows into ``report``.

    ``batches``: stored one after the other, embedded in one model call. ``previous``: the signals of the
    batches before, if they are not stored yet (their hashes count as stored).
    """
    earlier = list(previous)
    found: list[tuple[list[Signal], list[Signal]]] = []
    for batch in batches:
        signals = _last_per_id(to_signal(memory.workspace, source.path.name, row, redactor) for row in batch)
        stored = memory.existing([s.id for s in signals])
        stored.update((s.id, s.content_hash) for s in earlier)
        fresh = [s for s in signals if stored.get(s.id) != s.content_hash]
        new = sum(1 for s in fresh if s.id not in stored)
        report.ingested += new
        report.updated += len(fresh) - new
        report.duplicates += len(batch) - len(fresh)
        found.append((signals, fresh))
        earlier.extend(signals)
    rows = {text: i for i, text in enumerate(dict.fromkeys(s.text for _, fresh in found for s in fresh))}
    vectors = executor.submit(memory.embedder.embed, list(rows)) if rows else None
    prepared: list[_Prepared] = []
    for signals, fresh in found:
        if not fresh:
            prepared.append(_Prepared(signals, [], None))
            continue
        assert vectors is not None
        own = [rows[t] for t in dict.fromkeys(s.text for s in fresh)]
        mine = vectors if len(found) == 1 else _rows_of(vectors, np.asarray(own))
        tags = tag_texts([s.text for s in fresh], [s.rating for s in fresh])
        for signal, (signal_type, sentiment) in zip(fresh, tags, strict=True):
            signal.signal_type = SignalType.USAGE_PATTERN if signal.kind == SignalKind.USAGE else signal_type
            signal.sentiment = sentiment
        prepared.append(_Prepared(signals, fresh, mine))
    return prepared


def _rows_of(vectors: Future[np.ndarray], rows: np.ndarray) -> Future[np.ndarray]:
    """The given rows of a model call's vectors, once it returns (its failure or cancellation too)."""
    part: Future[np.ndarray] = Future()

    def done(call: Future[np.ndarray]) -> None:
        if call.cancelled():
            part.cancel()
        elif (error := call.exception()) is not None:
            part.set_exception(error)
        else:
            part.set_result(call.result()[rows])

    vectors.add_done_callback(done)
    return part


def _merge_and_commit(memory: WorkspaceMemory, fresh: list[Signal], matrix: np.ndarray | Future[np.ndarray],
                      parts: Sequence[SignalParts] | None = None, profile: ProfileUpdate | None = None) -> list[Signal]:
    """Merge the batch's profile claims and store its signals and claims together.

    ``matrix``: the vectors of the batch's distinct texts, or the model call that makes them (the merge
    then waits for them only when it needs a vector). ``parts`` (see ``_Prepared.fill_parts``) and
    ``profile`` (the batch's :class:`ProfileUpdate`, planned after the batch before was stored) are
    computed here when not given.

    A claim phrase is extracted from a signal's own text, so its vector is that signal's vector (no
    model call per phrase); a stored claim that changes keeps its stored vector.
    """
    profile = profile if profile is not None else ProfileUpdate(memory, fresh)
    vectors = _BatchVectors(matrix, fresh, profile)
    claims, claim_vectors = profile.merge_deferred(vectors)
    staged = memory.stage_batch(fresh, claims, parts)  # all of the points but their vectors
    by_text = vectors.matrix
    memory.commit_batch(fresh, np.vstack([by_text[vectors.rows[s.text]] for s in fresh]), claims, claim_vectors(),
                        staged.parts, staged)
    return fresh


class _BatchVectors(Mapping[str, np.ndarray]):
    """The vectors a batch's merge may use, by text: its signals' distinct texts and the claim phrases it needs.

    A phrase (:attr:`ProfileUpdate.phrases`) takes the vector of the first signal it was extracted from.
    Which texts have a vector is known at once; a vector is waited for (the model's call) when first read.
    """

    def __init__(self, matrix: np.ndarray | Future[np.ndarray], fresh: Sequence[Signal], profile: ProfileUpdate
                 ) -> None:
        self._matrix = matrix
        #: Text -> row of the matrix.
        self.rows: dict[str, int] = {text: i for i, text in enumerate(dict.fromkeys(s.text for s in fresh))}
        self._texts = len(self.rows)
        text_of = {s.id: s.text for s in fresh}
        for phrase in profile.phrases:
            self.rows.setdefault(phrase, self.rows[text_of[profile.sources[phrase]]])

    @property
    def matrix(self) -> np.ndarray:
        """The batch's vectors, one row per distinct text (waits for the model)."""
        if isinstance(self._matrix, Future):
            self._matrix = self._matrix.result()
            if len(self._matrix) != self._texts:
                raise ValueError(f"expected {self._texts} vectors, got {len(self._matrix)}")
        return self._matrix

    def __getitem__(self, text: str) -> np.ndarray:
        row = self.rows[text]
        vector: np.ndarray = self.matrix[row]
        return vector

    def __contains__(self, text: object) -> bool:
        return text in self.rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)
