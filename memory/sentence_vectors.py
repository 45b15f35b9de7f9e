"""Sentence vectors of stored signals: embedded once per signal and kept beside it.

Research scores a long candidate by its best sentence (``tools.research.best_sentences``): a review
that mentions the question in one sentence among many has a diluted whole-text vector. A stored
signal's sentences do not depend on the question, so their vectors are kept in the
``sentences__<model>__<dim>`` collection, one point per (signal, sentence), and a run reads them
instead of embedding them again. The point's payload is the workspace, the signal id and a SHA-256
of the sentence (never its text: the signal holds it, already redacted); its id is derived from
all three, so a lookup is a retrieve by id, filtered to the workspace like every read here.

Filled by the scheduled ``refresh_themes`` job (:meth:`SentenceStore.fill_sentence_vectors`) and
by the first run that needs a sentence (:meth:`SentenceStore.sentence_vectors` saves what it
embedded); erased with their signal by :mod:`memory.erasure` (forget, retention).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from kernel.schemas import ID_NAMESPACE
from memory.scoped import ScopedMemory, _chunks, _is_uuid
from memory.store.base import CollectionSpec, Match, Point

#: The sentence split of ``tools.research`` ("4.10" and "e.g" stay inside their sentence).
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[\w\d]))+[.!?]?")
#: Research scores a text's sentences on their own when it has at least this many of at least 3 words ...
MIN_SENTENCES = 2
#: ... up to this many of them (the first ones).
MAX_SENTENCES = 12
#: Sentences embedded per forward call when filling a workspace.
FILL_BATCH = 256

Pair = tuple[str, str]  # (signal id, sentence)


def sentences(text: str) -> list[str]:
    """The sentences research scores for ``text`` (verbatim spans of at least 3 words, the first 12).

    The same rule as ``tools.research._sentences`` (a test keeps them equal); a text with fewer than
    :data:`MIN_SENTENCES` has none of its own to score.
    """
    out = [m.group(0).strip() for m in _SENTENCE.finditer(text)]
    parts = [x for x in out if len(x.split()) >= 3][:MAX_SENTENCES]
    return parts if len(parts) >= MIN_SENTENCES else []


def sentence_hash(sentence: str) -> str:
    """The key of one sentence (its text is never stored here)."""
    return hashlib.sha256(sentence.encode()).hexdigest()[:32]


class VectorMemo(Protocol):
    """Where a run shares text vectors between its branches (``agents.context.RunCache``)."""

    def vectors(self, embedder: Any, texts: Sequence[str]) -> Mapping[str, Any]:
        """Vectors of ``texts``: the ones known or being embedded are shared, the rest embedded here."""


class SentenceStore(ScopedMemory):
    """Kept sentence vectors of one workspace's signals (a part of :class:`~memory.repository.WorkspaceMemory`)."""

    @property
    def _sentences(self) -> str:
        """The collection of the current embedder, created on first use."""
        name = f"sentences__{self._memory.suffix}"
        ready: set[str] = self._memory.__dict__.setdefault("_sentence_collections", set())
        if name not in ready:
            self._store.ensure_collection(
                CollectionSpec(name=name, dim=self.embedder.dim, keyword_fields=("workspace", "signal_id", "sentence"),
                               sparse=False)
            )
            ready.add(name)
        return name

    def _sentence_id(self, signal_id: str, sentence: str) -> str:
        key = f"sentence\x1f{self.workspace}\x1f{signal_id}\x1f{sentence_hash(sentence)}"
        return str(uuid.uuid5(ID_NAMESPACE, key))

    def stored_sentence_vectors(self, pairs: Sequence[Pair]) -> dict[Pair, np.ndarray]:
        """The kept vectors of ``(signal id, sentence)`` pairs of this workspace (the others are absent)."""
        wanted = {self._sentence_id(sid, part): (sid, part) for sid, part in dict.fromkeys(pairs) if _is_uuid(sid)}
        found: dict[Pair, np.ndarray] = {}
        collection = self._sentences
        for chunk in _chunks(list(wanted), 1024):
            for record in self._own(self._store.retrieve(collection, list(chunk), with_vectors=True)):
                if record.vector:
                    found[wanted[record.id]] = np.asarray(record.vector, dtype=np.float32)
        return found

    def known_sentences(self, texts: Iterable[str]) -> set[str]:
        """Which of ``texts`` are a kept sentence of some signal of this workspace."""
        by_hash = {sentence_hash(t): t for t in texts}
        known: set[str] = set()
        collection = self._sentences
        for chunk in _chunks(sorted(by_hash)):
            flt = self._tenant(Match("sentence", any_of=tuple(chunk)))
            known.update(by_hash[str(r.payload["sentence"])] for r in self._own(self._store.scroll(collection, flt)))
        return known

    def sentence_vectors(self, pairs: Sequence[Pair],
                         embed: Callable[[list[str]], Sequence[np.ndarray] | np.ndarray] | None = None) -> np.ndarray:
        """Vectors of ``(signal id, sentence)`` pairs, row ``i`` for ``pairs[i]``: kept ones read, the rest embedded.

        The missing sentences are embedded in one call (``embed``, default the embedder) and kept for
        the signals of this workspace that still exist; every kept row is returned as read back from
        the store, so a run computing them and a run reading them score the very same vectors.
        """
        if not pairs:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        found = self.stored_sentence_vectors(pairs)
        missing = [p for p in dict.fromkeys(pairs) if p not in found]
        if missing:
            texts = list(dict.fromkeys(part for _, part in missing))
            matrix = (embed or self.embedder.embed)(texts)
            by_text = {t: np.asarray(matrix[i], dtype=np.float32) for i, t in enumerate(texts)}
            self._keep_sentence_vectors([(p, by_text[p[1]]) for p in missing])
            found.update(self.stored_sentence_vectors(missing))
            for pair in missing:
                found.setdefault(pair, by_text[pair[1]])
        return np.stack([found[p] for p in pairs])

    def _keep_sentence_vectors(self, rows: Sequence[tuple[Pair, np.ndarray]]) -> int:
        """Keep vectors of sentences of signals that exist in this workspace; returns how many were kept.

        The check and the write hold the memory lock and the store's cross-process lock, as erasure does: a
        signal forgotten while its sentences were being embedded — in this process or another — never gets
        them back.
        """
        collection = self._sentences
        with self._lock, self._store.hold():
            signal_ids = sorted({sid for (sid, _), _ in rows if _is_uuid(sid)})
            alive: set[str] = set()
            for chunk in _chunks(signal_ids, 1024):
                alive.update(r.id for r in self._own(self._store.retrieve(self._memory.signals, list(chunk))))
            points = [
                Point(id=self._sentence_id(sid, part), vector=vector.tolist(),
                      payload={"workspace": self.workspace, "signal_id": sid, "sentence": sentence_hash(part)})
                for (sid, part), vector in rows if sid in alive
            ]
            self._store.upsert(collection, points)
        return len(points)

    def fill_sentence_vectors(self, batch: int = FILL_BATCH) -> int:
        """Embed and keep the sentences of every multi-sentence signal that are not kept yet; returns how many.

        Incremental: a signal's sentences are embedded once, so a scheduled call costs what the
        signals stored since the last one hold.
        """
        pending: list[Pair] = []
        embedded = 0
        for signal_id, text in self._signal_texts():
            pending.extend(dict.fromkeys((signal_id, part) for part in sentences(text)))
            if len(pending) >= 4 * batch:
                embedded += self._fill(pending, batch)
                pending = []
        return embedded + self._fill(pending, batch)

    def _signal_texts(self) -> Iterable[tuple[str, str]]:
        for record in self._store.scroll(self._memory.signals, self._tenant()):
            if record.payload.get("workspace") == self.workspace:
                yield record.id, str(record.payload.get("text") or "")

    def _fill(self, pairs: list[Pair], batch: int) -> int:
        known = self.stored_sentence_vectors(pairs)
        missing = [p for p in pairs if p not in known]
        for start in range(0, len(missing), batch):
            part = missing[start:start + batch]
            texts = list(dict.fromkeys(text for _, text in part))
            by_text = dict(zip(texts, self.embedder.embed(texts), strict=True))
            self._keep_sentence_vectors([(p, by_text[p[1]]) for p in part])
        return len(missing)

    def clear_sentence_vectors(self) -> None:
        """Drop this workspace's kept sentence vectors (they are computed again when needed)."""
        with self._lock:
            for collection in self._memory.all_collections("sentences"):
                self._store.delete(collection, self._tenant())

    def _scrub_sentences(self, deleted: set[str]) -> None:
        """Erase the kept sentence vectors of deleted signals, for every embedding model ever used."""
        ids = sorted(deleted)
        for collection in self._memory.all_collections("sentences"):
            for chunk in _chunks(ids):
                self._store.delete(collection, self._tenant(Match("signal_id", any_of=tuple(chunk))))
