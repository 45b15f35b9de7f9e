"""Meetings from an iCalendar export: RFC 5545 parsing and recurrence expansion.

The export is parsed with ``icalendar``; recurring events are expanded with ``dateutil.rrule`` in
the wall-clock time of the event's own ``DTSTART`` zone (so a 09:00 weekly meeting stays at 09:00
across a DST change), with ``RDATE``/``EXDATE`` and per-instance overrides (``RECURRENCE-ID``)
applied. Skipped: all-day events, cancelled events and cancelled instances, and meetings the
calendar owner declined. The owner is ``owner`` when given, else the ``X-WR-CALNAME`` when it is an
e-mail address (Google exports), else the address that appears as organizer or attendee in the
most events (the owner is on every invitation in their calendar).

Floating (naive) times are read in the audit's zone, as RFC 5545 says for local time.

``recurring-ical-events`` would replace the expansion, but it requires ``python-dateutil<3`` and
the project pins 4.0 (see docs/reliability.md).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rruleset, rrulestr

from kernel.errors import InputError
from kernel.timeutil import aware

if TYPE_CHECKING:
    from icalendar import Calendar

_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Meeting:
    """One concrete (expanded) meeting occurrence."""

    title: str
    start: datetime
    end: datetime
    recurring: bool

    @property
    def hours(self) -> float:
        """Duration in hours."""
        return (self.end - self.start).total_seconds() / 3600.0


class EventLike(Protocol):
    """What the expansion reads of an event: an ``icalendar`` VEVENT or a generated occurrence.

    Property values are whatever ``icalendar`` decodes them to (text, addresses, dates, lists of them).
    """

    def get(self, name: str, default: Any = None, /) -> Any:
        """The raw property ``name``, or ``default``."""

    def decoded(self, name: str, /) -> Any:
        """The property ``name`` decoded to a Python value (a date, datetime or timedelta)."""


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``; an unknown name is an :class:`InputError`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC") from None


def _load(path: Path) -> list[Calendar]:
    from icalendar import Calendar

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"calendar file not found: {path}") from None
    except (IsADirectoryError, PermissionError, OSError) as exc:
        raise InputError(f"cannot read calendar file {path}: {exc.strerror or exc}") from None
    if not raw.strip():
        raise InputError(f"{path}: the calendar file is empty")
    try:
        calendars = Calendar.from_ical(raw, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a valid iCalendar (.ics) file: {first[:160]}") from None
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        raise InputError(f"{path}: not a valid iCalendar (.ics) file: no VCALENDAR found")
    return calendars


def _address(value: object) -> str:
    return _MAILTO.sub("", str(value)).strip().lower()


def _attendees(event: EventLike) -> list[Any]:
    value = event.get("ATTENDEE")
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def infer_owner(events: Sequence[EventLike], calname: str | None) -> str | None:
    """The calendar owner's address: ``X-WR-CALNAME`` if it is one, else the most frequent participant."""
    if calname and "@" in calname:
        return calname.strip().lower()
    counts: Counter[str] = Counter()
    for event in events:
        people = {_address(a) for a in _attendees(event)}
        if event.get("ORGANIZER") is not None:
            people.add(_address(event.get("ORGANIZER")))
        counts.update(p for p in people if "@" in p)
    if not counts:
        return None
    (best, n), *rest = counts.most_common(2) + [("", 0)]
    return best if n > rest[0][1] or len(events) == 1 else None


def _declined(event: EventLike, owner: str | None) -> bool:
    if not owner:
        return False
    for attendee in _attendees(event):
        if _address(attendee) == owner:
            partstat = str(attendee.params.get("PARTSTAT", "")).upper()
            return partstat == "DECLINED"
    return False


def _cancelled(event: EventLike) -> bool:
    return str(event.get("STATUS", "")).upper() == "CANCELLED"


def _wall(value: date | datetime, zone: tzinfo) -> datetime:
    """Naive wall-clock time in ``zone`` (the space recurrence rules are expanded in)."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value
    return value.astimezone(zone).replace(tzinfo=None)


def _dates(event: EventLike, prop: str) -> list[date | datetime]:
    value = event.get(prop)
    if value is None:
        return []
    out: list[date | datetime] = []
    for item in value if isinstance(value, list) else [value]:
        for dt in getattr(item, "dts", []):
            v = dt.dt
            out.append(v[0] if isinstance(v, tuple) else v)
    return out


def _rule_text(event: EventLike, zone: tzinfo) -> str | None:
    """The event's RRULE with UNTIL moved into the DTSTART's wall-clock time."""
    from icalendar.prop import vRecur

    rule = event.get("RRULE")
    if rule is None:
        return None
    rules = rule if isinstance(rule, list) else [rule]
    if len(rules) > 1:
        raise InputError(f"event {event.get('SUMMARY', '')!s:.60} has several RRULEs (not supported by RFC 5545)")
    recur = vRecur({k: list(v) for k, v in rules[0].items()})
    if "UNTIL" in recur:
        until = recur["UNTIL"][0]
        if isinstance(until, datetime):
            recur["UNTIL"] = [_wall(until, zone)]
        else:
            recur["UNTIL"] = [datetime(until.year, until.month, until.day, 23, 59, 59)]
    return str(recur.to_ical().decode())


def _end(event: EventLike, start: datetime) -> datetime:
    if event.get("DTEND") is not None:
        end = event.decoded("DTEND")
        if isinstance(end, datetime):
            return aware(end, start.tzinfo or UTC)
    if event.get("DURATION") is not None:
        duration = event.decoded("DURATION")
        if isinstance(duration, timedelta):
            return start + duration
    return start


def expand(path: Path, *, since: datetime, until: datetime, zone: ZoneInfo, owner: str | None = None,
           skipped: Counter[str] | None = None) -> tuple[list[Meeting], str | None]:
    """Every meeting occurrence starting in ``[since, until)``, with exclusions applied.

    Returns the meetings (sorted by start) and the owner address used for declines.
    """
    skipped = skipped if skipped is not None else Counter()
    events: list[EventLike] = []
    calname: str | None = None
    for calendar in _load(path):
        calname = calname or (str(calendar.get("X-WR-CALNAME")) if calendar.get("X-WR-CALNAME") else None)
        events.extend(calendar.walk("VEVENT"))
    owner = owner.strip().lower() if owner else infer_owner(events, calname)

    masters: dict[str, EventLike] = {}
    overrides: dict[str, dict[datetime, EventLike]] = defaultdict(dict)
    singles: list[EventLike] = []
    for index, event in enumerate(events):
        if event.get("DTSTART") is None:
            skipped["no start"] += 1
            continue
        uid = str(event.get("UID") or f"__no_uid_{index}")
        if event.get("RECURRENCE-ID") is not None:
            overrides[uid][_as_zone_key(event.decoded("RECURRENCE-ID"), zone)] = event
        elif event.get("RRULE") is not None or event.get("RDATE") is not None:
            masters[uid] = event
        else:
            singles.append(event)

    meetings: list[Meeting] = []

    def keep(event: EventLike, start: date | datetime, recurring: bool) -> None:
        if not isinstance(start, datetime):
            skipped["all-day"] += 1
            return
        start = aware(start, zone)
        if not since <= start < until:
            return
        if _cancelled(event):
            skipped["cancelled"] += 1
            return
        if _declined(event, owner):
            skipped["declined"] += 1
            return
        end = _end(event, start)
        if end <= start:
            skipped["no duration"] += 1
            return
        title = _SPACES.sub(" ", str(event.get("SUMMARY") or "")).strip() or "(untitled)"
        meetings.append(Meeting(title=title, start=start, end=end, recurring=recurring))

    for event in singles:
        keep(event, event.decoded("DTSTART"), False)
    for uid, master in masters.items():
        _expand_master(master, overrides.pop(uid, {}), since, until, zone, keep, skipped)
    for orphans in overrides.values():  # instances whose series is not in the export: plain events
        for event in orphans.values():
            keep(event, event.decoded("DTSTART"), True)
    meetings.sort(key=lambda m: (m.start, m.title))
    return meetings, owner


def _as_zone_key(value: date | datetime, zone: tzinfo) -> datetime:
    """A recurrence id as an aware UTC instant (dates become midnight in ``zone``)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return aware(value, zone).astimezone(UTC)


def _expand_master(master: EventLike, overrides: dict[datetime, EventLike], since: datetime, until: datetime,
                   zone: ZoneInfo, keep: Callable[[EventLike, date | datetime, bool], None],
                   skipped: Counter[str]) -> None:
    start = master.decoded("DTSTART")
    if not isinstance(start, datetime):
        skipped["all-day"] += 1
        return
    if _cancelled(master):
        skipped["cancelled"] += 1
        return
    event_zone: tzinfo = start.tzinfo or zone
    wall_start = _wall(start, event_zone)
    duration = _end(master, aware(start, zone)) - aware(start, zone)
    rules = rruleset()
    text = _rule_text(master, event_zone)
    if text:
        try:
            rules.rrule(rrulestr(text, dtstart=wall_start))
        except (ValueError, TypeError) as exc:
            raise InputError(f"event {master.get('SUMMARY', '')!s:.60}: invalid RRULE {text!r}: {exc}") from None
    else:
        rules.rdate(wall_start)
    for value in _dates(master, "RDATE"):
        rules.rdate(_wall(value, event_zone))
    for value in _dates(master, "EXDATE"):
        rules.exdate(_wall(value, event_zone))
    lo = _wall(since - max(duration, timedelta(0)) - timedelta(days=1), event_zone)
    hi = _wall(until + timedelta(days=1), event_zone)
    for wall in rules.between(lo, hi, inc=True):
        instant = wall.replace(tzinfo=event_zone)
        override = overrides.pop(instant.astimezone(UTC), None)
        if override is not None:
            keep(override, override.decoded("DTSTART"), True)
            continue
        occurrence = _Occurrence(master, instant, instant + duration)
        keep(occurrence, instant, True)
    for override in overrides.values():  # moved instances whose original slot was not generated
        keep(override, override.decoded("DTSTART"), True)


class _Occurrence:
    """A generated instance of a recurring event: the master's properties with its own start and end."""

    def __init__(self, master: EventLike, start: datetime, end: datetime) -> None:
        self._master = master
        self._times = {"DTSTART": start, "DTEND": end}

    def get(self, name: str, default: Any = None, /) -> Any:
        if name == "DURATION":
            return None
        if name in self._times:
            return self._times[name]
        return self._master.get(name, default)

    def decoded(self, name: str, /) -> Any:
        if name in self._times:
            return self._times[name]
        return self._master.decoded(name)
