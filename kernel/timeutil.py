"""Parsing of user-supplied dates: ISO dates/datetimes and relative spans like ``7d`` or ``2w``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dateutil import parser as date_parser

from kernel.errors import InputError

_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdwm])\s*$", re.IGNORECASE)
_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1), "m": timedelta(days=30)}


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """A timezone-aware datetime from ``2026-11-01``, ``2026-11-01T08:00:00+01:00`` or ``7d`` (ago).

    Naive values are taken as UTC. Raises InputError with one clear line otherwise.
    """
    match = _RELATIVE.match(text)
    if match:
        return (now or datetime.now(UTC)) - int(match.group(1)) * _UNIT[match.group(2).lower()]
    try:
        value: datetime = date_parser.isoparse(text.strip())
    except (ValueError, OverflowError):
        raise InputError(f"invalid date {text!r}: use YYYY-MM-DD, an ISO datetime, or a span like 7d / 2w") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
