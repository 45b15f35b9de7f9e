"""Meeting notes deliverable: requirements, decisions, action items (with owners) and open questions.

Input: a transcript ingested with ``--kind meeting`` (one signal per speaker turn, or per row of a
table of statements). :func:`collect` puts the turns of the meeting the goal is about (the latest
one when the goal names none) into the run's evidence, so every item can cite a turn and quote it
verbatim.

Offline extraction (:mod:`tools.meeting_points`) works sentence by sentence, in spoken order:

- **requirements**: :func:`tools.statements.classify_statements` tells functional (F) and quality
  (A, with its kind) statements from conversation. Statements about one subject (meaning, shared
  words, said close together; one actor, one kind: :func:`tools.meeting_points.requirements_of`)
  are one item citing and quoting each; a lone remark that states no need joins the item it is closest
  to as context. Its headline is the clause of its key statement that states the need, in the speaker's
  words ("We need to have underlying users." from "We already have that, but two, we need to have
  underlying users."), else that statement with fillers dropped (quotes stay verbatim); "raised N times"
  counts the distinct moments of the meeting it came up (statements a few sentences apart are one
  moment). Items are grouped by topic (the thing most of them talk about — a noun or noun pair of their
  headlines and quotes, named as said; items sharing none are "Other") and each carries a draft user story
  citing the same quotes;
- **decisions**: statements with an agreement marker ("we decided", "we agreed", "let's go with
  the …", "here's where I land"), quoted with the marker, or a bare "Agreed." / "Deal." answering a
  proposal (both quoted);
- **action items**: first-person commitments to a follow-up verb ("I'll share …", "I will send …"),
  owned by the speaker; requests ("Claire, will you …?", "can you …?") answered yes, owned by the
  person named or the one who said yes. Without speaker names the owner is ``[owner?]``;
- **progress reported**: what the speakers say is done, in progress or left, and effort estimates ("Dark mode is
  about eighty percent done. What's left is …"; :func:`tools.meeting_points.progress_of`), each quoted; never a
  requirement. Kept in the JSON once :class:`kernel.artifacts.MeetingNotes` declares ``progress``;
- **open questions**: questions labelled open ("Open question: …"), or answered with a deferral or
  an "I'm not sure", or not answered (no reply about the question); in question form only (no
  statement ending in "?", no small talk), an elliptical one with the statement before it as context.
  A question a decision settles is in Decisions only.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from agents.deliverables.base import Deliverable, Materials, register
from kernel.artifacts import MeetingNotes
from kernel.schemas import EvidenceRow, Signal, SignalKind, as_evidence_row
from memory import api as memory_api
from tools.citations import find_span
from tools.meeting_points import (
    OWNER_UNKNOWN,
    SELF,
    cite_turn,
    draft_story,
    extract,
    first_name,
    full_name,
    sentences,
    with_speaker,
)
from tools.render import Layout, cite, inline, one_line, quote_lines, record_lines, records, section, story_sentence
from tools.research import evidence_row
from tools.scoring import tokens
from tools.statements import quality_kind, salience_table

KIND = "meeting_notes"
KEYWORDS = (" meeting", "minutes", "action items", "follow-up", "follow up", "recap", "transcript")
#: Words of a goal that ask for notes rather than name the meeting's subject (trimmed from both ends).
_GOAL_WORDS = frozenset("""notes note minutes recap summary summarise summarize summarised summarized write draft take
make give me us from of for on about in at the a an our my your this that these last latest today's yesterday's
please meeting's transcript action items decisions requirements open questions and with up""".split())
_MEETING_WORDS = frozenset("meeting meetings call calls session sync-up".split())
_FILE_NAME = re.compile(r"\w\.\w{2,4}$|[/\\_]")


# ------------------------------------------------------------------------------------------- collect


def meeting_turns(workspace: str, goal: str = "") -> list[Signal]:
    """The turns of the meeting a goal is about (most shared words; the latest meeting on a tie), in order."""
    meetings: dict[tuple[str, str], list[Signal]] = defaultdict(list)
    for signal, _ in memory_api.workspace(workspace).iter_signals(kind=SignalKind.MEETING.value):
        meetings[(signal.source, signal.external_id)].append(signal)
    if not meetings:
        return []
    goal_tokens = tokens(goal)

    def rank(key: tuple[str, str]) -> tuple[int, str, int]:
        turns = meetings[key]
        words = tokens(" ".join([key[0], key[1], *(t.text for t in turns)]))
        return len(goal_tokens & words), max(t.created_at for t in turns).isoformat(), len(turns)

    chosen = max(meetings, key=rank)
    return sorted(meetings[chosen], key=lambda s: s.chunk)


def collect(m: Materials) -> dict[str, EvidenceRow]:
    """Evidence rows for every turn of the meeting (whole turn as the quote, in transcript order)."""
    rows: dict[str, EvidenceRow] = {}
    for signal in meeting_turns(m.workspace, m.goal):
        row = as_evidence_row(evidence_row(signal, m.goal, score=1.0))
        row["quote"], row["speaker"], row["chunk"] = signal.text, signal.speaker, signal.chunk
        rows[signal.id] = row
    return rows


# ------------------------------------------------------------------------------------------- draft


def _turns(m: Materials) -> list[dict[str, Any]]:
    rows = [r for r in m.evidence.values() if r.get("kind") == SignalKind.MEETING.value and "chunk" in r]
    # copies, as the plain rows tools.meeting_points reads
    return [dict(r) for r in sorted(rows, key=lambda r: (r.get("source") or "", int(r["chunk"])))]


def _subject(goal: str) -> str:
    """The meeting's subject named in a goal ("Notes from the sync meeting" -> "sync meeting"), or ""."""
    words = [w.strip(".,;:!?\"()[]") for w in goal.split()]
    words = [w for w in words if w and not _FILE_NAME.search(w)]
    while words and words[0].lower() in _GOAL_WORDS | _MEETING_WORDS:
        words.pop(0)
    while words and words[-1].lower() in _GOAL_WORDS:
        words.pop()
    subject = " ".join(words)
    if not any(w.lower() not in _MEETING_WORDS for w in words):
        return ""
    return subject


def _dominant_topic(found: dict[str, list[dict[str, Any]]], turns: list[dict[str, Any]]) -> str:
    """The topic most requirement items share, else the transcript's most recurring content word."""
    topics = Counter(str(r.get("topic")) for r in found.get("requirements") or []
                     if r.get("topic") not in (None, "Other"))
    if topics:
        return sorted(topics, key=lambda t: (-topics[t], t))[0]
    counts = salience_table([s for t in turns for s in sentences(str(t.get("quote") or ""))])
    best = sorted((w for w in counts if counts[w] >= 2), key=lambda w: (-counts[w], w))
    return best[0].capitalize() if best else ""


#: What the title says when the transcript records no date.
NO_DATE = "date not recorded"


def meeting_date(turns: list[dict[str, Any]]) -> str | None:
    """The day the transcript records (``YYYY-MM-DD``), or None when it records none.

    A transcript without a date gets its file's clock at ingest, which carries a fraction of a second; a date the
    transcript states (a date column, a header, a cue offset from it) has none on at least one of its turns.
    """
    stamps = []
    for turn in turns:
        try:
            stamps.append(datetime.fromisoformat(str(turn.get("created_at") or "")))
        except ValueError:
            continue
    recorded = [t for t in stamps if t.microsecond == 0]
    return recorded[0].date().isoformat() if recorded else None


def _title(m: Materials, turns: list[dict[str, Any]], found: dict[str, list[dict[str, Any]]] | None = None) -> str:
    """"Meeting notes: <subject> — <date>": the subject the goal names, else the dominant topic; never a file name.

    The date is the one the transcript records, else "date not recorded" (never the day it was ingested).
    """
    if not turns:
        return f"Meeting notes: {m.focus}"[:120]
    when = meeting_date(turns) or NO_DATE
    subject = _subject(m.goal) or _subject(m.focus) or _dominant_topic(found or {}, turns)
    subject = subject[:1].upper() + subject[1:]
    return " — ".join(p for p in (f"Meeting notes: {subject}" if subject else "Meeting notes", when) if p)[:120]


def notes_document(m: Materials, found: dict[str, list[dict[str, Any]]], turns: list[dict[str, Any]]
                   ) -> dict[str, Any]:
    """The artifact (contract shape plus ``requirements``) from extracted items."""
    doc = MeetingNotes(title=_title(m, turns, found), mode=m.mode).model_dump(mode="json")
    # only what the schema declares ("progress" needs kernel.artifacts.MeetingNotes.progress)
    found = {key: items for key, items in found.items() if key in MeetingNotes.model_fields}
    doc.update(found)
    if not turns:
        doc["open_questions"] = [{"question": "No meeting transcript in this workspace: ingest one with "
                                              "`pmpilot ingest FILE --kind meeting`.", "citations": []}]
    cited = [sid for key in found for item in found[key] for sid in item.get("citations") or []]
    doc["evidence"] = m.evidence_for(cited)
    quoted: dict[str, str] = {}
    for key in found:
        for item in found[key]:
            for q in item.get("quotes") or []:
                quoted.setdefault(q["signal_id"], q["quote"])
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

    Only include what was actually said: decisions that were agreed (quote the words of agreement),
    action items someone committed to (with the owner when the transcript names one), questions
    raised and not settled, and product requirements stated (not chit-chat, not hedged musing).
    Every point cites the turn it comes from and quotes it verbatim.
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
        return cite_turn(row, span) if row and span else None

    found: dict[str, list[dict[str, Any]]] = {"decisions": [], "action_items": [], "open_questions": [],
                                              "requirements": []}
    for point in draft.decisions:
        cite = verified(point)
        if cite:
            found["decisions"].append(with_speaker({"decision": point.text, **cite}, "speaker",
                                                    by_id[point.signal_id].get("speaker")))
    for action in draft.action_items:
        cite = verified(action)
        if not cite:
            continue
        owner = action.owner.strip() if action.owner else None
        if owner and not any(first_name(owner).lower() == first_name(s).lower() for s in speakers):
            owner = None
        if owner is None and SELF.search(action.quote):
            owner = by_id[action.signal_id].get("speaker")
        found["action_items"].append({"owner": full_name(first_name(owner), speakers) if owner else OWNER_UNKNOWN,
                                      "item": action.text, **cite})
    for point in draft.open_questions:
        cite = verified(point)
        if cite:
            found["open_questions"].append({"question": point.text, **cite})
    for point in draft.requirements:
        cite = verified(point)
        if cite:
            kind = quality_kind(point.text) or quality_kind(point.quote)
            item = {"requirement": point.text, "type": "non-functional" if kind else "functional",
                    "category": kind or "functional", **cite}
            withheld: list[str] = []
            story = draft_story(point.text, item["quotes"], withheld)
            if story:
                item["story"] = story
            elif withheld:
                item["story_withheld"] = withheld[0]
            found["requirements"].append(item)
    return notes_document(m, found, turns)




# ------------------------------------------------------------------------------------------- Markdown


_PLACED = ("decisions", "action_items", "open_questions", "answered_questions", "progress", "requirements")


def _render(doc: Mapping[str, Any]) -> list[str]:
    lines = section("Decisions", records(doc.get("decisions"), "decision"))
    actions = []
    for item in doc.get("action_items") or []:
        if isinstance(item, Mapping):
            owner = one_line(item.get("owner")) or "[owner?]"
            rest = {k: v for k, v in item.items() if k not in {"owner"}}
            first, *more = record_lines(rest, lead="item")
            actions += [f"- **{owner}**: {first[2:]}", *more]
        elif one_line(item):
            actions.append(f"- {one_line(item)}")
    lines += section("Action items", actions or ["- None captured: no one committed to a follow-up in this meeting."])
    lines += section("Open questions", records(doc.get("open_questions"), "question"))
    lines += section("Answered in the meeting", records(doc.get("answered_questions"), "question"))
    lines += section("Progress reported", records(doc.get("progress"), "report"))
    requirements = [r for r in doc.get("requirements") or [] if isinstance(r, Mapping)]
    if requirements:
        lines += ["", "## Requirements"]
        topics = list(dict.fromkeys(one_line(r.get("topic")) for r in requirements))
        # the items no topic holds come last
        topics.sort(key=lambda t: (not t or t == "Other"))
        for topic in topics:
            if len(topics) > 1 or topic:
                lines += ["", f"### {topic or 'Other'}"]
            lines.append("")
            for req in (r for r in requirements if one_line(r.get("topic")) == topic):
                kind = one_line(req.get("category")) if req.get("type") == "non-functional" else "functional"
                kind = kind or one_line(req.get("type"))
                said = f", {one_line(req['speaker'])}" if one_line(req.get("speaker")) else ""
                restated = (f", raised {req['raised']} times" if isinstance(req.get("raised"), int) else
                            f", stated {req['restated']} times" if isinstance(req.get("restated"), int) else "")
                lines.append(f"- {one_line(req.get('requirement')) or '(no text)'} _({kind}{said}{restated})_"
                             f"{cite(req.get('citations'))}")
                lines += quote_lines(req.get("quotes"), "  ", under=one_line(req.get("requirement")))
                story = req.get("story") if isinstance(req.get("story"), Mapping) else None
                if story and story_sentence(story):
                    lines.append(f"  - Draft story: {story_sentence(story)}{cite(story.get('citations'))}")
                elif one_line(req.get("story_withheld")):
                    lines.append(f"  - Draft story: [PM to decide] — {one_line(req.get('story_withheld'))}")
                rest = {k: v for k, v in req.items() if k not in {"requirement", "type", "category", "speaker", "topic",
                                                                  "citations", "quotes", "story", "restated",
                                                                  "raised", "story_withheld"}}
                if inline(rest):
                    lines.append(f"  - {inline(rest)}")
    return lines


register(Deliverable(KIND, MeetingNotes, KEYWORDS, draft_meeting_notes, MeetingNotesDraft, complete_meeting_notes,
                     collect=collect, layout=Layout(_render, frozenset(_PLACED))))
