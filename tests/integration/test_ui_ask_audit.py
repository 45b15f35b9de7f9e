"""The Ask & audit tab's views: grounded answers from a seeded workspace and a calendar audit chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.errors import InputError
from ui.web import views

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_audit_view_builds_the_chart_and_report() -> None:
    chart, text = views.audit_view(str(FIXTURES / "calendars" / "pm_weeks.ics"), "Europe/Berlin")
    assert list(chart.columns) == ["category", "hours", "share"]
    assert "coordination" in set(chart["category"])
    assert abs(chart["share"].sum() - 1) < 0.01
    assert "coordination" in text
    with pytest.raises(InputError):
        views.audit_view(None)
    with pytest.raises(InputError):
        views.audit_view(str(FIXTURES / "calendars" / "broken.ics"))


def test_ask_view_answers_with_escaped_quotes_or_says_insufficient(home: Path) -> None:
    from memory import api

    api.ingest([FIXTURES / "graph" / "tickets.csv", FIXTURES / "graph" / "reviews.csv"], "acme")
    answer = views.ask_view("acme", "What do users say about sync failing?", offline=True)
    assert answer.startswith("**Answer**") or answer.startswith("**Not enough evidence**")
    if answer.startswith("**Answer**"):
        assert "**Evidence**" in answer
    nothing = views.ask_view("acme", "Do users enjoy our zeppelin tours?", offline=True)
    assert nothing.startswith("**Not enough evidence**")
    assert "**Evidence**" not in nothing and "**Dissent**" not in nothing and "searched" in nothing
    with pytest.raises(InputError):
        views.ask_view("acme", "   ")
