"""Trend figures: equal windows, counts per week, no percentage under the baseline floor; topic labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.deliverables.labels import phrase_label
from tools import trends
from tools.trends import MIN_BASELINE, WINDOW_DAYS, Trend, count_trend

END = datetime(2026, 11, 30, 12, tzinfo=UTC)


def days_ago(*days: float) -> list[datetime]:
    return [END - timedelta(days=d) for d in days]


def test_windows_are_equal_and_adjacent() -> None:
    # the window edges: (end - 28 d, end] is "after", (end - 56 d, end - 28 d] is "before", older is neither
    dates = days_ago(0, 27.9, 28, 28.1, 55.9, 56, 56.1, -1)
    trend = count_trend(dates, END)
    assert (trend.before, trend.after) == (3, 2)
    assert trend.window_days == WINDOW_DAYS == 28


def test_counts_per_week_and_a_percentage_only_on_a_real_baseline() -> None:
    real = Trend(before=12, after=31)
    assert real.change == round(19 / 12, 4)
    assert real.text() == "3 → 7.8 signals/week, up 158 %"
    assert real.growing
    tiny = Trend(before=1, after=22)
    assert tiny.change is None and tiny.relative == 0.0
    assert tiny.text() == "0.2 → 5.5 signals/week" and "%" not in tiny.text()
    assert tiny.growing  # 21 more signals without a baseline is growth, stated in counts
    assert not Trend(before=0, after=MIN_BASELINE - 1).growing
    assert Trend(before=MIN_BASELINE, after=MIN_BASELINE).text().endswith(", flat")
    assert Trend(before=40, after=20).text() == "10 → 5 signals/week, down 50 %"
    assert not Trend(before=40, after=20).growing


def test_usage_events_and_internal_kinds_are_not_counted() -> None:
    assert trends.counted("ticket") and trends.counted("interview")
    assert not trends.counted("usage") and not trends.counted("meeting") and not trends.counted("commit")
    assert not trends.counted("no-such-kind")
    evidence = {
        "a": {"created_at": (END - timedelta(days=1)).isoformat(), "kind": "review"},
        "b": {"created_at": (END - timedelta(days=2)).isoformat(), "kind": "usage"},
        "c": {"created_at": (END - timedelta(days=40)).isoformat(), "kind": "ticket"},
    }
    trend = trends.evidence_trend(["a", "b", "c", "missing"], evidence)
    assert trend is not None and (trend.before, trend.after) == (1, 1)
    assert trends.evidence_end(evidence) == END - timedelta(days=1)
    fields = trends.trend_fields(trend)
    assert fields["trend"] == 0.0 and fields["trend_counts"]["change"] is None
    assert trends.trend_fields(Trend(0, 0)) == {"trend": 0.0, "trend_counts": None}
    assert trends.is_growing(Trend(10, 20).as_dict()) and not trends.is_growing(None)


def test_theme_trends_count_written_members_only() -> None:
    dates = {"s1": END, "s2": END - timedelta(days=3), "s3": END - timedelta(days=30)}
    themes = [{"id": "t", "members": [{"signal_id": s} for s in ("s1", "s2", "s3", "usage-1")]}]
    trend = trends.theme_trends(themes, dates)["t"]
    assert (trend.before, trend.after) == (1, 2) and trend.end == END
    assert trends.written_share(themes[0], dates) == 0.75


def test_a_one_word_label_takes_the_phrase_its_signals_use() -> None:
    texts = ["Lost edits again, third time this month.", "We lost edits after syncing.",
             "Another report of lost edits on iPad.", "I lost my work.", "Nothing to do with it."]
    assert phrase_label("lost", texts) == "lost edits"
    assert phrase_label("dark mode", texts) == "dark mode"  # several words: kept as written
    assert phrase_label("mobile", ["Used mobile 3 times", "Used mobile once"]) == "mobile"  # no phrase: label
    assert phrase_label("SSO", ["We need SAML SSO.", "SAML SSO please", "SSO is a must"]) == "SAML SSO"


def test_done_needs_a_closing_commit_users_went_quiet_after_or_an_explicit_marker() -> None:
    from agents.deliverables import Materials
    from agents.deliverables.roadmap import QUIET_DAYS, _done_goals, _shipped
    from memory.ingest.gitlog import Commit

    def commit(message: str, days_before_end: int) -> Commit:
        when = END - timedelta(days=days_before_end)
        return Commit(sha="c" * 40, parents=(), author="Dev", email="d@x", date=when, committed=when, message=message)

    def materials(last_signal_days_before_end: int, strategy: dict | None = None) -> Materials:
        evidence = {"s1": {"created_at": (END - timedelta(days=last_signal_days_before_end)).isoformat(),
                           "quote": "q", "kind": "ticket"}}
        return Materials(goal="g", focus="g", audience="exec", mode="offline", evidence=evidence, topics=[],
                         criteria={}, findings=[], decisions=[], has_strategy=bool(strategy), strategy=strategy)

    topic = {"signal_ids": ["s1"]}
    closing = commit("fix(sync): merge on reconnect\n\nCloses #212.", QUIET_DAYS + 6)
    # users quiet for 20 days after the closing commit: shipped
    assert _shipped([closing], topic, None, set(), materials(QUIET_DAYS + 10), END)
    # a signal about the item after the closing commit: still open
    assert _shipped([closing], topic, None, set(), materials(2), END) is None
    # closed too recently to tell
    assert _shipped([commit("fix: x (closes #1)", 3)], topic, None, set(), materials(30), END) is None
    # a plain feature commit is progress, never done
    assert _shipped([commit("feat(sync): faster merge", 40)], topic, None, set(), materials(50), END) is None
    # explicit markers
    assert "marks it done" in _shipped([commit("feat: x\n\nRoadmap: done", 1)], topic, None, set(), materials(0), END)
    strategy = {"goals": [{"name": "Reliable sync", "weight": 1, "status": "done"}, {"name": "Growth", "weight": 1}]}
    assert _done_goals(materials(0, strategy)) == {"Reliable sync"}
    assert "strategy marks Reliable sync done" in _shipped([], topic, "Reliable sync", {"Reliable sync"},
                                                           materials(0), END)
