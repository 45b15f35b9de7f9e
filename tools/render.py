"""Markdown rendering of artifacts (plain data in the kernel.artifacts shapes).

One renderer per artifact kind in :data:`RENDERERS`; later deliverables register theirs with
:func:`register_renderer`. Kinds without a renderer get a generic, still readable rendering.
Citations render as short signal ids (``[s:1a2b3c4d]``) resolvable in the Evidence section.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Renderer = Callable[[Mapping[str, Any]], list[str]]
RENDERERS: dict[str, Renderer] = {}

_LINK_BREAKS = {"](": "]\\(", "![": "!\\[", "][": "]\\["}
_LINK_SYNTAX = re.compile("|".join(re.escape(k) for k in _LINK_BREAKS))
#: A line that could be read as a link reference definition (``[label]: url``).
_DEFINITION = re.compile(r"(?m)^(\s*)\[(?=[^\]\n]*\]:)")


def register_renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Decorator registering the body renderer of one artifact kind."""

    def wrap(fn: Renderer) -> Renderer:
        RENDERERS[kind] = fn
        return fn

    return wrap


def cite(ids: list[str] | None) -> str:
    """Inline citation marks for signal ids."""
    return " " + " ".join(f"[s:{sid[:8]}]" for sid in ids) if ids else ""


def _neutralise(value: Any) -> Any:
    """Make any text inert in Markdown, so nothing in a signal or a model's output acts when rendered.

    Angle brackets become entities (no HTML, no autolinks) and the bracket pairs that make links,
    images and reference definitions are broken with a backslash (``](`` ``![`` ``][``, and the
    ``[`` of a line starting ``[label]:``), so a quoted ``[x](javascript:…)`` or tracker image is
    plain text while ``[PM to decide]`` still reads as written. The JSON keeps verbatim quotes
    (the contract); only the Markdown render is neutralised.
    """
    if isinstance(value, str):
        text = value.replace("<", "&lt;").replace(">", "&gt;")
        text = _LINK_SYNTAX.sub(lambda m: _LINK_BREAKS[m.group(0)], text)
        return _DEFINITION.sub(r"\1\\[", text)
    if isinstance(value, Mapping):
        # Keys too: a score table looks its cells up by criterion name, neutralised like the names.
        return {_neutralise(key): _neutralise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_neutralise(item) for item in value]
    return value


def render_markdown(artifact: Mapping[str, Any], *, escaped: bool = False) -> str:
    """The whole document: title, mode label, body, evidence (any text is made inert, see :func:`_neutralise`).

    Args:
        artifact: The document JSON (contract shape).
        escaped: Every text is already escaped for Markdown by the caller (the app's display
            escaping), so it is rendered as given.
    """
    if not escaped:
        artifact = _neutralise(artifact)
    mode = artifact.get("mode", "offline")
    label = (
        "mode: offline — drafted deterministically from stored evidence, no language model used"
        if mode == "offline"
        else "mode: llm — drafted by a language model; every citation verified against stored evidence"
    )
    lines = [f"# {artifact.get('title', artifact.get('kind', 'Document'))}", "", f"> {label}", ""]
    body = RENDERERS.get(str(artifact.get("kind")), _generic)
    lines += body(artifact)
    evidence = artifact.get("evidence") or []
    if evidence:
        lines += ["", "## Evidence", ""]
        for row in evidence:
            who = f", user {row['user_id']}" if row.get("user_id") else ""
            lines.append(f"- `[s:{row['signal_id'][:8]}]` ({row.get('source', '')}{who}): “{_one_line(row['quote'])}”")
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _bullets(items: list[Any] | None, empty: str = "_None._") -> list[str]:
    if not items:
        return [empty]
    return [f"- {_one_line(item) if isinstance(item, str) else _one_line(str(item))}" for item in items]


def _section(title: str, lines: list[str]) -> list[str]:
    return ["", f"## {title}", "", *lines]


@register_renderer("requirements")
def _requirements(doc: Mapping[str, Any]) -> list[str]:
    lines = ["## Problem", "", str(doc.get("problem", ""))]
    lines += _section("Goals", _bullets(doc.get("goals")))
    lines += _section("Non-goals", _bullets(doc.get("non_goals")))
    lines += ["", "## User stories"]
    for story in doc.get("stories") or []:
        rice = story.get("rice") or {}
        lines += [
            "",
            f"### {story['id']} — {story['i_want']}",
            "",
            f"**As {_article(story['as_a'])}** {story['as_a']}, **I want** {story['i_want']}, "
            f"**so that** {story['so_that']}."
            f"{cite(story.get('citations'))}",
            "",
            f"- Priority: **{story.get('priority', '')}** · Type: {story.get('type', '')}",
        ]
        if rice.get("formula"):
            lines.append(f"- {rice['formula']}")
        lines += ["- Acceptance criteria:"]
        lines += [f"  - {_one_line(c)}" for c in story.get("acceptance_criteria") or []]
    lines += _section("Open questions", _bullets(doc.get("open_questions")))
    lines += _section("Success metrics", _bullets(doc.get("success_metrics")))
    return lines


@register_renderer("brief")
def _brief(doc: Mapping[str, Any]) -> list[str]:
    lines = [f"**Audience:** {doc.get('audience', '')}", "", "## TL;DR", "", str(doc.get("tldr", ""))]
    lines += ["", "## What users are telling us"]
    for theme in doc.get("themes") or []:
        trend = float(theme.get("trend") or 0.0)
        lines += [
            "",
            f"### {theme['label']}{cite(theme.get('citations'))}",
            "",
            f"{theme.get('signals', 0)} signals from {theme.get('users', 0)} users · trend {trend:+.0%}",
        ]
        for quote in theme.get("quotes") or []:
            lines.append(f"> “{_one_line(quote['quote'])}” [s:{quote['signal_id'][:8]}]")
            lines.append("")
    lines += _section("Proposal", [str(doc.get("proposal", ""))])
    lines += _section("Risks", _bullets(doc.get("risks")))
    lines += _section("Asks", _bullets(doc.get("asks")))
    return lines


@register_renderer("decision_memo")
def _decision_memo(doc: Mapping[str, Any]) -> list[str]:
    lines = ["## Question", "", str(doc.get("question", "")), "", "## Context", "", str(doc.get("context", ""))]
    criteria = doc.get("criteria") or []
    lines += _section("Criteria", [f"- {c['name']}: weight {c['weight']}" for c in criteria] or ["_None._"])
    lines += ["", "## Options", ""]
    options = doc.get("options") or []
    if options:
        names = [c["name"] for c in criteria]
        lines.append("| option | " + " | ".join(names) + " | total |")
        lines.append("|---" * (len(names) + 2) + "|")
        for option in options:
            scores = option.get("scores") or {}
            cells = [_fmt(scores.get(n)) for n in names]
            lines.append(f"| {option['name']} | " + " | ".join(cells) + f" | **{option.get('total', 0)}** |")
        for option in options:
            lines += ["", f"### {option['name']}{cite(option.get('citations'))}", "",
                      _one_line(option.get("description", ""))]
            formulas = (option.get("scores") or {}).get("formulas") or {}
            lines += [f"- {_one_line(f)}" for f in formulas.values()]
    else:
        lines.append("_No option is supported by stored evidence._")
    lines += _section("Recommendation", [str(doc.get("recommendation", ""))])
    lines += _section("Risks", _bullets(doc.get("risks")))
    lines += _section("Unknowns", _bullets(doc.get("unknowns")))
    return lines


def _article(noun: str) -> str:
    return "an" if str(noun)[:1].lower() in "aeiou" else "a"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def _generic(doc: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for key, value in doc.items():
        if key in ("kind", "title", "mode", "evidence"):
            continue
        title = key.replace("_", " ").capitalize()
        if isinstance(value, list):
            rendered = []
            for item in value:
                if isinstance(item, Mapping):
                    text = "; ".join(f"{k}: {v}" for k, v in item.items() if k != "citations")
                    rendered.append(f"- {_one_line(text)}{cite(item.get('citations'))}")
                else:
                    rendered.append(f"- {_one_line(str(item))}")
            lines += _section(title, rendered or ["_None._"])
        else:
            lines += _section(title, [str(value)])
    return lines
