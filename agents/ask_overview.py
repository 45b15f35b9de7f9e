"""Broad questions ("what do users complain about most?"): answered from the saved themes, not a search.

A question that names no topic — only framing ("what do our users say") and ranking words ("most",
"biggest", "main", "pain points", "complain") — has no words a relevance floor could match, so a search
finds nothing relevant and ``ask`` used to refuse it. Its answer is the workspace's largest themes, each
with one verbatim quote of a signal that users wrote. Themes are read from the saved snapshot only
(``ask`` never computes them); without one the caller says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.schemas import SignalKind
from memory import api as memory_api
from memory.sparse import tokenize
from tools.relevance import FRAMING_WORDS, UNQUOTABLE_KIND

#: Words that ask for a ranking of everything rather than name a topic.
RANKING_WORDS = frozenset(tokenize(
    "most main top biggest big largest common commonly frequent frequently often usually general overall key "
    "pain point points complain complains complaining complaint complaints struggle struggles unhappy happy "
    "annoy annoys annoying frustrate frustrates frustrating hate love wrong things thing lot lots"
))
#: Themes an overview names.
OVERVIEW_TOPICS = 5
_NOT_QUOTED = frozenset({UNQUOTABLE_KIND, SignalKind.COMMIT, SignalKind.ISSUE, SignalKind.MEETING})


def is_broad(question: str) -> bool:
    """Whether the question asks for the overall picture: it has ranking words and no topic words."""
    words = set(tokenize(question))
    return bool(words & RANKING_WORDS) and not words - FRAMING_WORDS - RANKING_WORDS


@dataclass(frozen=True)
class Topic:
    """One of the largest themes, with a verbatim quote of a signal users wrote."""

    label: str
    size: int
    users: int
    signal_id: str
    quote: str


def largest_topics(workspace: str, limit: int = OVERVIEW_TOPICS) -> list[Topic] | None:
    """The largest saved themes that users wrote, biggest first (None: the workspace has no theme snapshot)."""
    memory = memory_api.workspace(workspace)
    report = memory.load_themes()
    if report is None:
        return None
    themes = sorted((t for t in report.themes if t.quotes and t.label), key=lambda t: (-t.size, t.label))
    signals = {s.id: s for s in memory.get_signals([q.signal_id for t in themes for q in t.quotes])}
    out: list[Topic] = []
    for theme in themes:
        quote = next((q for q in theme.quotes if q.signal_id in signals
                      and signals[q.signal_id].kind not in _NOT_QUOTED
                      and signals[q.signal_id].is_customer_speech), None)
        if quote is not None:
            out.append(Topic(theme.label, theme.size, theme.users, quote.signal_id, quote.quote))
        if len(out) == limit:
            break
    return out
