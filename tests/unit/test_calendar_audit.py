"""PM time audit: RFC 5545 parsing, recurrence expansion, exclusions, classification and the report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kernel.errors import InputError
from tests.support.fake_chat import ScriptedChatModel
from tools.calendar_audit import (
    TitleClass,
    TitleClasses,
    audit_calendar,
    classify_by_rules,
    expand,
    iter_meetings,
    render_text,
)

CALS = Path(__file__).resolve().parents[1] / "fixtures" / "calendars"
PM = CALS / "pm_weeks.ics"
SINCE = datetime(2026, 10, 12, tzinfo=UTC)
UNTIL = datetime(2026, 11, 2, tzinfo=UTC)


def _meetings(title: str, path: Path = PM, tz: str = "Europe/Berlin") -> list:
    return [m for m in iter_meetings(path, since=SINCE, until=UNTIL, tz=tz) if m.title == title]


def test_weekly_rrule_keeps_wall_clock_across_dst_and_applies_exdate() -> None:
    syncs = _meetings("Weekly status sync")
    # COUNT=6 from 12 Oct; 19 Oct is an EXDATE; 2 Nov onwards is outside the window.
    assert [m.start.astimezone(UTC) for m in syncs] == [
        datetime(2026, 10, 12, 7, 0, tzinfo=UTC),  # 09:00 CEST
        datetime(2026, 10, 26, 8, 0, tzinfo=UTC),  # 09:00 CET, after the 25 Oct DST change
    ]
    assert all(m.start.astimezone(ZoneInfo("Europe/Berlin")).hour == 9 for m in syncs)
    assert all(m.hours == 1.0 for m in syncs)


def test_daily_rule_with_utc_until_cancelled_and_moved_instances() -> None:
    standups = _meetings("Daily standup")
    days = [m.start.astimezone(ZoneInfo("America/New_York")).date().isoformat() for m in standups]
    assert "2026-10-14" not in days  # cancelled instance
    assert len(standups) == 9  # 10 weekdays until 23 Oct, minus the cancelled one
    moved = [m for m in standups if m.start.astimezone(ZoneInfo("America/New_York")).day == 16]
    assert len(moved) == 1
    assert moved[0].start.astimezone(ZoneInfo("America/New_York")).hour == 11
    assert moved[0].hours == 0.5
    assert sum(m.hours for m in standups) == pytest.approx(2.5)


def test_declined_cancelled_and_all_day_are_skipped() -> None:
    titles = {m.title for m in iter_meetings(PM, since=SINCE, until=UNTIL, tz="Europe/Berlin")}
    assert "Pricing committee" not in titles  # owner (X-WR-CALNAME) declined
    assert "Design review" not in titles  # STATUS:CANCELLED
    assert "Company offsite" not in titles  # all-day
    report = audit_calendar(PM, since=SINCE, until=UNTIL, tz="Europe/Berlin")
    assert report.skipped == {"all-day": 1, "cancelled": 2, "declined": 1}
    assert report.owner == "pm@acme.test"


def test_floating_times_are_read_in_the_audit_zone() -> None:
    berlin = _meetings("Focus time: write PRD", tz="Europe/Berlin")
    tokyo = _meetings("Focus time: write PRD", tz="Asia/Tokyo")
    assert berlin[0].start.astimezone(UTC) == datetime(2026, 10, 22, 11, 0, tzinfo=UTC)
    assert tokyo[0].start.astimezone(UTC) == datetime(2026, 10, 22, 4, 0, tzinfo=UTC)


def test_owner_is_inferred_from_participants_or_given() -> None:
    window = {"since": datetime(2026, 11, 1, tzinfo=UTC), "until": datetime(2026, 11, 8, tzinfo=UTC)}
    meetings, owner = expand(CALS / "floating_owner.ics", zone=ZoneInfo("UTC"), **window)
    assert owner == "pat.pm@example.test"
    assert "Vision offsite prep" not in {m.title for m in meetings}
    meetings, owner = expand(CALS / "floating_owner.ics", zone=ZoneInfo("UTC"), owner="VP@example.test", **window)
    assert owner == "vp@example.test"
    assert "Vision offsite prep" in {m.title for m in meetings}


def test_report_hours_shares_weeks_and_top_coordination() -> None:
    report = audit_calendar(PM, since=SINCE, until=UNTIL, tz="Europe/Berlin")
    hours = {c.name: c.hours for c in report.categories}
    # status sync 2 h + standups 2.5 h; interview 1 h + an unmatched title the embedder puts in research;
    # roadmap planning 2 h; focus time 2 h.
    assert hours == {"coordination": 4.5, "research": 1.75, "strategy": 2.0, "execution": 2.0}
    assert report.total_hours == pytest.approx(10.25)
    assert sum(c.share for c in report.categories) == pytest.approx(1.0, abs=1e-3)
    assert [w.week for w in report.weeks] == ["2026-W42", "2026-W43", "2026-W44"]
    assert sum(w.hours for w in report.weeks) == pytest.approx(report.total_hours)
    assert report.weeks[0].categories["strategy"] == 2.0
    top = [(c.title, c.hours, c.occurrences) for c in report.top_coordination]
    assert top == [("Daily standup", 2.5, 9), ("Weekly status sync", 2.0, 2)]
    assert report.top_coordination[0].hours_per_week == 1.25
    assert any("--deliverables status" in s and "Daily standup" in s for s in report.suggestions)
    dumped = report.model_dump()
    assert set(dumped) >= {"categories", "weeks", "top_coordination", "suggestions"}
    assert set(dumped["categories"][0]) >= {"name", "hours", "share"}
    text = render_text(report)
    assert "coordination" in text and "Daily standup: 2.5 h over 9 meetings" in text


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Customer interview: Globex onboarding", "research"),
        ("Discovery session — billing", "research"),
        ("Sprint planning", "coordination"),
        ("Weekly status sync", "coordination"),
        ("1:1 Sam / Pat", "coordination"),
        ("Q1 roadmap planning", "strategy"),
        ("Pricing review", "strategy"),
        ("Design review", "coordination"),
        ("Focus time", "execution"),
        ("Hiring interview: backend candidate", "execution"),
    ],
)
def test_keyword_rules(title: str, category: str) -> None:
    assert classify_by_rules(title) == category


def test_llm_classification_uses_redacted_titles_as_data() -> None:
    def reply(call: object) -> TitleClasses:
        text = call.text  # type: ignore[attr-defined]
        lines = text.split("<<<TITLES\n", 1)[1].split("\nTITLES>>>", 1)[0].splitlines()
        items = []
        for line in lines:
            index, title = line.split(". ", 1)
            items.append(TitleClass(index=int(index), category="strategy" if "Sales" in title else "coordination"))
        return TitleClasses(items=items)

    model = ScriptedChatModel(responder=reply)
    report = audit_calendar(CALS / "floating_owner.ics", since=datetime(2026, 11, 1, tzinfo=UTC),
                            until=datetime(2026, 11, 8, tzinfo=UTC), chat_model=model)
    assert report.mode == "llm"
    hours = {c.name: c.hours for c in report.categories}
    assert hours["strategy"] == 1.0 and hours["coordination"] == 1.5 and hours["research"] == 0.0
    assert len(model.calls) == 1


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (CALS / "missing.ics", "not found"),
        (CALS / "broken.ics", "not a valid iCalendar"),
        (CALS, "cannot read"),
    ],
)
def test_bad_files_raise_one_line_input_error(path: Path, message: str) -> None:
    with pytest.raises(InputError) as info:
        audit_calendar(path, since=SINCE, until=UNTIL)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_zone_and_window_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown time zone"):
        audit_calendar(PM, tz="Mars/Olympus")
    with pytest.raises(InputError, match="not before"):
        audit_calendar(PM, since=UNTIL, until=SINCE)
    empty = tmp_path / "empty.ics"
    empty.write_text("  \n")
    with pytest.raises(InputError, match="empty"):
        audit_calendar(empty)
    not_cal = tmp_path / "notes.ics"
    not_cal.write_text("hello, this is not a calendar\n")
    with pytest.raises(InputError):
        audit_calendar(not_cal)


def test_cli_style_dates_are_midnight_in_the_audit_zone() -> None:
    report = audit_calendar(PM, since="2026-10-12", until="2026-11-02", tz="Europe/Berlin")
    assert report.since == "2026-10-12T00:00:00+02:00"
    assert report.until == "2026-11-02T00:00:00+01:00"
    assert report.total_hours == pytest.approx(10.25)
    with pytest.raises(InputError, match="invalid date"):
        audit_calendar(PM, since="2026-02-31")
    with pytest.raises(InputError, match="invalid date"):
        audit_calendar(PM, since="last tuesday")


def test_floating_cli_datetimes_are_in_the_audit_zone_too() -> None:
    report = audit_calendar(PM, since="2026-10-12T00:00", until="2026-11-02T00:00:00+01:00", tz="Europe/Berlin")
    assert report.since == "2026-10-12T00:00:00+02:00"
    assert report.total_hours == pytest.approx(10.25)
