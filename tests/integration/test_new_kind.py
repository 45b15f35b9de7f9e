"""Adding a deliverable kind takes one module and one registry line.

A throwaway kind ("digest": the goal's topics, one cited line each) is written as a module of
``agents.deliverables``, its name is added to ``kernel.kinds.DELIVERABLE_KINDS``, and a real offline
run plans, drafts, validates, renders and publishes it — no other file knows about it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import agents.deliverables
from agents.deliverables import DELIVERABLES, Deliverable, load_kinds, register
from kernel import kinds

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
WS = "acme"

MODULE = '''"""Digest: the goal's topics, one cited line each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from agents.deliverables.base import Deliverable, Materials, register
from kernel.artifacts import ArtifactBase
from tools.render import Layout


class Digest(ArtifactBase):
    """The goal's topics as one line each."""

    kind: Literal["digest"] = "digest"
    lines: list[dict[str, Any]] = Field(default_factory=list)


def draft_digest(m: Materials) -> dict[str, Any]:
    """One line per goal topic, strongest first, citing its three strongest signals."""
    doc = Digest(title=f"Digest: {m.focus}", mode=m.mode).model_dump(mode="json")
    doc["lines"] = [{"topic": t["name"], "signals": t["signals"], "citations": m.topic_cites(t, 3)}
                    for t in m.ranked()]
    doc["evidence"] = m.evidence_for([sid for line in doc["lines"] for sid in line["citations"]])
    return doc


def _render(doc: Mapping[str, Any]) -> list[str]:
    return ["", "## Topics in brief", "", *(f"- {line['topic']} ({line['signals']} signals)"
                                            for line in doc.get("lines") or [])]


register(Deliverable("digest", Digest, (" digest",), draft_digest, layout=Layout(_render, frozenset({"lines"})),
                     cited_lists=("lines",), note_field=None))
'''


@pytest.fixture()
def digest_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The throwaway kind: its module on the package's path and its line in kernel.kinds."""
    folder = tmp_path / "kinds"
    folder.mkdir()
    (folder / "digest.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.setattr(agents.deliverables, "__path__", [*agents.deliverables.__path__, str(folder)])
    monkeypatch.setattr(kinds, "DELIVERABLE_KINDS", (*kinds.DELIVERABLE_KINDS, "digest"))
    yield
    DELIVERABLES.pop("digest", None)
    sys.modules.pop("agents.deliverables.digest", None)


@pytest.fixture()
def seeded(home: Path) -> Iterator[Path]:
    from memory import api
    from memory.repository import reset_memory

    reset_memory()
    report = api.ingest([FIXTURES / "tickets.csv", FIXTURES / "reviews.csv"], WS)
    assert report.ingested == 31 and not report.rejected
    yield home
    reset_memory()


def test_a_new_kind_is_one_module_and_one_registry_line(digest_kind: None, seeded: Path) -> None:
    from agents.runner import read_artifact, run_goal

    assert "digest" in load_kinds()
    run = run_goal("A digest of what users say about sync and dark mode.", WS, offline=True)
    assert run["status"] == "completed" and run["mode"] == "offline"
    assert [a["kind"] for a in run["artifacts"]] == ["digest"]  # the planner picked it by its keyword
    md, doc = read_artifact(run["run_id"], "digest")
    assert doc["kind"] == "digest" and doc["lines"], doc
    cited = {sid for line in doc["lines"] for sid in line["citations"]}
    assert cited and cited == {e["signal_id"] for e in doc["evidence"]}  # validated like every kind
    assert "## Topics in brief" in md and "## Lines" not in md  # its own layout, no generic section
    assert json.loads(Path(run["artifacts"][0]["path_json"]).read_text(encoding="utf-8")) == doc


def test_a_kind_must_be_listed_in_the_registry(digest_kind: None) -> None:
    from kernel.artifacts import Brief

    with pytest.raises(ValueError, match="kernel.kinds"):
        register(Deliverable("unlisted", Brief, (), lambda m: {}))
    assert "unlisted" not in DELIVERABLES


def test_a_listed_kind_needs_its_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kinds, "DELIVERABLE_KINDS", (*kinds.DELIVERABLE_KINDS, "no_such_kind"))
    with pytest.raises(ImportError):
        load_kinds()
