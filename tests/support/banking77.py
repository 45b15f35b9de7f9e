"""BANKING77 train messages (real support data, ../shared/data/banking77) as a test workspace."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.services import require_shared_data
from tests.support.workspace import offline_home


def messages(intents: Sequence[str], per_intent: int) -> list[tuple[str, str]]:
    """The first ``per_intent`` messages of each intent, in file order, as (text, intent)."""
    rows: list[tuple[str, str]] = []
    taken: dict[str, int] = {}
    with require_shared_data("banking77", "train.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["category"] in intents and taken.get(row["category"], 0) < per_intent:
                taken[row["category"]] = taken.get(row["category"], 0) + 1
                rows.append((row["text"], row["category"]))
    return rows


@contextmanager
def banking_workspace(root: Path, workspace: str, intents: Sequence[str], per_intent: int, *,
                      prefix: str = "B", users: bool = True, themes: bool = False) -> Iterator[dict[str, str]]:
    """A fresh ``PMPILOT_HOME`` under ``root`` whose ``workspace`` holds those messages as tickets.

    Each message gets its own user id (``users``; none otherwise) and the date 2026-03-01; ``themes``
    saves a theme snapshot. Yields signal id → intent; the home is closed afterwards.
    """
    from memory import api

    rows = messages(intents, per_intent)
    path = root / "tickets.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "created_at", "user_id", "text"])
        for i, (text, _) in enumerate(rows):
            writer.writerow([f"{prefix}-{i}", "2026-03-01", f"u{i}" if users else "", text])
    with offline_home(root / "home"):
        report = api.ingest([path], workspace, kind="ticket")
        assert report.ingested == len(rows)
        if themes:
            api.themes(workspace, refresh=True)
        yield {s.id: rows[int(s.external_id.split("-")[1])][1] for s, _ in api.workspace(workspace).iter_signals()}
