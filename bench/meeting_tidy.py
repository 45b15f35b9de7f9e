"""Tidy spoken requirements vs tidy meeting talk: a held-out check of the statement classifier off the dev meeting.

The classifier of :mod:`tools.statements` is fitted on one rambling elicitation meeting
(``meetings/elicitation-dev.tsv``). Transcripts of other projects have tidier speakers, who state a need plainly
("When a slot frees up, the first patient on the waiting list should get an offer."). This set judges that, on
text that is not from the dev meeting:

- **requirements**: PROMISE NFR rows and user stories of the backlogs in ``../shared/data`` said aloud by one
  general transform (:func:`said_requirement`, :func:`said_story`): "The system shall …" -> "it should …" /
  "we need it to …", "As a X, I want to Y" -> "X want to be able to Y" / "the X should be able to Y", a light
  opener ("So", "Okay, and") on some lines; no data set's wording is matched;
- **conversation**: meeting talk written for this module (:data:`TALK`: greetings, scheduling, agreement,
  questions, status chit-chat, the speakers' own to-dos), none of it a product requirement;
- **mixed** (:data:`MIXED`, held out): 40 spoken lines of every kind, labelled, judged alone and as meeting notes.

Splits: PROMISE odd project ids, story backlogs at even positions of the sorted list and even-indexed talk lines
are the **tuning** half (features and any augmentation are chosen on it); PROMISE even ids, the other backlogs and
the odd-indexed talk lines are **held out** (reported only). Each line is classified on its own (no neighbours),
and, as a transcript, in a fixed interleaved order of the split's lines.

``python -m bench.meeting_tidy`` prints recall, the share of talk called a requirement, and precision, per split.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Meeting talk that states no product requirement (written for this module; not from any data set).
TALK: tuple[str, ...] = (
    "Good morning everyone, thanks for joining.",
    "Hi, can everyone hear me okay?",
    "Let's wait another minute for Priya to join.",
    "Okay, I think we're all here, so let's get started.",
    "Could you share your screen, please?",
    "Sorry, I was on mute.",
    "Can you see the slides now?",
    "Let me just pull up the document.",
    "I'll send the slides around after the call.",
    "We have about thirty minutes today.",
    "Should we do the status round first?",
    "We should probably wrap up in five minutes.",
    "I have to jump to another call at ten.",
    "Can we move Thursday's meeting to Friday morning?",
    "Friday works for me.",
    "I'm out next week, so Tom will cover for me.",
    "Let's schedule a follow-up for next Tuesday.",
    "I'll put it in the calendar.",
    "Does two o'clock work for everyone?",
    "I need to leave a bit early today.",
    "Yes, that sounds good to me.",
    "Agreed.",
    "I completely agree with Sam on that.",
    "That makes a lot of sense.",
    "Fair enough, let's go with that.",
    "Okay, perfect, thanks.",
    "Good point, I hadn't thought of that.",
    "Right, exactly.",
    "Sure, no problem.",
    "I don't have a strong opinion either way.",
    "What do you think, Maria?",
    "How did the demo go last week?",
    "Did anyone get feedback from the client yet?",
    "Who is taking notes today?",
    "Sorry, could you repeat the last part?",
    "What was the deadline again?",
    "Is that on the shared drive?",
    "Any other questions before we move on?",
    "Where did we end up with the budget?",
    "Can I ask a quick question about the timeline?",
    "The design review went well yesterday.",
    "We finished the migration on Monday.",
    "I'm still waiting on legal to get back to me.",
    "The vendor sent the revised quote this morning.",
    "Most of the team was off sick last week.",
    "We're a bit behind on the testing, but nothing serious.",
    "The contract was signed on Friday.",
    "I spoke to the client's finance team yesterday.",
    "The last sprint was mostly bug fixes.",
    "We hired two new developers this month.",
    "I'll follow up with the vendor after this.",
    "Can you send me the link to that spreadsheet?",
    "I'll write up the notes and share them tonight.",
    "Let's take that offline.",
    "We can come back to that later.",
    "I'll check with my manager and get back to you.",
    "Someone needs to book the big room for the workshop.",
    "We should ask Jane, she knows the old process.",
    "I have to double-check the numbers first.",
    "Let's park that for now.",
    "How was your holiday?",
    "The weather has been awful this week.",
    "Did you watch the match last night?",
    "Sorry I'm late, the train was delayed.",
    "My internet is a bit unstable today.",
    "Is it raining over there too?",
    "Congratulations on the new baby!",
    "I'm getting a coffee, one second.",
    "Okay, I think that covers everything.",
    "Thanks everyone, talk to you next week.",
    "Great, that's all from my side.",
    "Have a good weekend, everyone.",
    "That's a good question, I'll have to look into it.",
    "I think the previous team tried something similar.",
    "We talked about this last time, I believe.",
    "To be honest, I'm not sure how it works today.",
    "The old system was built about ten years ago.",
    "That was before my time, to be fair.",
    "I guess that's one way to look at it.",
    "Let me think about it and come back to you.",
)

#: Spoken lines of mixed kinds, labelled 1 when they state a need: needs (some worded with "done", "shipped",
#: "finished"), progress reports, scheduling, courtesies, meta-talk, questions, anecdotes. Written for this module on
#: 2026-12-04 before the report rules of tools.meeting_points (progress_report, scheduling, …) and HELD OUT: never
#: tune a rule to them; ``python -m bench.meeting_tidy`` reports them under ``mixed``.
MIXED: tuple[tuple[int, str], ...] = (
    (1, "Managers should be able to approve leave requests from their phone."),
    (0, "The billing page is about half done."),
    (0, "Let's meet again on Thursday at three."),
    (1, "Every invoice must show the tax number of the seller."),
    (0, "We shipped the new importer on Tuesday."),
    (1, "We need a way to undo a deleted comment."),
    (0, "Thanks for making time, everyone."),
    (1, "When a payment fails, the customer has to get an email within a minute."),
    (0, "Search indexing is finished, only the filters are left."),
    (0, "How many people still use the old dashboard?"),
    (1, "The report should load in under three seconds."),
    (0, "The API migration is ninety percent complete."),
    (1, "Once an order has shipped, the buyer must see a tracking link."),
    (0, "Can we push the review to next week?"),
    (0, "We've already built the CSV export."),
    (1, "The import has to be finished within five minutes for a file of ten thousand rows."),
    (0, "Last year a customer lost a whole day of work because the editor crashed."),
    (1, "Admins want to export the audit log as a spreadsheet."),
    (0, "Notifications went live last week."),
    (0, "Let's go through the agenda first."),
    (1, "Only the owner of a project can delete it."),
    (0, "The login redesign is in QA right now."),
    (1, "It should remember the last filter a user picked."),
    (0, "The release is planned for the twelfth of March."),
    (1, "Users need to reset their password without calling support."),
    (0, "We're almost done with the calendar sync."),
    (0, "Hope you all had a nice weekend."),
    (1, "The app has to work offline for at least a day."),
    (0, "Has anyone tried the beta yet?"),
    (1, "Teachers should see which students haven't submitted yet."),
    (0, "Most of the payment work is merged, the refunds part is still open."),
    (1, "We finished the sign-up flow, but people still need a way to skip the tutorial."),
    (0, "I'm booked all afternoon, so mornings are better for me."),
    (1, "Completed tasks should move to the bottom of the list."),
    (0, "My brother uses a similar app and he loves it."),
    (0, "I'll keep this short since we're running over."),
    (1, "Each upload must be scanned for viruses before anyone can open it."),
    (0, "Why did the upload fail for that client?"),
    (1, "The dashboard needs to mark which jobs are done and which are still running."),
    (0, "Great to see you all again."),
)

_OPEN = ("", "So, ", "", "Okay, and ", "", "And ", "Also, ", "")
_SYSTEM = re.compile(r"^(?:the |a |an |all |each |every )?(?:system|product|application|software|website|program|"
                     r"tool|app)\s+(?:shall|will|must|should)\s+", re.IGNORECASE)
_SAID_SYSTEM = ("it should ", "we need it to ", "it has to ", "the system should ", "it should ", "it needs to ")
_STORY = re.compile(r"^as an? ([^,]{1,60}?),? i (?:want|would like|need|wish)\s+(?:to be able\s+)?(.*)$",
                    re.IGNORECASE)
_FIRST_PERSON = ((r"\bmy\b", "their"), (r"\bme\b", "them"), (r"\bI am\b", "they are"), (r"\bI'm\b", "they're"),
                 (r"\bI\b", "they"), (r"\bmyself\b", "themselves"), (r"\bmine\b", "theirs"))


def _say(text: str, i: int) -> str:
    opener = _OPEN[i % len(_OPEN)]
    lower = opener and not text[1:2].isupper()  # "uI designers" is wrong, "UI designers" stays
    said = opener + (text[:1].lower() + text[1:] if lower else text[:1].upper() + text[1:])
    return said.rstrip(" .") + "."


def said_requirement(text: str, i: int) -> str:
    """A written requirement said by a tidy speaker: "The system shall X" -> "It should X" (deterministic in i)."""
    said = re.sub(r"\s+", " ", text.strip(" '\"").replace("\\%", "%")).strip()
    found = _SYSTEM.match(said)
    if found:
        said = _SAID_SYSTEM[i % len(_SAID_SYSTEM)] + said[found.end():]
    said = re.sub(r"\bshall\b", "should", said)
    return _say(said, i)


def said_story(text: str, i: int) -> str | None:
    """A user story said by a tidy speaker: "As a X, I want to Y" -> "X want to be able to Y"; None if no story."""
    found = _STORY.match(text.strip().rstrip("."))
    if not found:
        return None
    role, want = found.group(1).strip(), found.group(2).strip()
    for pattern, repl in _FIRST_PERSON:
        want = re.sub(pattern, repl, want)
    if i % 2:  # drop the benefit on every other line
        want = re.split(r",?\s+so that\b", want, maxsplit=1)[0]
    role = re.sub(r"^(?:the|a|an)\s+", "", role, flags=re.IGNORECASE)
    bare = re.sub(r"^to\s+", "", want)
    verb_first = bool(re.match(r"^to\s", want)) or want.startswith("be ")
    form = i % 3
    if form == 0:
        said = f"{role}s want to be able to {bare}" if verb_first else f"{role}s want {want}"
    elif form == 1:
        said = f"the {role} should be able to {bare}" if verb_first else f"the {role} needs {want}"
    else:
        said = f"a {role} wants to {bare}" if verb_first else f"a {role} wants {want}"
    return _say(said, i)


def requirement_lines(split: str) -> list[tuple[str, str]]:
    """(source, line) of the split's requirements said aloud: PROMISE rows, then every 8th story of each backlog.

    ``split``: ``tuning`` (PROMISE odd project ids, backlogs at even positions) or ``heldout`` (the others).
    """
    import csv

    from bench.meetings import PROMISE, STORIES

    tuning = split == "tuning"
    out: list[tuple[str, str]] = []
    with PROMISE.open(newline="", encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if (int(row["ProjectID"]) % 2 == 1) == tuning:
                out.append(("promise", said_requirement(row["RequirementText"], i)))
    for k, path in enumerate(sorted(STORIES.glob("*.txt"))):
        if (k % 2 == 0) == tuning:
            lines = [ln.strip() for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]
            out += [("stories", s) for j, ln in enumerate(lines[::8]) if (s := said_story(ln, j + k))]
    return out


def talk_lines(split: str) -> list[str]:
    """The split's meeting talk: even-indexed lines for tuning, odd ones held out."""
    return list(TALK[0 if split == "tuning" else 1::2])


def _interleave(requirements: Sequence[str], talk: Sequence[str]) -> tuple[list[str], list[int]]:
    """One transcript: runs of 1-3 talk lines between runs of 1-4 requirements (fixed order)."""
    lines: list[str] = []
    gold: list[int] = []
    r = t = k = 0
    while r < len(requirements) or t < len(talk):
        for _ in range(1 + k % 4):
            if r < len(requirements):
                lines.append(requirements[r])
                gold.append(1)
                r += 1
        for _ in range(1 + k % 3):
            if t < len(talk):
                lines.append(talk[t])
                gold.append(0)
                t += 1
        k += 1
    return lines, gold


def tuning_transcript() -> tuple[list[str], list[int]]:
    """The tuning half as one transcript (lines, 1 for a requirement): the examples a refit may learn from."""
    return _interleave([t for _, t in requirement_lines("tuning")], talk_lines("tuning"))


def _figures(called: np.ndarray, gold: np.ndarray) -> dict[str, Any]:
    tp = int(np.sum(called & (gold == 1)))
    fp = int(np.sum(called & (gold == 0)))
    positives, negatives = int(gold.sum()), int(len(gold) - gold.sum())
    recall = tp / max(1, positives)
    talk_called = fp / max(1, negatives)
    return {"recall": round(recall, 3), "talk_called": round(talk_called, 3),
            "precision": round(tp / max(1, tp + fp), 3),
            # precision as if requirements and talk were equally many (the share of each does not move it)
            "precision_balanced": round(recall / max(1e-9, recall + talk_called), 3),
            "requirements": positives, "talk": negatives}


def evaluate(split: str) -> dict[str, Any]:
    """Recall on the split's spoken requirements and talk called a requirement: each line alone, and in order."""
    from bench.meetings import _vectors
    from tools.meeting_points import meeting_chatter
    from tools.statements import classify_statements, strip_fillers

    sourced, talk = requirement_lines(split), talk_lines(split)
    requirements = [t for _, t in sourced]
    texts = requirements + talk
    vectors = _vectors([strip_fillers(t) for t in texts])
    gold = np.array([1] * len(requirements) + [0] * len(talk))
    alone = np.array([classify_statements([t], vectors=vectors[i: i + 1])[0].is_requirement
                      and not meeting_chatter(t) for i, t in enumerate(texts)])
    out: dict[str, Any] = {"alone": _figures(alone, gold)}
    for name in ("promise", "stories"):
        rows = [i for i, (source, _) in enumerate(sourced) if source == name]
        out[f"alone_{name}_recall"] = round(float(alone[rows].mean()), 3)
    order, gold_order = _interleave(requirements, talk)
    index = {t: i for i, t in enumerate(texts)}
    ordered_vectors = vectors[[index[t] for t in order]]
    in_order = np.array([s.is_requirement and not meeting_chatter(s.text)
                         for s in classify_statements(order, vectors=ordered_vectors)])
    out["in_order"] = _figures(in_order, np.array(gold_order))
    return out


def evaluate_mixed() -> dict[str, Any]:
    """Precision and recall of "is a requirement" on :data:`MIXED`: each line alone, and as one meeting's notes.

    As notes, the lines are turns of four speakers in order and a line counts as a requirement when a requirement
    item of :func:`tools.meeting_points.extract` quotes it.
    """
    from bench.meetings import _vectors
    from tools.meeting_points import extract, meeting_chatter
    from tools.statements import classify_statements, strip_fillers

    gold = np.array([g for g, _ in MIXED])
    texts = [t for _, t in MIXED]
    vectors = _vectors([strip_fillers(t) for t in texts])
    alone = np.array([classify_statements([t], vectors=vectors[i: i + 1])[0].is_requirement
                      and not meeting_chatter(t) for i, t in enumerate(texts)])
    speakers = ("Ana Reyes", "Ben Okafor", "Chloe Wu", "Dev Patel")
    turns = [{"signal_id": f"m{i}", "quote": t, "speaker": speakers[i % 4]} for i, t in enumerate(texts)]
    quoted = {q["quote"] for item in extract(turns)["requirements"] for q in item["quotes"]}
    notes = np.array([t in quoted for t in texts])
    return {"alone": _figures(alone, gold), "notes": _figures(notes, gold)}


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.meeting_tidy``: figures of both splits as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.meeting_tidy", description=__doc__.splitlines()[0])
    parser.add_argument("--show", choices=("tuning", "heldout"), help="also print the split's misses and false calls")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(json.dumps({**{split: evaluate(split) for split in ("tuning", "heldout")}, "mixed": evaluate_mixed()},
                     indent=1))
    if args.show:
        from tools.statements import classify_statements

        for _, text in requirement_lines(args.show):
            (s,) = classify_statements([text])
            if not s.is_requirement:
                print(f"MISS {s.score:+.2f} {text}")
        for text in talk_lines(args.show):
            (s,) = classify_statements([text])
            if s.is_requirement:
                print(f"TALK {s.score:+.2f} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
