"""Schedule file parsing and cron matching (the clock is always injected)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.jobs.handlers import normalize_run_options
from agents.jobs.schedule import ScheduleEntry, every_to_cron, load_schedule
from kernel.errors import InputError

REPO = Path(__file__).resolve().parents[2]


def test_every_translates_to_cron() -> None:
    assert every_to_cron("day 02:00") == "0 2 * * *"
    assert every_to_cron("Monday 08:00") == "0 8 * * 1"
    assert every_to_cron("sun at 23:45") == "45 23 * * 0"
    assert every_to_cron("weekday 09:30") == "30 9 * * 1-5"
    assert every_to_cron("hour") == "0 * * * *"
    for bad in ("fortnight 08:00", "monday", "day 25:00", "hour 02:00"):
        with pytest.raises(ValueError):
            every_to_cron(bad)


def test_entry_due_in_its_timezone() -> None:
    entry = ScheduleEntry(name="brief", kind="run", workspace="w", goal="g", every="monday 08:00",
                          timezone="Europe/Berlin")
    # 2025-01-06 is a Monday; 08:00 in Berlin (winter) is 07:00 UTC.
    assert entry.due(datetime(2025, 1, 6, 7, 0, tzinfo=UTC), "UTC")
    assert not entry.due(datetime(2025, 1, 6, 8, 0, tzinfo=UTC), "UTC")
    assert not entry.due(datetime(2025, 1, 7, 7, 0, tzinfo=UTC), "UTC")
    cron = ScheduleEntry(name="c", kind="refresh_themes", workspace="w", cron="*/15 * * * mon-fri")
    assert cron.due(datetime(2025, 1, 6, 10, 45, tzinfo=UTC), "UTC")
    assert not cron.due(datetime(2025, 1, 6, 10, 46, tzinfo=UTC), "UTC")
    assert not cron.due(datetime(2025, 1, 5, 10, 45, tzinfo=UTC), "UTC")


def test_example_schedule_is_valid() -> None:
    schedule = load_schedule(REPO / "deploy" / "schedule.example.yaml")
    kinds = {job.kind for job in schedule.jobs}
    assert kinds == {"run", "ingest", "refresh_themes", "retention"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("jobs: [{name: a, kind: run, workspace: w, every: 'day 02:00'}]", "goal"),
        ("jobs: [{name: a, kind: ingest, workspace: w, every: 'day 02:00'}]", "folder"),
        ("jobs: [{name: a, kind: refresh_themes, workspace: w}]", "exactly one"),
        ("jobs: [{name: a, kind: refresh_themes, workspace: w, cron: '61 * * * *'}]", "61"),
        ("jobs: [{name: a, kind: nope, workspace: w, cron: '0 * * * *'}]", "kind"),
        ("timezone: Mars/Base\njobs: []", "Mars/Base"),
        ("jobs: [: bad", "YAML"),
    ],
)
def test_bad_schedule_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_schedule(path)


def test_missing_schedule_is_empty(tmp_path: Path) -> None:
    assert load_schedule(tmp_path / "none.yaml").jobs == []


def test_run_options_are_validated(tmp_path: Path) -> None:
    opts = normalize_run_options({"deliverables": "brief, requirements", "audience": "exec", "offline": 1,
                                  "out": tmp_path, "since": None})
    assert opts == {"deliverables": ["brief", "requirements"], "audience": "exec", "offline": True,
                    "out": str(tmp_path.resolve())}
    with pytest.raises(InputError, match="unknown run option"):
        normalize_run_options({"colour": "red"})
    with pytest.raises(InputError, match="deliverable"):
        normalize_run_options({"deliverables": ["poem"]})
    with pytest.raises(InputError, match="audience"):
        normalize_run_options({"audience": "cats"})


def test_tick_enqueues_a_weekly_brief_once_per_firing(home: Path, tmp_path: Path) -> None:
    from datetime import timedelta

    import agents.jobs as jobs
    from agents.jobs.queue import reset_queues

    reset_queues()
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text(
        "timezone: America/New_York\n"
        "jobs:\n"
        "  - name: weekly-exec-brief\n"
        "    kind: run\n"
        "    workspace: acme\n"
        "    every: monday 08:00\n"
        "    goal: Brief leadership on this week's user feedback\n"
        "    since: 7d\n"
        "    options: {deliverables: [brief], audience: exec, offline: true}\n"
    )
    monday_8am_ny = datetime(2025, 1, 6, 13, 0, 40, tzinfo=UTC)  # 08:00 EST
    try:
        assert jobs.tick(monday_8am_ny - timedelta(minutes=2), schedule) == []
        fired = jobs.tick(monday_8am_ny, schedule)
        assert len(fired) == 1
        job = fired[0]
        assert job.kind == "run" and job.schedule == "weekly-exec-brief"
        assert job.params == {
            "goal": "Brief leadership on this week's user feedback",
            "options": {"deliverables": ["brief"], "audience": "exec", "offline": True, "since": "2024-12-30"},
        }
        assert job.run_id == f"job-{job.job_id[:20]}"
        assert jobs.tick(monday_8am_ny + timedelta(minutes=1), schedule)[0].job_id == job.job_id
        assert jobs.tick(monday_8am_ny + timedelta(days=1), schedule) == []
        next_week = jobs.tick(monday_8am_ny + timedelta(days=7), schedule)
        assert len(next_week) == 1 and next_week[0].job_id != job.job_id
        assert next_week[0].params["options"]["since"] == "2025-01-06"
        assert len(jobs.list_jobs("acme")) == 2
    finally:
        reset_queues()


def test_tick_enqueues_retention_as_of_the_firing_minute(home: Path, tmp_path: Path) -> None:
    import agents.jobs as jobs
    from agents.jobs.queue import reset_queues

    reset_queues()
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text("timezone: Europe/Berlin\n"
                        "jobs: [{name: nightly-retention, kind: retention, workspace: acme, every: 'day 03:15'}]\n")
    try:
        fired = jobs.tick(datetime(2026, 7, 1, 1, 15, 59, tzinfo=UTC), schedule)  # 03:15 CEST
        assert [(j.kind, j.params) for j in fired] == [("retention", {"as_of": "2026-07-01T01:15:00+00:00"})]
        assert fired[0].idempotency_key == "schedule:nightly-retention:2026-07-01T01:15Z"
        with pytest.raises(InputError, match="timezone-aware"):
            jobs.enqueue_retention("acme", as_of=datetime(2026, 7, 1))
        assert jobs.enqueue_retention("acme").params == {}
    finally:
        reset_queues()
