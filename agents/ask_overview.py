"""Broad questions ("what do users complain about most?"): answered from the saved themes, not a search.

A question that names no topic — only framing ("what do our users say") and ranking words ("most",
"biggest", "main", "pain points", "complain") — has no words a relevance floor could match, so a search
finds nothing relevant and ``ask`` used to refuse it. Its answer is the workspace's largest themes, each
with one verbatim quote of a signal that users wrote. Themes are read from the saved snapshot only
(``ask`` never computes them); without one the caller says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agents.ask_stance import stance_of
from agents.ask_summary import Angle, is_problem_report, is_request
from kernel.schemas import SignalKind, Theme
from memory import api as memory_api
from memory.repository import WorkspaceMemory
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
#: A theme is a pain point (a request) when at least this many of its messages, and this share, report a
#: problem (ask for something): four complaints in a theme of thirty-five requirements are not its subject.
MIN_FITTING = 3
FITTING_SHARE = 1 / 3
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
    #: Members that fit the question's angle (report a problem / ask for something); None for "any".
    fitting: int | None = None


def largest_topics(workspace: str, limit: int = OVERVIEW_TOPICS, angle: Angle = "any") -> list[Topic] | None:
    """The largest saved themes that users wrote, biggest first (None: the workspace has no theme snapshot).

    With a ``problem`` (``request``) angle, only themes where a third of the members report a problem (ask for
    something), read by the same stance rules as an answer, are kept, still largest first, each quoted from
    such a member and counted (:attr:`Topic.fitting`);
    themes where fewer than :data:`MIN_FITTING` or :data:`FITTING_SHARE` of the members do are left out (an
    empty list: the snapshot has no such theme).

    Themes are read largest first, one size at a time (equal sizes together, so ties order as if all were
    read), and reading stops once ``limit`` themes are found: a large snapshot's smaller themes' members and
    quotes are never fetched.
    """
    memory = memory_api.workspace(workspace)
    report = memory.load_themes()
    if report is None:
        return None
    fits = {"problem": is_problem_report, "request": is_request}.get(angle)
    themes = sorted((t for t in report.themes if t.quotes and t.label), key=lambda t: (-t.size, t.label))
    out: list[Topic] = []
    start = 0
    while start < len(themes) and len(out) < limit:
        end = start + 1
        while end < len(themes) and themes[end].size == themes[start].size:
            end += 1
        out.extend(_topics(memory, themes[start:end], fits))
        start = end
    return out[:limit]


def _topics(memory: WorkspaceMemory, themes: list[Theme], fits: Callable[[str, str], bool] | None) -> list[Topic]:
    """The topics of ``themes`` (all of one size) that qualify, in order: fewer fitting members rank lower."""
    fitting: dict[str, list[str]] = {}
    if fits is not None:
        members = {s.id: s for s in memory.get_signals([m.signal_id for t in themes for m in t.members])}
        for theme in themes:
            fitting[theme.id] = [m.signal_id for m in theme.members if m.signal_id in members
                                 and members[m.signal_id].kind not in _NOT_QUOTED
                                 and members[m.signal_id].is_customer_speech
                                 and fits(stance_of(members[m.signal_id]),
                                          members[m.signal_id].signal_type.value)]
        themes = sorted((t for t in themes if len(fitting[t.id]) >= MIN_FITTING
                         and len(fitting[t.id]) >= FITTING_SHARE * t.size),
                        key=lambda t: (-len(fitting[t.id]), t.label))
    quoted = [q.signal_id for t in themes for q in t.quotes] + [sid for ids in fitting.values() for sid in ids[:1]]
    signals = {s.id: s for s in memory.get_signals(quoted)} if quoted else {}
    out: list[Topic] = []
    for theme in themes:
        allowed = set(fitting[theme.id]) if fits is not None else None
        quote = next(((q.signal_id, q.quote) for q in theme.quotes if q.signal_id in signals
                      and signals[q.signal_id].kind not in _NOT_QUOTED
                      and signals[q.signal_id].is_customer_speech
                      and (allowed is None or q.signal_id in allowed)), None)
        if quote is None and allowed:
            first = fitting[theme.id][0]
            if first in signals:
                quote = (first, signals[first].text)
        if quote is not None:
            out.append(Topic(theme.label, theme.size, theme.users, quote[0], quote[1],
                             len(fitting[theme.id]) if fits is not None else None))
    return out
