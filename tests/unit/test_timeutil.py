"""The one date parser (kernel/timeutil.py): ISO forms, zones for floating values, spans, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kernel.errors import InputError
from kernel.timeutil import aware, parse_iso, parse_when

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", "2026-11-01T00:00:00+00:00"),
        ("2026-11-01T08:00", "2026-11-01T08:00:00+00:00"),
        ("2026-11-01 08:00:00", "2026-11-01T08:00:00+00:00"),
        ("2026-11-01T08:00:00Z", "2026-11-01T08:00:00+00:00"),
        ("2026-11-01T08:00:00.250+01:00", "2026-11-01T08:00:00.250000+01:00"),
        ("20261101", "2026-11-01T00:00:00+00:00"),
        ("2026-W44-1", "2026-10-26T00:00:00+00:00"),
        ("2026-11", "2026-11-01T00:00:00+00:00"),  # reduced precision: python-dateutil's isoparse
        ("2026-11-01T24:00", "2026-11-02T00:00:00+00:00"),
        ("  2026-11-01  ", "2026-11-01T00:00:00+00:00"),
    ],
)
def test_parse_iso_forms(text: str, expected: str) -> None:
    assert parse_iso(text).isoformat() == expected


def test_floating_values_are_read_in_the_zone() -> None:
    assert parse_iso("2026-10-12", zone=BERLIN).isoformat() == "2026-10-12T00:00:00+02:00"
    assert parse_iso("2026-11-02T09:30", zone=BERLIN).isoformat() == "2026-11-02T09:30:00+01:00"
    assert parse_iso("2026-11-02T09:30Z", zone=BERLIN).isoformat() == "2026-11-02T09:30:00+00:00"
    assert aware(datetime(2026, 1, 1)).tzinfo is UTC
    moment = datetime(2026, 1, 1, tzinfo=BERLIN)
    assert aware(moment, UTC) is moment


def test_spans_count_back_from_now() -> None:
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    assert parse_when("7d", now=now) == now - timedelta(days=7)
    assert parse_when(" 2W ", now=now) == now - timedelta(weeks=2)
    assert parse_when("12h", now=now) == now - timedelta(hours=12)
    assert parse_when("3m", now=now) == now - timedelta(days=90)
    assert parse_when("2026-11-01", zone=BERLIN).isoformat() == "2026-11-01T00:00:00+01:00"


@pytest.mark.parametrize("text", ["2026-02-31", "last tuesday", "", "7 days", "03/01/2026", "2026-13-01"])
def test_anything_else_is_one_clear_input_error(text: str) -> None:
    with pytest.raises(InputError, match="invalid date"):
        parse_when(text)
