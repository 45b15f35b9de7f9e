"""The project's one date parser: ISO 8601 dates and datetimes, and relative spans like ``7d`` or ``2w``.

Rules, the same for every caller (CLI and MCP options, stored timestamps, calendar windows):

- ISO 8601 in any of its forms Python reads (``2026-11-01``, ``2026-11-01T08:00``, ``…Z``,
  ``…+01:00``, ``20261101``, ``2026-W44-1``), plus the reduced forms ``2026-11`` and ``2026`` and
  ``T24:00`` (python-dateutil's ``isoparse``).
- A value without an offset (a date, a floating time) is read in ``zone``: UTC unless the caller
  works in a named zone (the calendar audit reads ``--since 2026-10-12`` as midnight in ``--tz``).
- A span (``12h``, ``7d``, ``2w``, ``3m`` with m = 30 days) is that long before ``now``.
- Anything else is an :class:`~kernel.errors.InputError` with one clear line.

Import formats with other conventions (epoch numbers, month-first ``03/01/2026`` in exports, git's
raw dates) are read by their readers, which hand ISO values or datetimes on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from dateutil import parser as date_parser

from kernel.errors import InputError

_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdwm])\s*$", re.IGNORECASE)
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1), "m": timedelta(days=30)}


def aware(moment: datetime, zone: tzinfo = UTC) -> datetime:
    """``moment`` itself when it carries an offset, else the same wall time in ``zone``."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def parse_iso(text: str, *, zone: tzinfo = UTC) -> datetime:
    """A timezone-aware datetime from an ISO 8601 date or datetime; values without an offset are in ``zone``.

    Raises:
        InputError: ``text`` is not ISO 8601 (or names a day that does not exist, like 2026-02-31).
    """
    value = text.strip()
    try:
        return aware(datetime.fromisoformat(value), zone)  # the common case, in C
    except ValueError:
        pass
    try:
        parsed: datetime = date_parser.isoparse(value)
    except (ValueError, OverflowError):
        raise InputError(f"invalid date {text!r}: use YYYY-MM-DD, an ISO datetime, or a span like 7d / 2w") from None
    return aware(parsed, zone)


def parse_when(text: str, *, now: datetime | None = None, zone: tzinfo = UTC) -> datetime:
    """A timezone-aware datetime from ``2026-11-01``, ``2026-11-01T08:00:00+01:00`` or ``7d`` (ago).

    Values without an offset are read in ``zone`` (UTC by default). Raises InputError with one clear
    line otherwise.
    """
    match = _RELATIVE.match(text)
    if match:
        return (now or datetime.now(UTC)) - int(match.group(1)) * _UNIT[match.group(2).lower()]
    return parse_iso(text, zone=zone)
