"""The Markdown render of an artifact: hostile text in quotes and fields is inert when rendered."""

from __future__ import annotations

import html

from markdown_it import MarkdownIt

from agents.deliverables import render_markdown

HOSTILE = [
    "<script>alert(1)</script> sync lost my notes",
    "<img src=x onerror=alert(1)> export broken",
    "[click me](javascript:alert(1)) for a refund",
    "![pixel](http://tracker.example/p.png) dark mode",
    "\\[escaped\\](javascript:alert(2)) backslashes",
    "[ref]: javascript:alert(3)",
    "<javascript:alert(4)> autolink",
]


def _artifact() -> dict[str, object]:
    evidence = [
        {"signal_id": f"{i:08d}-0000-4000-8000-000000000000", "quote": text, "source": "t.csv", "user_id": "u1"}
        for i, text in enumerate(HOSTILE)
    ]
    return {
        "kind": "brief",
        "title": "Brief [x](javascript:alert(5))",
        "mode": "offline",
        "audience": "exec",
        "tldr": HOSTILE[2],
        "themes": [{"label": HOSTILE[3], "signals": 2, "users": 1, "trend": 0.4,
                    "quotes": [{"signal_id": e["signal_id"], "quote": e["quote"]} for e in evidence[:2]],
                    "citations": [evidence[0]["signal_id"]]}],
        "proposal": HOSTILE[4] + "\n[ref2]: https://evil.example/x",
        "risks": [HOSTILE[5]],
        "asks": [HOSTILE[6], "[PM to decide] the owner"],
        "evidence": evidence,
    }


def test_rendered_markdown_has_no_live_html_links_or_images() -> None:
    rendered = MarkdownIt("commonmark").render(render_markdown(_artifact()))
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert "<a " not in rendered  # no link at all: the document has none of its own
    assert "javascript:alert(1)" in rendered  # the text is still there, as text


def test_neutralised_text_reads_the_same() -> None:
    """Escapes are invisible once rendered; the writer's own "[PM to decide]" stays unescaped in the source."""
    assert "- [PM to decide] the owner" in render_markdown(_artifact())
    rendered = MarkdownIt("commonmark").render(render_markdown(_artifact()))
    text = html.unescape(rendered)  # every hostile quote reads back as its own characters
    for quote in ("[click me](javascript:alert(1)) for a refund", "<script>alert(1)</script> sync lost my notes",
                  "![pixel](http://tracker.example/p.png) dark mode", "[ref]: javascript:alert(3)"):
        assert quote in text
