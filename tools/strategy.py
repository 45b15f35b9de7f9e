"""Strategy readers: a PM's strategy document (Markdown or plain text, YAML, JSON) as weighted goals.

A PM writes a strategy as a page, not as a schema, so the Markdown reader accepts what such pages hold:

- **Goals** are the items of the section whose heading names goals (``## Goals``, ``Objectives``,
  ``Priorities``, ``Pillars``, ``Bets``, ``OKRs``), else of the whole document: either its headings
  (one level below a lone title) or its top-level numbered/bulleted list items. When both exist, the
  kind that carries weights wins; otherwise headings win when there are at least two of them.
- **Weights** on the goal's line: ``(weight 35)``, ``weight: 0.35``, ``35 %``, ``35%``, ``(0.35)``.
  Percentages and numbers that sum to 100 are read as percentages; any other sum is normalised, with
  a warning. No weight anywhere: equal weights, with a warning. Some goals weighted and others not
  is an error (the reader cannot guess what the PM meant).
- **Description**: the text after the name on the goal's line plus the following lines (continuation
  lines, nested items, the paragraphs under a heading) up to the next goal.
- **Keywords and paths** (optional): lines ``Keywords: a, b`` and ``Paths: src/sync/**, apps/mobile/``
  inside a goal's text.

YAML and JSON files carry ``goals`` as a list of ``{name, weight, description, keywords, paths}`` (or
a ``name: weight`` mapping); their weights may be written the same ways ("35 %"), or be absent.
A document where no goal is found gets one error line saying what was expected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kernel.errors import InputError
from tools.scoring import GoalData, Strategy

__all__ = ["ParsedStrategy", "parse_markdown", "parse_strategy", "read_strategy"]

#: Before a goal's weight, "Trust: reliability and security" is one name (a short tail after the colon or
#: dash), while "Reliable sync: no edit is ever lost" is a name and the start of its description.
NAME_TAIL_WORDS = 4
#: Weight sums this close to 1 (or to 100 for percentages) are accepted without a warning.
WEIGHT_TOLERANCE = 0.01
EXPECTED = ("expected a Markdown list or headings of goals (e.g. '1. Reliable sync (weight 35)' followed by "
            "a sentence), or YAML/JSON with a 'goals' list of name and weight")


@dataclass
class ParsedStrategy:
    """A strategy read from a file: the goals, the document's text and what the reader had to assume."""

    strategy: Strategy
    format: str
    text: str = ""
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------- weights

_WEIGHT_WORD = re.compile(r"\(?\s*\bweight(?:ed)?\s*[:=]?\s*(\d+(?:[.,]\d+)?)\s*(%|percent\b)?\s*\)?", re.IGNORECASE)
_PERCENT = re.compile(r"\(?\s*(?<![\w.])(\d+(?:[.,]\d+)?)\s*(?:%|percent\b)\s*\)?", re.IGNORECASE)
_FRACTION = re.compile(r"[(\[]\s*(0?[.,]\d+|1(?:[.,]0+)?)\s*[)\]]|(?<![\w.,])(0[.,]\d+)(?![\w.,%])")


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def _find_weight(line: str) -> tuple[tuple[float, bool] | None, str, str]:
    """``((value, is_percent), text before, text after)`` for the first weight written on a line."""
    for pattern, percent in ((_WEIGHT_WORD, None), (_PERCENT, True), (_FRACTION, False)):
        match = pattern.search(line)
        if match:
            raw = next(g for g in match.groups()[:2] if g is not None) if pattern is _FRACTION else match.group(1)
            is_percent = bool(match.group(2)) if percent is None else percent
            return (_num(raw), is_percent), line[:match.start()].strip(), line[match.end():].strip()
    return None, line, ""


def _take_weight(line: str) -> tuple[tuple[float, bool] | None, str]:
    """``((value, is_percent), line without it)`` for the first weight written on a line, else ``(None, line)``."""
    found, before, after = _find_weight(line)
    return found, re.sub(r"\s+([.,;:])", r"\1", f"{before} {after}").strip()


def _weights(raw: list[tuple[float, bool] | None], source: str) -> tuple[list[float], list[str]]:
    """Fractions from the weights as written (percent-marked values divided by 100), plus warnings."""
    if all(w is None for w in raw):
        n = len(raw)
        return [1.0 / n] * n, [f"strategy {source}: no goal weights given: each of the {n} goals weighs 1/{n}"]
    missing = [i + 1 for i, w in enumerate(raw) if w is None]
    if missing:
        raise InputError(f"strategy {source}: goal {missing[0]} has no weight while others do; "
                         "give every goal a weight or none")
    given = [w for w in raw if w is not None]
    # "35 %" next to bare 65: one percent scale; "35 %" next to bare 0.65: fractions
    percent_scale = all(pct or v > 1 for v, pct in given)
    values = [v / 100 if pct and not percent_scale else v for v, pct in given]
    if any(v < 0 for v in values):
        raise InputError(f"strategy {source}: goal weights must be ≥ 0")
    total = sum(values)
    if total <= 0:
        raise InputError(f"strategy {source}: goal weights sum to zero")
    warnings: list[str] = []
    if abs(total - 1) > WEIGHT_TOLERANCE:
        if abs(total - 100) <= 100 * WEIGHT_TOLERANCE:
            if not all(pct for _, pct in given):  # "35 %" says so itself
                warnings.append(f"goal weights sum to {total:g}: read as percentages")
        else:
            warnings.append(f"goal weights sum to {total:g}, not 1: normalised (each divided by {total:g})")
    return values, warnings


# ------------------------------------------------------------------------------------------ markdown

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_ITEM = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)]|[a-zA-Z][.)])\s+(.*)$")
_GOALS_SECTION = re.compile(r"\b(goals?|objectives?|priorit(?:y|ies)|pillars?|bets?|okrs?|outcomes?)\b", re.I)
_FIELD = re.compile(r"^\s*(?:[-*+•]\s+)?[*_]*(keywords?|key words|terms|tags|paths?|code|files|directories)[*_]*"
                    r"\s*[:=]\s*(.+)$", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s+[—–-]\s+|:\s+|(?<=[a-z0-9)])\.\s+")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


@dataclass
class _Block:
    kind: str  # "heading" | "item" | "text"
    line: int
    level: int  # heading level, or list indent
    text: str


def _blocks(lines: list[str]) -> list[_Block]:
    out: list[_Block] = []
    in_code = False
    for i, line in enumerate(lines):
        if line.strip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or not line.strip():
            continue
        heading = _HEADING.match(line)
        if heading:
            out.append(_Block("heading", i, len(heading.group(1)), heading.group(2)))
            continue
        if _SETEXT.match(line) and out and out[-1].kind == "text" and out[-1].line == i - 1:
            out[-1] = _Block("heading", i - 1, 1 if line.strip().startswith("=") else 2, out[-1].text)
            continue
        item = _ITEM.match(line)
        if item and not _FIELD.match(line):
            out.append(_Block("item", i, len(item.group(1).expandtabs(4)), item.group(2)))
        else:
            out.append(_Block("text", i, len(line) - len(line.lstrip()), line.strip()))
    return out


def _scope(blocks: list[_Block]) -> tuple[list[_Block], _Block | None]:
    """The blocks of the goals section (the whole document when no heading names goals)."""
    for i, block in enumerate(blocks):
        if block.kind == "heading" and _GOALS_SECTION.search(block.text):
            end = next((j for j in range(i + 1, len(blocks)) if blocks[j].kind == "heading"
                        and blocks[j].level <= block.level), len(blocks))
            inner = blocks[i + 1:end]
            if any(b.kind in ("heading", "item") for b in inner):
                return inner, block
    return blocks, None


def _candidates(scope: list[_Block], section: _Block | None) -> list[_Block]:
    headings = [b for b in scope if b.kind == "heading"]
    if headings and section is None:
        top = min(b.level for b in headings)
        tops = [b for b in headings if b.level == top]
        if len(tops) == 1 and _take_weight(tops[0].text)[0] is None:  # a lone unweighted title is no goal
            headings = [b for b in headings if b.level > top]
    if headings:
        level = min(b.level for b in headings)
        headings = [b for b in headings if b.level == level]
    items = [b for b in scope if b.kind == "item"]
    if items:
        indent = min(b.level for b in items)
        items = [b for b in items if b.level == indent]
    weighted_h = sum(1 for b in headings if _take_weight(b.text)[0] is not None)
    weighted_i = sum(1 for b in items if _take_weight(b.text)[0] is not None)
    if weighted_h or weighted_i:
        return headings if weighted_h >= weighted_i else items
    if len(headings) >= 2:
        return headings
    return items or headings


def _clean(text: str) -> str:
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"\s+", " ", text.replace("**", "").replace("__", "")).strip()


def _split_name(title: str) -> tuple[str, str]:
    """Goal name and the rest of its line (the start of its description)."""
    emphasis = _EMPHASIS.match(title.strip())
    if emphasis:
        rest = title.strip()[emphasis.end():].strip().lstrip(":—–-.").strip()
        return _clean(emphasis.group(2)).rstrip(":.").strip(), _clean(rest)
    text = _clean(title)
    parts = _NAME_SPLIT.split(text, maxsplit=1)
    name = parts[0].strip().rstrip(":.—–-").strip()
    return name, (parts[1].strip() if len(parts) > 1 else "")


def _split_list(value: str) -> list[str]:
    return [v.strip().strip("`'\"").strip() for v in re.split(r"[,;]|\s{2,}", value) if v.strip().strip("`'\"")]


def parse_markdown(text: str, source: str = "strategy") -> ParsedStrategy:
    """Goals from a Markdown or plain-text strategy document (see the module docstring for the rules).

    Raises:
        InputError: No goal found, a goal without a name, duplicate names, or weights given to only some goals.
    """
    lines = text.splitlines()
    blocks = _blocks(lines)
    scope, section = _scope(blocks)
    goals_at = _candidates(scope, section)
    if not goals_at:
        raise InputError(f"strategy {source}: no goals found; {EXPECTED}")
    scope_end = (next((b.line for b in blocks if b.kind == "heading" and b.line > section.line
                       and b.level <= section.level), len(lines)) if section else len(lines))
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), "")
    found_goals: list[tuple[str, str, list[str], list[str]]] = []
    raw_weights: list[tuple[float, bool] | None] = []
    for n, block in enumerate(goals_at):
        weight, before, after = _find_weight(block.text)
        if weight is not None and _clean(before).strip(" *_:—–-") and after.strip(" .:—–-*_"):
            # "Name (weight 35) description": the weight splits them, and a short name may hold a colon
            # ("Trust: reliability and security (weight 20). Tenants …")
            name, first = _split_name(before)
            if first and not _EMPHASIS.match(before.strip()) and len(first.split()) <= NAME_TAIL_WORDS:
                name, first = _clean(before).strip(" *_:—–-."), ""
            first = " ".join(x for x in (first, _clean(after).lstrip(".:—–- ").strip()) if x)
        else:
            name, first = _split_name(_take_weight(block.text)[1])
        if not name:
            raise InputError(f"strategy {source}: goal {n + 1} (line {block.line + 1}) has no name")
        end = goals_at[n + 1].line if n + 1 < len(goals_at) else scope_end
        if block.kind == "heading":  # a deeper or equal heading after it that is not a goal ends it too
            end = next((b.line for b in blocks if block.line < b.line < end and b.kind == "heading"
                        and b.level <= block.level), end)
        description: list[str] = [first] if first else []
        keywords: list[str] = []
        paths: list[str] = []
        for line in lines[block.line + 1:end]:
            if _HEADING.match(line) or _SETEXT.match(line):
                continue
            found = _FIELD.match(line)
            if found:
                target = paths if found.group(1).lower() in ("path", "paths", "code", "files", "directories") \
                    else keywords
                target.extend(_split_list(found.group(2)))
                continue
            item = _ITEM.match(line)
            description.append(_clean(item.group(2) if item else line))
        found_goals.append((name, " ".join(d for d in description if d).strip(), keywords, paths))
        raw_weights.append(weight)
    values, warnings = _weights(raw_weights, source)
    goals = [GoalData(name=name, weight=value, description=description_text, keywords=keywords, paths=paths)
             for (name, description_text, keywords, paths), value in zip(found_goals, values, strict=True)]
    strategy = _strategy({"product": _clean(title), "goals": goals}, source)
    return ParsedStrategy(strategy, "markdown", text, warnings)


# ---------------------------------------------------------------------------------------- structured


def _structured_weight(value: object, source: str, n: int) -> tuple[float, bool] | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InputError(f"strategy {source}: goal {n} weight must be a number, got {value!r}")
    if isinstance(value, int | float):
        return float(value), False
    found, rest = _take_weight(str(value))
    if found is None:
        try:
            return _num(str(value).strip()), False
        except ValueError:
            raise InputError(f"strategy {source}: goal {n} weight must be a number, got {value!r}") from None
    if rest.strip(" ()"):
        raise InputError(f"strategy {source}: goal {n} weight must be a number, got {value!r}")
    return found


def _strategy(data: Mapping[str, Any], source: str) -> Strategy:
    names = [str(g.get("name") or "").strip().lower() for g in data["goals"]]
    duplicates = [g["name"] for g, key in zip(data["goals"], names, strict=True) if key and names.count(key) > 1]
    if duplicates:
        raise InputError(f"strategy {source}: duplicate goal name {duplicates[0]!r}")
    return Strategy.from_dict(data, source=source)


def parse_structured(data: object, source: str, fmt: str, text: str = "") -> ParsedStrategy:
    """Goals from parsed YAML or JSON (weights as numbers or "35 %"; absent = equal, with a warning).

    Raises:
        InputError: Not a mapping with a non-empty 'goals' list, or a bad goal.
    """
    if not isinstance(data, Mapping):
        raise InputError(f"strategy {source}: no goals found; {EXPECTED}")
    goals = data.get("goals") or data.get("objectives")
    if isinstance(goals, Mapping):
        goals = [{"name": k, **(v if isinstance(v, Mapping) else {"weight": v})} for k, v in goals.items()]
    if not isinstance(goals, list) or not goals:
        raise InputError(f"strategy {source}: no goals found; {EXPECTED}")
    items: list[dict[str, Any]] = []
    for i, goal in enumerate(goals, 1):
        if isinstance(goal, str):
            goal = {"name": goal}
        if not isinstance(goal, Mapping):
            raise InputError(f"strategy {source}: goal {i} must be a mapping with a name and a weight")
        items.append(dict(goal))
    raw = [_structured_weight(g.get("weight"), source, i) for i, g in enumerate(items, 1)]
    values, warnings = _weights(raw, source)
    for goal, value in zip(items, values, strict=True):
        goal["weight"] = value
        for key in ("keywords", "paths"):
            if isinstance(goal.get(key), str):
                goal[key] = _split_list(goal[key])
    strategy = _strategy({**data, "goals": items}, source)
    return ParsedStrategy(strategy, fmt, text, warnings)


# ---------------------------------------------------------------------------------------------- files


def parse_strategy(text: str, source: str = "strategy", fmt: str | None = None) -> ParsedStrategy:
    """A strategy from text: ``fmt`` is "markdown", "yaml" or "json"; sniffed when None.

    Raises:
        InputError: The document is malformed or has no goals.
    """
    stripped = text.lstrip("\ufeff").strip()
    if fmt is None:
        if stripped.startswith(("{", "[")):
            fmt = "json"
        elif re.search(r"^goals\s*:", stripped, re.MULTILINE) and not _HEADING.match(stripped.splitlines()[0]):
            fmt = "yaml"
        else:
            fmt = "markdown"
    if fmt == "json":
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InputError(f"strategy file {source} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
        return parse_structured(data, source, "json", text)
    if fmt == "yaml":
        try:
            data = yaml.safe_load(stripped)
        except yaml.YAMLError as exc:
            raise InputError(f"strategy file {source} is not valid YAML: {str(exc).splitlines()[0]}") from None
        return parse_structured(data, source, "yaml", text)
    return parse_markdown(text, source)


_FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "markdown", ".text": "markdown",
            ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def read_strategy(path: Path) -> ParsedStrategy:
    """Read a strategy file (format from the extension, sniffed for others).

    Raises:
        InputError: Not found, unreadable, malformed, or no goals.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"strategy file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"strategy file {path.name} cannot be read as UTF-8 text: {exc}") from None
    return parse_strategy(text, path.name, _FORMATS.get(path.suffix.lower()))


def load_strategy(path: Path) -> Strategy:
    """The :class:`~tools.scoring.Strategy` of a strategy file (Markdown, text, YAML or JSON); one clear InputError."""
    return read_strategy(Path(path)).strategy
