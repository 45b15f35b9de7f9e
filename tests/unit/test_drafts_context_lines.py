"""PM review of the offline drafts: context lines, users and trends only from what the data records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.scorer import context_themes
from kernel.schemas import SignalKind
from tools import trends
from tools.wording import from_reporters, known_reporters

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_written_theme_rejects_usage_and_question_themes() -> None:
    said = [(SignalKind.TICKET, "bug", "Sync loses my notes.")] * 6
    usage = [(SignalKind.USAGE, "other", "search used")] * 7
    asked = [(SignalKind.INTERVIEW, "question", "How do you share files?")] * 4
    assert trends.written_theme(said)
    assert not trends.written_theme(said + usage)  # 6 of 13 written: mostly usage events
    assert not trends.written_theme(usage)
    assert not trends.written_theme(said[:2] + asked)  # written, but mostly an interviewer's questions
    assert not trends.written_theme([])


def test_context_themes_keep_only_themes_people_wrote() -> None:
    themes = [{"id": "a", "label": "SSO", "size": 104}, {"id": "b", "label": "search", "size": 76},
              {"id": "c", "label": "export", "size": 20}, {"id": "d", "label": "goal", "size": 500}]
    written = {"a": True, "b": False, "c": True, "d": True}
    out = context_themes(themes, {"d"}, written=lambda t: written[t["id"]])
    assert [c["label"] for c in out] == ["SSO", "export"]
    assert [c["label"] for c in context_themes(themes, {"d"})] == ["SSO", "search", "export"]


def test_no_trend_when_every_date_is_the_same() -> None:
    ingest = {f"s{i}": {"created_at": (T0 + timedelta(seconds=i)).isoformat(), "kind": "ticket"} for i in range(6)}
    assert not trends.informative(datetime.fromisoformat(r["created_at"]) for r in ingest.values())
    assert trends.evidence_end(ingest) is None
    assert trends.evidence_trend(list(ingest), ingest) is None
    assert trends.theme_trends([{"id": "t", "members": [{"signal_id": "s0"}]}],
                               {k: datetime.fromisoformat(r["created_at"]) for k, r in ingest.items()}) == {}
    dated = {f"s{i}": {"created_at": (T0 + timedelta(days=3 * i)).isoformat(), "kind": "ticket"} for i in range(6)}
    trend = trends.evidence_trend(list(dated), dated)
    assert trend is not None and trend.after == 6


def test_users_counted_only_from_known_ids() -> None:
    anonymous = [{"user_id": None, "account_id": None}] * 6
    assert known_reporters(anonymous) == 0
    assert from_reporters(anonymous) == "users not recorded"
    mixed = [{"user_id": "u1"}, {"user_id": "u1"}, {"account_id": "a9"}, {"user_id": None}]
    assert from_reporters(mixed) == "from 2 known users/accounts"
    assert from_reporters(mixed[:3]) == "from 2 users/accounts"


def test_earlier_decision_needs_a_real_match() -> None:
    from tools.topics import same_subject

    assert same_subject("Should we fix sync conflicts first?", "Draft requirements for fixing sync conflicts")
    assert not same_subject("Draft requirements for pending card payments", "Why are my top-ups reversed?")
    assert not same_subject("Draft requirements for pending card payments", "Draft requirements for reversed top-ups")
    assert not same_subject("Which card should I order?", "Why was my card payment declined?")  # one shared word
    assert same_subject("SSO", "Which pricing tier for SSO?")  # a one-word goal: its one word
    assert not same_subject("Draft requirements", "Draft requirements for SSO")  # instruction words only


def test_benefits_stated_as_what_a_change_would_make_or_save() -> None:
    from tools.wording import stated_benefit

    assert stated_benefit("Dark mode would make my designers very happy.") == "my designers would be very happy"
    assert stated_benefit("It makes my life easier.") == "my life would be easier"
    assert stated_benefit("Exports would save us hours every week.") == "we would save hours every week"
    assert stated_benefit("Please add it so I can invoice clients faster.") == "I can invoice clients faster"
    assert stated_benefit("It wouldn't make me happier.") is None
    assert stated_benefit("I want to make the report look better.") is None
    assert stated_benefit("Dark mode please!") is None


def test_options_read_as_noun_phrases() -> None:
    from tools.topics import option_phrase

    goal = "Should we fix sync bugs before building dark mode?"
    assert option_phrase("fix sync bugs", goal) == "fixing sync bugs"
    assert option_phrase("building dark mode", goal) == "building dark mode"
    assert option_phrase("ship exports", "Do we want to ship exports or not?") == "shipping exports"
    assert option_phrase("offline sync", "Dark mode or offline sync?") == "“offline sync”"  # not a verb's place


def test_quality_note_counts_agree_in_number() -> None:
    from tools.story_quality import _count

    assert _count(0, "defect") == "0 defects" and _count(1, "story", "stories") == "1 story"
    assert _count(1, "story leaves", "stories leave") == "1 story leaves"
    assert _count(2, "story leaves", "stories leave") == "2 stories leave"


def test_brief_theme_without_known_users_shows_no_user_count() -> None:
    from agents.deliverables import render_markdown

    theme = {"label": "Pending payments", "signals": 6, "users": 0, "trend_counts": None, "quotes": [], "citations": []}
    doc = {"kind": "brief", "title": "Brief", "audience": "exec", "tldr": "x", "themes": [theme]}
    text = render_markdown(doc)
    assert "6 signals" in text and "0 users" not in text
