"""Analytics events aggregated into one ``usage`` signal per (user, feature).

Memory grows with the number of distinct (user, feature) pairs, never with the number of
events, so a file of millions of events streams through in bounded space. The signal's
``external_id`` is ``usage:<user>:<feature>``: re-ingesting a longer export of the same events
updates the same signal in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kernel.schemas import Rejection, SignalKind

from .detect import ColumnMap
from .rows import RawRow, parse_date, parse_number


@dataclass
class _Usage:
    line: int
    count: int
    first: datetime
    last: datetime
    account: str | None
    segment: str | None
    plan: str | None
    arr: float | None


def feature_label(raw: str) -> str:
    """Human-readable feature name: ``export_to_pdf`` → ``export to pdf``; names with spaces stay as they are."""
    name = raw.strip()
    return name if " " in name else re.sub(r"[_\-.]+", " ", name).strip()


def usage_text(feature: str, count: int, first: datetime, last: datetime) -> str:
    """Sentence describing one user's use of one feature."""
    label = feature_label(feature)
    if count == 1:
        return f"Used {label} once on {first:%Y-%m-%d}"
    if first.date() == last.date():
        return f"Used {label} {count} times on {first:%Y-%m-%d}"
    return f"Used {label} {count} times between {first:%Y-%m-%d} and {last:%Y-%m-%d}"


def _cell(record: dict[str, Any], column: str | None) -> str | None:
    if column is None:
        return None
    value = record.get(column)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def aggregate_usage(
    records: Iterable[tuple[int, dict[str, Any]] | Rejection], cmap: ColumnMap, path: Path
) -> Iterator[RawRow | Rejection]:
    """Yield per-row rejections as they occur, then one usage row per (user, feature)."""
    user_col, feature_col, date_col = cmap.get("user_id"), cmap.get("feature"), cmap.get("created_at")
    pairs: dict[tuple[str, str], _Usage] = {}
    for item in records:
        if isinstance(item, Rejection):
            yield item
            continue
        line, record = item
        user, feature = _cell(record, user_col), _cell(record, feature_col)
        if user is None:
            yield Rejection(path=str(path), line=line, reason=f"missing user id (column {user_col!r})")
            continue
        if feature is None:
            yield Rejection(path=str(path), line=line, reason=f"missing feature/event (column {feature_col!r})")
            continue
        raw_date = record.get(date_col) if date_col else None
        try:
            when = parse_date(raw_date)
        except ValueError:
            yield Rejection(path=str(path), line=line, reason=f"unparseable date {raw_date!r} in column {date_col!r}")
            continue
        if when is None:
            yield Rejection(path=str(path), line=line, reason=f"missing timestamp (column {date_col!r})")
            continue
        agg = pairs.get((user, feature))
        if agg is None:
            pairs[(user, feature)] = _Usage(
                line=line, count=1, first=when, last=when,
                account=_cell(record, cmap.get("account_id")), segment=_cell(record, cmap.get("segment")),
                plan=_cell(record, cmap.get("plan")), arr=parse_number(record.get(cmap.get("arr") or "")),
            )
            continue
        agg.count += 1
        agg.first = min(agg.first, when)
        agg.last = max(agg.last, when)
        agg.account = agg.account or _cell(record, cmap.get("account_id"))
    for (user, feature), agg in pairs.items():
        yield RawRow(
            line=agg.line, kind=SignalKind.USAGE, external_id=f"usage:{user}:{feature}",
            text=usage_text(feature, agg.count, agg.first, agg.last), created_at=agg.last,
            user_id=user, account_id=agg.account, segment=agg.segment or agg.plan, plan=agg.plan, arr=agg.arr,
            feature=feature_label(feature), extra={"events": str(agg.count), "first_seen": agg.first.isoformat()},
        )
