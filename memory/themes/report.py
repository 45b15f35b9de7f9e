"""Theme reports: cluster a workspace's signals and describe each theme (counts, trend, quotes, bias note)."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from kernel.errors import InputError
from kernel.schemas import Member, Quote, Signal, Theme, ThemeReport
from kernel.text import sentence_spans
from kernel.timeutil import aware
from memory.themes.graph import _unit_rows, cluster_vectors
from memory.themes.labels import _class_keywords, phrase_labels, same_topic_pairs

#: Quotes longer than this are cut down to their best sentence.
MAX_QUOTE_CHARS = 240
#: Sentiment cut-offs for the negative / positive buckets.
NEGATIVE_AT = -0.2
POSITIVE_AT = 0.2



def discover_themes(
    signals: Sequence[Signal],
    vectors: np.ndarray,
    *,
    now: datetime | None = None,
    window_days: int = 30,
    max_quotes: int = 3,
    with_members: bool = False,
    min_size: int = 2,
) -> list[Theme]:
    """Cluster signals into themes and describe each one.

    Themes with fewer than ``min_size`` members are left out of the result (their signals stay
    in memory; they are just too thin to call a theme). Ids are a hash of the member ids, so a
    rerun on the same data gives the same ids.

    Args:
        signals: The signals to analyse.
        vectors: Their embeddings, one row per signal, in the same order.
        now: Reference time for the trend; defaults to the latest ``created_at``.
        window_days: Trend window: last ``window_days`` versus the ``window_days`` before.
        max_quotes: Verbatim quotes per theme, closest to the theme centroid first.
        with_members: Also list every member of every theme.
        min_size: Smallest theme reported.

    Returns:
        Themes sorted by size (largest first).

    Raises:
        InputError: On mismatched vectors or invalid parameters.
    """
    if window_days < 1 or max_quotes < 0 or min_size < 1:
        raise InputError("window_days and min_size must be >= 1 and max_quotes >= 0")
    matrix = _unit_rows(vectors) if len(signals) else np.zeros((0, 0), np.float32)
    if matrix.shape[0] != len(signals):
        raise InputError(f"discover_themes: {matrix.shape[0]} vectors for {len(signals)} signals")
    if not signals:
        return []
    labels = cluster_vectors(matrix, [s.text for s in signals])
    clusters = [np.flatnonzero(labels == c) for c in range(int(labels.max()) + 1)]
    kept = [members for members in clusters if len(members) >= min_size]
    if not kept:
        return []
    groups = [[signals[i].text for i in members] for members in kept]
    keywords = _class_keywords(groups)
    labels = phrase_labels(groups, keywords)
    reference = aware(now) if now is not None else max(aware(s.created_at) for s in signals)
    themes = [
        _describe(signals, matrix, members, words, label, reference, window_days, max_quotes, with_members)
        for members, words, label in zip(kept, keywords, labels, strict=True)
    ]
    return sorted(themes, key=lambda t: (-t.size, t.id))


def _describe(
    signals: Sequence[Signal],
    matrix: np.ndarray,
    members: np.ndarray,
    keywords: list[str],
    label: str,
    now: datetime,
    window_days: int,
    max_quotes: int,
    with_members: bool,
) -> Theme:
    rows = [signals[i] for i in members]
    centroid = matrix[members].mean(axis=0)
    closeness = np.argsort(-(matrix[members] @ centroid), kind="stable")
    ranked = [rows[i] for i in closeness]
    digest = hashlib.sha256("\x1f".join(sorted(s.id for s in rows)).encode()).hexdigest()[:12]
    sentiment = Counter(_sentiment_bucket(s.sentiment) for s in rows)
    return Theme(
        id=f"theme-{digest}",
        label=label,
        keywords=keywords,
        size=len(rows),
        users=len({s.user_id for s in rows if s.user_id}),
        accounts=len({s.account_id for s in rows if s.account_id}),
        segments=dict(sorted(Counter(s.segment for s in rows if s.segment).items())),
        sentiment={b: sentiment.get(b, 0) for b in ("negative", "neutral", "positive")},
        trend=trend([s.created_at for s in rows], now, window_days),
        quotes=_quotes(ranked, keywords, max_quotes),
        members=[Member(signal_id=s.id, external_id=s.external_id) for s in ranked] if with_members else [],
    )


def trend(created: Sequence[datetime], now: datetime, window_days: int = 30) -> float:
    """Relative change: (n in the last window - n in the window before) / max(n before, 1)."""
    now = aware(now)
    window = timedelta(days=window_days)
    last = sum(1 for c in created if now - window < aware(c) <= now)
    previous = sum(1 for c in created if now - 2 * window < aware(c) <= now - window)
    return round((last - previous) / max(previous, 1), 4)


def _sentiment_bucket(score: float) -> str:
    if score <= NEGATIVE_AT:
        return "negative"
    if score >= POSITIVE_AT:
        return "positive"
    return "neutral"


def _quotes(ranked: Sequence[Signal], keywords: Sequence[str], limit: int) -> list[Quote]:
    quotes: list[Quote] = []
    seen: set[str] = set()
    for signal in ranked:
        if len(quotes) >= limit:
            break
        text = best_span(signal.text, keywords)
        key = text.strip().lower()
        if key and key not in seen:
            seen.add(key)
            quotes.append(Quote(signal_id=signal.id, quote=text))
    return quotes


def best_span(text: str, keywords: Sequence[str], max_chars: int = MAX_QUOTE_CHARS) -> str:
    """A verbatim substring of ``text`` to quote: all of it when short, else its best sentence.

    The best sentence mentions most of the theme keywords; a sentence longer than ``max_chars``
    is cut at a word boundary. The result is always ``text[a:b]`` for some ``a <= b``.
    """
    stripped = text.strip()
    if len(stripped) <= max_chars:
        return stripped
    terms = [k.lower() for k in keywords]
    best: tuple[int, int, int] | None = None
    for a, b in sentence_spans(text):  # stripped spans
        if b - a < 3:
            continue
        sentence = text[a:b].lower()
        score = sum(1 for t in terms if t in sentence)
        if best is None or score > best[0]:
            best = (score, a, b)
    a, b = (best[1], best[2]) if best else (0, len(text))
    if b - a > max_chars:
        cut = text.rfind(" ", a, a + max_chars)
        b = cut if cut > a else a + max_chars
    return text[a:b].strip()


def bias_note(signals: Sequence[Signal], themes: Sequence[Theme]) -> str:
    """A short note on sampling bias: where the evidence comes from and who is most vocal.

    Reports the share of each source kind, the share of signals from the most vocal 10 % of
    accounts, and warns when one source (>= 60 %) or a few accounts (>= 50 %) dominate, or
    when a sizeable theme rests on a single account. Lists themes labelled by the same phrase
    (:func:`same_topic_pairs`): their members say nothing the other's don't.
    """
    if not signals:
        return "No signals in scope; no themes can be drawn."
    total = len(signals)
    kinds = Counter(str(s.kind) for s in signals)
    mix = ", ".join(f"{kind} {count / total:.0%}" for kind, count in sorted(kinds.items(), key=lambda x: -x[1]))
    parts = [f"Sources: {mix} of {total} signals."]
    warnings: list[str] = []
    top_kind, top_count = kinds.most_common(1)[0]
    if len(kinds) == 1:
        warnings.append(f"all evidence comes from one source kind ({top_kind})")
    elif top_count / total >= 0.6:
        warnings.append(f"{top_kind} dominates ({top_count / total:.0%})")
    per_account = Counter(s.account_id for s in signals if s.account_id)
    if per_account:
        vocal = max(1, math.ceil(0.1 * len(per_account)))
        loud = sum(c for _, c in per_account.most_common(vocal))
        with_account = sum(per_account.values())
        share = loud / with_account
        parts.append(
            f"The most vocal 10% of accounts ({vocal} of {len(per_account)}) produced {share:.0%} "
            "of account-attributed signals."
        )
        if share >= 0.5 and len(per_account) >= 3:
            warnings.append(f"a few accounts dominate ({vocal} account(s) give {share:.0%})")
        if with_account < total:
            parts.append(f"{total - with_account} signals have no account.")
    else:
        parts.append("No signal is attributed to an account.")
    twins = same_topic_pairs([t.label for t in themes])
    if twins:
        parts.append("Themes whose members say nothing the other's don't (one topic split in two?): "
                     + "; ".join(f"{a} / {b}" for a, b in twins[:5]) + ".")
    single = [t.label for t in themes if t.size >= 5 and t.accounts == 1]
    if single:
        warnings.append("themes resting on a single account: " + "; ".join(single[:5]))
    if warnings:
        parts.append("Warning: " + "; ".join(warnings) + ".")
    return " ".join(parts)


def build_report(
    workspace: str,
    signals: Sequence[Signal],
    vectors: np.ndarray,
    *,
    since: datetime | None = None,
    segment: str | None = None,
    with_members: bool = False,
    now: datetime | None = None,
) -> ThemeReport:
    """Thematic analysis of one workspace's signals, optionally since a date and for one segment.

    Signals of other workspaces are never analysed (tenant safety even if a caller mixes them).
    """
    matrix = np.asarray(vectors)
    if matrix.ndim != 2 or matrix.shape[0] != len(signals):
        raise InputError(f"build_report: {matrix.shape[0] if matrix.ndim else 0} vectors for {len(signals)} signals")
    cutoff = aware(since) if since is not None else None
    keep = [
        i
        for i, s in enumerate(signals)
        if s.workspace == workspace
        and (cutoff is None or aware(s.created_at) >= cutoff)
        and (segment is None or s.segment == segment)
    ]
    chosen = [signals[i] for i in keep]
    themes = discover_themes(chosen, matrix[keep], now=now, with_members=with_members)
    sources = dict(sorted(Counter(str(s.kind) for s in chosen).items()))
    return ThemeReport(workspace=workspace, themes=themes, bias_note=bias_note(chosen, themes), sources=sources)
