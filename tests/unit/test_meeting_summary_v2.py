"""Meeting notes summary lines: lead words go only when they are interjections, never half of a phrase."""

from __future__ import annotations

from typing import Any

import pytest

from tools.meeting_points import extract
from tools.statements import strip_fillers


def plain(sentences: list[str]) -> list[dict[str, Any]]:
    """An unlabelled transcript without speakers: one turn per sentence, in order."""
    return [{"signal_id": f"s{i}", "quote": text, "speaker": None, "chunk": i} for i, text in enumerate(sentences)]


@pytest.mark.parametrize(("said", "summary"), [
    ("Good point, the export must include the tax totals per country.",
     "The export must include the tax totals per country."),  # the headline is the clause that states the need
    ("Right now the export must finish within five seconds for every report.",
     "Right now the export must finish within five seconds for every report."),
    ("First name and last name must be mandatory fields on the signup form.",
     "First name and last name must be mandatory fields on the signup form."),
    ("Good, so the export must include the tax totals per country.",
     "The export must include the tax totals per country."),
    ("Right, the export must finish within five seconds for every report.",
     "The export must finish within five seconds for every report."),
    ("Okay so the admin must approve every new account before it is active.",
     "The admin must approve every new account before it is active."),
])
def test_a_summary_line_drops_interjections_not_the_words_of_a_phrase(said: str, summary: str) -> None:
    found = extract(plain(["Let's talk about the reports.", said]))
    assert [r["requirement"] for r in found["requirements"]] == [summary]
    assert found["requirements"][0]["quotes"][0]["quote"] == said


def test_strip_fillers_keeps_right_now() -> None:
    assert strip_fillers("Right now, um, the export is slow.") == "Right now the export is slow."
    assert strip_fillers("Right, um, the export is slow.") == "The export is slow."
