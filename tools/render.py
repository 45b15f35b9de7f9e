"""Markdown rendering of artifacts: the document frame and the generic value renderer.

A deliverable kind's body layout lives in its own module (``agents/deliverables/<kind>.py``) and is
passed in as a :class:`Layout`; any field a layout does not place — and every field of a kind without
a layout — is rendered by the generic value renderer, so a field added to an artifact later (per-story
``flags``, document ``quality_notes`` …) shows up readably without touching a layout. The rules for
any value:

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
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tools import story_quality

Renderer = Callable[[Mapping[str, Any]], list[str]]


@dataclass(frozen=True)
class Layout:
    """The body layout of one artifact kind and the fields it places itself (the rest render generically)."""

    body: Renderer
    placed: frozenset[str] = frozenset()


_BASE = frozenset({"kind", "title", "mode", "evidence"})
#: Keys whose value leads a record's bullet, in order of preference.
_MAIN_KEYS = ("item", "decision", "question", "requirement", "summary", "text", "label", "name", "title", "goal",
              "risk", "note", "message", "description", "i_want")
_HIDDEN = frozenset({"citations", "quotes", "signal_id", "chunk", "position"})
_LINK_BREAKS = {"](": "]\\(", "![": "!\\[", "][": "]\\["}
_LINK_SYNTAX = re.compile("|".join(re.escape(k) for k in _LINK_BREAKS))
#: A line that could be read as a link reference definition (``[label]: url``).
_DEFINITION = re.compile(r"(?m)^(\s*)\[(?=[^\]\n]*\]:)")


def cite(ids: list[str] | None) -> str:
    """Inline citation marks for signal ids."""
    ids = [str(i) for i in ids or [] if i]
    return " " + " ".join(f"[s:{sid[:8]}]" for sid in ids) if ids else ""


def _no_links(text: str) -> str:
    """Break the bracket pairs that make links, images and reference definitions."""
    text = _LINK_SYNTAX.sub(lambda m: _LINK_BREAKS[m.group(0)], text)
    return _DEFINITION.sub(r"\1\\[", text)


def _each_text(value: Any, inert: Callable[[str], str]) -> Any:
    """``value`` with ``inert`` applied to every string in it, mapping keys too.

    A score table looks its cells up by criterion name, escaped like the names.
    """
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, Mapping):
        return {_each_text(key, inert): _each_text(item, inert) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_each_text(item, inert) for item in value]
    return value


#: Characters that act anywhere in a line: code spans, emphasis, strikethrough, table cells (and '\\' itself).
_ALWAYS = re.compile(r"[\\`*~|]")
#: A '_' that could open or close emphasis: not between two letters or digits ('snake_case' stays as written).
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
#: A '<' that could open an HTML tag, comment, declaration or autolink; an entity or character reference.
_OPENS_HTML = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
#: What makes a line a block when it starts one: a heading, block quote, list item, thematic break or setext
#: underline, a task-list box ('[ ]', '[x]'); only the first character needs its backslash.
_BLOCK_START = re.compile(r"(?m)^([ \t]*)(?=#{1,6}(?:[ \t]|$)|>|[-+](?:[ \t]|$)|[-=]+[ \t]*$|\[[ xX]\])")
_ORDERED = re.compile(r"(?m)^([ \t]*\d{1,9})(?=[.)](?:[ \t]|$))")


def escape_markdown(text: str) -> str:
    r"""``text`` made inert in Markdown with backslash escapes, so that it renders back to exactly ``text``.

    One rule for every document kind (a quote stays verbatim to the reader, in a viewer and in the .md file): no
    HTML entity is written, only Markdown's own escapes, and only where a character could act —
    '\', '`', '*', '~' and '|' anywhere (code, emphasis, strikethrough, a table cell); '_' unless it sits inside a
    word ('snake_case'); '<' before a tag or autolink ('\<script>'; '2 < 3' and '->' stay); '&' before an entity
    ('\&amp;'); a line's opening '#', '>', '-', '+', '1.', '---' or '[ ]' (heading, quote, list, rule, task box);
    and the bracket pairs of links, images and reference definitions ('](' '![' '][', a line's '[label]:'), so
    '[PM to decide]' still reads as written.
    """
    text = _ALWAYS.sub(lambda m: "\\" + m.group(0), text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _ENTITY.sub(r"\\&", _OPENS_HTML.sub(r"\\<", text))
    text = _ORDERED.sub(r"\1\\", _BLOCK_START.sub(r"\1\\", text))
    return _no_links(text)


def markdown_inert(value: Any) -> Any:
    """``value`` with every text in it (mapping keys too) escaped by :func:`escape_markdown`."""
    return _each_text(value, escape_markdown)


def render_markdown(artifact: Mapping[str, Any], *, escaped: bool = False, layout: Layout | None = None
                    ) -> str:
    """The whole document: title, mode label, body, other fields, evidence (any text made inert).

    Args:
        artifact: The document JSON (contract shape).
        escaped: Every text is already escaped for Markdown by the caller (the app's display
            escaping), so it is rendered as given.
        layout: The kind's body layout (``agents.deliverables`` looks it up by the artifact's kind);
            without one every field is rendered generically.
    """
    if not escaped:
        artifact = markdown_inert(artifact)
    mode = artifact.get("mode") or "offline"
    label = (
        "mode: offline — drafted deterministically from stored evidence, no language model used"
        if mode == "offline"
        else "mode: llm — drafted by a language model; every citation verified against stored evidence"
    )
    title = one_line(artifact.get("title")) or humanise(str(artifact.get("kind") or "document"))
    lines = [f"# {title}", "", f"> {label}", ""]
    placed = layout.placed if layout else frozenset()
    if layout:
        lines += layout.body(artifact)
    for key, value in artifact.items():
        if key not in _BASE and key not in placed:
            lines += section(humanise(key), render_value(value))
    evidence = [row for row in artifact.get("evidence") or [] if isinstance(row, Mapping) and row.get("signal_id")]
    if evidence:
        lines += ["", "## Evidence", ""]
        for row in evidence:
            where = ", ".join(p for p in (one_line(row.get("source")),
                                          f"user {row['user_id']}" if row.get("user_id") else "") if p)
            quote = one_line(row.get("quote"))
            lines.append(f"- `[s:{str(row['signal_id'])[:8]}]`{f' ({where})' if where else ''}"
                         f"{f': “{quote}”' if quote else ''}")
    return "\n".join(lines).rstrip() + "\n"


# ------------------------------------------------------------------------------------------ generic values


def humanise(key: str) -> str:
    """'open_questions' → 'Open questions'."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else ""


def is_empty(value: object) -> bool:
    """None, '' or an empty collection."""
    return value is None or (isinstance(value, str | list | tuple | dict | Mapping) and not value)


def mapping(value: object) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one (a field of the wrong shape renders as nothing)."""
    return value if isinstance(value, Mapping) else {}


def one_line(value: object) -> str:
    """A scalar as one line of text ("" for empty)."""
    if is_empty(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.0f}"
    if isinstance(value, Mapping):
        return inline(value)
    if isinstance(value, list | tuple):
        return "; ".join(t for t in (one_line(v) for v in value) if t)
    return " ".join(str(value).split())


def inline(record: Mapping[str, Any]) -> str:
    """A mapping as ``key: value`` parts on one line (empty values and citation ids left out)."""
    parts = []
    for key, value in record.items():
        if key in _HIDDEN or is_empty(value):
            continue
        text = one_line(value)
        if text:
            parts.append(f"{humanise(key).lower()}: {text}")
    return "; ".join(parts)


#: Words a quote may have beyond the line it is shown under and still only repeat it ('Plus a …', 'Open question: …').
_REPEAT_EXTRA_WORDS = 3


def _words_of(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def repeats(quote: str, text: str) -> bool:
    """Whether ``quote`` only repeats ``text``: the same words, or them with at most three words more around them.

    Its citation mark stays on the line and the Evidence section holds it verbatim, so a sub-bullet that says the
    line again ('Dark mode ships after that.' under 'Dark mode ships after that.') is left out.
    """
    said, line = _words_of(quote), _words_of(text)
    if not line or len(said) - len(line) > _REPEAT_EXTRA_WORDS:
        return False
    return any(said[i:i + len(line)] == line for i in range(len(said) - len(line) + 1))


def quote_lines(quotes: Iterable[object] | None, indent: str, under: str = "") -> list[str]:
    """Quoted sub-bullets (with their citation) at ``indent``; those that only repeat ``under`` left out."""
    out = []
    for q in quotes or []:
        if isinstance(q, Mapping) and one_line(q.get("quote")) and under and repeats(one_line(q["quote"]), under):
            continue
        if isinstance(q, Mapping) and one_line(q.get("quote")):
            out.append(f"{indent}- “{one_line(q['quote'])}”{cite([q['signal_id']] if q.get('signal_id') else [])}")
        elif isinstance(q, str) and q.strip():
            out.append(f"{indent}- “{one_line(q)}”")
    return out


def record_lines(record: Mapping[str, Any], indent: str = "", lead: str | None = None) -> list[str]:
    """One record as a bullet: main text, other fields as parts or sub-bullets, quotes as sub-bullets."""
    main_key = lead if lead is not None else next((k for k in _MAIN_KEYS if one_line(record.get(k))), None)
    main = one_line(record.get(main_key)) if main_key else ""
    parts: list[str] = []
    subs: list[str] = []
    for key, value in record.items():
        if key == main_key or key in _HIDDEN or is_empty(value):
            continue
        if isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
            subs.append(f"{indent}  - {humanise(key)}:")
            for v in value:
                subs += (record_lines(v, indent + "    ") if isinstance(v, Mapping)
                         else [f"{indent}    - {one_line(v)}"] if one_line(v) else [])
        elif isinstance(value, list | tuple) and len(value) > 3:
            subs.append(f"{indent}  - {humanise(key)}:")
            subs += [f"{indent}    - {one_line(v)}" for v in value if one_line(v)]
        else:
            text = one_line(value)
            if text:
                parts.append(f"{humanise(key).lower()}: {text}")
    if not main:
        main, parts = (parts[0], parts[1:]) if parts else ("(no text)", parts)
    extra = f" — {'; '.join(parts)}" if parts else ""
    return [f"{indent}- {main}{extra}{cite(record.get('citations'))}", *subs,
            *quote_lines(record.get("quotes"), indent + "  ", under=main)]


def render_value(value: object) -> list[str]:
    """Lines for any field value (empty list when the value is empty)."""
    if is_empty(value):
        return []
    if isinstance(value, Mapping):
        return field_lines(value, _HIDDEN)
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            if isinstance(item, Mapping):
                out += record_lines(item)
            elif one_line(item):
                out.append(f"- {one_line(item)}")
        return out
    return [one_line(value)]


def field_lines(record: Mapping[str, Any], placed: Collection[str], indent: str = "") -> list[str]:
    """``- Key: value`` bullets for the fields of ``record`` a layout has not placed (empty ones left out)."""
    return [f"{indent}- {humanise(k)}: {one_line(v)}" for k, v in record.items()
            if k not in placed and not is_empty(v) and one_line(v)]


def section(title: str, lines: list[str], level: int = 2) -> list[str]:
    """A heading with its lines; nothing at all when there are no lines."""
    return ["", f"{'#' * level} {title}", "", *lines] if lines else []


def bullets(items: Iterable[object] | None) -> list[str]:
    """A bullet list of any items (empty when there are none)."""
    return render_value(list(items or []))


def _article(noun: str) -> str:
    """"a" or "an" by the sound of the word: the story check's rule ("a user", "an admin", "an SMB customer")."""
    return story_quality.article(noun)


def story_sentence(story: Mapping[str, Any]) -> str:
    """'**As a** user, **I want** …, **so that** ….' ('' when the story has none of the three)."""
    as_a, i_want, so_that = one_line(story.get("as_a")), one_line(story.get("i_want")), one_line(story.get("so_that"))
    parts = []
    if as_a:
        parts.append(f"**As {_article(as_a)}** {as_a}")
    if i_want:
        parts.append(f"**I want** {i_want}")
    if so_that:
        parts.append(f"**so that** {so_that}")
    return ", ".join(parts) + "." if parts else ""


def records(items: Iterable[object] | None, lead: str) -> list[str]:
    """Bullets of records led by ``lead`` (a record without it is led by its main text)."""
    out: list[str] = []
    for item in items or []:
        if isinstance(item, Mapping):
            out += record_lines(item, lead=lead if one_line(item.get(lead)) else None)
        elif one_line(item):
            out.append(f"- {one_line(item)}")
    return out

