"""Scheduled jobs from a YAML file, fired by a once-a-minute tick with an injectable clock.

Every worker ticks (huey periodic task); each firing is enqueued with the idempotency key
``schedule:{name}:{minute}``, so N workers produce one job per scheduled minute. A tick
looks back one minute as well, so a late tick does not miss its minute. See
deploy/schedule.example.yaml and docs/queue.md for the format.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from huey import crontab
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from agents.jobs.queue import TICK_TASK, JobQueue, on_task
from agents.jobs.records import JobRecord, job_id_for, utcnow
from kernel.errors import InputError

log = logging.getLogger(__name__)

_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_DAY_NAMES = {
    **_DAYS,
    **{
        name: n
        for n, name in enumerate(("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))
    },
}
_EVERY = re.compile(r"^(?P<what>[a-z]+)(?:\s+(?:at\s+)?(?P<hh>\d{1,2}):(?P<mm>\d{2}))?$")
_WINDOW = re.compile(r"^(?P<n>\d+)\s*(?P<unit>[dw])$")


def every_to_cron(every: str) -> str:
    """Translate ``day 02:00`` / ``monday 08:00`` / ``weekday 09:30`` / ``hour`` into a cron line."""
    match = _EVERY.match(every.strip().lower())
    if not match:
        raise ValueError(f"cannot read every={every!r}; try 'day 02:00', 'monday 08:00', 'weekday 09:00', 'hour'")
    what, hh, mm = match["what"], match["hh"], match["mm"]
    if what == "hour":
        if hh is not None:
            raise ValueError("'every: hour' takes no time of day")
        return "0 * * * *"
    if hh is None:
        raise ValueError(f"every={every!r} needs a time of day, e.g. '{what} 08:00'")
    hour, minute = int(hh), int(mm)
    if hour > 23 or minute > 59:
        raise ValueError(f"invalid time of day in every={every!r}")
    if what in ("day", "daily"):
        dow = "*"
    elif what in ("weekday", "weekdays"):
        dow = "1-5"
    elif what in _DAY_NAMES:
        dow = str(_DAY_NAMES[what])
    else:
        raise ValueError(f"unknown period {what!r} in every={every!r}")
    return f"{minute} {hour} * * {dow}"


def parse_cron(line: str) -> Any:
    """A strict 5-field cron line (minute hour day month weekday; weekday names allowed) as a matcher."""
    fields = line.split()
    if len(fields) != 5:
        raise ValueError(f"cron {line!r} must have 5 fields: minute hour day month weekday")
    dow = fields[4].lower()
    for name, number in _DAYS.items():
        dow = re.sub(rf"\b{name}[a-z]*\b", str(number), dow)
    return crontab(fields[0], fields[1], fields[2], fields[3], dow, strict=True)


class ScheduleEntry(BaseModel):
    """One recurring job."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    kind: Literal["run", "ingest", "refresh_themes", "retention"]
    workspace: str = Field(min_length=1)
    cron: str | None = None
    every: str | None = None
    timezone: str | None = Field(default=None, description="Overrides the file's timezone.")
    goal: str | None = Field(default=None, description="run: the goal.")
    options: dict[str, Any] = Field(default_factory=dict, description="run: the same options as `pmpilot run`.")
    since: str | None = Field(default=None, description="run: a window like '7d' or '2w', resolved at fire time.")
    folder: str | None = Field(default=None, description="ingest: folder to watch for new files.")
    pattern: str = Field(default="*", description="ingest: glob of files to take from the folder.")
    recursive: bool = False
    signal_kind: str = Field(default="auto", description="ingest: --kind for the files.")
    mapping: dict[str, str] | None = None

    model_config = {"extra": "forbid"}

    @field_validator("since")
    @classmethod
    def _check_since(cls, value: str | None) -> str | None:
        if value is not None and not _WINDOW.match(value.strip().lower()):
            raise ValueError(f"since={value!r} must look like '7d' or '2w'")
        return value

    @model_validator(mode="after")
    def _check(self) -> ScheduleEntry:
        if (self.cron is None) == (self.every is None):
            raise ValueError("give exactly one of 'cron' or 'every'")
        parse_cron(self.cron_line)
        if self.kind == "run" and not (self.goal and self.goal.strip()):
            raise ValueError("a run entry needs a 'goal'")
        if self.kind == "ingest" and not self.folder:
            raise ValueError("an ingest entry needs a 'folder'")
        return self

    @property
    def cron_line(self) -> str:
        """The entry's schedule as a cron line."""
        return self.cron if self.cron is not None else every_to_cron(self.every or "")

    def due(self, minute: datetime, default_tz: str) -> bool:
        """True when the entry fires at ``minute`` (aware), read in the entry's timezone."""
        local = minute.astimezone(ZoneInfo(self.timezone or default_tz))
        return bool(parse_cron(self.cron_line)(local.replace(tzinfo=None)))


class Schedule(BaseModel):
    """The schedule file."""

    timezone: str = "UTC"
    jobs: list[ScheduleEntry] = Field(default_factory=list)

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def _check(self) -> Schedule:
        for tz in {self.timezone, *(j.timezone for j in self.jobs if j.timezone)}:
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown timezone {tz!r}") from None
        names = [j.name for j in self.jobs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate job name(s): {', '.join(duplicates)}")
        return self


def load_schedule(path: Path) -> Schedule:
    """Read and validate a schedule file; a missing file is an empty schedule, a bad one an InputError."""
    if not path.exists():
        return Schedule()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with 'jobs:'")
    try:
        return Schedule.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: {where}: {first['msg']}") from None


def _window_start(since: str, local_day: date) -> str:
    match = _WINDOW.match(since.strip().lower())
    assert match is not None  # validated on load
    days = int(match["n"]) * (7 if match["unit"] == "w" else 1)
    return (local_day - timedelta(days=days)).isoformat()


def folder_fingerprints(folder: Path, pattern: str, recursive: bool) -> list[tuple[str, str]]:
    """``(path, fingerprint)`` of matching files; the fingerprint is path + mtime + size."""
    if not folder.is_dir():
        raise InputError(f"schedule folder not found: {folder}")
    files = folder.rglob(pattern) if recursive else folder.glob(pattern)
    out = []
    for file in sorted(p for p in files if p.is_file()):
        stat = file.stat()
        full = str(file.resolve())
        out.append((full, f"{full}|{stat.st_mtime_ns}|{stat.st_size}"))
    return out


def fire(queue: JobQueue, entry: ScheduleEntry, minute: datetime, default_tz: str) -> JobRecord | None:
    """Enqueue one firing of ``entry`` for ``minute`` (idempotent per entry and minute).

    The entry's fields become its kind's job parameters, checked by what the kind registered.
    """
    key = f"schedule:{entry.name}:{minute.astimezone(UTC).strftime('%Y-%m-%dT%H:%MZ')}"
    existing = queue.store.get(job_id_for(key))
    if existing is not None:
        # Already fired by this or another worker; its parameters (e.g. the folder's files) are the
        # ones of the first firing, which is the one that counts.
        return existing
    params: dict[str, Any] = {}
    if entry.kind == "run":
        options = dict(entry.options)
        if entry.since:
            local_day = minute.astimezone(ZoneInfo(entry.timezone or default_tz)).date()
            options["since"] = _window_start(entry.since, local_day)
        params = {"goal": entry.goal or "", "options": options}
    elif entry.kind == "ingest":
        found = folder_fingerprints(Path(entry.folder or "").expanduser(), entry.pattern, entry.recursive)
        new: set[str] = set(queue.store.unseen(entry.workspace, [fp for _, fp in found]))
        fresh = [(path, fp) for path, fp in found if fp in new]
        if not fresh:
            log.info("schedule %s: no new files in %s", entry.name, entry.folder)
            return None
        params = {"paths": [path for path, _ in fresh], "kind": entry.signal_kind, "mapping": entry.mapping,
                  "fingerprints": [fp for _, fp in fresh]}
    elif entry.kind == "retention":
        params = {"as_of": minute.astimezone(UTC)}
    return queue.submit(entry.kind, entry.workspace, params, idempotency_key=key, schedule=entry.name)


def tick(queue: JobQueue, now: datetime, path: Path | None = None) -> list[JobRecord]:
    """Fire every entry due at ``now``'s minute or the minute before; returns the jobs enqueued.

    ``now`` must be timezone-aware: it is the injectable clock that tests drive.
    """
    if now.tzinfo is None:
        raise InputError("tick() needs a timezone-aware time")
    schedule = load_schedule(path or queue.schedule_file)
    minute = now.replace(second=0, microsecond=0)
    fired: list[JobRecord] = []
    for entry in schedule.jobs:
        for when in (minute - timedelta(minutes=1), minute):
            if not entry.due(when, schedule.timezone):
                continue
            try:
                record = fire(queue, entry, when, schedule.timezone)
            except InputError as exc:
                # One bad entry (missing folder, reused key) must not stop the others; it is logged.
                log.error("schedule %s at %s not fired: %s", entry.name, when.isoformat(), exc)
                continue
            if record is not None:
                fired.append(record)
    return fired


@on_task(TICK_TASK)
def scheduled_tick(queue: JobQueue) -> None:
    """The workers' minute tick (a huey periodic task): fire what is due now."""
    try:
        tick(queue, utcnow())
    except InputError as exc:
        # A broken schedule file must not spam tracebacks every minute; one line says what to fix.
        log.error("schedule not fired: %s", exc)
