"""The pure converters of the Gradio app: run events → chat steps, documents → safe Markdown."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from agents.context import RunEvent
from ui.events import (
    StepLog,
    document_markdown,
    document_messages,
    escape,
    escape_attr,
    inert_markdown,
    link_citations,
    reply_text,
    revision_goal,
    run_summary,
)

SID_A = "eace2f33-8ea4-57d0-946a-9c07ecabeaf4"
SID_B = "4a2a985b-b462-5f7c-a256-fcd6e4ed5a76"
EVIL = '<img src=x onerror="alert(1)"> ![pixel](http://evil.example/p.png) [click](javascript:alert(2)) **bold**'


def html_of(markdown: str) -> str:
    """Render as a CommonMark renderer with raw HTML enabled would (the browser's view of it)."""
    return MarkdownIt("commonmark").enable("table").render(markdown)


def trace() -> list[RunEvent]:
    """The event sequence of a real offline run (three parallel researchers, paused for review)."""
    rows = [
        ("node_start", "planner", "", {}),
        ("node_end", "planner", "deliverables: requirements, brief; 3 research questions", {"seconds": 0.001}),
        ("node_start", "researcher", "", {}),
        ("node_start", "researcher", "", {}),
        ("node_start", "researcher", "", {}),
        ("evidence", "researcher", "q1: 12 signals", {"question": "What about sync?", "signal_ids": [SID_A]}),
        ("node_end", "researcher", "12 signals, 0 themes", {"seconds": 0.414}),
        ("evidence", "researcher", "q2: 6 signals", {"question": "What about dark mode?", "signal_ids": [SID_B]}),
        ("node_end", "researcher", "6 signals, 0 themes", {"seconds": 0.408}),
        ("evidence", "researcher", "q0: 30 signals", {"question": "What matters?", "signal_ids": [SID_A, SID_B]}),
        ("node_end", "researcher", "30 signals, 5 themes", {"seconds": 0.566}),
        ("node_start", "writer", "", {}),
        ("artifact", "writer", "drafted requirements", {"kind": "requirements"}),
        ("node_end", "writer", "drafted requirements", {"seconds": 0.001}),
        ("node_start", "publish", "", {}),
        ("artifact", "publish", "requirements: /home/pm/runs/r1/requirements.md",
         {"kind": "requirements", "path": "/home/pm/runs/r1/requirements.md"}),
        ("node_end", "publish", "wrote 1 documents", {"seconds": 0.002}),
        ("node_start", "human_review", "", {}),
        ("review", "human_review", "waiting for the PM: approve or revise", {"artifacts": []}),
    ]
    return [RunEvent(type=t, node=n, message=m, data=d) for t, n, m, d in rows]


def requirements(quote: str = "Sync fails every time I open the app offline", story_text: str = "sync to work") -> dict:
    return {
        "kind": "requirements", "title": "Requirements: sync", "mode": "offline",
        "problem": "Users lose notes.", "goals": ["Reliable sync"], "non_goals": [],
        "stories": [{"id": "S1", "as_a": "enterprise customer", "i_want": story_text, "so_that": "I keep my notes",
                     "acceptance_criteria": ["Given X, When Y, Then Z"], "priority": "high", "type": "functional",
                     "rice": {}, "citations": [SID_A]}],
        "open_questions": [], "success_metrics": [],
        "evidence": [{"signal_id": SID_A, "quote": quote, "source": "tickets.csv", "user_id": "user5"}],
    }


def test_step_log_nests_each_researchers_evidence_under_its_own_step() -> None:
    log = StepLog().extend(trace())
    log.finish()
    messages = log.messages()
    steps = [m for m in messages if "id" in m["metadata"]]
    assert [m["metadata"]["title"] for m in steps] == [
        "🧭 Planner", "🔎 Researcher", "🔎 Researcher", "🔎 Researcher", "✍️ Writer", "📄 Publish", "🙋 Your review"]
    researchers = steps[1:4]
    assert [r["content"] for r in researchers] == ["12 signals, 0 themes", "6 signals, 0 themes",
                                                   "30 signals, 5 themes"]
    assert [r["metadata"]["duration"] for r in researchers] == [0.41, 0.41, 0.57]
    for researcher, question in zip(researchers, ("sync", "dark mode", "matters"), strict=True):
        children = [m for m in messages if m["metadata"].get("parent_id") == researcher["metadata"]["id"]]
        assert len(children) == 1 and question in children[0]["content"]
        # Children directly follow their parent, so the chat shows them inside its accordion.
        assert messages.index(children[0]) == messages.index(researcher) + 1
    assert all(m["metadata"]["status"] == "done" for m in messages)
    assert log.awaiting_review and log.error is None
    publish_child = next(m for m in messages if m["metadata"].get("parent_id") == steps[5]["metadata"]["id"])
    assert "/home/pm" not in publish_child["content"]


def test_step_log_marks_open_steps_pending_until_they_end() -> None:
    log = StepLog().extend(trace()[:4])
    statuses = [m["metadata"]["status"] for m in log.messages()]
    assert statuses == ["done", "pending", "pending"]


def test_step_log_error_and_untrusted_text_are_escaped() -> None:
    log = StepLog()
    log.add(RunEvent(type="node_start", node="researcher"))
    log.add(RunEvent(type="tool_call", node="researcher", message=f'search_memory({{"query": "{EVIL}"}})'))
    log.add({"type": "error", "node": "", "message": "LLM endpoint refused <b>the key</b>", "data": {}})
    html = html_of("\n\n".join(m["content"] for m in log.messages()))
    assert "<img" not in html and "<b>" not in html and 'href="javascript' not in html
    assert log.error == "LLM endpoint refused <b>the key</b>"
    assert log.messages()[-1]["metadata"]["title"] == "❌ Error"


@pytest.mark.parametrize("text", [EVIL, "a_b*c*", "# heading", "<script>alert(1)</script>", "| a | b |", "&amp; &lt;"])
def test_escape_round_trips_as_literal_text(text: str) -> None:
    html = html_of(escape(text))
    assert "<img" not in html and "<script" not in html and "<a " not in html and "<em>" not in html
    assert "<h1>" not in html and "<strong>" not in html
    visible = re.sub(r"<[^>]+>", "", html).strip()
    import html as html_lib

    assert html_lib.unescape(visible) == text


def test_document_markdown_renders_hover_citations_and_neutralises_signal_markup() -> None:
    doc = requirements(quote=EVIL, story_text="sync <b>now</b>")
    markdown = document_markdown(doc)
    html = html_of(markdown)
    assert "<img" not in html and 'href="javascript' not in html and "<b>now" not in html
    assert "http://evil.example" not in re.findall(r'src="([^"]*)"', html)
    abbrs = re.findall(r'<abbr class="pm-cite" title="([^"]*)">', html)
    assert abbrs, "citations should become hover marks"
    assert all("&lt;img" in title for title in abbrs)
    assert "User stories" in html and "S1" in html
    # Evidence rows keep their quote inline, as bold marks rather than hover marks inside code.
    assert "<code>" not in html.split("Evidence")[-1]


def test_document_markdown_keeps_score_lookups_for_criteria_with_markdown_characters() -> None:
    memo = {"kind": "decision_memo", "title": "Decision", "mode": "offline", "question": "Sync or dark_mode?",
            "context": "", "criteria": [{"name": "user_impact", "weight": 0.6}],
            "options": [{"name": "fix_sync", "description": "", "scores": {"user_impact": 4.5}, "total": 4.5,
                         "citations": [SID_A]}],
            "recommendation": "fix sync", "risks": [], "unknowns": [],
            "evidence": [{"signal_id": SID_A, "quote": "sync broke", "source": "t.csv", "user_id": None}]}
    html = html_of(document_markdown(memo))
    assert "<td>4.50</td>" in html
    assert "user_impact" in html and "dark_mode" in html


def test_unknown_citations_are_not_hover_marks() -> None:
    out = link_citations("claim [s:deadbeef] and [s:eace2f33]", {"eace2f33": "quote"})
    assert out.count("<abbr") == 1 and "\\[s:deadbeef\\]" in out


def test_escape_attr_is_one_bounded_line() -> None:
    value = escape_attr('a "quoted"\n' + "x" * 1000)
    assert "\n" not in value and '"' not in value and len(value) <= 410


def test_run_summary_and_messages() -> None:
    run = {"run_id": "r1", "status": "awaiting_review", "mode": "offline",
           "artifacts": [{"kind": "decision_memo", "path_md": "/x/decision_memo.md", "path_json": "/x/d.json"}],
           "traceability": {"claims": 4, "cited": 4, "dropped_invalid": 1}}
    summary = run_summary(run)
    assert "ready for your review" in summary and "decision memo" in summary and "4/4 claims" in summary
    failed = run_summary({"run_id": "r2", "status": "failed", "mode": "llm", "error": "bad <key>"})
    assert "failed" in failed and "<key>" not in html_of(failed) and "&lt;key&gt;" in html_of(failed)
    messages = document_messages(run, [("requirements", requirements())])
    assert len(messages) == 2 and "<abbr" in messages[1]["content"]


def test_reply_text_includes_documents_and_links() -> None:
    run = {"run_id": "r1", "status": "completed", "mode": "offline",
           "artifacts": [{"kind": "brief", "path_md": "/runs/r1/brief.md", "path_json": "/runs/r1/brief.json"}]}
    text = reply_text(run, [("brief", "# Brief\n\nBody\n")])
    assert text.startswith("run r1: completed") and "/runs/r1/brief.md" in text and "# Brief" in text


def test_revision_goal_and_inert_markdown() -> None:
    assert revision_goal(" Goal ", " shorter ") == "Goal\n\nRevision requested by the PM: shorter"
    html = html_of(inert_markdown("# Title\n\n<img src=x onerror=1> ![p](http://e/p.png) **kept**"))
    assert "<h1>Title</h1>" in html and "<strong>kept</strong>" in html
    assert "<img" not in html


def test_app_view_is_the_documents_markdown_with_hover_marks() -> None:
    """One escaping rule: the app shows the .md file's text (backslash escapes), not HTML entities."""
    from agents.deliverables import render_markdown
    from tools.render import escape_markdown

    quote = "Export <script>alert(1)</script> & &amp; fails for snake_case *names* | [x](javascript:y)"
    doc = requirements(quote=quote, story_text="export <b>now</b> & later")
    shown = document_markdown(doc)
    assert "&lt;" not in shown.split("<abbr")[0] and "&amp;" not in shown.split("<abbr")[0]
    marks = re.sub(r'<abbr class="pm-cite" title="[^"]*">&#91;(s:\w+)]</abbr>', r"[\1]", shown)
    assert marks.replace("**\\[s:eace2f33\\]**", "`[s:eace2f33]`") == render_markdown(doc)
    html = html_of(shown)
    assert "<script" not in html and "<b>" not in html and 'href="javascript' not in html
    assert "export &lt;b&gt;now&lt;/b&gt; &amp; later" in html  # reads as written
    assert escape("a <b> & *c*") == escape_markdown("a <b> & *c*")
