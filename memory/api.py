"""The memory service: what surfaces and agents call to ingest, search, profile, theme and forget.

Every function takes the workspace explicitly and goes through :mod:`memory.repository`,
which applies the tenant filter itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from kernel.errors import InputError
from kernel.schemas import (
    ForgetReceipt,
    IngestReport,
    Profile,
    SearchHit,
    Signal,
    SignalKind,
    Stats,
    ThemeReport,
    utcnow,
)
from kernel.settings import get_settings
from memory.ingest.pipeline import ingest_files
from memory.profiles import get_profile
from memory.repository import WorkspaceMemory, get_memory
from memory.sentence_vectors import Pair, VectorMemo


def workspace(name: str) -> WorkspaceMemory:
    """The tenant-scoped memory of one workspace."""
    return get_memory().workspace(name)


def ingest(
    paths: Sequence[Path],
    workspace_name: str,
    *,
    kind: str = "auto",
    mapping: dict[str, str] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> IngestReport:
    """Add user signals from files; idempotent (re-ingesting the same file stores nothing new)."""
    if not paths:
        raise InputError("no files given to ingest")
    if kind != "auto" and kind not in _INGEST_KINDS:
        raise InputError(f"unknown kind {kind!r}; expected one of: auto, {', '.join(sorted(_INGEST_KINDS))}")
    memory = workspace(workspace_name)
    snapshot = memory.load_themes()
    current = snapshot is not None and snapshot.fingerprint == _fingerprint(memory) and _has_members(snapshot)
    stored: list[Signal] = []
    report = ingest_files(
        memory, list(paths), kind=kind, mapping=mapping, progress=progress, on_batch=stored.extend if current else None
    )
    if current and stored and snapshot is not None:
        _assign_to_snapshot(memory, snapshot, stored)
    return report


def _assign_to_snapshot(memory: WorkspaceMemory, snapshot: ThemeReport, stored: list[Signal]) -> None:
    """Join newly stored signals to the current theme snapshot's themes (nearest centroid), no recompute.

    Signals too far from every theme stay unassigned until the next full recompute (the scheduled
    ``refresh_themes`` job, or ``themes --refresh``); the snapshot stays current for the new fingerprint.
    """
    from memory import themes as theme_analysis

    report, _ = theme_analysis.add_to_snapshot(memory, snapshot, stored)
    report.fingerprint = _fingerprint(memory)
    memory.save_themes(report)


#: Kind names accepted by ``ingest --kind`` (the contract spells the plural for project data).
_INGEST_KINDS = {k.value for k in SignalKind} | {"commits", "issues"}


def stats(workspace_name: str) -> Stats:
    """What a workspace holds."""
    return workspace(workspace_name).stats()


def search(
    query: str,
    workspace_name: str,
    *,
    user_id: str | None = None,
    account_id: str | None = None,
    segment: str | None = None,
    kind: str | Sequence[str] | None = None,
    since: datetime | None = None,
    limit: int = 10,
) -> list[SearchHit]:
    """Hybrid (dense + BM25-style sparse, rank-fused) search of user memory; ``kind`` may list several kinds."""
    if not query.strip():
        raise InputError("search query is empty")
    if not 1 <= limit <= 200:
        raise InputError("limit must be between 1 and 200")
    known = {k.value for k in SignalKind}
    for one in [kind] if isinstance(kind, str) else kind or []:
        if one not in known:
            raise InputError(f"unknown kind {one!r}")
    return workspace(workspace_name).search(
        query, user_id=user_id, account_id=account_id, segment=segment, kind=kind, since=since, limit=limit
    )


#: Bumped whenever clustering or labelling changes, so saved theme snapshots are recomputed.
THEME_METHOD = "snn-leiden+phrase-labels/4"


def _fingerprint(memory: WorkspaceMemory) -> str:
    digest = hashlib.sha256(THEME_METHOD.encode())
    rows = sorted((s.id, s.content_hash) for s, _ in memory.iter_signals())
    for sid, chash in rows:
        digest.update(f"{sid}:{chash};".encode())
    return f"{len(rows)}:{digest.hexdigest()[:16]}"


def themes(
    workspace_name: str,
    *,
    since: datetime | None = None,
    segment: str | None = None,
    members: bool = False,
    refresh: bool = False,
) -> ThemeReport:
    """Thematic analysis of a workspace.

    The unfiltered report is cached as a snapshot in memory and reused while the
    workspace's signals are unchanged; filtered reports are always computed fresh.
    """
    from memory import themes as theme_analysis  # clustering stack is imported only when themes are asked for

    memory = workspace(workspace_name)
    unfiltered = since is None and segment is None
    fingerprint = _fingerprint(memory)
    if unfiltered and not refresh:
        cached = memory.load_themes()
        if cached is not None and cached.fingerprint == fingerprint and (not members or _has_members(cached)):
            return cached if members else _without_members(cached)
    signals, vectors = [], []
    for signal, vector in memory.iter_signals(with_vectors=True):
        if signal.kind in (SignalKind.COMMIT, SignalKind.ISSUE, SignalKind.MEETING):
            continue
        signals.append(signal)
        vectors.append(vector)
    matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, memory.embedder.dim), np.float32)
    report = theme_analysis.build_report(
        workspace_name, signals, matrix, since=since, segment=segment, with_members=True
    )
    report.generated_at = utcnow()
    report.fingerprint = fingerprint
    if unfiltered:
        previous = memory.load_themes()
        if previous is not None:  # themes whose members mostly stayed keep their ids across recomputes
            report.themes = theme_analysis.carry_ids(report.themes, previous.themes)
        memory.save_themes(report)
    return report if members else _without_members(report)


def _has_members(report: ThemeReport) -> bool:
    return all(t.members for t in report.themes)


def _without_members(report: ThemeReport) -> ThemeReport:
    return report.model_copy(update={"themes": [t.model_copy(update={"members": []}) for t in report.themes]})


def profile(
    workspace_name: str, *, user: str | None = None, account: str | None = None, segment: str | None = None
) -> Profile:
    """The evolving profile of exactly one user, account or segment."""
    return get_profile(workspace(workspace_name), user=user, account=account, segment=segment)


def forget(workspace_name: str, user_id: str) -> ForgetReceipt:
    """Erase a person everywhere in the workspace: signals, claims, quotes, themes, decisions, sentence vectors."""
    if not user_id.strip():
        raise InputError("user id is empty")
    return workspace(workspace_name).forget_user(user_id)


def sentence_vectors(workspace_name: str, pairs: Sequence[Pair], memo: VectorMemo | None = None) -> np.ndarray:
    """Vectors of ``(signal id, sentence)`` pairs (row ``i`` for ``pairs[i]``): kept ones read, the rest embedded.

    What is embedded here is kept for the workspace's signals (:mod:`memory.sentence_vectors`); with
    ``memo`` (a run's cache), the missing sentences come from it, shared with the run's other questions.
    """
    memory = workspace(workspace_name)
    if memo is None:
        return memory.sentence_vectors(pairs)
    embedder = memory.embedder

    def embed(texts: list[str]) -> list[np.ndarray]:
        known = memo.vectors(embedder, texts)
        return [known[t] for t in texts]

    return memory.sentence_vectors(pairs, embed)


def fill_sentence_vectors(workspace_name: str) -> int:
    """Embed and keep the sentences of the workspace's long signals not kept yet (scheduled with themes)."""
    return workspace(workspace_name).fill_sentence_vectors()


def expire(workspace_name: str, older_than: datetime, *, kind: str | None = None) -> int:
    """Delete a workspace's signals created at or before ``older_than`` (of one kind when given)."""
    if kind is not None and kind not in {k.value for k in SignalKind}:
        raise InputError(f"unknown kind {kind!r}")
    return workspace(workspace_name).expire(older_than, kind=kind)


def apply_retention(workspace_name: str, *, now: datetime | None = None) -> int:
    """Apply the retention settings to a workspace and return how many signals expired.

    ``PMPILOT_RETENTION`` (``kind=days,...``) sets per-kind limits; ``PMPILOT_RETENTION_DAYS``
    covers every other kind. With neither set nothing expires.
    """
    settings = get_settings()
    now = now or utcnow()
    memory = workspace(workspace_name)
    policy = settings.retention_policy
    expired = sum(memory.expire(now - timedelta(days=days), kind=kind) for kind, days in sorted(policy.items()))
    if settings.retention_days is not None:
        rest = [k.value for k in SignalKind if k.value not in policy]
        if rest:
            expired += memory.expire(now - timedelta(days=settings.retention_days), kind=rest)
    return expired
