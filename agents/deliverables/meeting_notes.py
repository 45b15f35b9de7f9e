"""Meeting notes deliverable: requirements, decisions, action items (with owners) and open questions.

Input: a transcript ingested with ``--kind meeting`` (one signal per speaker turn, or per row of a
table of statements). :func:`collect` puts the turns of the meeting the goal is about (the latest
one when the goal names none) into the run's evidence, so every item can cite a turn and quote it
verbatim.

Offline extraction works sentence by sentence, in spoken order:

- **requirements**: :func:`tools.statements.classify_statements` tells functional (F) and quality
  (A, with its kind) statements from conversation. A requirement stated several times is one item
  citing each statement (MiniLM cosine >= ``MERGE_SIMILARITY``); its summary line drops fillers
  (quotes stay verbatim); items are grouped by topic (clusters of their embeddings, named by their
  most shared word) and each carries a draft user story citing the same quotes;
- **decisions**: statements with an agreement marker ("we decided", "we agreed", "let's go with
  the …", "here's where I land"), quoted with the marker, or a bare "Agreed." / "Deal." answering a
  proposal (both quoted);
- **action items**: first-person commitments to a follow-up verb ("I'll share …", "I will send …"),
  owned by the speaker; requests ("Claire, will you …?", "can you …?") answered yes, owned by the
  person named or the one who said yes. Without speaker names the owner is ``[owner?]``;
- **open questions**: questions labelled open ("Open question: …"), or answered with a deferral or
  an "I'm not sure", or never answered.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from agents.deliverables.base import Deliverable, Materials, register
from kernel.artifacts import MeetingNotes
from kernel.schemas import Signal, SignalKind
from memory import api as memory_api
from tools.citations import find_span
from tools.render import Layout, cite, inline, one_line, quote_lines, record_lines, records, section, story_sentence
from tools.research import evidence_row
from tools.scoring import tokens
from tools.statements import (
    classify_statements,
    content_words,
    embed_statements,
    quality_kind,
    salience_table,
    strip_fillers,
)

KIND = "meeting_notes"
KEYWORDS = (" meeting", "minutes", "action items", "follow-up", "follow up", "recap", "transcript")
#: Owner of an action item when the transcript does not say who owns it.
OWNER_UNKNOWN = "[owner?]"
#: Cosine similarity from which two requirement statements are the same requirement restated.
MERGE_SIMILARITY = 0.75
#: Cosine distance under which requirement items share a topic (average linkage).
TOPIC_DISTANCE = 0.7

_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
_DECISION = re.compile(
    r"\b(?:(?:we|i)(?:'ve| have)? (?:all |just )?(?:decided|agreed)|(?:it|this|that) (?:was|is|has been) "
    r"(?:decided|agreed) (?:that|to|on)|here's where i land|let's go with (?:the |a |an |option )?\w|"
    r"we(?:'ll| will| are|'re) go(?:ing)? with (?:the |a |an |option )\w|the decision is|"
    r"final answer|that's settled|we settled on)\b", re.IGNORECASE)
_AGREEMENT = re.compile(r"^\s*(?:agreed|deal|decided|settled|sounds good,? let's do (?:it|that)|let's do (?:it|that))"
                        r"[.!]?\s*$", re.IGNORECASE)
_FOLLOW_UP = (r"(?:send|share|write(?: up)?|draft|prepare|set up|schedule|book|check|look (?:into|at)|follow up|"
              r"get back|find out|ask|talk to|reach out|email|call|update|review|create|fix|test|investigate|"
              r"circulate|put together|finish|have(?! to)|own|take|handle|organi[sz]e|document|summari[sz]e|sync|"
              r"compile|build|ship|deploy|post|upload|forward|file|open|run|join|confirm|clarify|contact|"
              r"coordinate|prototype|estimate|research|explore|add|pull|make sure)")
_ADVERBS = r"(?:(?:just|also|then|quickly|go ahead and|try to|make sure to|definitely|first|still)\s+)*"
_COMMIT = re.compile(rf"\b(?:i'll|i will|i'm going to|i am going to|i can|let me)\s+{_ADVERBS}{_FOLLOW_UP}\b",
                     re.IGNORECASE)
_SELF = re.compile(r"\b(?:i'll|i will|i'm going to|i am going to)\b", re.IGNORECASE)
_TEAM_COMMIT = re.compile(rf"\b(?:we'll|we will|we're going to)\s+{_ADVERBS}{_FOLLOW_UP}\b", re.IGNORECASE)
_IN_MEETING = re.compile(r"\blet me\b|\b(?:right now|quickly|here as a side note|this down)\b", re.IGNORECASE)
_OWN = re.compile(r"\b([A-Z][a-z]+),? you own (?:it|this|that)\b")
_ASK = re.compile(r"^\s*(?:(?:and|so)\s+)?([A-Z][a-z]+),\s+(?:can|could|will|would) you\s+(.+?)\?\s*$")
_ASK_ABOUT = re.compile(r"^\s*(?i:can|could|will) ([A-Z][a-z]+) (.+?)\?\s*$")
_ASK_ANYONE = re.compile(r"^\s*(?:(?:and|so|maybe)\s+)?(?:can|could|would) you (?:please )?(.+?)\?\s*$",
                         re.IGNORECASE)
_LOGISTICS = re.compile(r"\b(?:mute|unmute|hear (?:me|you|us)|mic|microphone|camera|audio|share (?:my|your) screen|"
                        r"screen ?shar\w+|recording|"
                        r"repeat that|say that again|speak up)\b", re.IGNORECASE)
_YES = re.compile(r"^\s*(?:yes|yeah|yep|sure|will do|on it|absolutely|of course|ok(?:ay)?|no problem|can do)\b",
                  re.IGNORECASE)
_OPEN_LABEL = re.compile(r"\b(?:another )?open question:\s*", re.IGNORECASE)
_DEFER = re.compile(
    r"\b(?:let's not decide|not decide that|decide (?:that )?later|we'll look at|look into it|get back to|"
    r"follow up|take (?:it|this) offline|don't know yet|not sure yet|park (?:it|that)|revisit|"
    r"(?:i'm|i am) not (?:really )?sure|i don't know|no idea|good question|we'll see|depends on|"
    r"have to think about|need to (?:check|think)|talk about (?:it|this|that) later|later on)\b", re.IGNORECASE)
_TAG_QUESTION = re.compile(r"(?:\bright|\bokay|\bno|you know|isn't it|don't you think|what do you think|"
                           r"you know what i mean|does that make sense)\s*\?\s*$", re.IGNORECASE)
_LEAD = re.compile(r"^(?:okay|ok|so|good|and|first|second|also|plus|yes|right)[,.:]?\s+", re.IGNORECASE)
_LABEL = re.compile(r"^(?:[\w-]+(?:\s[\w-]+)?(?:-wise)?)\s*(?:too)?:\s+", re.IGNORECASE)
_ACTOR = re.compile(r"\b(project manager|team leader|team lead|product manager|super admin|administrator|admin|"
                    r"manager|employee|customer|client|user|member|owner|visitor|student|teacher|patient|"
                    r"developer|designer|operator|reviewer|editor|author|buyer|seller|guest|host)s?\b",
                    re.IGNORECASE)
_WANT = re.compile(r"\b(?:should|must|shall|needs? to|has to|have to|wants? to|would like to|'d like to|"
                   r"can|could|will|is able to|are able to|needs?(?= (?:a|an|the|some)\b)|"
                   r"wants?(?= (?:a|an|the|some)\b))\s+(?:(?:also|only|just|always|really|simply)\s+)*"
                   r"(?:be able to\s+)?", re.IGNORECASE)
_PRONOUNS = frozenset({"i", "we", "you", "he", "she", "they", "it", "one", "someone", "everyone", "people"})
_SETTING = re.compile(r"^(?:(?:for|on|in|at|with|when|during|after|before)\b[^,]{1,40},\s*)+", re.IGNORECASE)
_NOT_NEED = re.compile(
    r"\b(?:depends? on|dependent on|blocked (?:by|on)|waiting (?:on|for)|relies on|"  # a dependency
    r"(?:is|are|was|were) (?:the )?(?:single |second |third )?(?:most|least|top|biggest|number one)\b|"  # a report
    r"most (?:requested|asked|common|popular)|to summari[sz]e|in summary|recap)\b|"
    r";[^;]*;|\bfirst;", re.IGNORECASE)  # a plan: a list of clauses
_WEAK_MODALS = frozenset({"can", "could", "will"})
_FIRST_PERSON = frozenset({"i", "we", "you", "let's"})
_FRAGMENT = re.compile(r"^(?:an?|some|one|another)\s+\w+(?:\s+\w+)?", re.IGNORECASE)
_FINITE = re.compile(r"\b(?:is|are|was|were|has|have|had|does|do|did)\b", re.IGNORECASE)
_IMPERATIVE = re.compile(r"^(?:please\s+)?((?:add|allow|let|give|support|enable|provide|display|show|export|"
                         r"include|notify|send|store|keep|save|remove|offer|track|log|flag|warn|alert)\s+\S)",
                         re.IGNORECASE)
_NEXT_CLAUSE = re.compile(r"\s*[;:]\s|[.!?]\s+(?=[A-Z])|(?:,\s*|\s+)(?:and|but|or|so|while|whereas)\s+(?:then\s+)?"
                          r"(?:it|they|this|that|we|you|he|she|(?:the|its|their|his|her)\s+\w+)\s+(?:also\s+)?"
                          r"(?:should|must|shall|will|can|could|would|needs?|has|have|is|are|was|were)\b|"
                          r"(?:,\s*|\s+)(?:and|but|while|whereas)\s+(?:\w+\s+){1,3}?(?:should|must|shall|"
                          r"ha(?:s|ve) to|needs? to)\b",  # a second obligation ("…, and receipts must be …")
                          re.IGNORECASE)
#: Words of a goal that ask for notes rather than name the meeting's subject (trimmed from both ends).
_GOAL_WORDS = frozenset("""notes note minutes recap summary summarise summarize summarised summarized write draft take
make give me us from of for on about in at the a an our my your this that these last latest today's yesterday's
please meeting's transcript action items decisions requirements open questions and with up""".split())
_MEETING_WORDS = frozenset("meeting meetings call calls session sync-up".split())
_FILE_NAME = re.compile(r"\w\.\w{2,4}$|[/\\_]")
#: A short task whose object is a bare pronoun ("frame it", "write that up", "look into this for us").
_BARE_OBJECT = re.compile(r"^(?:please\s+)?\w+(?:\s+(?:up|out|over|into|at|on))?\s+(?:it|this|that|them)"
                          r"(?:\s+(?:up|out|over|through|for us|today|tomorrow|please))?\s*$", re.IGNORECASE)
_LAST_CLAUSE = re.compile(r"[,;:]\s+(?:(?:and|but|or|so|because)\s+)?|\s+(?:and|but|because)\s+", re.IGNORECASE)
_HEDGE_TAIL = re.compile(r"(?:\s+(?:actually|really|also|just|still|definitely|probably|all|both|then|now|"
                         r"already|maybe|perhaps|certainly|obviously|basically|would|will|could|might|may))+$",
                         re.IGNORECASE)
_REST_HEDGE = re.compile(r"^(?:(?:maybe|perhaps|probably|actually|really|simply|just|somehow)\s+)+", re.IGNORECASE)
#: Last words of a subject that make the modal clause no need: existential / demonstrative, negated.
_NOT_SUBJECT = frozenset("there this that these those doesn't don't won't isn't aren't not never can't "
                         "wouldn't shouldn't".split())
_SUBORDINATORS = frozenset("if that as so because whether which when while although though what how".split())
_MUSING = re.compile(r"\b(?:i think|i guess|i mean|i wonder|not sure|i don't know|i believe|i feel)\b", re.IGNORECASE)
_TALK = re.compile(r"(?:discuss|talk|think|decide|check|clarify|ask|specify|figure out|look at|look into)\b",
                   re.IGNORECASE)
_BENEFIT = re.compile(r"\b(?:so that|in order to|so as to)\s+(.+?)[.!?]?$", re.IGNORECASE)


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


def collect(m: Materials) -> dict[str, dict[str, Any]]:
    """Evidence rows for every turn of the meeting (whole turn as the quote, in transcript order)."""
    rows: dict[str, dict[str, Any]] = {}
    for signal in meeting_turns(m.workspace, m.goal):
        row = evidence_row(signal, m.goal, score=1.0)
        row.update(quote=signal.text, speaker=signal.speaker, chunk=signal.chunk)
        rows[signal.id] = row
    return rows


# ------------------------------------------------------------------------------------------- helpers


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _clean(sentence: str) -> str:
    """A sentence as a summary line: labels ('Requirements-wise,'), lead words and fillers removed, capitalised."""
    text = sentence.strip()
    for _ in range(3):
        text = _LEAD.sub("", _OPEN_LABEL.sub("", text)).strip()
    text = _LABEL.sub("", text).strip() if len(text.split(":")[0].split()) <= 2 else text
    text = strip_fillers(text) if text else text
    return text[:1].upper() + text[1:] if text else sentence.strip()


def _first_name(name: str | None) -> str:
    return (name or "").split()[0] if name else ""


def _full_name(first: str, speakers: list[str]) -> str:
    return next((s for s in speakers if _first_name(s).lower() == first.lower()), first)


def _cite(row: dict[str, Any], quote: str) -> dict[str, Any]:
    return {"citations": [row["signal_id"]], "quotes": [{"signal_id": row["signal_id"], "quote": quote}]}


def _with_speaker(item: dict[str, Any], key: str, speaker: Any) -> dict[str, Any]:
    if speaker:
        item[key] = speaker
    return item


# ------------------------------------------------------------------------------------------- requirements


def _clause(text: str) -> str:
    """The first clause of a requirement's object: cut at ";", ":" or ", and <subject> <verb>" (a second clause)."""
    cut = _NEXT_CLAUSE.search(text)
    return text[: cut.start()].strip(" ,") if cut else text.strip(" ,")


def _i_want(body: str) -> str | None:
    """The "I want" part of a need (a "to …" verb phrase or a noun phrase), or None when the text states no need.

    A need is a "want / need / should / must / have to / able to" clause, an imperative with an object,
    or a noun phrase on its own ("An export of …"); a dependency, a report of facts, a plan or a
    first-person offer ("we can ship …") is none.
    """
    if _NOT_NEED.search(body):
        return None
    fragment = _FRAGMENT.match(body)
    if fragment and not _FINITE.search(body[: fragment.end()]):
        phrase = _clause(body)
        return phrase[:1].lower() + phrase[1:] if len(phrase.split()) >= 3 else None
    imperative = _IMPERATIVE.match(body)
    if imperative:
        phrase = _clause(body[imperative.start(1):])
        return f"to {phrase[:1].lower() + phrase[1:]}" if len(phrase.split()) >= 3 else None
    want = _WANT.search(body)
    if not want or not body[want.end():].strip():
        return None
    subject = _SETTING.sub("", _LAST_CLAUSE.split(body[: want.start()])[-1]).strip(" ,")
    subject = _HEDGE_TAIL.sub("", subject).strip(" ,")
    rest = _REST_HEDGE.sub("", _clause(body[want.end():])).strip(" ,")
    if re.match(r"^\w+,", rest):
        return None  # "will typically, some of them …": the modal does not govern what follows
    low = subject.lower().split()
    if low and (low[-1] in _NOT_SUBJECT or low[0] in _SUBORDINATORS or len(low) > 8 or _MUSING.search(subject)):
        return None  # "there will be …", "this will be …", "the user doesn't have to …", "I think …": no need
    if _TALK.match(rest):
        return None  # "we need to think about …": a call to discuss, not a need
    words = subject.split()
    last = words[-1].lower() if words else ""
    modal = want.group(0).split()[0].lower()
    if modal in _WEAK_MODALS and (not words or last in _FIRST_PERSON):
        return None  # "we can ship …", "I will …": an offer or a plan, not a need
    if len(words) > 1 and last in _PRONOUNS:
        return None  # the modal sits in a relative clause ("a record we can show …"): no need clause
    if not rest or len(rest.split()) < 2 and modal not in {"need", "needs", "want", "wants"}:
        return None
    plain = not words or last in _PRONOUNS or bool(_ACTOR.fullmatch(words[-1]))
    noun = modal in {"need", "needs", "want", "wants"} and not want.group(0).lower().rstrip().endswith("to")
    if plain:
        return rest if noun else f"to {rest}"
    return f"{subject[:1].lower() + subject[1:]} to {rest}"


def _story(summary: str, quotes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A draft user story for one requirement (a starting point for the PM), citing the requirement's quotes.

    None when the statement does not read as a need (see :func:`_i_want`): the requirement is then
    listed without a story rather than with a sentence pasted into "I want".
    """
    actor = _ACTOR.search(summary)
    as_a = actor.group(1).lower() if actor else "user"
    benefit = None
    i_want = None
    for text in dict.fromkeys([summary, *(_clean(str(q.get("quote") or "")) for q in quotes)]):
        body = text.rstrip(".!?")
        benefit = _BENEFIT.search(body)
        if benefit:
            body = body[: benefit.start()].rstrip(" ,")
        i_want = _i_want(body)
        if i_want:
            break  # the summary first, then the words said (a restatement may be the one phrased as a need)
    if not i_want:
        return None
    story: dict[str, Any] = {"as_a": as_a, "i_want": i_want}
    if benefit:
        story["so_that"] = benefit.group(1).strip()
    story["citations"] = list(dict.fromkeys(q["signal_id"] for q in quotes))
    return story


def _topics(vectors: np.ndarray, summaries: list[str], salience: Counter[str]) -> list[str]:
    """A topic label per requirement item: average-linkage clusters of their vectors, named by a shared word."""
    if len(summaries) == 1:
        groups = np.array([1])
    else:
        from scipy.cluster.hierarchy import fcluster, linkage

        distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
        condensed = distances[np.triu_indices(len(summaries), k=1)]
        groups = fcluster(linkage(condensed, method="average"), t=TOPIC_DISTANCE, criterion="distance")
    labels: dict[int, str] = {}
    for group in dict.fromkeys(int(g) for g in groups):
        members = [summaries[i] for i in range(len(summaries)) if int(groups[i]) == group]
        if len(members) == 1:
            labels[group] = "Other"
            continue
        counts: Counter[str] = Counter()
        for text in members:
            words = content_words(text)
            counts.update(set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)})
        best = sorted(counts, key=lambda w: (-counts[w], -(" " in w), -salience[w.split()[-1]], w))
        labels[group] = best[0].capitalize() if best and counts[best[0]] >= 2 else "Other"
    return [labels[int(g)] for g in groups]


def requirements_of(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Requirement items of ordered sentence units (``{"turn", "sentence", "speaker", "skip"}``).

    Statements the classifier labels F or A become items; a restated requirement joins the item it
    repeats (one item citing each statement); items are grouped by topic, each with a draft story.
    """
    texts = [u["sentence"] for u in units]
    if not texts:
        return []
    vectors = embed_statements(texts)
    labelled = classify_statements(texts, vectors=vectors)
    salience = salience_table(texts)
    items: list[dict[str, Any]] = []
    anchors: list[np.ndarray] = []
    for unit, statement, vector in zip(units, labelled, vectors, strict=True):
        if not statement.is_requirement or unit.get("skip"):
            continue
        quote = {"signal_id": unit["turn"]["signal_id"], "quote": unit["sentence"]}
        similar = [float(vector @ a) for a in anchors]
        if similar and max(similar) >= MERGE_SIMILARITY:
            item = items[int(np.argmax(similar))]
            if quote["signal_id"] not in item["citations"]:
                item["citations"].append(quote["signal_id"])
            if quote not in item["quotes"]:
                item["quotes"].append(quote)
            if statement.kind and item["type"] == "functional":
                item.update(type="non-functional", category=statement.kind)
            continue
        item = {"requirement": _clean(unit["sentence"]),
                "type": "non-functional" if statement.label == "A" else "functional",
                "category": statement.kind or "functional", "citations": [quote["signal_id"]], "quotes": [quote]}
        items.append(_with_speaker(item, "speaker", unit.get("speaker")))
        anchors.append(vector)
    if not items:
        return []
    topics = _topics(np.vstack(anchors), [i["requirement"] for i in items], salience)
    order = list(dict.fromkeys(topics))
    for item, topic in zip(items, topics, strict=True):
        item["topic"] = topic
        story = _story(item["requirement"], item["quotes"])
        if story:
            item["story"] = story
        if len(item["quotes"]) > 1:
            item["restated"] = len(item["quotes"])
    return sorted(items, key=lambda i: order.index(i["topic"]))


# ------------------------------------------------------------------------------------------- extract


def _answers(turns: list[dict[str, Any]], i: int) -> int | None:
    """Index of the next turn by someone else (the next turn when speakers are unknown)."""
    speaker = turns[i].get("speaker")
    for k in range(i + 1, min(i + 3, len(turns))):
        if not speaker or turns[k].get("speaker") != speaker:
            return k
    return None


def extract(turns: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Decisions, action items, open questions and requirements of ordered turns (evidence rows)."""
    speakers = list(dict.fromkeys(str(t.get("speaker")) for t in turns if t.get("speaker")))
    decisions: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    answered: set[int] = set()
    decided: set[int] = set()
    for i, turn in enumerate(turns):
        text, speaker = turn["quote"], turn.get("speaker")
        at = _answers(turns, i)
        reply = turns[at] if at is not None else None
        sentences = _sentences(text)
        for j, sentence in enumerate(sentences):
            question = sentence.endswith("?")
            unit = {"turn": turn, "sentence": sentence, "speaker": speaker, "skip": False}
            units.append(unit)
            if _DECISION.search(sentence) and not question and len(sentence.split()) >= 6:
                rest = [s for s in sentences[j + 1:] if not s.endswith("?") and not _COMMIT.search(s)]
                quote = find_span(text, " ".join([sentence, *rest])) or sentence
                decisions.append(_with_speaker({"decision": _clean(quote), **_cite(turn, quote)}, "speaker", speaker))
                decided.add(i)
                unit["skip"] = True
            elif j == 0 and _AGREEMENT.match(sentence) and i > 0 and i - 1 not in decided:
                previous = turns[i - 1]
                proposal = next((s for s in reversed(_sentences(previous["quote"])) if not s.endswith("?")), None)
                if proposal and len(proposal.split()) >= 4:
                    item = {"decision": _clean(proposal), **_cite(previous, proposal)}
                    item["citations"].append(turn["signal_id"])
                    item["quotes"].append({"signal_id": turn["signal_id"], "quote": sentence})
                    decisions.append(_with_speaker(item, "speaker", speaker))
                    decided.add(i)
            if _COMMIT.search(sentence) and not question and i not in answered and not _IN_MEETING.search(sentence):
                actions.append({"owner": speaker or OWNER_UNKNOWN, "item": _clean(sentence), **_cite(turn, sentence)})
                unit["skip"] = True
            elif _TEAM_COMMIT.search(sentence) and not question and not _DECISION.search(sentence):
                actions.append({"owner": speaker or OWNER_UNKNOWN, "item": _clean(sentence), **_cite(turn, sentence)})
                unit["skip"] = True
            owned = _OWN.search(sentence)
            if owned:
                owner = _full_name(owned.group(1), speakers)
                previous = turns[i - 1] if i else None
                task = _sentences(previous["quote"])[0] if previous else sentence
                item = {"owner": owner, "item": _clean(task), **_cite(turn, sentence)}
                if previous:
                    item["citations"].insert(0, previous["signal_id"])
                    item["quotes"].insert(0, {"signal_id": previous["signal_id"], "quote": task})
                    for said in units:  # the task handed over is an action item, not also a requirement
                        if said["turn"] is previous and said["sentence"] == task:
                            said["skip"] = True
                actions.append(item)
            if question:
                said = [(turn, s) for s in sentences[:j]] or (
                    [(turns[i - 1], s) for s in _sentences(turns[i - 1]["quote"])] if i else [])
                _question(sentence, turn, at, reply, speakers, actions, questions, answered, unit, said)
    requirements = requirements_of(units)
    return {"decisions": decisions, "action_items": actions, "open_questions": questions,
            "requirements": requirements}


def _question(sentence: str, turn: dict[str, Any], at: int | None, reply: dict[str, Any] | None, speakers: list[str],
              actions: list[dict[str, Any]], questions: list[dict[str, Any]], answered: set[int],
              unit: dict[str, Any], said: list[tuple[dict[str, Any], str]] | None = None) -> None:
    """A request accepted (an action item), or a question left open, or nothing.

    ``said`` holds the sentences just before the question (this turn's, else the previous turn's):
    a short task whose object is a bare pronoun ("frame it") names what it refers to from them.
    """
    ask = _ASK.match(sentence) or _ASK_ABOUT.match(sentence)
    anyone = None if ask else _ASK_ANYONE.match(sentence)
    accepted = reply is not None and bool(_YES.match(reply["quote"]) or _SELF.search(reply["quote"]))
    if (ask or anyone) and accepted and reply is not None and not _LOGISTICS.search(sentence):
        if ask:
            owner = _full_name(ask.group(1), speakers)
            task = ask.group(2)
        else:
            owner = reply.get("speaker") or OWNER_UNKNOWN
            task = anyone.group(1) if anyone else sentence
        item = {"owner": owner, "item": _clean(task), **_cite(turn, sentence)}
        topic = _antecedent(said or []) if _BARE_OBJECT.match(task.strip()) else None
        if topic:
            row, words = topic
            item["item"] += f": {_clean(words).rstrip('.!')[:1].lower()}{_clean(words).rstrip('.!')[1:]}"
            if row["signal_id"] not in item["citations"]:
                item["citations"].insert(0, row["signal_id"])
            item["quotes"].insert(0, {"signal_id": row["signal_id"], "quote": words})
        promise = next((s for s in _sentences(reply["quote"]) if _SELF.search(s)), None)
        if promise:
            item["item"] += f" (“{promise}”)"
            item["citations"].append(reply["signal_id"])
            item["quotes"].append({"signal_id": reply["signal_id"], "quote": promise})
            if at is not None:
                answered.add(at)
        actions.append(item)
        unit["skip"] = True
        return
    if len(sentence.split()) < 5 or _TAG_QUESTION.search(sentence) or _LOGISTICS.search(sentence):
        return
    labelled = bool(_OPEN_LABEL.search(sentence))
    deferral = None
    if reply is not None:
        deferral = next((s for s in _sentences(reply["quote"]) if _DEFER.search(s)), None)
    if labelled or deferral or reply is None:
        entry = _with_speaker({"question": _clean(sentence), **_cite(turn, sentence)}, "asked_by", turn.get("speaker"))
        if reply is not None and deferral:
            entry["citations"].append(reply["signal_id"])
            entry["quotes"].append({"signal_id": reply["signal_id"], "quote": deferral})
        questions.append(entry)


def _antecedent(said: list[tuple[dict[str, Any], str]]) -> tuple[dict[str, Any], str] | None:
    """The statement a pronoun in a request refers to: the last sentence before it that states something."""
    for row, sentence in reversed(said):
        if not sentence.endswith("?") and len(_clean(sentence).split()) >= 5 and not _LOGISTICS.search(sentence):
            return row, sentence
    return None


# ------------------------------------------------------------------------------------------- draft


def _turns(m: Materials) -> list[dict[str, Any]]:
    rows = [r for r in m.evidence.values() if r.get("kind") == SignalKind.MEETING.value and "chunk" in r]
    return sorted(rows, key=lambda r: (r.get("source") or "", int(r["chunk"])))


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
    counts = salience_table([s for t in turns for s in _sentences(str(t.get("quote") or ""))])
    best = sorted((w for w in counts if counts[w] >= 2), key=lambda w: (-counts[w], w))
    return best[0].capitalize() if best else ""


def _title(m: Materials, turns: list[dict[str, Any]], found: dict[str, list[dict[str, Any]]] | None = None) -> str:
    """"Meeting notes: <subject> — <date>": the subject the goal names, else the dominant topic; never a file name."""
    if not turns:
        return f"Meeting notes: {m.focus}"[:120]
    when = str(turns[0].get("created_at") or "")[:10]
    subject = _subject(m.goal) or _subject(m.focus) or _dominant_topic(found or {}, turns)
    subject = subject[:1].upper() + subject[1:]
    return " — ".join(p for p in (f"Meeting notes: {subject}" if subject else "Meeting notes", when) if p)[:120]


def notes_document(m: Materials, found: dict[str, list[dict[str, Any]]], turns: list[dict[str, Any]]
                   ) -> dict[str, Any]:
    """The artifact (contract shape plus ``requirements``) from extracted items."""
    doc = MeetingNotes(title=_title(m, turns, found), mode=m.mode).model_dump(mode="json")  # type: ignore[arg-type]
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
        return _cite(row, span) if row and span else None

    found: dict[str, list[dict[str, Any]]] = {"decisions": [], "action_items": [], "open_questions": [],
                                              "requirements": []}
    for point in draft.decisions:
        cite = verified(point)
        if cite:
            found["decisions"].append(_with_speaker({"decision": point.text, **cite}, "speaker",
                                                    by_id[point.signal_id].get("speaker")))
    for action in draft.action_items:
        cite = verified(action)
        if not cite:
            continue
        owner = action.owner.strip() if action.owner else None
        if owner and not any(_first_name(owner).lower() == _first_name(s).lower() for s in speakers):
            owner = None
        if owner is None and _SELF.search(action.quote):
            owner = by_id[action.signal_id].get("speaker")
        found["action_items"].append({"owner": _full_name(_first_name(owner), speakers) if owner else OWNER_UNKNOWN,
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
            story = _story(point.text, item["quotes"])
            if story:
                item["story"] = story
            found["requirements"].append(item)
    return notes_document(m, found, turns)




# ------------------------------------------------------------------------------------------- Markdown


_PLACED = ("decisions", "action_items", "open_questions", "requirements")


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
    lines += section("Action items", actions)
    lines += section("Open questions", records(doc.get("open_questions"), "question"))
    requirements = [r for r in doc.get("requirements") or [] if isinstance(r, Mapping)]
    if requirements:
        lines += ["", "## Requirements"]
        topics = list(dict.fromkeys(one_line(r.get("topic")) for r in requirements))
        for topic in topics:
            if len(topics) > 1 or topic:
                lines += ["", f"### {topic or 'Other'}"]
            lines.append("")
            for req in (r for r in requirements if one_line(r.get("topic")) == topic):
                kind = one_line(req.get("category")) if req.get("type") == "non-functional" else "functional"
                kind = kind or one_line(req.get("type"))
                said = f", {one_line(req['speaker'])}" if one_line(req.get("speaker")) else ""
                restated = f", stated {req['restated']} times" if isinstance(req.get("restated"), int) else ""
                lines.append(f"- {one_line(req.get('requirement')) or '(no text)'} _({kind}{said}{restated})_"
                             f"{cite(req.get('citations'))}")
                lines += quote_lines(req.get("quotes"), "  ")
                story = req.get("story") if isinstance(req.get("story"), Mapping) else None
                if story and story_sentence(story):
                    lines.append(f"  - Draft story: {story_sentence(story)}{cite(story.get('citations'))}")
                rest = {k: v for k, v in req.items() if k not in {"requirement", "type", "category", "speaker", "topic",
                                                                  "citations", "quotes", "story", "restated"}}
                if inline(rest):
                    lines.append(f"  - {inline(rest)}")
    return lines


register(Deliverable(KIND, MeetingNotes, KEYWORDS, draft_meeting_notes, MeetingNotesDraft, complete_meeting_notes,
                     collect=collect, layout=Layout(_render, frozenset(_PLACED))))
