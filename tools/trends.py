"""Trend figures a PM can trust: equal windows, counts first, a percentage only on a real baseline.

Every deliverable that shows a trend (status update, roadmap, brief) states it through this module:

- **Equal windows.** The last :data:`WINDOW_DAYS` days (ending at the newest dated signal the
  figure reads) against the :data:`WINDOW_DAYS` days before. Four weeks, so a rate per week is an
  exact count / 4.
- **Counts.** The text always shows the two rates: ``"3 → 7.8 signals/week"``.
- **Percentage only above a floor.** The relative change is shown — and used to call a theme
  "growing" — only when the earlier window holds at least :data:`MIN_BASELINE` signals (two a
  week); below that a percentage ("+2100 %" from 1 to 22) says more about the tiny baseline than
  about the users, so it is left out and only the counts speak.
- **What is counted.** What people wrote or said (tickets, reviews, interviews, sales calls,
  surveys). Usage events are not: the store keeps one aggregated usage signal per (user, feature),
  dated at its last use, so windowing them would count "last seen" dates, not demand. Commits,
  issues and meeting turns are not user signals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from kernel.schemas import SignalKind
from kernel.timeutil import aware, parse_iso

if TYPE_CHECKING:
    from tools.research import Memo

#: Length of each of the two compared windows, in days (four weeks).
WINDOW_DAYS = 28
#: Signals the earlier window must hold before a relative change (a percentage) is shown or used.
MIN_BASELINE = 8
#: Relative change from which a trend counts as growing (with a baseline at the floor or above).
GROWING = 0.2
#: Without a usable baseline, a trend is growing when the last window adds at least this many signals.
GROWING_NEW = MIN_BASELINE
#: Signal kinds a trend counts: what people wrote or said.
COUNTED_KINDS = frozenset({SignalKind.TICKET, SignalKind.REVIEW, SignalKind.INTERVIEW, SignalKind.SALES_CALL,
                           SignalKind.SURVEY})


#: Share of a theme's members people wrote or said (the rest: usage events and the like) for the theme to
#: stand for what users say (roadmap items, "users also talk about" context lines).
MIN_WRITTEN_SHARE = 0.5
#: A theme whose written members are mostly questions (an interviewer's) does not stand for what users say.
MAX_QUESTION_SHARE = 0.5
#: Members read to judge a theme (its closest first); the shares of a sample this size are stable.
WRITTEN_SAMPLE = 200
#: Dates that all lie within this span carry no information about time (e.g. every row dated at ingest).
UNDATED_SPAN = timedelta(minutes=1)


def asked(signal_type: object, text: str) -> bool:
    """Whether a signal is a question (typed so, or its text ends with a question mark)."""
    return str(getattr(signal_type, "value", signal_type)) == "question" or str(text).rstrip().endswith("?")


def written_theme(rows: Sequence[tuple[object, object, str]]) -> bool:
    """Whether a theme's members — ``(kind, signal_type, text)`` each — are mostly what people wrote or said.

    At least :data:`MIN_WRITTEN_SHARE` of them must be of a :data:`COUNTED_KINDS` kind (not usage events,
    commits, issues or meeting turns), and at most :data:`MAX_QUESTION_SHARE` of those written ones questions.
    """
    written = [(kind, stype, text) for kind, stype, text in rows if counted(kind)]
    if not written or len(written) < MIN_WRITTEN_SHARE * len(rows):
        return False
    return sum(1 for _, stype, text in written if asked(stype, text)) <= MAX_QUESTION_SHARE * len(written)


def informative(dates: Iterable[datetime]) -> bool:
    """Whether ``dates`` say anything about time: at least two, not all within :data:`UNDATED_SPAN`.

    Rows without a date in their source are stored dated at ingest, all within moments of each other;
    a trend over them would report the ingest, not the users.
    """
    moments = [aware(d) for d in dates]
    return len(moments) >= 2 and max(moments) - min(moments) > UNDATED_SPAN


def _rate(count: int, weeks: float) -> str:
    per_week = count / weeks
    return f"{per_week:.0f}" if per_week >= 10 or per_week == int(per_week) else f"{per_week:.1f}"


class TrendCounts(TypedDict):
    """A :class:`Trend` as data (``trend_counts`` of a brief theme, a roadmap item)."""

    before: int
    after: int
    window_days: int
    per_week: list[float]
    change: float | None
    text: str
    window_end: str | None


class TrendFields(TypedDict):
    """The trend fields of a brief theme or an item: the relative change and the counts behind it."""

    trend: float
    trend_counts: TrendCounts | None


@dataclass(frozen=True)
class Trend:
    """Signals in two equal windows: ``before`` (the earlier) and ``after`` (the last, ending at ``end``)."""

    before: int
    after: int
    window_days: int = WINDOW_DAYS
    end: datetime | None = None

    @property
    def weeks(self) -> float:
        """Length of one window in weeks."""
        return self.window_days / 7

    @property
    def change(self) -> float | None:
        """Relative change after/before − 1, or None when the baseline is below :data:`MIN_BASELINE`."""
        if self.before < MIN_BASELINE:
            return None
        return round((self.after - self.before) / self.before, 4)

    @property
    def growing(self) -> bool:
        """Up by :data:`GROWING` or more on a real baseline, or by :data:`GROWING_NEW` signals without one."""
        change = self.change
        if change is not None:
            return change >= GROWING
        return self.after - self.before >= GROWING_NEW

    @property
    def empty(self) -> bool:
        """No counted signal in either window."""
        return self.before == 0 and self.after == 0

    def after_rate(self) -> str:
        """The last window's rate per week, as shown (``"1.8"``)."""
        return _rate(self.after, self.weeks)

    def text(self) -> str:
        """``"2 → 7.8 signals/week"``, plus ``", up 290 %"`` when the baseline allows a percentage."""
        rates = f"{_rate(self.before, self.weeks)} → {_rate(self.after, self.weeks)} signals/week"
        change = self.change
        if change is None:
            return rates
        if round(100 * change) == 0:
            return f"{rates}, flat"
        return f"{rates}, {'up' if change > 0 else 'down'} {abs(round(100 * change))} %"

    @property
    def relative(self) -> float:
        """The change as a number for machine readers: :attr:`change`, or 0.0 under the baseline floor."""
        change = self.change
        return 0.0 if change is None else change

    def as_dict(self) -> TrendCounts:
        """The figure as data: counts per window, rates per week, the change (None under the floor)."""
        return {"before": self.before, "after": self.after, "window_days": self.window_days,
                "per_week": [round(self.before / self.weeks, 2), round(self.after / self.weeks, 2)],
                "change": self.change, "text": self.text(),
                "window_end": self.end.date().isoformat() if self.end else None}


def count_trend(dates: Iterable[datetime], end: datetime, window_days: int = WINDOW_DAYS) -> Trend:
    """Counts of ``dates`` in the window ending at ``end`` and in the equal window before it."""
    end = aware(end)
    window = timedelta(days=window_days)
    after = before = 0
    for moment in dates:
        moment = aware(moment)
        if end - window < moment <= end:
            after += 1
        elif end - 2 * window < moment <= end - window:
            before += 1
    return Trend(before=before, after=after, window_days=window_days, end=end)


def counted(kind: object) -> bool:
    """Whether a signal of ``kind`` (a SignalKind or its value) counts in a trend."""
    if not isinstance(kind, str):
        return False
    try:
        return SignalKind(kind) in COUNTED_KINDS
    except ValueError:
        return False


def signal_dates(workspace: str) -> dict[str, datetime]:
    """Signal id → creation date of every signal of ``workspace`` a trend counts (one pass over the store)."""
    from memory import api as memory_api

    return {s.id: aware(s.created_at) for s, _ in memory_api.workspace(workspace).iter_signals()
            if counted(s.kind)}


def theme_trends(themes: Sequence[Mapping[str, Any]], dates: Mapping[str, datetime],
                 end: datetime | None = None) -> dict[str, Trend]:
    """Theme id → trend of its members (themes with ``members``; ids missing from ``dates`` are not counted).

    Empty when the dates carry no information (:func:`informative`, e.g. all set at ingest).

    ``end`` defaults to the newest counted date in ``dates``, so a workspace whose data stops in the
    past still compares its last four weeks with the four before.
    """
    if not informative(dates.values()):  # every signal dated alike (at ingest): no trend to tell
        return {}
    if end is None:
        end = max(dates.values(), default=datetime.now(UTC))
    out: dict[str, Trend] = {}
    for theme in themes:
        ids = [m["signal_id"] for m in theme.get("members") or []]
        out[str(theme["id"])] = count_trend((dates[sid] for sid in ids if sid in dates), end)
    return out


def written_share(theme: Mapping[str, Any], dates: Mapping[str, datetime]) -> float:
    """Share of a theme's members that people wrote or said (the rest are usage events and the like)."""
    members = [m["signal_id"] for m in theme.get("members") or []]
    return sum(1 for sid in members if sid in dates) / len(members) if members else 0.0


def workspace_theme_trends(workspace: str, memo: Memo | None = None) -> dict[str, Trend]:
    """Theme id → trend for every theme of ``workspace`` (its snapshot with members; empty when none)."""
    from kernel.errors import PmpilotError
    from tools.research import theme_summaries

    try:
        themes = theme_summaries(workspace, members=True, memo=memo)
    except PmpilotError:
        return {}
    return theme_trends(themes, signal_dates(workspace))


def evidence_end(evidence: Mapping[str, Mapping[str, Any]]) -> datetime | None:
    """The newest creation date of the counted evidence rows (``created_at``, ``kind``), or None.

    None too when their dates carry no information (:func:`informative`): no trend is shown then.
    """
    dates = [parse_iso(str(r["created_at"])) for r in evidence.values()
             if r.get("created_at") and counted(r.get("kind"))]
    return max(dates) if informative(dates) else None


def evidence_trend(ids: Iterable[str], evidence: Mapping[str, Mapping[str, Any]],
                   end: datetime | None = None) -> Trend | None:
    """Trend of the counted evidence rows among ``ids``, windows ending at ``end`` (the evidence's newest)."""
    end = end or evidence_end(evidence)
    if end is None:
        return None
    rows = [evidence[sid] for sid in ids if sid in evidence]
    return count_trend((parse_iso(str(r["created_at"])) for r in rows
                        if r.get("created_at") and counted(r.get("kind"))), end)


def trend_fields(trend: Trend | None) -> TrendFields:
    """``trend`` (relative change, 0.0 under the floor) and ``trend_counts`` of a brief theme or an item."""
    if trend is None or trend.empty:
        return {"trend": 0.0, "trend_counts": None}
    return {"trend": trend.relative, "trend_counts": trend.as_dict()}


def is_growing(counts: Mapping[str, Any] | None) -> bool:
    """Whether a ``trend_counts`` mapping (:meth:`Trend.as_dict`) describes a growing trend."""
    if not counts:
        return False
    return Trend(int(counts["before"]), int(counts["after"]), int(counts.get("window_days") or WINDOW_DAYS)).growing


def trend_text(trend: Trend | None) -> str:
    """The trend's text, or "" when there is none or no counted signal in either window."""
    return "" if trend is None or trend.empty else trend.text()
