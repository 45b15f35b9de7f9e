"""Citation validation: nothing that is not backed by stored evidence survives into an artifact.

Rules (applied to an artifact as plain data, before anything is saved):

1. A citation is valid only if it is the id of a stored signal that is part of the run's evidence.
2. A quote is valid only if it is a verbatim span of that signal's stored (redacted) text. A quote that
   differs from the stored text only in whitespace or letter case is replaced by the exact stored span.
3. Invalid citations and quotes are removed and counted (``dropped_invalid``).
4. An item of a list that must cite evidence (the kind's cited lists: stories, options, brief themes
   ...) and is left with none is dropped, with a note in the kind's note field; an item elsewhere is
   kept and flagged. Each kind declares its cited lists and note field in its own module
   (``agents/deliverables/<kind>.py``); this module knows no kind.
5. ``evidence`` ends up holding exactly one verified entry per cited signal, with ``source`` and
   ``user_id`` taken from the store (never from a model).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StoredSignal:
    """What validation needs to know about a stored signal."""

    text: str
    source: str = ""
    user_id: str | None = None


@dataclass
class ValidationResult:
    """A validated artifact and what was removed from it."""

    artifact: dict[str, Any]
    dropped_invalid: int = 0
    claims: int = 0
    cited: int = 0
    dropped_items: list[str] = field(default_factory=list)
    flagged_items: list[str] = field(default_factory=list)


_WS = re.compile(r"\s+")
_ZWSP = "\N{ZERO WIDTH SPACE}"


def find_span(text: str, quote: str) -> str | None:
    """The exact span of ``text`` that ``quote`` reproduces, or None when it is not verbatim.

    Exact substrings match as they are; otherwise the match tolerates only differences in whitespace
    runs and letter case, and returns the stored span itself. Zero-width spaces the stored text does
    not hold are ignored: prompts break delimiter look-alikes (``</data>``) with one, so a model quoting
    exactly what it was shown still quotes the signal verbatim.
    """
    quote = quote.strip().strip('"“”').strip()
    if _ZWSP in quote and _ZWSP not in text:
        quote = quote.replace(_ZWSP, "")
    if not quote:
        return None
    if quote in text:
        return quote
    words = [re.escape(w) for w in _WS.split(quote) if w]
    if not words:
        return None
    match = re.search(r"\s+".join(words), text, flags=re.IGNORECASE)
    return match.group(0) if match else None


def validate_artifact(
    artifact: Mapping[str, Any],
    stored: Mapping[str, StoredSignal],
    run_evidence: Mapping[str, str],
    *,
    cited_lists: tuple[str, ...] = (),
    note_field: str | None = None,
) -> ValidationResult:
    """Validate every citation and quote of one artifact (plain data) against stored signals.

    Args:
        artifact: The artifact as a dict (``model_dump()`` of a kernel.artifacts model).
        stored: Stored signals by id (fetched from memory for every id the artifact mentions).
        run_evidence: The run's evidence: signal id → the verified quote found by research; only
            these ids may be cited.
        cited_lists: Lists of claim-bearing items: an item left without evidence is dropped.
        note_field: Where a note about each dropped item goes (none when not given).
    """
    doc: dict[str, Any] = {key: _deep_copy(value) for key, value in artifact.items()}
    result = ValidationResult(artifact=doc)
    allowed = {sid for sid in run_evidence if sid in stored}
    quotes: dict[str, str] = {}

    for entry in doc.get("evidence") or []:
        sid = str(entry.get("signal_id", ""))
        span = find_span(stored[sid].text, str(entry.get("quote", ""))) if sid in allowed else None
        if span is None:
            result.dropped_invalid += 1
            continue
        quotes.setdefault(sid, span)

    def check_citations(item: dict[str, Any]) -> None:
        kept: list[str] = []
        for sid in item.get("citations") or []:
            sid = str(sid)
            if sid not in allowed:
                result.dropped_invalid += 1
            elif sid not in kept:
                kept.append(sid)
        for quote in item.get("quotes") or []:
            if not isinstance(quote, dict):
                continue
            sid = str(quote.get("signal_id", ""))
            span = find_span(stored[sid].text, str(quote.get("quote", ""))) if sid in allowed else None
            if span is None:
                result.dropped_invalid += 1
                quote["_invalid"] = True
                continue
            quote["quote"] = span
            quotes.setdefault(sid, span)
            if sid not in kept:
                kept.append(sid)
        if "quotes" in item:
            item["quotes"] = [q for q in item["quotes"] if not (isinstance(q, dict) and q.get("_invalid"))]
        item["citations"] = kept

    for holder in _citation_holders(doc):
        check_citations(holder)

    notes: list[str] = []
    for list_name in cited_lists:
        kept_items = []
        for item in doc.get(list_name) or []:
            if item.get("citations"):
                kept_items.append(item)
            else:
                label = _label(item)
                result.dropped_items.append(f"{list_name}: {label}")
                notes.append(f"'{label}' was removed: no stored user evidence supports it.")
        doc[list_name] = kept_items
    if notes and note_field:
        doc.setdefault(note_field, [])
        doc[note_field].extend(notes)

    cited_ids: list[str] = []
    for holder in _citation_holders(doc):
        result.claims += 1
        if holder["citations"]:
            result.cited += 1
        else:
            result.flagged_items.append(_label(holder))
        for sid in holder["citations"]:
            if sid not in cited_ids:
                cited_ids.append(sid)

    evidence = []
    for sid in cited_ids:
        quote = quotes.get(sid) or find_span(stored[sid].text, run_evidence[sid]) or stored[sid].text[:200]
        evidence.append({"signal_id": sid, "quote": quote, "source": stored[sid].source,
                         "user_id": stored[sid].user_id})
    doc["evidence"] = evidence
    return result


def _citation_holders(node: object) -> list[dict[str, Any]]:
    """Every dict inside ``node`` that carries a ``citations`` list (depth-first, document order)."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "citations" in node:
            found.append(node)
        for key, value in node.items():
            if key != "evidence":
                found.extend(_citation_holders(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_citation_holders(value))
    return found


def _label(item: Mapping[str, Any]) -> str:
    for key in ("id", "name", "label", "item"):
        if item.get(key):
            value = str(item[key])
            if key == "id" and item.get("i_want"):
                return f"{value} ({item['i_want']})"
            return value
    return "item"


def _deep_copy(value: object) -> object:
    """A copy of plain data (mappings become dicts, tuples lists) that the validation may edit."""
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_deep_copy(v) for v in value]
    return value
