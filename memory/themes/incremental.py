"""Between recomputes: incremental assignment of new signals at ingest, and ids carried across recomputes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from kernel.schemas import Member, Signal, Theme, ThemeReport
from kernel.timeutil import aware
from memory.themes.graph import _unit_rows
from memory.themes.report import _sentiment_bucket, trend

#: Cosine between a new signal and its nearest theme centroid needed to join that theme at ingest;
#: below it the signal stays unassigned until the next full recompute.
ASSIGN_FLOOR = 0.55
#: Members per theme (the most central first, as reports list them) whose vectors make its centroid.
CENTROID_SAMPLE = 64
#: Member overlap (Jaccard) from which a recomputed theme keeps the id of the theme it continues.
KEEP_ID_JACCARD = 0.5


def carry_ids(themes: Sequence[Theme], previous: Sequence[Theme], min_jaccard: float = KEEP_ID_JACCARD) -> list[Theme]:
    """Give each recomputed theme the id of the previous theme whose members mostly stayed in it.

    Pairs (new, old) are matched one to one, highest member Jaccard first, from ``min_jaccard`` up;
    unmatched themes keep their fresh id (a hash of their members). Both sides need their members.

    Returns:
        The themes, ids carried over, sorted by size (largest first) as reports are.
    """
    before = {t.id: {m.signal_id for m in t.members} for t in previous if t.members}
    owner = {sid: tid for tid, members in before.items() for sid in members}
    pairs: list[tuple[float, int, str]] = []
    for index, theme in enumerate(themes):
        members = {m.signal_id for m in theme.members}
        for old, inter in Counter(owner[s] for s in members if s in owner).items():
            jaccard = inter / (len(members) + len(before[old]) - inter)
            if jaccard >= min_jaccard:
                pairs.append((-jaccard, index, old))
    ids = [t.id for t in themes]
    matched_new: set[int] = set()
    matched_old: set[str] = set()
    for _, index, old in sorted(pairs):
        if index not in matched_new and old not in matched_old:
            ids[index] = old
            matched_new.add(index)
            matched_old.add(old)
    taken = {ids[i] for i in matched_new}
    out = [
        t.model_copy(update={"id": ids[i]}) if i in matched_new or t.id not in taken else t.model_copy(
            update={"id": f"{t.id}-new"}
        )
        for i, t in enumerate(themes)
    ]
    return sorted(out, key=lambda t: (-t.size, t.id))


def theme_centroids(themes: Sequence[Theme], vectors: Mapping[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """Unit centroid of each theme from the vectors of up to ``CENTROID_SAMPLE`` of its first members.

    Themes none of whose sampled members has a vector are left out. Returns (theme ids, ``(k, d)`` rows).
    """
    ids: list[str] = []
    rows: list[np.ndarray] = []
    for theme in themes:
        found = [vectors[m.signal_id] for m in theme.members[:CENTROID_SAMPLE] if m.signal_id in vectors]
        if found:
            ids.append(theme.id)
            rows.append(_unit_rows(np.vstack(found)).mean(axis=0))
    if not rows:
        return [], np.zeros((0, 0), np.float32)
    return ids, _unit_rows(np.vstack(rows))


def assign_to_centroids(
    vectors: np.ndarray, centroid_ids: Sequence[str], centroids: np.ndarray, floor: float = ASSIGN_FLOOR
) -> list[str | None]:
    """Theme id of each vector's nearest centroid when their cosine reaches ``floor``, else None."""
    matrix = _unit_rows(vectors)
    if not len(centroid_ids) or not matrix.shape[0]:
        return [None] * matrix.shape[0]
    sims = matrix @ centroids.T
    best = np.argmax(sims, axis=1)
    return [centroid_ids[b] if sims[i, b] >= floor else None for i, b in enumerate(best)]


def restate(theme: Theme, rows: Sequence[Signal], now: datetime, window_days: int = 30) -> Theme:
    """The theme's counts (size, users, accounts, segments, sentiment, trend) recomputed from its member rows.

    Label, keywords and quotes stay: they describe the theme as last recomputed.
    """
    sentiment = Counter(_sentiment_bucket(s.sentiment) for s in rows)
    return theme.model_copy(
        update={
            "size": len(rows),
            "users": len({s.user_id for s in rows if s.user_id}),
            "accounts": len({s.account_id for s in rows if s.account_id}),
            "segments": dict(sorted(Counter(s.segment for s in rows if s.segment).items())),
            "sentiment": {b: sentiment.get(b, 0) for b in ("negative", "neutral", "positive")},
            "trend": trend([s.created_at for s in rows], now, window_days),
        }
    )


def add_to_snapshot(memory: Any, report: ThemeReport, signals: Sequence[Signal]) -> tuple[ThemeReport, int]:
    """Assign new signals of ``memory``'s workspace to the snapshot's themes by nearest centroid (no recompute).

    A signal already a member is first taken out of its theme (its text changed); kinds that themes do
    not analyse (commits, issues, meetings) are skipped; a signal below ``ASSIGN_FLOOR`` stays unassigned
    until the next full recompute. Touched themes get their counts restated from their members.

    Args:
        memory: The workspace's :class:`~memory.repository.WorkspaceMemory` (reads vectors and signals).
        report: The current snapshot, with members.
        signals: The signals just stored.

    Returns:
        The updated report and how many signals joined a theme.
    """
    wanted = [s for s in signals if s.workspace == report.workspace and str(s.kind) not in _NOT_THEMED]
    if not wanted or not report.themes:
        return report, 0
    changed = {s.id for s in wanted}
    sample = [m.signal_id for t in report.themes for m in t.members[:CENTROID_SAMPLE]]
    known = memory.signal_vectors(sample + [s.id for s in wanted])
    centroid_ids, centroids = theme_centroids(report.themes, known)
    fresh = [s for s in wanted if s.id in known]
    picks = assign_to_centroids(np.vstack([known[s.id] for s in fresh]) if fresh else np.zeros((0, 1)),
                                centroid_ids, centroids)
    joining: dict[str, list[Signal]] = {}
    for signal, pick in zip(fresh, picks, strict=True):
        if pick is not None:
            joining.setdefault(pick, []).append(signal)
    touched = set(joining) | {t.id for t in report.themes if any(m.signal_id in changed for m in t.members)}
    updated: dict[str, tuple[list[Member], list[Signal]]] = {}
    for theme in report.themes:
        if theme.id in touched:
            members = [m for m in theme.members if m.signal_id not in changed]
            members += [Member(signal_id=s.id, external_id=s.external_id) for s in joining.get(theme.id, [])]
            updated[theme.id] = (members, memory.get_signals([m.signal_id for m in members]))
    dates = [aware(s.created_at) for s in wanted] + [aware(s.created_at) for _, r in updated.values() for s in r]
    now = max(dates)
    themes: list[Theme] = []
    for theme in report.themes:
        if theme.id not in updated:
            themes.append(theme)
            continue
        members, rows = updated[theme.id]
        if rows:
            quotes = [q for q in theme.quotes if q.signal_id not in changed]
            themes.append(restate(theme, rows, now).model_copy(update={"members": members, "quotes": quotes}))
    themes.sort(key=lambda t: (-t.size, t.id))
    return report.model_copy(update={"themes": themes}), sum(len(v) for v in joining.values())


_NOT_THEMED = frozenset({"commit", "issue", "meeting"})
