"""Meeting notes deliverable: decisions, action items (with owners), open questions and requirements.

Input: a transcript ingested with ``--kind meeting`` (one signal per speaker turn). :func:`collect`
puts the turns of the meeting the goal is about (the latest one when the goal names none) into the
run's evidence, with the whole turn text as the quote, so every item can cite a turn and quote it
verbatim.

Offline extraction is rule-based and explainable, sentence by sentence:

- **decisions**: "we decided", "here's where I land", "let's go with", "the decision is", "agreed
  to" …, with the rest of the deciding turn's statements;
- **action items**: first-person commitments ("I'll …", "I will …") owned by the speaker, and
  assignments ("Owen, you own it", "Claire, will you …?" answered with a yes) owned by the person
  named; "we'll …" items have no owner;
- **open questions**: questions labelled as open ("Open question: …") or answered with a deferral
  ("let's not decide that today", "we'll look at the data next week");
- **requirements**: statements with a requirement cue (must, has to, needs, never/ever, a latency
  bound "within N seconds", "at p95", "it should …"), continued by a following "And …" turn, typed
  functional / non-functional with :func:`tools.reqtype.classify_requirement`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from pydantic import BaseModel, Field

from agents.writer import Deliverable, Materials, register
from kernel.artifacts import MeetingNotes
from kernel.schemas import Signal, SignalKind
from memory import api as memory_api
from tools.citations import find_span
from tools.reqtype import NFR_CATEGORIES, classify_requirement
from tools.research import evidence_row
from tools.scoring import tokens

KIND = "meeting_notes"
KEYWORDS = (" meeting", "minutes", "action items", "follow-up", "follow up", "recap", "transcript")

_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
_DECISION = re.compile(
    r"\b(?:we(?:'ve)? decided|decided (?:that|to)|here's where i land|let's go with|we(?:'ll| will) go with|"
    r"the decision is|we agreed|agreed to|final answer)\b", re.IGNORECASE)
_COMMIT = re.compile(r"\b(?:i'll|i will|i'm going to|i am going to|i can take|i'll take)\b", re.IGNORECASE)
_TEAM_COMMIT = re.compile(r"\b(?:we'll|we will)\s+(?!go with|make|need|be\b)", re.IGNORECASE)
_OWN = re.compile(r"\b([A-Z][a-z]+),? you own (?:it|this|that)\b")
_ASK = re.compile(r"^\s*(?:(?:and|so)\s+)?([A-Z][a-z]+),\s+(?:can|could|will|would) you\s+(.+?)\?\s*$")
_ASK_ABOUT = re.compile(r"^\s*(?i:can|could|will) ([A-Z][a-z]+) (.+?)\?\s*$")
_YES = re.compile(r"^\s*(?:yes|yeah|yep|sure|will do|on it|absolutely|of course|ok(?:ay)?)\b", re.IGNORECASE)
_OPEN_LABEL = re.compile(r"\b(?:another )?open question:\s*", re.IGNORECASE)
_DEFER = re.compile(
    r"\b(?:let's not decide|not decide that|decide (?:that )?later|we'll look at|look into it|get back to|"
    r"follow up|take (?:it|this) offline|don't know yet|not sure yet|park (?:it|that)|revisit)\b", re.IGNORECASE)
_REQUIREMENT = re.compile(
    r"\b(?:must|shall|has to|have to|needs? to|needs? an?|never|ever|at p\d{2,3}|"
    r"within (?:\d+|one|two|three|five|ten|a few) (?:ms|milliseconds?|seconds?|minutes?)|"
    r"(?:it|we|they|this|the app) should)\b", re.IGNORECASE)
_LEAD = re.compile(r"^(?:okay|ok|so|good|and|first|second|also|plus|yes|right)[,.:]?\s+", re.IGNORECASE)
_LABEL = re.compile(r"^(?:[\w-]+(?:\s[\w-]+)?(?:-wise)?)\s*(?:too)?:\s+", re.IGNORECASE)


# ------------------------------------------------------------------------------------------- collect


def meeting_turns(workspace: str, goal: str = "") -> list[Signal]:
    """The turns of the meeting a goal is about (most shared words; the latest meeting on a tie), in order."""
    meetings: dict[tuple[str, str], list[Signal]] = defaultdict(list)
    for signal, _ in memory_api.workspace(workspace).iter_signals(kind=SignalKind.MEETING.value):
        meetings[(signal.source, signal.external_id)].append(signal)
    if not meetings:
        return []
    goal_tokens = tokens(goal)

    def rank(key: tuple[str, str]) -> tuple[int, str]:
        turns = meetings[key]
        words = tokens(" ".join([key[0], key[1], *(t.text for t in turns)]))
        return len(goal_tokens & words), max(t.created_at for t in turns).isoformat()

    chosen = max(meetings, key=rank)
    return sorted(meetings[chosen], key=lambda s: s.chunk)


def collect(m: Materials) -> dict[str, dict[str, Any]]:
    """Evidence rows for every turn of the meeting (whole turn as the quote, in transcript order)."""
    rows: dict[str, dict[str, Any]] = {}
    for signal in meeting_turns(m.workspace, m.goal):
        row = evidence_row(signal, m.goal, score=1.0)
        row.update(quote=signal.text, speaker=signal.speaker, chunk=signal.chunk)
        rows[signal.id] = row
    return rows


# ------------------------------------------------------------------------------------------- extract


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _clean(sentence: str) -> str:
    """A sentence as an item: filler and labels ('Okay.', 'Requirements-wise,') removed, capitalised."""
    text = sentence.strip()
    for _ in range(3):
        text = _LEAD.sub("", _OPEN_LABEL.sub("", text)).strip()
    text = _LABEL.sub("", text).strip() if len(text.split(":")[0].split()) <= 2 else text
    return text[:1].upper() + text[1:] if text else sentence.strip()


def _first_name(name: str | None) -> str:
    return (name or "").split()[0] if name else ""


def _full_name(first: str, speakers: list[str]) -> str:
    return next((s for s in speakers if _first_name(s).lower() == first.lower()), first)


def _cite(row: dict[str, Any], quote: str) -> dict[str, Any]:
    return {"citations": [row["signal_id"]], "quotes": [{"signal_id": row["signal_id"], "quote": quote}]}


def extract(turns: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Decisions, action items, open questions and requirements of ordered turns (evidence rows)."""
    speakers = list(dict.fromkeys(str(t.get("speaker")) for t in turns if t.get("speaker")))
    decisions: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    requirements: list[dict[str, Any]] = []
    last_requirement_turn = -2
    answered: set[int] = set()
    for i, turn in enumerate(turns):
        text, speaker = turn["quote"], turn.get("speaker")
        following = turns[i + 1] if i + 1 < len(turns) else None
        sentences = _sentences(text)
        for j, sentence in enumerate(sentences):
            question = sentence.endswith("?")
            if _DECISION.search(sentence) and not question:
                rest = [s for s in sentences[j + 1:] if not s.endswith("?") and not _COMMIT.search(s)]
                quote = " ".join([sentence, *rest])
                quote = find_span(text, quote) or sentence
                decisions.append({"decision": _clean(quote), "speaker": speaker, **_cite(turn, quote)})
            if _COMMIT.search(sentence) and not question and i not in answered:
                actions.append({"owner": speaker, "item": _clean(sentence), **_cite(turn, sentence)})
            elif _TEAM_COMMIT.search(sentence) and not question and not _DECISION.search(sentence):
                actions.append({"owner": None, "item": _clean(sentence), **_cite(turn, sentence)})
            owned = _OWN.search(sentence)
            if owned:
                owner = _full_name(owned.group(1), speakers)
                previous = turns[i - 1] if i else None
                task = _sentences(previous["quote"])[0] if previous else sentence
                item = {"owner": owner, "item": _clean(task), **_cite(turn, sentence)}
                if previous:
                    item["citations"].insert(0, previous["signal_id"])
                    item["quotes"].insert(0, {"signal_id": previous["signal_id"], "quote": task})
                actions.append(item)
            if question:
                ask = _ASK.match(sentence) or _ASK_ABOUT.match(sentence)
                accepted = following is not None and (_YES.match(following["quote"])
                                                      or _COMMIT.search(following["quote"]))
                if ask and following is not None and accepted:
                    owner = _full_name(ask.group(1), speakers)
                    item = {"owner": owner, "item": _clean(ask.group(2)), **_cite(turn, sentence)}
                    promise = next((s for s in _sentences(following["quote"]) if _COMMIT.search(s)), None)
                    if promise:
                        item["item"] += f" (“{promise}”)"
                        item["citations"].append(following["signal_id"])
                        item["quotes"].append({"signal_id": following["signal_id"], "quote": promise})
                        answered.add(i + 1)
                    actions.append(item)
                elif _OPEN_LABEL.search(sentence) or (following is not None and _DEFER.search(following["quote"])):
                    entry = {"question": _clean(sentence), "asked_by": speaker, **_cite(turn, sentence)}
                    if following is not None and _DEFER.search(following["quote"]):
                        deferral = _sentences(following["quote"])
                        reply = next((s for s in deferral if _DEFER.search(s)), deferral[0])
                        entry["citations"].append(following["signal_id"])
                        entry["quotes"].append({"signal_id": following["signal_id"], "quote": reply})
                    questions.append(entry)
                continue
            continues = i == last_requirement_turn + 1 and j == 0 and sentence.lower().startswith("and ")
            if (_REQUIREMENT.search(sentence) or continues) and not _COMMIT.search(sentence):
                kind, code = classify_requirement(sentence)
                requirements.append({
                    "requirement": _clean(sentence), "type": kind,
                    "category": NFR_CATEGORIES.get(code, "functional"), "speaker": speaker,
                    **_cite(turn, sentence),
                })
                last_requirement_turn = i
    return {"decisions": decisions, "action_items": actions, "open_questions": questions,
            "requirements": requirements}


# ------------------------------------------------------------------------------------------- draft


def _turns(m: Materials) -> list[dict[str, Any]]:
    rows = [r for r in m.evidence.values() if r.get("kind") == SignalKind.MEETING.value and "chunk" in r]
    return sorted(rows, key=lambda r: (r.get("source") or "", int(r["chunk"])))


def _title(m: Materials, turns: list[dict[str, Any]]) -> str:
    when = str(turns[0].get("created_at") or "")[:10] if turns else ""
    source = str(turns[0].get("source") or "") if turns else ""
    return f"Meeting notes: {source} {when}".strip()[:120] if turns else f"Meeting notes: {m.focus}"[:120]


def notes_document(m: Materials, found: dict[str, list[dict[str, Any]]], turns: list[dict[str, Any]]
                   ) -> dict[str, Any]:
    """The artifact (contract shape plus ``requirements``) from extracted items."""
    doc = MeetingNotes(title=_title(m, turns), mode=m.mode).model_dump(mode="json")  # type: ignore[arg-type]
    doc.update(found)
    if not turns:
        doc["open_questions"] = [{"question": "No meeting transcript in this workspace: ingest one with "
                                              "`pmpilot ingest FILE --kind meeting`.", "citations": []}]
    cited = [sid for key in found for item in found[key] for sid in item.get("citations") or []]
    doc["evidence"] = m.evidence_for(cited)
    quoted = {q["signal_id"]: q["quote"] for key in found for item in found[key] for q in item.get("quotes") or []}
    for entry in doc["evidence"]:
        entry["quote"] = quoted.get(entry["signal_id"], entry["quote"])
    return doc


def draft_meeting_notes(m: Materials) -> dict[str, Any]:
    """Offline meeting notes from the collected transcript turns."""
    turns = _turns(m)
    return notes_document(m, extract(turns), turns)


# ------------------------------------------------------------------------------------------- LLM


class QuotedPoint(BaseModel):
    """One point of the meeting with the exact words that support it."""

    text: str = Field(description="The point in one sentence.")
    signal_id: str = Field(description="Id of the transcript turn (from the evidence list) it comes from.")
    quote: str = Field(description="Words copied exactly from that turn.")


class ActionItemDraft(QuotedPoint):
    """A task someone committed to or was asked to do and accepted."""

    owner: str | None = Field(default=None, description="Who owns it, only when the transcript says so.")


class RequirementPoint(QuotedPoint):
    """A product requirement stated in the meeting."""


class MeetingNotesDraft(BaseModel):
    """Notes of the meeting transcript given as evidence (signals of kind meeting, one per turn).

    Only include what was actually said: decisions that were made, action items (with the owner when
    the transcript names one), questions left open, and product requirements mentioned. Every point
    cites the turn it comes from and quotes it verbatim.
    """

    decisions: list[QuotedPoint]
    action_items: list[ActionItemDraft]
    open_questions: list[QuotedPoint]
    requirements: list[RequirementPoint]


def complete_meeting_notes(draft: BaseModel, m: Materials) -> dict[str, Any]:
    """Meeting notes from a model draft: quotes verified verbatim, owners checked, requirement types computed.

    A point whose quote is not a verbatim span of the cited turn is dropped: nothing unsupported survives.
    """
    assert isinstance(draft, MeetingNotesDraft)
    turns = _turns(m)
    by_id = {t["signal_id"]: t for t in turns}
    speakers = [str(t.get("speaker")) for t in turns if t.get("speaker")]

    def verified(point: QuotedPoint) -> dict[str, Any] | None:
        row = by_id.get(point.signal_id)
        span = find_span(row["quote"], point.quote) if row else None
        return _cite(row, span) if row and span else None

    found: dict[str, list[dict[str, Any]]] = {"decisions": [], "action_items": [], "open_questions": [],
                                              "requirements": []}
    for point in draft.decisions:
        cite = verified(point)
        if cite:
            found["decisions"].append({"decision": point.text, "speaker": by_id[point.signal_id].get("speaker"),
                                       **cite})
    for action in draft.action_items:
        cite = verified(action)
        if not cite:
            continue
        owner = action.owner.strip() if action.owner else None
        if owner and not any(_first_name(owner).lower() == _first_name(s).lower() for s in speakers):
            owner = None
        if owner is None and _COMMIT.search(action.quote):
            owner = by_id[action.signal_id].get("speaker")
        found["action_items"].append({"owner": _full_name(_first_name(owner), speakers) if owner else None,
                                      "item": action.text, **cite})
    for point in draft.open_questions:
        cite = verified(point)
        if cite:
            found["open_questions"].append({"question": point.text, **cite})
    for point in draft.requirements:
        cite = verified(point)
        if cite:
            kind, code = classify_requirement(point.text)
            found["requirements"].append({"requirement": point.text, "type": kind,
                                          "category": NFR_CATEGORIES.get(code, "functional"), **cite})
    return notes_document(m, found, turns)


register(Deliverable(KIND, MeetingNotes, KEYWORDS, draft_meeting_notes, MeetingNotesDraft, complete_meeting_notes,
                     collect=collect))
