"""Meeting notes through the graph: progress the demo meeting reports is its own section, never a requirement."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agents.demo import meeting_file
from kernel.settings import get_settings

WS = "progress"


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    from agents.runner import read_artifact, run_goal
    from memory import api
    from memory.repository import reset_memory

    patch = pytest.MonkeyPatch()
    patch.setenv("PMPILOT_HOME", str(tmp_path_factory.mktemp("progress-home")))
    get_settings.cache_clear()
    reset_memory()
    try:
        report = api.ingest([meeting_file()], WS, kind="meeting")
        assert report.ingested and not report.rejected
        run = run_goal("Notes from the sync meeting", WS, deliverables=["meeting_notes"])
        assert run["status"] == "completed"
        md, doc = read_artifact(run["run_id"], "meeting_notes")
        texts = {s.id: s.text for s in api.workspace(WS).get_signals([e["signal_id"] for e in doc["evidence"]])}
        yield md, {**doc, "_stored": texts}
    finally:
        reset_memory()
        patch.undo()
        get_settings.cache_clear()


def test_progress_is_reported_not_required(notes: tuple[str, dict[str, Any]]) -> None:
    md, doc = notes
    reports = [p["report"] for p in doc["progress"]]
    assert any("eighty percent done" in r and "What's left is the mobile apps" in r for r in reports), reports
    dark = next(p for p in doc["progress"] if "eighty percent done" in p["report"])
    assert dark["speaker"] == "Mei Tanaka"
    evidence = {e["signal_id"] for e in doc["evidence"]}
    for item in doc["progress"]:
        assert item["citations"] and set(item["citations"]) <= evidence
        for quote in item["quotes"]:
            assert quote["quote"] in doc["_stored"][quote["signal_id"]]  # verbatim span of the stored turn
    quoted = [q["quote"] for r in doc["requirements"] for q in r["quotes"]]
    assert not [q for q in quoted if "percent done" in q or "What's left" in q]
    assert any("must meet WCAG AA contrast" in q for q in quoted)
    assert "## Progress reported" in md and "eighty percent done" in md.split("## Progress reported")[1]
