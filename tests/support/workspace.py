"""A PMPILOT_HOME holding the graph fixtures' workspace, for test modules that run the agent graph."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kernel.settings import get_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"


@contextmanager
def seeded_home(tmp_path_factory: pytest.TempPathFactory, name: str, workspace: str = "acme") -> Iterator[Path]:
    """A fresh home with the fixture tickets and reviews ingested into ``workspace`` (31 signals)."""
    from memory import api
    from memory.repository import reset_memory

    patch = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp(name)
    patch.setenv("PMPILOT_HOME", str(home))
    get_settings.cache_clear()
    reset_memory()
    try:
        assert api.ingest([FIXTURES / "tickets.csv", FIXTURES / "reviews.csv"], workspace).ingested == 31
        yield home
    finally:
        reset_memory()
        patch.undo()
        get_settings.cache_clear()


@contextmanager
def offline_home(home: Path) -> Iterator[Path]:
    """``home`` as ``PMPILOT_HOME``, with no model endpoint configured (offline mode); memory reset on exit.

    The bench's :func:`bench.common.isolated_home` with a given directory: one setup for both.
    """
    from bench.common import isolated_home

    with isolated_home("test", keep=home):
        yield home


def export_signals_csv(path: Path, rows: int) -> Path:
    """A ticket CSV of ``rows`` short, distinct signals ("export number N is slow") from 7 users."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "user_id", "created_at", "text"])
        for i in range(rows):
            writer.writerow([f"S-{i}", f"u{i % 7}", "2026-03-01", f"Signal {i}: export number {i} is slow"])
    return path


def ticket_csv(path: Path, rows: int) -> Path:
    """``rows`` synthetic tickets (9 texts over 11 users, 3 accounts, 2 segments, dated through the year) as a CSV."""
    texts = ["Export to PDF is far too slow", "Please add dark mode", "We need SSO with Okta",
             "Sync conflicts keep losing my edits", "Invoices show the wrong currency",
             "The mobile app crashes at login", "Exports time out on big reports",
             "Dark theme would help at night", "Single sign-on is a must for us"]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "body", "user", "account", "segment", "created_at"])
        for i in range(rows):
            writer.writerow([f"T-{i}", f"{texts[(i * 5) % len(texts)]} ({i % 4})", f"u{i % 11}", f"acct{i % 3}",
                             ("smb", "enterprise")[i % 2], f"2026-{1 + i // 40:02d}-{1 + i % 28:02d}"])
    return path
