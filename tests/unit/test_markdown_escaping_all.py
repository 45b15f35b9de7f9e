"""One Markdown escaping rule for every deliverable kind: user text reads back exactly, and never changes the layout.

Status wrote backslash escapes; the other kinds wrote HTML entities ('&lt;', which a PM sees verbatim in many
viewers) or left '*', '_', '|', a line's '#' and '<tag>' to act. Every kind is rendered here with quotes of the kind
users write (file globs, snake_case, pipes, numbered steps, pasted HTML and links, Windows paths, code spans) in every
text field, then parsed as CommonMark with GFM tables and strikethrough:

- every quote reads back verbatim from the rendered text (an escape renders as nothing);
- the document has the same block and inline structure as with plain words in place of the quotes (no heading,
  list, quote, table cell, emphasis, code span, link or HTML made by user text);
- the Markdown holds no HTML entity of its own, and the JSON artifact keeps its quotes raw.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from agents.deliverables import render_markdown
from agents.deliverables.requirements import draft_requirements
from kernel.kinds import DELIVERABLE_KINDS
from tests.unit.test_stories_roles_limits import _materials, _topic
from tests.unit.test_story_writing_evidence import rows
from tools.render import escape_markdown

NASTY = [
    "Export to *.csv and *.xlsx fails since v2.3_beta, see __init__ log",
    "The preview shows <b>bold</b> tags & &amp; entities, even &#x27;quotes&#x27;",
    "# 1 complaint: sync | export | login all fail",
    "1. Open the app 2. Tap sync -> nothing happens (a < b)",
    "> I'd pay 2x for this, honestly",
    "- missing: the 'Save' button, see [the docs](http://docs.example/save) ![x](http://t.example/p.png)",
    "Can't use `Ctrl+Z` after sync ~~again~~ :( _really_",
    "C:\\Users\\me\\notes won't sync \\*ever\\* and \\[s:deadbeef]",
    "<script>alert('x')</script> it's \"broken\"",
    "[ ] the sync settings checkbox does nothing",
    "[ref]: javascript:alert(1)",
    "---",
]
PLAIN = [f"plain words number {i}" for i in range(len(NASTY))]
SID = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(len(NASTY))]
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_TEXT = frozenset({"text", "text_special", "softbreak", "hardbreak"})


def docs(q: list[str]) -> dict[str, dict[str, Any]]:
    """A document of every kind with ``q``'s texts in every text field (``q`` is NASTY or PLAIN)."""
    evidence = [{"signal_id": SID[i], "quote": t, "source": "tickets.csv", "user_id": f"u{i}"} for i, t in enumerate(q)]
    quotes = [{"signal_id": SID[i], "quote": t} for i, t in enumerate(q)]
    base = {"mode": "offline", "evidence": evidence}
    return {
        "requirements": {**base, "kind": "requirements", "title": q[0], "problem": q[3], "goals": q[:4],
                         "non_goals": [q[10], q[2]], "open_questions": q[4:8], "success_metrics": q[8:],
                         "stories": [{"id": "S1", "title": q[2], "as_a": q[6], "i_want": q[0], "so_that": q[1],
                                      "acceptance_criteria": q, "priority": "high", "type": "functional",
                                      "rice": {"score": 2.0, "formula": q[7]}, "citations": SID[:3],
                                      "flags": q[9:]}]},
        "brief": {**base, "kind": "brief", "title": q[1], "audience": "exec", "tldr": q[2], "proposal": q[3],
                  "risks": q[4:7], "asks": q[7:],
                  "themes": [{"label": q[i], "signals": 4, "users": 2, "trend": 0.4, "quotes": quotes[i:i + 2],
                              "citations": SID[i:i + 2]} for i in range(0, len(q), 3)]},
        "decision_memo": {**base, "kind": "decision_memo", "title": q[4], "question": q[2], "context": q[3],
                          "criteria": [{"name": q[2], "weight": 0.5}, {"name": q[6], "weight": 0.5}],
                          "options": [{"name": q[i], "description": q[i + 1], "total": 50.5 - i,
                                       "scores": {q[2]: 0.5, q[6]: 0.25, "formulas": {q[2]: q[i + 2]}},
                                       "citations": SID[i:i + 2]} for i in range(0, len(q) - 2, 3)],
                          "recommendation": q[5], "risks": q[7:9], "unknowns": q[9:]},
        "status": {**base, "kind": "status", "title": q[5], "period": q[4],
                   "changes": [{"summary": q[i], "goal": q[i + 1], "commits": ["a" * 40], "citations": SID[i:i + 1]}
                               for i in range(0, len(q) - 1, 2)],
                   "capacity": [{"goal": q[2], "share": 0.5}, {"goal": q[3], "share": 0.5}],
                   "risks": q[6:9], "next": q[9:]},
        "meeting_notes": {**base, "kind": "meeting_notes", "title": q[6],
                          "decisions": [{"decision": q[i], "speaker": q[4], "citations": SID[i:i + 1],
                                         "quotes": quotes[i + 1:i + 2]} for i in range(0, 4)],
                          "action_items": [{"owner": q[2], "item": q[i], "citations": SID[i:i + 1]}
                                           for i in range(4, 8)],
                          "open_questions": [{"question": q[i], "asked_by": q[3], "context": q[i + 1],
                                              "citations": SID[i:i + 1], "quotes": quotes[i + 1:i + 2]}
                                             for i in range(8, 11)],
                          "requirements": [{"requirement": q[i], "type": "non-functional", "category": "security",
                                            "speaker": q[5], "topic": q[2], "citations": SID[i:i + 1],
                                            "quotes": [quotes[(i + 1) % len(q)]],
                                            "story": {"as_a": q[6], "i_want": q[i], "so_that": q[1],
                                                      "citations": SID[i:i + 1]}} for i in range(len(q))]},
        "roadmap": {**base, "kind": "roadmap", "title": q[7],
                    **{b: [{"item": q[i], "themes": [q[2], q[6]], "score": 1.25, "why": q[i + 1],
                            "citations": SID[i:i + 1], "signals": 3} for i in range(k, len(q) - 1, 4)]
                       for k, b in enumerate(("now", "next", "later", "done"))},
                    "moved": [{"item": q[0], "from": "next", "to": "now", "why": q[3]}],
                    "previous_run": "run-1"},
    }


def inline_texts(tokens: list[Token]) -> list[str]:
    """The plain text of every inline run (a paragraph, heading, table cell …) as a reader sees it."""
    out = []
    for token in tokens:
        if token.type == "inline":
            out.append("".join("\n" if c.type.endswith("break") else c.content
                               for c in token.children or [] if c.type in _TEXT or c.type == "code_inline"))
    return out


def structure(tokens: list[Token]) -> list[str]:
    """Block tokens and the non-text inline tokens, in order: what the text's escaping must never change."""
    out = []
    for token in tokens:
        out.append(token.type)
        if token.type == "inline":
            out += [c.type for c in token.children or [] if c.type not in _TEXT]
    return out


@pytest.mark.parametrize("kind", DELIVERABLE_KINDS)
def test_every_kind_reads_every_quote_back_verbatim_and_keeps_its_layout(kind: str) -> None:
    nasty, plain = docs(NASTY)[kind], docs(PLAIN)[kind]
    md = render_markdown(nasty)
    tokens = MD.parse(md)
    assert structure(tokens) == structure(MD.parse(render_markdown(plain))), md
    text = "\n".join(inline_texts(tokens))
    for quote in NASTY:
        assert quote in text, (kind, quote, md)
    # Nothing a quote holds leaks as HTML, an entity written by the renderer, a link or an image.
    rendered = MD.render(md)
    assert "<script" not in rendered and "<b>" not in rendered and "<a " not in rendered and "<img" not in rendered
    assert not re.search(r"(?<!\\)&(?:lt|gt|amp|quot|#x27|#39|#91|#93);", md), md


@pytest.mark.parametrize("kind", DELIVERABLE_KINDS)
def test_the_json_artifact_keeps_its_quotes_raw(kind: str) -> None:
    doc = docs(NASTY)[kind]
    before = copy.deepcopy(doc)
    render_markdown(doc)
    assert doc == before
    assert [e["quote"] for e in doc["evidence"]] == NASTY


def test_a_drafted_document_quotes_raw_in_json_and_exactly_in_markdown() -> None:
    quotes = ["As a clerk, I want to export *.csv files with snake_case | pipe names, so that <b>audits</b> pass.",
              "# Export of *.csv files | breaks on C:\\exports\\ & &amp; names"]
    evidence = rows(quotes)
    doc = draft_requirements(_materials(evidence, [_topic("t1", "csv export", list(evidence), 5.0)],
                                        "Requirements: csv export"))
    assert sorted(e["quote"] for e in doc["evidence"]) == sorted(quotes)
    md = render_markdown(doc)
    text = "\n".join(inline_texts(MD.parse(md)))
    assert all(quote in text for quote in quotes), md
    assert "&lt;" not in md and "&amp;amp;" not in md


@pytest.mark.parametrize("text", [*NASTY, "snake_case_name", "a_b", "x * y", "50% | 20%", "  # indented", "2) two",
                                  "+ plus", "===", "1.5 days", "#hashtag", "email me: a_b@c.example"])
def test_escape_markdown_renders_back_to_the_exact_text(text: str) -> None:
    escaped = escape_markdown(text)
    assert "\n".join(inline_texts(MD.parse(escaped))) == text.strip() or \
        "\n".join(inline_texts(MD.parse("- " + escaped))) == text.strip()
    # Only what could act is escaped: words, 'snake_case', arrows and comparisons stay as written.
    for kept in ("snake_case_name", "a_b", "1.5 days", "#hashtag"):
        assert escape_markdown(kept) == kept


# ----------------------------------------------------------------------------- what a reader sees once


def test_a_quote_that_only_repeats_its_line_is_not_shown_under_it() -> None:
    said = "Plus a conflict record we can show admins."
    doc = {"kind": "meeting_notes", "mode": "offline", "title": "T", "evidence": [],
           "decisions": [{"decision": "Dark mode ships after that.", "citations": [SID[0]],
                          "quotes": [{"signal_id": SID[0], "quote": "Dark mode ships after that."}]}],
           "requirements": [{"requirement": "A conflict record we can show admins.", "type": "functional",
                             "citations": [SID[1]], "quotes": [{"signal_id": SID[1], "quote": said}]},
                            {"requirement": "Admins see conflicts.", "type": "functional", "citations": [SID[2]],
                             "quotes": [{"signal_id": SID[2], "quote": said}]}]}
    md = render_markdown(doc)
    assert "“Dark mode ships after that.”" not in md and md.count(f"“{said}”") == 1, md  # kept under the tidied one
    assert "[s:00000000]" in md and "[s:00000001]" in md


def test_a_status_line_about_the_same_commits_does_not_list_them_again() -> None:
    shas = ["a" * 40, "b" * 40]
    doc = {"kind": "status", "mode": "offline", "title": "T", "evidence": [], "period": "p",
           "changes": [{"summary": "Delight: 2 changes shipped.", "commits": shas},
                       {"summary": "Users report dark mode; 2 changes shipped for it.", "commits": shas},
                       {"summary": "Growth: 1 change shipped.", "commits": ["c" * 40]}]}
    md = render_markdown(doc)
    assert md.count("(commits aaaaaaaa, bbbbbbbb)") == 1 and "(commits cccccccc)" in md


def test_a_brief_section_heading_carries_no_citation_marks() -> None:
    doc = {"kind": "brief", "mode": "offline", "title": "T", "evidence": [], "tldr": "t",
           "themes": [{"label": "Sync conflicts", "signals": 3, "users": 2, "citations": SID[:3], "quotes": []}]}
    md = render_markdown(doc)
    assert "### Sync conflicts\n" in md and "3 signals from 2 users [s:00000000] [s:00000001] [s:00000002]" in md
