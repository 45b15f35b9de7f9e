"""A run whose deliverables gather their own evidence (meeting notes, status) gets no "no relevant evidence"."""

from __future__ import annotations

from typing import Any

import pytest

from agents.scorer import search_warnings


def _state(deliverables: list[str]) -> Any:
    plan = {"focus": "Notes from the planning meeting", "deliverables": deliverables,
            "questions": [{"id": "q1", "query": "Notes from the planning meeting"}]}
    return {"goal": "Notes from the planning meeting", "plan": plan,
            "research": [{"query": "Notes from the planning meeting", "searched": 100, "kept": 0}]}


@pytest.mark.parametrize("deliverables", [["meeting_notes"], ["status"], ["meeting_notes", "status"]])
def test_own_evidence_deliverables_get_no_search_warning(deliverables: list[str]) -> None:
    assert not any("No relevant evidence" in w for w in search_warnings(_state(deliverables), 0))


@pytest.mark.parametrize("deliverables", [["requirements"], ["meeting_notes", "requirements"], []])
def test_searched_deliverables_still_warn(deliverables: list[str]) -> None:
    warnings = search_warnings(_state(deliverables), 0)
    assert warnings and warnings[0].startswith("No relevant evidence found for 'Notes from the planning meeting'")
