"""Markdown rendering of artifacts: one renderer for every deliverable kind.

Each kind (requirements, brief, decision_memo, status, meeting_notes, roadmap) has a body layout
here; any field a layout does not place — and every field of an unknown kind — is rendered by the
generic value renderer, so a field added to an artifact later (per-story ``flags``, document
``quality_notes`` …) shows up readably without touching this module. The rules for any value:

- empty values (``None``, ``""``, ``[]``, ``{}``) disappear, section heading included;
- a list of strings is a bullet list; a list of records is one bullet per record, led by its main
  text (``item``, ``decision``, ``question``, ``requirement``, ``summary``, ``label`` …), with its
  other fields as readable ``key: value`` parts and its ``quotes`` as quoted sub-bullets;
- a nested mapping is a line of ``key: value`` parts; numbers are formatted, booleans read yes/no;
- citations render as short signal ids (``[s:1a2b3c4d]``) resolvable in the Evidence section.

No Python repr (``{'``, ``None``, ``[]``) ever reaches a document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Renderer = Callable[[Mapping[str, Any]], list[str]]
RENDERERS: dict[str, Renderer] = {}
#: Fields each kind's layout places itself (the rest are rendered generically after it).
PLACED: dict[str, frozenset[str]] = {}

_BASE = frozenset({"kind", "title", "mode", "evidence"})
#: Keys whose value leads a record's bullet, in order of preference.
_MAIN_KEYS = ("item", "decision", "question", "requirement", "summary", "text", "label", "name", "title", "goal",
              "risk", "note", "message", "description", "i_want")
_HIDDEN = frozenset({"citations", "quotes", "signal_id", "chunk", "position"})
_LINK_BREAKS = {"](": "]\\(", "![": "!\\[", "][": "]\\["}
_LINK_SYNTAX = re.compile("|".join(re.escape(k) for k in _LINK_BREAKS))
#: A line that could be read as a link reference definition (``[label]: url``).
_DEFINITION = re.compile(r"(?m)^(\s*)\[(?=[^\]\n]*\]:)")


def register_renderer(kind: str, placed: tuple[str, ...] = ()) -> Callable[[Renderer], Renderer]:
    """Decorator registering the body layout of one artifact kind and the fields it places."""

    def wrap(fn: Renderer) -> Renderer:
        RENDERERS[kind] = fn
        PLACED[kind] = frozenset(placed)
        return fn

    return wrap


def cite(ids: list[str] | None) -> str:
    """Inline citation marks for signal ids."""
    ids = [str(i) for i in ids or [] if i]
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
    """The whole document: title, mode label, body, other fields, evidence (any text made inert).

    Args:
        artifact: The document JSON (contract shape).
        escaped: Every text is already escaped for Markdown by the caller (the app's display
            escaping), so it is rendered as given.
    """
    if not escaped:
        artifact = _neutralise(artifact)
    mode = artifact.get("mode") or "offline"
    label = (
        "mode: offline — drafted deterministically from stored evidence, no language model used"
        if mode == "offline"
        else "mode: llm — drafted by a language model; every citation verified against stored evidence"
    )
    title = _text(artifact.get("title")) or _humanise(str(artifact.get("kind") or "document"))
    lines = [f"# {title}", "", f"> {label}", ""]
    kind = str(artifact.get("kind"))
    body = RENDERERS.get(kind)
    placed = PLACED.get(kind, frozenset()) if body else frozenset()
    if body:
        lines += body(artifact)
    for key, value in artifact.items():
        if key not in _BASE and key not in placed:
            lines += _section(_humanise(key), render_value(value))
    evidence = [row for row in artifact.get("evidence") or [] if isinstance(row, Mapping) and row.get("signal_id")]
    if evidence:
        lines += ["", "## Evidence", ""]
        for row in evidence:
            where = ", ".join(p for p in (_text(row.get("source")),
                                          f"user {row['user_id']}" if row.get("user_id") else "") if p)
            quote = _text(row.get("quote"))
            lines.append(f"- `[s:{str(row['signal_id'])[:8]}]`{f' ({where})' if where else ''}"
                         f"{f': “{quote}”' if quote else ''}")
    return "\n".join(lines).rstrip() + "\n"


# ------------------------------------------------------------------------------------------ generic values


def _humanise(key: str) -> str:
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else ""


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict | Mapping) and not value)


def _text(value: Any) -> str:
    """A scalar as one line of text ("" for empty)."""
    if _empty(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.0f}"
    if isinstance(value, Mapping):
        return _inline(value)
    if isinstance(value, list | tuple):
        return "; ".join(t for t in (_text(v) for v in value) if t)
    return " ".join(str(value).split())


def _inline(record: Mapping[str, Any]) -> str:
    """A mapping as ``key: value`` parts on one line (empty values and citation ids left out)."""
    parts = []
    for key, value in record.items():
        if key in _HIDDEN or _empty(value):
            continue
        text = _text(value)
        if text:
            parts.append(f"{_humanise(key).lower()}: {text}")
    return "; ".join(parts)


def _quote_lines(quotes: Any, indent: str) -> list[str]:
    out = []
    for q in quotes or []:
        if isinstance(q, Mapping) and _text(q.get("quote")):
            out.append(f"{indent}- “{_text(q['quote'])}”{cite([q['signal_id']] if q.get('signal_id') else [])}")
        elif isinstance(q, str) and q.strip():
            out.append(f"{indent}- “{_text(q)}”")
    return out


def record_lines(record: Mapping[str, Any], indent: str = "", lead: str | None = None) -> list[str]:
    """One record as a bullet: main text, other fields as parts or sub-bullets, quotes as sub-bullets."""
    main_key = lead if lead is not None else next((k for k in _MAIN_KEYS if _text(record.get(k))), None)
    main = _text(record.get(main_key)) if main_key else ""
    parts: list[str] = []
    subs: list[str] = []
    for key, value in record.items():
        if key == main_key or key in _HIDDEN or _empty(value):
            continue
        if isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
            subs.append(f"{indent}  - {_humanise(key)}:")
            for v in value:
                subs += (record_lines(v, indent + "    ") if isinstance(v, Mapping)
                         else [f"{indent}    - {_text(v)}"] if _text(v) else [])
        elif isinstance(value, list | tuple) and len(value) > 3:
            subs.append(f"{indent}  - {_humanise(key)}:")
            subs += [f"{indent}    - {_text(v)}" for v in value if _text(v)]
        else:
            text = _text(value)
            if text:
                parts.append(f"{_humanise(key).lower()}: {text}")
    if not main:
        main, parts = (parts[0], parts[1:]) if parts else ("(no text)", parts)
    extra = f" — {'; '.join(parts)}" if parts else ""
    return [f"{indent}- {main}{extra}{cite(record.get('citations'))}", *subs,
            *_quote_lines(record.get("quotes"), indent + "  ")]


def render_value(value: Any) -> list[str]:
    """Lines for any field value (empty list when the value is empty)."""
    if _empty(value):
        return []
    if isinstance(value, Mapping):
        return [f"- {_humanise(k)}: {_text(v)}" for k, v in value.items() if not _empty(v) and _text(v)
                and k not in _HIDDEN]
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            if isinstance(item, Mapping):
                out += record_lines(item)
            elif _text(item):
                out.append(f"- {_text(item)}")
        return out
    return [_text(value)]


def _section(title: str, lines: list[str], level: int = 2) -> list[str]:
    """A heading with its lines; nothing at all when there are no lines."""
    return ["", f"{'#' * level} {title}", "", *lines] if lines else []


def _bullets(items: Any) -> list[str]:
    return render_value(list(items or []))


# ------------------------------------------------------------------------------------------ layouts


def _article(noun: str) -> str:
    """"a" or "an" by the sound of the word ("a user", "an admin", "an hour" aside)."""
    return "an" if re.match(r"[aeio]|u(?!s|ni|ti|r)", str(noun).strip(), re.IGNORECASE) else "a"


_STORY_PLACED = frozenset({"id", "as_a", "i_want", "so_that", "acceptance_criteria", "priority", "type", "rice",
                           "citations"})


def _story_sentence(story: Mapping[str, Any]) -> str:
    as_a, i_want, so_that = _text(story.get("as_a")), _text(story.get("i_want")), _text(story.get("so_that"))
    parts = []
    if as_a:
        parts.append(f"**As {_article(as_a)}** {as_a}")
    if i_want:
        parts.append(f"**I want** {i_want}")
    if so_that:
        parts.append(f"**so that** {so_that}")
    return ", ".join(parts) + "." if parts else ""


@register_renderer("requirements", ("problem", "goals", "non_goals", "stories", "open_questions", "success_metrics"))
def _requirements(doc: Mapping[str, Any]) -> list[str]:
    lines = _section("Problem", render_value(doc.get("problem")))
    lines += _section("Goals", _bullets(doc.get("goals")))
    lines += _section("Non-goals", _bullets(doc.get("non_goals")))
    stories = [s for s in doc.get("stories") or [] if isinstance(s, Mapping)]
    if stories:
        lines += ["", "## User stories"]
    for n, story in enumerate(stories, start=1):
        heading = " — ".join(t for t in (_text(story.get("id")) or f"Story {n}", _text(story.get("i_want"))) if t)
        lines += ["", f"### {heading}", ""]
        sentence = _story_sentence(story)
        if sentence or story.get("citations"):
            lines += [f"{sentence}{cite(story.get('citations'))}".strip(), ""]
        facts = " · ".join(f for f in (f"Priority: **{_text(story.get('priority'))}**" if _text(story.get("priority"))
                                       else "", f"Type: {_text(story.get('type'))}" if _text(story.get("type")) else "")
                           if f)
        if facts:
            lines.append(f"- {facts}")
        rice = story.get("rice") if isinstance(story.get("rice"), Mapping) else {}
        if _text(rice.get("formula")):
            lines.append(f"- {_text(rice['formula'])}")
        criteria = [c for c in story.get("acceptance_criteria") or [] if _text(c)]
        if criteria:
            lines.append("- Acceptance criteria:")
            lines += [f"  - {_text(c)}" for c in criteria]
        for key, value in story.items():
            if key in _STORY_PLACED or _empty(value):
                continue
            rendered = render_value(value)
            if len(rendered) == 1 and not rendered[0].startswith("- "):
                lines.append(f"- {_humanise(key)}: {rendered[0]}")
            elif rendered:
                lines.append(f"- {_humanise(key)}:")
                lines += [f"  {line}" for line in rendered]
    lines += _section("Open questions", _bullets(doc.get("open_questions")))
    lines += _section("Success metrics", _bullets(doc.get("success_metrics")))
    return lines


@register_renderer("brief", ("audience", "tldr", "themes", "proposal", "risks", "asks"))
def _brief(doc: Mapping[str, Any]) -> list[str]:
    lines = [f"**Audience:** {_text(doc.get('audience'))}"] if _text(doc.get("audience")) else []
    lines += _section("TL;DR", render_value(doc.get("tldr")))
    themes = [t for t in doc.get("themes") or [] if isinstance(t, Mapping)]
    if themes:
        lines += ["", "## What users are telling us"]
    for theme in themes:
        # the trend as counts in equal windows (tools.trends); a bare percentage is never shown
        counts = theme.get("trend_counts") if isinstance(theme.get("trend_counts"), Mapping) else {}
        facts = [f"{theme['signals']} signals" if isinstance(theme.get("signals"), int) else "",
                 f"from {theme['users']} users" if isinstance(theme.get("users"), int) and theme["users"] else "",
                 _text(counts.get("text"))]
        lines += ["", f"### {_text(theme.get('label')) or 'Theme'}{cite(theme.get('citations'))}", ""]
        if any(facts):
            lines.append(" ".join(f for f in facts[:2] if f) + (" · " + facts[2] if facts[2] else ""))
        for quote in theme.get("quotes") or []:
            if isinstance(quote, Mapping) and _text(quote.get("quote")):
                lines += [f"> “{_text(quote['quote'])}”{cite([quote['signal_id']] if quote.get('signal_id') else [])}",
                          ""]
        rest = {k: v for k, v in theme.items()
                if k not in {"label", "signals", "users", "trend", "trend_counts", "quotes", "citations"}
                and not _empty(v)}
        lines += [f"- {_humanise(k)}: {_text(v)}" for k, v in rest.items() if _text(v)]
    lines += _section("Proposal", render_value(doc.get("proposal")))
    lines += _section("Risks", _bullets(doc.get("risks")))
    lines += _section("Asks", _bullets(doc.get("asks")))
    return lines


@register_renderer("decision_memo", ("question", "context", "criteria", "options", "recommendation", "risks",
                                     "unknowns"))
def _decision_memo(doc: Mapping[str, Any]) -> list[str]:
    lines = _section("Question", render_value(doc.get("question")))
    lines += _section("Context", render_value(doc.get("context")))
    criteria = [c for c in doc.get("criteria") or [] if isinstance(c, Mapping) and _text(c.get("name"))]
    lines += _section("Criteria", [f"- {_text(c['name'])}" + (f": weight {_text(c.get('weight'))}"
                                                                if _text(c.get("weight")) else "") for c in criteria])
    options = [o for o in doc.get("options") or [] if isinstance(o, Mapping)]
    lines += ["", "## Options", ""]
    if options:
        names = [_text(c["name"]) for c in criteria]
        if names:
            lines.append("| option | " + " | ".join(names) + " | total |")
            lines.append("|---" * (len(names) + 2) + "|")
            for option in options:
                scores = option.get("scores") if isinstance(option.get("scores"), Mapping) else {}
                cells = [f"{scores[n]:.2f}" if isinstance(scores.get(n), float) else _text(scores.get(n))
                         for n in names]
                total = _text(option.get("total"))
                lines.append(f"| {_text(option.get('name'))} | " + " | ".join(cells) +
                             f" | {f'**{total}**' if total else ''} |")
        for option in options:
            lines += ["", f"### {_text(option.get('name')) or 'Option'}{cite(option.get('citations'))}", ""]
            if _text(option.get("description")):
                lines.append(_text(option.get("description")))
            scores = option.get("scores") if isinstance(option.get("scores"), Mapping) else {}
            formulas = scores.get("formulas") if isinstance(scores.get("formulas"), Mapping) else {}
            lines += [f"- {_text(f)}" for f in formulas.values() if _text(f)]
            rest = {k: v for k, v in option.items()
                    if k not in {"name", "description", "scores", "total", "citations"} and not _empty(v)}
            lines += [f"- {_humanise(k)}: {_text(v)}" for k, v in rest.items() if _text(v)]
    else:
        lines.append("_No option is supported by stored evidence._")
    lines += _section("Recommendation", render_value(doc.get("recommendation")))
    lines += _section("Risks", _bullets(doc.get("risks")))
    lines += _section("Unknowns", _bullets(doc.get("unknowns")))
    return lines


@register_renderer("status", ("period", "changes", "capacity", "risks", "next"))
def _status(doc: Mapping[str, Any]) -> list[str]:
    lines = [f"**Period:** {_text(doc.get('period'))}"] if _text(doc.get("period")) else []
    changes: list[str] = []
    for change in doc.get("changes") or []:
        if not isinstance(change, Mapping):
            changes += render_value([change])
            continue
        # the summary names its goal and what shipped; the commits follow as short shas, never as fields
        shas = [str(s)[:8] for s in change.get("commits") or [] if s]
        extra = {k: v for k, v in change.items() if k not in {"summary", "goal", "commits", "citations"}}
        more = f" and {len(shas) - 8} more" if len(shas) > 8 else ""
        commits = f" (commits {', '.join(shas[:8])}{more})" if shas else ""
        rest = f" — {_inline(extra)}" if _inline(extra) else ""
        changes.append(f"- {_text(change.get('summary')) or '(no summary)'}{commits}{rest}"
                       f"{cite(change.get('citations'))}")
    lines += _section("What changed", changes)
    capacity = []
    for row in doc.get("capacity") or []:
        if isinstance(row, Mapping) and _text(row.get("goal")):
            share = row.get("share")
            capacity.append(f"- {_text(row['goal'])}" + (f": {float(share):.0%}" if isinstance(share, int | float)
                                                        else ""))
    lines += _section("Capacity", capacity)
    lines += _section("Risks", _bullets(doc.get("risks")))
    lines += _section("Next", _bullets(doc.get("next")))
    return lines


@register_renderer("meeting_notes", ("decisions", "action_items", "open_questions", "requirements"))
def _meeting_notes(doc: Mapping[str, Any]) -> list[str]:
    lines = _section("Decisions", _records(doc.get("decisions"), "decision"))
    actions = []
    for item in doc.get("action_items") or []:
        if isinstance(item, Mapping):
            owner = _text(item.get("owner")) or "[owner?]"
            rest = {k: v for k, v in item.items() if k not in {"owner"}}
            first, *more = record_lines(rest, lead="item")
            actions += [f"- **{owner}**: {first[2:]}", *more]
        elif _text(item):
            actions.append(f"- {_text(item)}")
    lines += _section("Action items", actions)
    lines += _section("Open questions", _records(doc.get("open_questions"), "question"))
    requirements = [r for r in doc.get("requirements") or [] if isinstance(r, Mapping)]
    if requirements:
        lines += ["", "## Requirements"]
        topics = list(dict.fromkeys(_text(r.get("topic")) for r in requirements))
        for topic in topics:
            if len(topics) > 1 or topic:
                lines += ["", f"### {topic or 'Other'}"]
            lines.append("")
            for req in (r for r in requirements if _text(r.get("topic")) == topic):
                kind = _text(req.get("category")) if req.get("type") == "non-functional" else "functional"
                kind = kind or _text(req.get("type"))
                said = f", {_text(req['speaker'])}" if _text(req.get("speaker")) else ""
                restated = f", stated {req['restated']} times" if isinstance(req.get("restated"), int) else ""
                lines.append(f"- {_text(req.get('requirement')) or '(no text)'} _({kind}{said}{restated})_"
                             f"{cite(req.get('citations'))}")
                lines += _quote_lines(req.get("quotes"), "  ")
                story = req.get("story") if isinstance(req.get("story"), Mapping) else None
                if story and _story_sentence(story):
                    lines.append(f"  - Draft story: {_story_sentence(story)}{cite(story.get('citations'))}")
                rest = {k: v for k, v in req.items() if k not in {"requirement", "type", "category", "speaker", "topic",
                                                                  "citations", "quotes", "story", "restated"}}
                if _inline(rest):
                    lines.append(f"  - {_inline(rest)}")
    return lines


def _records(items: Any, lead: str) -> list[str]:
    out: list[str] = []
    for item in items or []:
        if isinstance(item, Mapping):
            out += record_lines(item, lead=lead if _text(item.get(lead)) else None)
        elif _text(item):
            out.append(f"- {_text(item)}")
    return out


_ROADMAP_PLACED = frozenset({"item", "themes", "score", "signals", "citations", "commits", "why", "goal", "goal_weight",
                             "trend", "status", "rice", "alignment"})


def _roadmap_item(item: Mapping[str, Any], bucket: str = "") -> list[str]:
    """One roadmap item: name, how many signals back it (and how many are cited), why it is here, its commits."""
    cited = len([c for c in item.get("citations") or [] if c])
    count = item.get("signals")
    facts = []
    if isinstance(count, int):
        facts.append(f"{count} signal{'s' if count != 1 else ''}" + (f", {cited} cited" if cited else ""))
    elif cited:
        facts.append(f"{cited} signal{'s' if cited != 1 else ''} cited")
    themes = [_text(t) for t in item.get("themes") or [] if _text(t)]
    name = _text(item.get("item")) or "(untitled)"
    if themes and themes != [name]:
        facts.append(f"theme{'s' if len(themes) > 1 else ''} " + ", ".join(f"“{t}”" for t in themes))
    lines = [f"- **{name}**{' (' + '; '.join(facts) + ')' if facts else ''}{cite(item.get('citations'))}"]
    why = _text(item.get("why"))
    if not why:
        why = "; ".join(p for p in (f"score {_text(item.get('score'))}" if _text(item.get("score")) else "",
                                    f"serves {_text(item.get('goal'))}" if _text(item.get("goal")) else "") if p)
    if why:
        lines.append(f"  - Why: {why}")
    shas = [str(s)[:8] for s in item.get("commits") or [] if s]
    if shas:
        label = "Shipped in" if item.get("status") == "done" or bucket == "done" else "In progress"
        more = f" and {len(shas) - 6} more" if len(shas) > 6 else ""
        lines.append(f"  - {label}: {len(shas)} commit{'s' if len(shas) != 1 else ''} ({', '.join(shas[:6])}{more})")
    rest = {k: v for k, v in item.items() if k not in _ROADMAP_PLACED and not _empty(v)}
    lines += [f"  - {_humanise(k)}: {_text(v)}" for k, v in rest.items() if _text(v)]
    return lines


@register_renderer("roadmap", ("now", "next", "later", "done", "moved", "previous_run", "strategy_gaps"))
def _roadmap(doc: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for bucket, title in (("now", "Now"), ("next", "Next"), ("later", "Later"), ("done", "Done")):
        lines += ["", f"## {title}", ""]
        items = [i for i in doc.get(bucket) or [] if isinstance(i, Mapping)]
        if not items:
            lines.append("_Nothing shipped that closes a roadmap item._" if bucket == "done" else "_Nothing here._")
        for item in items:
            lines += _roadmap_item(item, bucket)
    lines += _section("Strategy goals with no user evidence", _bullets(doc.get("strategy_gaps")))
    moved = [m for m in doc.get("moved") or [] if isinstance(m, Mapping)]
    lines += ["", "## What moved since the last roadmap", ""]
    if not _text(doc.get("previous_run")):
        lines.append("_First roadmap of this workspace: nothing to compare with._")
    elif not moved:
        lines.append(f"_Nothing moved since run {_text(doc.get('previous_run'))}._")
    for move in moved:
        why = _text(move.get("why"))
        lines.append(f"- **{_text(move.get('item')) or '(untitled)'}**: {_text(move.get('from')) or 'new'} → "
                     f"{_text(move.get('to')) or 'dropped'}{f' ({why})' if why else ''}")
    return lines
