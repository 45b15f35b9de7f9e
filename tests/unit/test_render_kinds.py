"""One renderer for every deliverable: empty / None optional fields vanish, long lists and new fields read well."""

from __future__ import annotations

import re
from typing import Any

import pytest

from agents.deliverables import render_markdown
from kernel.kinds import DELIVERABLE_KINDS

SID = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(40)]
REPR = ("{'", "'}", "None", "[]", "{}", "['", "\"}")


def evidence(n: int = 40) -> list[dict[str, Any]]:
    return [{"signal_id": SID[i], "quote": f"quote number {i}", "source": "t.csv", "user_id": None} for i in range(n)]


def empty_docs() -> dict[str, dict[str, Any]]:
    """Every kind with each optional field empty or None (what a failed or thin draft looks like)."""
    base = {"mode": "offline", "evidence": [], "title": "T"}
    return {
        "requirements": {**base, "kind": "requirements", "problem": None, "goals": [], "non_goals": None,
                         "stories": [{"id": "S1", "as_a": None, "i_want": "export", "so_that": None,
                                      "acceptance_criteria": [], "priority": None, "type": None, "rice": {},
                                      "citations": [], "flags": [], "notes": None}],
                         "open_questions": [], "success_metrics": None, "quality_notes": []},
        "brief": {**base, "kind": "brief", "audience": None, "tldr": "", "proposal": None, "risks": [], "asks": None,
                  "themes": [{"label": "Sync", "signals": None, "users": None, "trend": None, "quotes": [],
                              "citations": None}]},
        "decision_memo": {**base, "kind": "decision_memo", "question": None, "context": "", "criteria": [],
                          "options": [{"name": "A", "description": None, "scores": {}, "total": None,
                                       "citations": []}], "recommendation": None, "risks": None, "unknowns": []},
        "status": {**base, "kind": "status", "period": None, "changes": [{"summary": "s", "goal": None,
                                                                          "commits": [], "citations": None}],
                   "capacity": [{"goal": "g", "share": None}], "risks": None, "next": []},
        "meeting_notes": {**base, "kind": "meeting_notes", "decisions": [{"decision": "d", "speaker": None,
                                                                           "citations": [], "quotes": []}],
                          "action_items": [{"owner": None, "item": "i", "citations": []}],
                          "open_questions": [{"question": "q", "asked_by": None, "citations": None}],
                          "requirements": [{"requirement": "r", "type": None, "category": None, "speaker": None,
                                            "topic": None, "story": None, "citations": [], "quotes": None}]},
        "roadmap": {**base, "kind": "roadmap", "now": [{"item": "x", "themes": [], "score": None, "commits": None,
                                                        "citations": []}],
                    "next": [], "later": None, "done": [], "moved": [{"item": "x", "from": None, "to": "now",
                                                                       "why": None}], "previous_run": "run-1"},
    }


def long_docs() -> dict[str, dict[str, Any]]:
    """Every kind with every list long and nested records everywhere (plus fields no layout knows)."""
    ev = evidence()
    quotes = [{"signal_id": SID[i], "quote": f"quote number {i}"} for i in range(12)]
    many = [f"line {i}" for i in range(25)]
    base = {"mode": "llm", "evidence": ev, "title": "Long"}
    story = {"id": "S1", "as_a": "admin", "i_want": "export", "so_that": "audits pass",
             "acceptance_criteria": many, "priority": "high", "type": "functional",
             "rice": {"score": 3.5, "formula": "RICE = 1 × 2 × 3 / 4"}, "citations": SID[:20],
             "flags": ["not atomic: two actions", "missing benefit"], "checks": {"atomic": False, "score": 0.5}}
    return {
        "requirements": {**base, "kind": "requirements", "problem": "p", "goals": many, "non_goals": many,
                         "stories": [dict(story, id=f"S{i}") for i in range(15)], "open_questions": many,
                         "success_metrics": many,
                         "quality_notes": [{"story": "S1", "issue": "duplicate of S2", "citations": SID[:2]}]},
        "brief": {**base, "kind": "brief", "audience": "exec", "tldr": "t", "proposal": "p", "risks": many,
                  "asks": many, "themes": [{"label": f"T{i}", "signals": 4, "users": 2, "trend": 0.5,
                                            "quotes": quotes, "citations": SID[:12], "segments": ["smb", "ent"]}
                                           for i in range(12)]},
        "decision_memo": {**base, "kind": "decision_memo", "question": "q", "context": "c",
                          "criteria": [{"name": f"c{i}", "weight": 0.1} for i in range(10)],
                          "options": [{"name": f"o{i}", "description": "d", "total": 2.5, "citations": SID[:3],
                                       "scores": {f"c{j}": 0.5 for j in range(10)} | {"formulas": {"c0": "f"}}}
                                      for i in range(12)], "recommendation": "r", "risks": many, "unknowns": many},
        "status": {**base, "kind": "status", "period": "2026-10-01 to 2026-10-08",
                   "changes": [{"summary": f"s{i}", "goal": "g", "commits": ["a" * 40] * 5, "citations": SID[:2],
                                "prs": [1, 2]} for i in range(20)],
                   "capacity": [{"goal": f"g{i}", "share": 0.1} for i in range(10)], "risks": many, "next": many},
        "meeting_notes": {**base, "kind": "meeting_notes",
                          "decisions": [{"decision": f"d{i}", "speaker": "Ana", "citations": SID[:2],
                                         "quotes": quotes[:2]} for i in range(15)],
                          "action_items": [{"owner": "[owner?]", "item": f"i{i}", "citations": SID[:1],
                                            "quotes": quotes[:1]} for i in range(15)],
                          "open_questions": [{"question": f"q{i}", "asked_by": "Bo", "citations": SID[:2],
                                              "quotes": quotes[:2]} for i in range(15)],
                          "requirements": [{"requirement": f"r{i}", "type": "non-functional", "category": "security",
                                            "speaker": "Ana", "topic": f"Topic {i % 3}", "restated": 3,
                                            "citations": SID[:3], "quotes": quotes[:3],
                                            "story": {"as_a": "admin", "i_want": "x", "so_that": None,
                                                      "citations": SID[:3]}} for i in range(30)]},
        "roadmap": {**base, "kind": "roadmap",
                    **{b: [{"item": f"{b}{i}", "themes": ["a", "b"], "score": 1.25, "commits": ["b" * 40],
                            "citations": SID[:2], "signals": 3, "rice": 2.0} for i in range(15)]
                       for b in ("now", "next", "later", "done")},
                    "moved": [{"item": f"m{i}", "from": "next", "to": "now", "why": "grew"} for i in range(15)],
                    "previous_run": "run-1"},
    }


def assert_no_repr(md: str) -> None:
    for marker in REPR:
        assert marker not in md, (marker, md)
    assert not re.search(r"\bNone\b|\bnull\b", md)


@pytest.mark.parametrize("kind", sorted(DELIVERABLE_KINDS))
def test_every_kind_renders_empty_and_none_fields_without_repr(kind: str) -> None:
    md = render_markdown(empty_docs()[kind])
    assert_no_repr(md)
    assert md.startswith("# T\n")
    assert "## Evidence" not in md  # no evidence: no empty section either
    assert "\n## \n" not in md and "- \n" not in md and not re.search(r"\n## [^\n]+\n\n(?=\n## |\Z)", md)


@pytest.mark.parametrize("kind", sorted(DELIVERABLE_KINDS))
def test_every_kind_renders_long_lists_and_unknown_fields_readably(kind: str) -> None:
    doc = long_docs()[kind]
    md = render_markdown(doc)
    assert_no_repr(md)
    assert md.count("[s:00000000]") >= 1 and "## Evidence" in md
    assert "quote number 39" in md  # every evidence row listed


def test_new_fields_render_as_readable_markdown() -> None:
    req = render_markdown(long_docs()["requirements"])
    assert "- Flags:\n  - not atomic: two actions\n  - missing benefit\n" in req
    assert "- Checks:\n  - Atomic: no\n  - Score: 0.5\n" in req
    assert "## Quality notes\n\n- story: S1 — issue: duplicate of S2 [s:00000000] [s:00000001]\n" in req
    status = render_markdown(long_docs()["status"])
    # the summary names the goal; commits follow as short shas, never as "goal: …; commits: …" fields
    assert "- s0 (commits aaaaaaaa, aaaaaaaa, aaaaaaaa, aaaaaaaa, aaaaaaaa) — prs: 1; 2 [s:00000000]" in status
    assert "goal: g" not in status and "commits: " not in status
    roadmap = render_markdown(long_docs()["roadmap"])
    assert "- **now0** (3 signals, 2 cited; themes “a”, “b”) [s:00000000] [s:00000001]\n  - Why: score 1.25\n" \
        "  - In progress: 1 commit (bbbbbbbb)\n" in roadmap
    assert "- **done0** (3 signals, 2 cited; themes “a”, “b”) [s:00000000] [s:00000001]\n  - Why: score 1.25\n" \
        "  - Shipped in: 1 commit (bbbbbbbb)\n" in roadmap
    assert "rice" not in roadmap.lower()
    assert "- g0: 10 %" in status


def test_meeting_notes_layout() -> None:
    md = render_markdown(long_docs()["meeting_notes"])
    assert "- **[owner?]**: i0 [s:00000000]" in md
    assert "### Topic 0" in md and "### Topic 2" in md
    assert "- r0 _(security, Ana, stated 3 times)_ [s:00000000] [s:00000001] [s:00000002]" in md
    assert "  - “quote number 2” [s:00000002]" in md
    assert "  - Draft story: **As an** admin, **I want** x." in md
    empty = render_markdown(empty_docs()["meeting_notes"])
    assert "- **[owner?]**: i" in empty and "- r _(functional)_" in empty
