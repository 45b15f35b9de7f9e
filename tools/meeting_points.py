"""What was said in a meeting: requirements, decisions, action items and open questions, sentence by sentence.

Pure functions on a transcript's turns (``{"signal_id", "quote", "speaker", ...}`` rows in spoken
order); ``agents/deliverables/meeting_notes.py`` collects the turns and builds the document. The
rules are described there.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np

from tools.citations import find_span
from tools.meeting_chatter import (
    addresses_participant,
    chatter_question,
    content_left,
    elliptical,
    pronoun_object,
    question_form,
    small_talk,
    tagged,
)
from tools.statements import (
    YES_NO_OPENING,
    classify_statements,
    content_words,
    direct_question,
    embed_statements,
    salience_table,
    strip_fillers,
)

#: Owner of an action item when the transcript does not say who owns it.
OWNER_UNKNOWN = "[owner?]"
#: Cosine similarity from which two requirement statements are the same requirement restated.
MERGE_SIMILARITY = 0.75
#: Weight of shared content words (Jaccard overlap) in the similarity of two requirement statements.
LEXICAL_WEIGHT = 0.5
#: Similarity added to two statements said next to each other, decaying to 0 over ADJACENT_WINDOW sentences.
ADJACENCY_BONUS = 0.15
ADJACENT_WINDOW = 8
#: Average-linkage distance (2 - similarity) under which statements are one consolidated requirement.
CONSOLIDATE_DISTANCE = 1.55
#: Mean affinity from which a lone statement phrased as no need joins the closest requirement item as its context.
ABSORB_AFFINITY = 0.3
#: Sentences between two statements of one requirement from which they are two moments of the meeting, not one.
MOMENT_GAP = 3
#: Word counts of a readable headline (a key statement outside them heads its item only when no other fits).
HEADLINE_WORDS = (5, 30)
#: MiniLM cosine from which a statement supports its item's claim (:func:`claim`, what the headline says is needed);
#: a statement under it is another point, grouped apart, and is neither quoted under the item nor counted in
#: "raised N times".
CLAIM_FLOOR = 0.4
#: Statements (other speakers' when speakers are named) read after a question for its answer.
ANSWER_WINDOW = 3
#: MiniLM cosine from which a reply sharing no content word with a question is still about it.
ANSWER_SIMILARITY = 0.35

_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
_DECISION = re.compile(
    r"\b(?:(?:we|i)(?:'ve| have)? (?:all |just )?(?:decided|agreed)|(?:it|this|that) (?:was|is|has been) "
    r"(?:decided|agreed) (?:that|to|on)|here's where i land|let's go with (?:the |a |an |option )?\w|"
    r"we(?:'ll| will| are|'re) go(?:ing)? with (?:the |a |an |option )\w|the decision is|"
    r"final answer|that's settled|we settled on)\b", re.IGNORECASE)
#: "I think we agreed …", "maybe we decided …": a recollection with a hedge, not a decision taken.
_HEDGED_DECISION = re.compile(r"\b(?:i think|i guess|i believe|i suppose|maybe|probably|if i remember|not sure if)\b"
                              r"[^.?!]{0,20}?\b(?:decided|agreed)\b", re.IGNORECASE)
_DECISION_WORDS = frozenset("decided agreed decision settled land answer final going".split())
_REFLEXIVE = frozenset("myself yourself yourselves himself herself itself ourselves themselves".split())
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
SELF = re.compile(r"\b(?:i'll|i will|i'm going to|i am going to)\b", re.IGNORECASE)
_TEAM_COMMIT = re.compile(rf"\b(?:we'll|we will|we're going to)\s+{_ADVERBS}{_FOLLOW_UP}\b", re.IGNORECASE)
#: "Maria will check the budget", "Tom's going to send it": a task a named person takes on. The name is a speaker's
#: first name, or capitalised inside the sentence (a sentence opens capitalised: "System will send …" is no name).
_NAMED_COMMIT = re.compile(rf"\b([A-Z][a-z]+)(?:'ll| will|'s going to| is going to)\s+(?i:{_ADVERBS}{_FOLLOW_UP})\b")
_NOT_NAME = frozenset("it this that he she they we you there here what which who everyone someone somebody nobody "
                      "everybody one".split())
#: "let's schedule a follow-up", "let's ask legal": the team takes on a task outside the meeting (no owner named).
_LETS_TASK = re.compile(r"\b(?:let's|let us)\s+(?:(?:just|also|then|maybe|quickly|definitely)\s+)*(?:schedule|"
                        r"set up|book|arrange|organi[sz]e|plan|reconvene|meet again|follow up|circle back|sync|send|"
                        r"share|circulate|ask|find out|email|call|write up|draft|prepare|check with|get back)\b",
                        re.IGNORECASE)
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
#: An answer to a yes/no question ("Yeah.", "No, …", "Exactly", "Not really").
_ANSWER_LEAD = re.compile(r"^\W*(?:(?:uh|um|well|oh|ah),?\s+)*(?:yes|yeah|yep|yup|no|nah|nope|exactly|sure|of course|"
                          r"definitely|correct|not really|absolutely)\b", re.IGNORECASE)
_YES_NO = YES_NO_OPENING
_OPEN_LABEL = re.compile(r"\b(?:another )?open question:\s*", re.IGNORECASE)
_DEFER = re.compile(
    r"\b(?:let's not decide|not decide that|decide (?:that )?later|we'll look at|look into it|get back to|"
    r"follow up|take (?:it|this) offline|don't know yet|not sure yet|park (?:it|that)|revisit|"
    r"(?:i'm|i am) not (?:really )?sure|i don't know|no idea|good question|we'll see|depends on|"
    r"have to think about|need to (?:check|think)|talk about (?:it|this|that) later|later on)\b", re.IGNORECASE)
_TAG_QUESTION = re.compile(r"(?:\bright|\bokay|\bno|you know|isn't it|don't you think|what do you think|"
                           r"you know what i mean|does that make sense)\s*\?\s*$", re.IGNORECASE)
#: Lead words a summary line drops. "Good", "right", "first" and "second" also open a phrase ("Good point",
#: "Right now", "First name"), so they go only as an interjection or a list marker ("Good, …", "First: …").
_LEAD = re.compile(r"^(?:(?:okay|ok|so|and|also|plus|yes)[,.:]?|(?:good|right|first|second)[,.:])\s+", re.IGNORECASE)
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
#: "It was decided yesterday.", "That's agreed.": a short confirmation that a recalled agreement stands.
_CONFIRM = re.compile(r"^\W*(?:(?:well|yes|yeah|right|oh|so|but|no)\W+)*(?:it|that|this)(?:'s| was| is| has)\s+"
                      r"(?:already\s+|all\s+)?(?:been\s+)?(?:decided|agreed|settled)\b", re.IGNORECASE)
#: A unit of delivery scope: "phase one", "the first release", "the MVP".
_SCOPE = re.compile(r"\b(?:phase (?:one|two|three|[1-3]|i{1,3})|(?:first|initial) (?:phase|version|release|iteration|"
                    r"milestone)|mvp|version (?:one|1)|v1)\b", re.IGNORECASE)
#: "we should keep it simple", "let's keep the scope small": a scope decision.
_SIMPLE = re.compile(r"\bkeep (?:it|this|things|the scope|the first \w+) (?:as )?(?:simple|small|minimal|lean)\b",
                     re.IGNORECASE)
#: "we have a timeframe of around six months for this phase one": a time or budget box the team states for the
#: work (a phase, release, project, "this", "to ship …"), not any duration ("a runway of 18 months").
_TIMEBOX = re.compile(r"\b(?:we|the team)(?:'ve| have| had| got)(?: got)?\s+(?:a |an |the )?(?:timeframe|time frame|"
                      r"timeline|deadline|budget|time ?box)\s+(?:of\s+)?(?:about |around |roughly |up to |"
                      r"approximately )?(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                      r"a few|a couple of)\s+(?:days|weeks|months|years|sprints|quarters)\s+(?:(?:for|on|in)\s+"
                      r"(?:(?:this|that|it)\b|(?:the|this|our|that|each|every)\s+(?:\w+\s+){0,2}?(?:phase|release|"
                      r"project|mvp|version|milestone|iteration|feature|work|rollout|launch|pilot|prototype|"
                      r"delivery|implementation|migration|redesign|integration|fix|bug)s?\b|phase\b|mvp\b|v1\b)|"
                      r"to (?:do|finish|ship|build|deliver|implement|complete|fix|launch|release|get)\b)"
                      r"[^,.;!?]*", re.IGNORECASE)
#: "we should / let's / we'll …": the team commits (not a hedged musing).
_WE_COMMIT = re.compile(r"\b(?:let's|let us|we(?:'ll| will| should| shall|'re going to| are going to| won't|"
                        r" will not))\b", re.IGNORECASE)
#: A suggestion phrased as a question ("maybe we could just send them an invite?", "why don't we …?"): an answer,
#: not a new question. "What if …?" and "how about …?" ask something: they answer nothing.
_PROPOSAL = re.compile(r"^(?:[^,?]{0,40},\s*)?(?:(?:and|so|but|or|well)\s+)?(?:(?:maybe|perhaps) (?:we|you) (?:could|"
                       r"can|should|just)|why don't we|couldn't we)\b", re.IGNORECASE)
#: Hedges dropped from a decision's summary line (the quote keeps them).
_LEAD_HEDGE = re.compile(r"^(?:(?:i think|i guess|i believe|i suppose|maybe|probably)(?: that)?,?\s+)", re.IGNORECASE)


# ------------------------------------------------------------------------------------------- helpers


def sentences(text: str) -> list[str]:
    """The sentences of a turn, in order."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _clean(sentence: str) -> str:
    """A sentence as a summary line: labels ('Requirements-wise,'), lead words and fillers removed, capitalised."""
    text = sentence.strip()
    for _ in range(3):
        text = _LEAD.sub("", _OPEN_LABEL.sub("", text)).strip()
    text = _LABEL.sub("", text).strip() if len(text.split(":")[0].split()) <= 2 else text
    text = strip_fillers(text) if text else text
    text = _MID_CAPITAL.sub(lambda m: m.group(0).lower(), text)  # "Nonetheless, Is there …" -> "…, is there …"
    return text[:1].upper() + text[1:] if text else sentence.strip()


#: A function word capitalised after a comma, mid-sentence ("Nonetheless, Is there …"): a transcription slip. Names
#: and "I" are no function words and keep their capital.
_MID_CAPITAL = re.compile(r"(?<=, )(?:Is|Are|Was|Were|Do|Does|Did|Can|Could|Should|Would|Will|Shall|Must|Has|Have|"
                          r"What|How|Why|Where|When|Which|Who|The|This|That|These|Those|There|It|We|You|They|He|"
                          r"She|And|But|Or|So|If)\b(?!-)")


#: Conversational tags and disfluencies a summary line drops (the quote keeps them): "…, right.", "I mean",
#: "sort of", "actually", "of course", a filler "like" (", like, the …"), a leading "Because" or "But".
#: "right" goes only as a tag after a comma ("… on the right." stays); "kind of" after a determiner
#: ("this kind of report") is a noun phrase, not a hedge.
_TAG_TAIL = re.compile(r"(?:,\s*right|,?\s*(?:you know(?: what i mean)?|or something(?: like that)?|or whatever|"
                       r"i guess))\s*([.!?]*)$", re.IGNORECASE)
_DISFLUENT = re.compile(r"(?:,\s*)?\b(?:i mean|yeah|(?<!\bthis )(?<!\bthat )(?<!\bthe )(?<!\ba )(?<!\bwhat )"
                        r"(?<!\bany )(?<!\bwhich )(?<!\bsame )(?:sort|kind) of|actually|"
                        r"basically|literally|honestly|of course)\b(?:,(?=\s))?", re.IGNORECASE)
#: "like" as a filler only: between commas (", like,"), after a disfluency ("uh, like the …", "I mean like …"),
#: opening the sentence with a comma ("Like, the …") or before a hedge ("like maybe", "like at most"); a verb
#: ("customers like the export") or a preposition ("work like the old version", "things, like the export") stays.
_LIKE = re.compile(r",\s*like,\s*|(?<=\b(?:uh|um|er) )like,?\s+|(?<=\b(?:yeah|mean|know) )like,?\s+|"
                   r"(?<=\b(?:uh|um|er), )like,?\s+|(?<=\b(?:yeah|mean|know), )like,?\s+|^like,\s+|"
                   r"(?<!\bmore )(?<!\bthing )(?<!\bthings )(?<!\bsomething )(?<!\blooks )(?<!\blook )(?<!\bfeel )"
                   r"(?<!\bfeels )(?<!\bwould )(?<!'d )\blike\s+(?=(?:maybe|perhaps|at most|at least|around|about|"
                   r"roughly|approximately)\b)", re.IGNORECASE)
_RESTART = re.compile(r"\b(\w+(?:'\w+)?(?:\s+\w+(?:'\w+)?){0,2}),?\s+\1\b", re.IGNORECASE)
_OPENER = re.compile(r"^(?:because|but|now|well|then|so)\b,?\s+", re.IGNORECASE)


def _restarted(match: re.Match[str]) -> str:
    """A restart said once; "had had" and "that that" are grammar, not a restart."""
    if match.group(0).lower().split() in (["had", "had"], ["that", "that"]):
        return match.group(0)
    return match.group(1)


def tidy(text: str) -> str:
    """A summary line without conversational tags and disfluencies; hedges ("maybe", "I think") stay."""
    out = _TAG_TAIL.sub(lambda m: "." if "?" in m.group(1) or not m.group(1) else m.group(1), text.strip())
    out = _DISFLUENT.sub(" ", _LIKE.sub(lambda m: " " if m.group(0).startswith(",") else "", out))
    out = _RESTART.sub(_restarted, out)  # "it's just, yeah, it's just" once "yeah" is gone
    out = re.sub(r"\s+([,.;!?])", r"\1", re.sub(r"\s{2,}", " ", out))
    out = re.sub(r"([,;])(?:\s*[,;])+", r"\1", out).strip(" ,;")
    out = _OPENER.sub("", out).strip(" ,;")
    if len(out.split()) < 3:
        return text.strip()
    if out[-1:] not in ".!?":
        out += text.strip()[-1:] if text.strip()[-1:] in ".!?" else ""
    return out[:1].upper() + out[1:]


def first_name(name: str | None) -> str:
    """A speaker's first name ('' when unnamed)."""
    return (name or "").split()[0] if name else ""


def full_name(first: str, speakers: list[str]) -> str:
    """The speaker whose first name is ``first`` (``first`` itself when none is)."""
    return next((s for s in speakers if first_name(s).lower() == first.lower()), first)


def cite_turn(row: dict[str, Any], quote: str) -> dict[str, Any]:
    """Citation and verbatim quote of one turn, as an item carries them."""
    return {"citations": [row["signal_id"]], "quotes": [{"signal_id": row["signal_id"], "quote": quote}]}


def with_speaker(item: dict[str, Any], key: str, speaker: Any) -> dict[str, Any]:
    """``item`` with ``speaker`` under ``key`` when the transcript names one."""
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


#: "to create this user": the object is someone named before ("this user"), not in the story itself.
_DEICTIC_ACTOR = re.compile(r"^(?:\S+\s+){0,3}?to\s+\w+(?:\s+(?:up|out|in|on|over|back))?\s+"
                            r"(?:this|that|these|those)\s+"
                            + _ACTOR.pattern, re.IGNORECASE)


def _role_in_object(body: str) -> bool:
    """"We need to have underlying users": the speakers (first person) want something for an actor they name.

    The actor is what is wanted, not who wants it; the role is unknown, so no story is drafted.
    """
    want = _WANT.search(body)
    if not want:
        return False
    before, after = body[: want.start()], body[want.end():]
    return bool(re.search(r"\b(?:we|i)\b", before, re.IGNORECASE)) and not _ACTOR.search(before) \
        and bool(_ACTOR.search(after))


#: Personal pronouns a story's "I want" may carry; :func:`_resolve_pronouns` says which point to something.
_PERSONAL = re.compile(r"\b(his|her|hers|him|he|she|their|theirs|them|they)\b", re.IGNORECASE)
_THIRD_PERSON = frozenset({"he", "she", "they"})
#: Words ending in "s" that are no plural noun (an antecedent of "them" must be one).
_NOT_PLURAL = frozenset("""this is was has does us always its his hers theirs yours ours whereas perhaps sometimes
across less unless process access business address status bus""".split())
#: A trailing elaboration a story's "I want" drops (the story stays minimal): ", including …", ", such as …".
_APPENDIX = re.compile(r",\s*(?:including|such as|like|for example|for instance|e\.g\.|especially|particularly|"
                       r"whatever|etc)\b.*$", re.IGNORECASE)
#: Words a finished clause does not end on: a story ending on one was cut mid-clause.
_DANGLING_END = frozenset("""the a an of to for with and or but nor in on at by from into onto about between such as
like than that which who whom whose whether if because so maybe probably perhaps possibly some any this these those
their his her my our your its also just very more most really even only not didn't don't doesn't won't can't isn't
aren't wasn't weren't""".split())
#: A hedge inside what is wanted: the speaker trailed off or was unsure of the object.
_MID_HEDGE = re.compile(r"\b(?:maybe|perhaps|probably|possibly|or something|or whatever|i guess|i think|you know|"
                        r"i don't know)\b", re.IGNORECASE)


def _story_role(body: str) -> tuple[str, bool | None] | None:
    """(role, plural) of who states the need in ``body``: the role the need clause's subject names.

    "So the users should …" -> ("user", True); "For a project manager, he should …" -> ("project manager", False)
    (a pronoun subject takes the role set just before it); "The team leaders or the employees could …" -> the
    first ("team leader"). A first-person or no subject ("we need …", an imperative) -> ("user", None). A
    third-person pronoun with no role before it ("He can also …") is unresolved: None.
    """
    want = _WANT.search(body)
    if not want:
        return "user", None
    parts = [p for p in _LAST_CLAUSE.split(body[: want.start()]) if p.strip()]
    last = parts[-1] if parts else ""
    named = list(_ACTOR.finditer(last))
    if named:
        return named[0].group(1).lower(), named[0].group(0).lower().endswith("s")
    words = [w.lower() for w in re.findall(r"[A-Za-z']+", last)]
    if words and words[-1] in _THIRD_PERSON:
        before = list(_ACTOR.finditer(parts[-2])) if len(parts) > 1 else []
        if not before:
            return None
        return before[-1].group(1).lower(), words[-1] == "they" or before[-1].group(0).lower().endswith("s")
    return "user", None


def _resolve_pronouns(i_want: str, role: str, plural: bool | None) -> str | None:
    """``i_want`` with the pronouns that point to the story's role in its voice, or None if one points elsewhere.

    "his team" -> "my team"; None when a pronoun points to someone the story does not name.

    "his" points to a singular role; "their", "them", "they" to a named role (singular "they" too: "when they
    approve" -> "when I approve"), unless a plural noun said before it in the same phrase is nearer ("bring in my
    own ideas, should the manager have missed them", "the invoices and their due dates"); "his" / "her" also to the
    phrase's own subject ("the dispatcher to reassign his …"). Any other ("send him …", "his team" with no one
    named) is unresolved.
    """
    out, at = [], 0
    own_subject = not i_want.lower().startswith("to ")
    named = plural is not None
    for found in _PERSONAL.finditer(i_want):
        word = found.group(1).lower()
        before = i_want[: found.start()]
        nouns = [w for w in re.findall(r"[a-z']+", before.lower()) if len(w) > 3 and w.endswith("s")
                 and not w.endswith("ss") and w not in _NOT_PLURAL]
        own = i_want[found.end():].lower().startswith(" own")
        mine = {"his": "my", "their": "my", "them": "me", "they": "I"}.get(word)
        if word == "his" and plural is False or word == "their" and named and (own or not nouns):
            out += [i_want[at: found.start()], "my"]
        elif word in {"them", "they", "their", "theirs"} and nouns or word in {"his", "her"} and own_subject:
            out.append(i_want[at: found.end()])
        elif word in {"them", "they"} and named and mine:
            out += [i_want[at: found.start()], mine]
        else:
            return None
        at = found.end()
    return "".join([*out, i_want[at:]])


def _plain(phrase: str) -> str:
    """A story phrase without disfluencies ("some sort of possibility" -> "some possibility") and restarts."""
    out = _DISFLUENT.sub(" ", _LIKE.sub(lambda m: " " if m.group(0).startswith(",") else "", phrase))
    out = _RESTART.sub(_restarted, out)
    return re.sub(r"\s+([,.;!?])", r"\1", re.sub(r"\s{2,}", " ", out)).strip(" ,;")


def story_defect(i_want: str) -> str | None:
    """Why a story's "I want" cannot stand as written, or None.

    It is cut mid-clause (ends on a function word), or hedges inside what is wanted ("… such as maybe possible team").
    """
    words = re.findall(r"[a-z']+", i_want.lower())
    if not words or words[-1] in _DANGLING_END:
        return "cut mid-clause"
    if _MID_HEDGE.search(" ".join(i_want.split()[2:])):
        return "hedged or trailing off"
    return None


def draft_story(summary: str, quotes: list[dict[str, Any]], withheld: list[str] | None = None
                ) -> dict[str, Any] | None:
    """A draft user story for one requirement (a starting point for the PM), citing the requirement's quotes.

    None when the statement does not read as a need (see :func:`_i_want`), or when what is wanted has
    no object ("to submit that", "to feel there": a bare pronoun or deictic) or carries a conversational
    tag ("…, right", "I mean"): the requirement is then listed without a story rather than with a
    sentence pasted into "I want".

    The role is the one the need clause's subject names, in the same statement the "I want" comes from
    (:func:`_story_role`); pronouns that point to it are said in the story's voice, others make the story
    unusable (:func:`_resolve_pronouns`), as does an "I want" cut mid-clause or hedged (:func:`story_defect`); a
    trailing elaboration (", including …") is dropped. When a statement reads as a need but every such story is
    unusable, None, and the reason is appended to ``withheld`` (the PM decides; the notes say so).
    """
    reasons: list[str] = []
    for text in dict.fromkeys([summary, *(_clean(str(q.get("quote") or "")) for q in quotes)]):
        body = text.rstrip(".!?")
        benefit = _BENEFIT.search(body)
        if benefit:
            body = body[: benefit.start()].rstrip(" ,")
        i_want = _i_want(body)
        if not i_want or pronoun_object(i_want) or tagged(i_want) or _role_in_object(body) \
                or _DEICTIC_ACTOR.match(i_want):
            continue  # the summary first, then the words said (a restatement may be the one phrased as a need)
        role = _story_role(body)
        if role is None:
            reasons.append("the role is unclear (a pronoun with no role named)")
            continue
        i_want = _plain(_APPENDIX.sub("", i_want)) or i_want
        resolved = _resolve_pronouns(i_want, *role)
        if resolved is None:
            reasons.append("a pronoun in what is wanted points to no one the story names")
            continue
        defect = story_defect(resolved)
        if defect:
            reasons.append(f"what is wanted is {defect}")
            continue
        story: dict[str, Any] = {"as_a": role[0], "i_want": resolved}
        if benefit:
            story["so_that"] = benefit.group(1).strip()
        story["citations"] = list(dict.fromkeys(q["signal_id"] for q in quotes))
        return story
    if reasons and withheld is not None:
        withheld.append(reasons[0])
    return None


#: Modals of a need, strongest first: a headline is the clause of the first strong one, else of a weak one.
_STRONG_NEED = re.compile(r"\b(?:should|must|shall|needs? to|has to|have to|wants? to|would like to|'d like to|"
                          r"(?:is|are) (?:only )?allowed to|(?:is|are) able to|needs?(?= (?:a|an|the|some)\b))\s+",
                          re.IGNORECASE)
_WEAK_NEED = re.compile(r"\b(?:can|could)\s+(?!be\b)", re.IGNORECASE)
#: Where the subject of a need clause starts: after a clause boundary or a complementiser ("important that we …").
_SUBJECT_START = re.compile(r"^.*(?:[,;:]\s+|\b(?:(?:important|sure|essential|necessary|crucial|clear|ensure|"
                            r"say|said|agree|mean|means) that|say|"
                            r"(?:but|and|so|then)(?=\s+(?:we|they|he|she|it|you|i)\b))\s+)",
                            re.IGNORECASE)
#: "…, or should he only …": an alternative asked after the need, not part of it.
_QUESTION_TAIL = re.compile(r",\s*(?:or|and|but)?\s*(?:should|must|can|could|will|would|do|does|is|are)\s+"
                            r"(?:he|she|they|it|we|you|i)\b", re.IGNORECASE)
_HEADLINE_LEAD = re.compile(r"^(?:(?:i think|i guess|i mean|i believe|maybe|perhaps|probably|so|and|but|well|"
                            r"also|just|really|actually|basically|like|um|uh|yeah|okay|ok)\b,?\s+)+", re.IGNORECASE)
#: A comma-set lead that bounds the need (condition, time or scope): it stays with the need it bounds.
_BOUND_LEAD = re.compile(r"^(?:(?:only|even|except|especially) )?(?:if|when|whenever|unless|once|while|before|after|"
                         r"until|as soon as|as long as|in case|provided|during|for|in|on|at|within|without|from|"
                         r"under|inside|outside|across|per|by)\b", re.IGNORECASE)
#: Comma-set discourse phrases that begin like a scope but bound nothing ("for example,", "in my opinion,").
_DISCOURSE_LEAD = re.compile(r"^(?:in my (?:opinion|view|experience)|in (?:general|fact|any case|short|the end|"
                             r"other words|principle|theory|practice)|for (?:me|us|sure|now|example|instance|one)|"
                             r"on the other hand|at (?:least|the end of the day|this point)|by the way|"
                             r"from my (?:side|point of view|perspective))$", re.IGNORECASE)
#: An appositive contrast on the subject ("Employees, not managers, should …"): it belongs to the subject before it.
_CONTRAST = re.compile(r"^(?:(?:but|and) )?(?:not|never|rather than|instead of|as opposed to)\b", re.IGNORECASE)


def _bounded_subject(before: str, subject: str) -> str | None:
    """The subject with the comma-set leads that bound it, or None when its phrase cannot be kept apart.

    ``before`` is the text ahead of the modal, ``subject`` its last comma-set part with hedges dropped. Leads right
    before the subject that set a condition, time or scope ("If the user is offline, the app …", "For anonymous
    surveys, the manager …") are kept; an appositive contrast ("Employees, not managers, …") is kept with the noun
    phrase it contrasts, and None (keep the whole statement) when that is not a short noun phrase. Conversational
    lead-ins before them ("yeah so", "good point,", "we already have that, but") are dropped.
    """
    parts = [p.strip() for p in re.split(r",\s+", before)]
    if _HEADLINE_LEAD.sub("", parts[-1] + " ").strip(" ,") != subject:
        return subject  # the subject starts at a complementiser ("important that we …"), not at a comma
    kept = [subject]
    rest = parts[:-1]
    if _CONTRAST.match(subject):
        if not rest:
            return subject
        head = _HEADLINE_LEAD.sub("", rest.pop() + " ").strip(" ,")
        words = head.split()
        if (not words or len(words) > 4 or _SUBJECT_START.sub("", head) != head or words[0].lower() in _SUBORDINATORS
                or {w.lower() for w in words} & {"i", "we", "you", "they", "he", "she", "it"}):
            return None
        kept = [f"{head},", f"{subject},"]
    while rest:
        lead = _HEADLINE_LEAD.sub("", rest[-1] + " ").strip(" ,")
        if not _BOUND_LEAD.match(lead) or _DISCOURSE_LEAD.match(lead):
            break
        kept.insert(0, f"{lead},")
        rest.pop()
    return " ".join(kept)


def need_clause(sentence: str) -> str | None:
    """The clause of a statement that states its need, in the speaker's words, or None when there is none.

    "We already have that, but two, we need to have underlying users." -> "We need to have underlying users.";
    "I think it's really important that we also offer such a service" has no modal: None. The subject is what
    precedes the modal back to a clause boundary or a complementiser ("… important that *we* …"), hedges dropped;
    what follows is cut at the next clause (:func:`_clause`). A need whose object is a bare pronoun ("restrict that",
    "feel there") or that is a call to discuss ("need to think about …") is none.
    """
    body = tidy(_clean(sentence)).rstrip(".!?")
    if _NOT_NEED.search(body):
        return None
    for rule in (_STRONG_NEED, _WEAK_NEED):
        for want in rule.finditer(body):
            before = body[: want.start()].rstrip(" ,")
            subject = _HEADLINE_LEAD.sub("", _SUBJECT_START.sub("", before)).strip(" ,")
            rest = _REST_HEDGE.sub("", _clause(_QUESTION_TAIL.split(body[want.end():])[0])).strip(" ,")
            words = subject.split()
            if (not words or len(words) > 6 or words[-1].lower() in _NOT_SUBJECT or _MUSING.search(subject)
                    or words[0].lower() in _SUBORDINATORS or re.match(r"^\w+,", rest)):
                continue
            if rule is _WEAK_NEED and words[-1].lower() in {"i", "you", "we", "one"}:
                continue  # "I can …", "we can say …": an offer or a description, not a need
            if len(rest.split()) < 2 or _TALK.match(rest) or pronoun_object(f"to {rest}") or tagged(rest):
                continue
            bounded = _bounded_subject(before, subject)
            if bounded is None:
                return tidy(_clean(sentence))  # a contrast that cannot be kept apart: the whole statement
            line = f"{bounded} {want.group(0).strip()} {rest}".strip()
            if len(line.split()) >= 4:
                return line[:1].upper() + line[1:] + "."
    return None


def headline(sentence: str) -> str:
    """A requirement item's headline: the statement's need clause (:func:`need_clause`), else the statement tidied."""
    return need_clause(sentence) or tidy(_clean(sentence))


def _singular(word: str) -> str:
    """A word's singular for grouping ("users" and "user" are one topic word): plain English plurals only."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")):
        return word[:-1]
    return word


def _surface(stem: str, said: Counter[str]) -> str:
    """A topic word or pair as its items say it most (the shorter form on a tie)."""
    out = []
    for part in stem.split():
        forms = [w for w in said if _singular(w) == part] or [part]
        out.append(sorted(forms, key=lambda w: (-said[w], len(w), w))[0])
    return " ".join(out)


#: Content words that name no subject (adverbs, vague nouns): never a topic label.
_NOT_TOPIC = frozenset("""already always never often sometimes usually again together maybe anyway somewhere somehow
everybody everyone somebody someone anybody anyone thing things stuff kind sort lot way ways idea ideas sense point
points problem question questions able possibility side part end case example functionality aspect matter fact
reason time level""".split())


#: Words that follow a determiner without being what the phrase is about ("the same", "a different …"): never a topic.
_NOT_HEAD = frozenset("""every such other same whole entire certain particular main current first last next own only
specific different various several many most more less few much new old good bad great big small little large long short
high low real right wrong full general typical normal usual simple easy hard quick fast slow best better
worst""".split())
#: A determiner or possessive: the word after it is a noun ("the survey", "his team", "each employee").
_DETERMINER = re.compile(r"\b(?:the|a|an|this|that|these|those|his|her|their|our|your|my|its|each|every|some|any|all|"
                         r"no|different|other|own|new)\s+([a-z][a-z'-]+)(?:\s+([a-z][a-z'-]+)(?=\s+(?:\w+\s+)?"
                         r"(?:should|must|shall|needs?|has|have|is|are|was|were|will|would|can|could|of|for|to|in|on|"
                         r"with|at|by|from|and|or)\b|[,.;:!?]|$))?")
_ADJECTIVE_END = re.compile(r"(?:ed|ous|ful|ible|able|est)$")


def _nouns(texts: list[str]) -> frozenset[str]:
    """Singular content words a determiner introduces somewhere in ``texts``: the things talked about.

    The word after the determiner, and the next one when it ends the phrase ("the project manager should", "the
    waiting list for").
    """
    found: set[str] = set()
    for text in texts:
        for match in _DETERMINER.finditer(strip_fillers(text).lower()):
            word, second = match.group(1), match.group(2)
            for noun in (word, second if second and content_words(second) else None):
                if noun and noun not in _NOT_HEAD and not (len(noun) > 6 and _ADJECTIVE_END.search(noun)):
                    found.add(_singular(noun.removesuffix("'s")))
    return frozenset(found)


def _subjects(text: str, nouns: frozenset[str]) -> set[str]:
    """The nouns (of ``nouns``) a statement names, and its two-word noun phrases, singular.

    A two-word phrase is a content word said right before a noun ("project manager", "waiting list").
    """
    found: set[str] = set()
    for sentence in sentences(strip_fillers(text)):
        raw = re.findall(r"[a-z][a-z'-]+", sentence.lower())
        content = set(content_words(sentence))
        words = [_singular(w.removesuffix("'s")) for w in raw]
        topical = [r in content and w not in _NOT_TOPIC and w not in _NOT_HEAD and not w.endswith("ly")
                   for r, w in zip(raw, words, strict=True)]
        found |= {w for w, ok in zip(words, topical, strict=True) if ok and w in nouns}
        found |= {f"{a} {b}" for (a, ok_a), (b, ok_b) in zip(zip(words, topical, strict=True),
                                                               zip(words[1:], topical[1:], strict=True), strict=False)
                  if ok_a and ok_b and b in nouns and a != b}
    return found


def _topics(items: list[dict[str, Any]], salience: Counter[str]) -> list[str]:
    """A topic heading per requirement item: the thing most items not yet placed talk about, named as they say it.

    Each item's candidate subjects are the nouns (:func:`_nouns`: a word a determiner introduces somewhere in the
    items) and two-word noun phrases ("project manager") of its headline, and of its quotes when said in two of
    its texts. Greedily, the subject shared
    by the most items not yet placed heads a topic of those items (a pair over a word on a tie, then the
    transcript's more recurring word; a word is named by the pair more than half of its items say it in). A
    subject in more than a quarter of the items (at least 4) is the meeting's own subject, not a topic. Items
    sharing no subject with another are "Other".
    """
    texts = [[str(i["requirement"]), *(str(q["quote"]) for q in i.get("quotes") or [])] for i in items]
    nouns = _nouns([t for group in texts for t in group])
    said = Counter(w for group in texts for t in group for w in content_words(t))
    # an item's subjects: its headline's, and a quote's only when another of its texts says it too (a statement
    # grouped under the item for its predicate must not name the item's topic on its own)
    subjects = []
    for group in texts:
        per_text = [_subjects(text, nouns) for text in group]
        times = Counter(w for found in per_text for w in found)
        subjects.append(set(per_text[0]) | {w for w, k in times.items() if k >= 2})
    shared = Counter(w for found in subjects for w in found)
    broad = max(4, len(items) // 4)
    labels: list[str | None] = [None] * len(items)
    while True:
        left = [n for n, label in enumerate(labels) if label is None]
        cover = Counter(w for n in left for w in subjects[n] if shared[w] <= broad)
        best = sorted(cover, key=lambda w: (-cover[w], -(" " in w), -salience[_surface(w, said).split()[-1]], w))
        if not best or cover[best[0]] < 2:
            break
        chosen = [n for n in left if best[0] in subjects[n]]
        # a word is named by the noun phrase most of its items say it in ("Project manager", not "Project")
        pairs = Counter(p for n in chosen for p in subjects[n] if " " in p and best[0] in p.split())
        name = sorted(pairs, key=lambda p: (-pairs[p], p))[0] if pairs else best[0]
        heading = _surface(name if 2 * pairs[name] > len(chosen) else best[0], said).capitalize()
        for n in chosen:
            labels[n] = heading
    return [label or "Other" for label in labels]


def classified(units: list[dict[str, Any]]) -> tuple[np.ndarray, list[Any]]:
    """MiniLM vectors and classifier labels of sentence units, in order."""
    texts = [u["sentence"] for u in units]
    if not texts:
        return np.zeros((0, 0)), []
    vectors = embed_statements(texts)
    return vectors, list(classify_statements(texts, vectors=vectors))


# ------------------------------------------------------------------------------- reports, plans, questions
# Statements about the work rather than the product: a progress report ("X is about eighty percent done", "we
# shipped X last week", "what's left is Y"), an effort estimate ("two weeks for one engineer"), a schedule ("the
# release is planned for the twelfth", "let's meet on Thursday", "X ships after that") and a question put to
# someone ("Mei, what happens if …?"). Grammar cues only: the aspect and tense of the clause (a completed state or
# a past action by the team), where the clause sits (a main clause, not "when an order has shipped, …" nor "which
# jobs are done"), and a time expression; never any product's words. A statement that also states a need (a
# modal of obligation or wish) is left to the classifier: "We finished sign-up, but people still need to skip it."

#: A need word anywhere in the sentence: the report rules leave such a sentence alone.
_NEED_CUE = re.compile(r"\b(?:should|must|shall|needs?|needed|has to|have to|had to|wants?|wanted|would like|"
                       r"'d like|able to|allowed to|requires?|required|necessary|important|got to|gotta)\b",
                       re.IGNORECASE)
#: Degree and time adverbs between "is" and a completed state: "about eighty percent", "mostly", "already".
_DEGREE = (r"(?:(?:about|almost|nearly|mostly|roughly|largely|partly|partially|already|now|all|basically|fully|"
           r"finally|just|still|more or less|pretty much|half|over|more than|around|maybe|probably|only|a bit|"
           r"a little|slightly|quite|somewhat|well|way|"
           r"(?:\d+(?:\.\d+)?\s?%|\d+|[a-z]+(?:-[a-z]+)?)\s+percent|\d+(?:\.\d+)?\s?%|\d+)\s+)*")
#: A state of delivery after "be": done, finished, live, in QA, behind schedule …
_STATE = (r"(?:done|finished|complete|completed|shipped|live|merged|deployed|released|launched|built|fixed|"
          r"implemented|ready|delivered|wrapped up|up and running|in place|underway|under way|on track|"
          r"behind(?= schedule|\s*(?:[.,;!?]|$)|\s+(?:by|on|with)\b)(?: schedule)?|ahead of schedule|"
          r"in (?:progress|review|qa|testing|production|beta|staging|"
          r"code review|development))")
_BE = r"(?:is|are|was|were|'s|'re|has been|have been|had been|got|gets|is now|are now)"
_STATE_CLAUSE = re.compile(rf"\b{_BE}\s+{_DEGREE}{_STATE}\b", re.IGNORECASE)
#: After "done" / "finished" / "complete(d)" a manner, agent or place says how a thing is done, not that it is:
#: "is done by the team lead", "is done in the background", "is completed automatically".
_HOW_DONE = re.compile(r"\s*(?:by\s+(?!(?:the\s+)?(?:end|time|then|now|monday|tuesday|wednesday|thursday|friday|"
                       r"saturday|sunday|tomorrow|tonight|next|this|mid|early|late|\d))|in\s+(?:the|a|an|one|each|"
                       r"every|real)\b|on\s+(?:the|a|an|each|every)\s+(?!(?:\w+\s+)?(?:side|part)\b)|via\b|"
                       r"through\b|using\b|automatically\b|manually\b|online\b|offline\b|per\b|for\s+(?:each|every|"
                       r"all)\b|when\b|whenever\b|once\b|before\b|after\b)", re.IGNORECASE)
#: The team's past action on the work: "we shipped …", "I've fixed …", "they finally merged …".
_DID = re.compile(r"\b(?:(?i:we|i|they|the team)|(?:[A-Z][a-z]+)(?:'s team)?)(?i:'ve|'d| have| had| has)?\s+"
                  r"(?:(?:already|just|finally|now|also|all|mostly|basically|recently|actually)\s+)*"
                  r"(?:finished|shipped|built|released|launched|deployed|merged|fixed|implemented|completed|"
                  r"delivered|rolled out|wrapped up|migrated|finalised|finalized|done|landed|got (?:\w+\s+){0,3}?"
                  r"(?:done|finished|out|merged|shipped|live))\b")
#: A thing that went out: "notifications went live last week", "4.10 shipped", "it got merged this morning".
_WENT = re.compile(r"\b(?:went (?:live|out)|(?:got|was|were) (?:finally |already |just )?(?:merged|shipped|deployed|"
                   r"released|launched|rolled out|fixed|finished|completed)|shipped|landed)\b(?=\s*(?:[.,;!]|$|"
                   r"(?:last|this|on|in|yesterday|today|earlier|recently|a (?:week|month|day)|two|three|\w+ (?:days|"
                   r"weeks|months) ago)\b))", re.IGNORECASE)
#: What is left to do: "what's left is …", "only the filters are left", "the refunds part is still open".
_LEFT = re.compile(r"\bwhat(?:'s| is| remains)\s+(?:still\s+)?(?:left|remaining|outstanding|missing|to do)\b|"
                   r"\b(?:is|are)\s+(?:still\s+)?(?:left|remaining|outstanding|pending|to do)\b|"
                   r"\b(?:is|are)\s+still\s+open\b", re.IGNORECASE)
#: Work in progress by the speakers: "we're still working on …", "I'm finishing …".
_DOING = re.compile(r"\b(?:we're|we are|i'm|i am|they're|they are)\s+(?:(?:still|currently|now|just|almost|nearly|"
                    r"mostly|already)\s+)*(?:working on|finishing|wrapping up|polishing|testing|halfway through|"
                    r"almost through|close to finishing|done with|finished with|through with)\b", re.IGNORECASE)
_NUMBER = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a few|a couple of|several)"
_WORKERS = r"(?:more |extra |other )?(?:engineers?|developers?|devs?|people|persons?|designers?|testers?)"
#: An effort estimate: "two weeks for one engineer to finish", "roughly six weeks with two more engineers".
_ESTIMATE = re.compile(rf"^\W*(?:(?:so|and|but|well|maybe|probably|about|roughly|around|approximately|"
                       rf"realistically)\W+)*{_NUMBER}\s+(?:days?|weeks?|months?|sprints?|quarters?)\b.*"
                       rf"\b(?:of (?:work|effort)|for {_NUMBER} {_WORKERS}|with {_NUMBER} {_WORKERS})\b",
                       re.IGNORECASE)
#: A time expression of a plan: a day, a date, a week, a sprint, "after that".
_WHEN = (r"(?:(?:on |by |next |this |until |till )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
         r"(?:in |by |next |this )?(?:january|february|march|april|may|june|july|august|september|october|"
         r"november|december)\b|(?:next|this|last|the following) (?:week|month|sprint|quarter|year|release|"
         r"cycle)|tomorrow|tonight|today|after (?:that|this|the \w+)|afterwards|later|the (?:\w+(?:th|st|nd|rd))\b|"
         r"(?:at|around) (?:\d{1,2}(?::\d\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|noon)\b|"
         r"end of (?:the )?(?:day|week|month|sprint|quarter|year))")
#: A plan of dates: "the release is planned for the twelfth", "X ships after that", "let's meet on Thursday".
_PLANNED = re.compile(rf"\b{_BE}\s+(?:now\s+|still\s+|currently\s+)?(?:planned|scheduled|set|booked|slated|pencilled|"
                      rf"penciled|due|targeted|expected|moved|pushed|postponed)\s+(?:(?:in|back|out)\s+)?"
                      rf"(?:for|to|until|on|in|by)\s+{_WHEN}|"
                      rf"\b(?:ships|launches|goes (?:live|out)|lands|releases|rolls out)\b.*\b{_WHEN}|"
                      rf"\b(?:let's|let us|we can|we could|shall we|can we|could we|we'll|we will)\s+(?:\w+\s+)?"
                      rf"(?:meet|catch up|reconvene|regroup|sync|continue|pick (?:this|it|that) up|reschedule|"
                      rf"talk)\b.*\b{_WHEN}", re.IGNORECASE)
#: A speaker's own availability: "I'm booked all afternoon", "Tuesday doesn't work for me".
_AVAILABLE = re.compile(r"\b(?:i'm|i am|we're|we are|i'll be|we'll be)\s+(?:\w+\s+)?(?:busy|booked|out|off|away|"
                        r"travell?ing|on holiday|on vacation|on leave|free|available|in meetings|back)\b|"
                        r"\b(?:works?|doesn't work|does not work|is fine|are fine|is better|are better|suits?)\s+"
                        r"for (?:me|us|everyone|everybody|both of us)\b", re.IGNORECASE)
#: A leading vocative: "Mei, what happens …?" asks Mei; the question behind it is what counts.
_CALLED = re.compile(r"^\W*(?:(?i:so|and|but|okay|ok|well)\W+)*(?!(?i:so|and|but|or|okay|ok|well|yes|yeah|no|"
                     r"now|then|also|what|how|why|where|when|who|which|nonetheless|anyway|right|sure|sorry|"
                     r"please|look|listen|hey|hi|great|good|fine|exactly|actually|basically|first|second|"
                     r"again|plus|maybe|perhaps|honestly|alright|true|cool|perfect|thanks)\b)[A-Z][a-z]+,\s+")


#: Courtesies: greetings, thanks, wishes, apologies for the meeting ("Thanks for making time", "Nice to meet you").
_COURTESY = re.compile(r"^\W*(?:(?:so|and|okay|ok|well|oh|hi|hello|hey|yeah|right|great)\W+)*(?:"
                       r"(?:thanks|thank you|many thanks)\b(?!\s+to\b)|"
                       r"(?:good|great|nice|lovely) to (?:see|meet|have|hear)|"
                       r"(?:good|nice|great|lovely) (?:morning|afternoon|evening|seeing you)|"
                       r"welcome(?: back| everyone| everybody| all| aboard)?\s*(?:[,.!]|$)|"
                       r"hope (?:you|everyone|everybody|all)|have a (?:good|great|nice|lovely)|congrat|"
                       r"sorry (?:i'm|i am|for being|to keep|about the) |happy (?:monday|friday|new year|holidays)|"
                       r"see you|bye\b|cheers\b)", re.IGNORECASE)
#: A past moment of an anecdote: "last year", "the other day", "two weeks ago", "back then", "I remember when".
_PAST_MOMENT = re.compile(r"\b(?:last (?:year|month|week|summer|winter|spring|autumn|fall|time)|the other day|"
                          r"(?:a|one|two|three|four|five|six|a few|a couple of|several|\d+) (?:days|weeks|months|"
                          r"years) ago|years ago|back then|back in \w+|in the old days|once upon|yesterday|"
                          r"i (?:still )?remember (?:when|how|that|once))\b", re.IGNORECASE)
#: A verb in the past: irregular ones of everyday narration, or a regular "-ed" after a subject.
_PAST_VERB = re.compile(r"\b(?:was|were|had|did|went|lost|got|came|said|told|saw|made|took|broke|ran|left|gave|"
                        r"found|thought|knew|bought|sent|spent|wrote|kept|called|tried|used|asked|crashed|happened|"
                        r"remember)\b|\b(?:we|i|they|he|she|it|you)\s+(?:\w+ly\s+)?\w+ed\b", re.IGNORECASE)


def courtesy(sentence: str) -> bool:
    """A greeting, thanks, wish or apology that states no need ("Thanks for making time, everyone.")."""
    text = strip_fillers(sentence)
    return bool(_COURTESY.search(text)) and not _NEED_CUE.search(text)


def anecdote(sentence: str) -> bool:
    """A story of a past moment that states no need ("Last year a customer lost a day of work when it crashed.").

    A past moment ("last year", "two weeks ago", "I remember when") with a past verb in a main clause; a need word
    anywhere leaves the sentence to the classifier ("Since last year, users must …").
    """
    text = strip_fillers(sentence)
    if _NEED_CUE.search(text) or not _PAST_MOMENT.search(text):
        return False
    return any(_main_clause_at(text, f.start()) for f in _PAST_VERB.finditer(text))


def _main_clause_at(sentence: str, start: int) -> bool:
    """Whether position ``start`` lies in a main clause: no subordinator ("when", "which", "once" …) opens its clause.

    "Once an order has shipped, …" and "… which jobs are done" are conditions and contents of another clause.
    """
    clause = re.split(r"[,;:—–]\s*|\s+-\s+|\b(?:and|but|so)\s+", sentence[:start])[-1]
    return not re.search(r"\b(?:if|when|whenever|once|after|before|until|unless|which|that|whether|who|whose|where|"
                         r"what|how|as soon as|so that|because|since|while)\b", clause, re.IGNORECASE)


def progress_report(sentence: str) -> bool:
    """A report on the work, stating no need: done, shipped, in progress, what is left, or an effort estimate.

    "Dark mode is about eighty percent done.", "We shipped the importer on Tuesday.", "What's left is the mobile
    apps.", "Two weeks for one engineer to finish." A sentence with a need word is never one ("Finished reports
    need to be locked"), nor a completed state inside a condition or a content clause ("When an order has shipped,
    …", "shows which jobs are done"), nor "done" saying how ("Approval is done by the team lead").
    """
    text = strip_fillers(sentence)
    if _NEED_CUE.search(text):
        return False
    for found in _STATE_CLAUSE.finditer(text):
        if _main_clause_at(text, found.start()) and not (
                re.search(r"(?:done|finished|complete|completed)$", found.group(0), re.IGNORECASE)
                and _HOW_DONE.match(text, found.end())):
            return True
    for rx in (_DID, _WENT):
        if any(_main_clause_at(text, f.start()) for f in rx.finditer(text)):
            return True
    return bool(_LEFT.search(text) or _DOING.search(text) or _ESTIMATE.search(text))


def scheduling(sentence: str) -> bool:
    """Talk about dates and availability that states no need.

    "The release is planned for the twelfth.", "Let's meet again on Thursday at three.", "I'm booked all
    afternoon.", "X ships after that."
    """
    text = strip_fillers(sentence)
    return not _NEED_CUE.search(text) and bool(_PLANNED.search(text) or _AVAILABLE.search(text))


def asks_someone(sentence: str) -> bool:
    """A direct question put to a participant by name: "Mei, what happens if dark mode pauses for six weeks?"."""
    called = _CALLED.match(sentence)
    return called is not None and direct_question(sentence[called.end():])


#: Trouble with the call itself: its sound ("I hear some strange noise in the back", "there's an echo"), a line
#: breaking up, someone muted or unheard. The pronoun-led forms only: "noise" alone may be a product's subject.
_CALL_TROUBLE = re.compile(
    r"\b(?:(?:i|we|you|everyone|anyone)(?:\s+\w+){0,2}?\s+(?:hear|hears|heard|hearing)\s+(?:\w+\s+){0,3}?(?:noise|"
    r"noises|echo|feedback|static|buzzing|beeping|sounds?|voices?)|(?:background|strange|weird|loud|funny) (?:noise|"
    r"sound)s?|(?:there's|there is) (?:an |some |a )?(?:\w+ )?(?:echo|static|feedback|noise)|(?:you're|you are|he's|"
    r"he is|she's|she is|it's|it is) (?:breaking up|cutting out|frozen|on mute|muted|lagging)|(?:can't|cannot|couldn't|"
    r"can not|could not) (?:hear|see) (?:you|me|us|him|her|them|anything|your screen)|(?:can|could) (?:you|everyone) "
    r"(?:hear|see) (?:me|us|my)|(?:bad|poor|weak) (?:connection|line|signal)|(?:my|your) (?:connection|internet|wi-?fi|"
    r"mic|microphone|camera|audio)|(?:mute|unmute) (?:yourself|yourselves|myself|your mic)|speak up|say that again|"
    r"repeat that)\b", re.IGNORECASE)


def call_trouble(sentence: str) -> bool:
    """Talk about the call's own sound or connection that states no need ("I hear some strange noise in the back.")."""
    text = strip_fillers(sentence)
    return bool(_CALL_TROUBLE.search(text)) and not _NEED_CUE.search(text)


#: Checking what someone meant: "just so that I understand you right, …", "if I get you correctly, …".
_CHECKING = re.compile(r"\b(?:(?:so|just so|so that|to make sure|if|do|did)\s+(?:that\s+)?i\s+(?:\w+\s+)?"
                       r"(?:understand|understood|get|got)\s+(?:you|this|that|it|him|her|them)\s+(?:\w+\s+)?"
                       r"(?:right|correctly|properly)|(?:do|did) i (?:understand|get) (?:you|this|that|it)\b|"
                       r"if i understand (?:you|this|that|it)\b)", re.IGNORECASE)


def asked_sentence(sentence: str) -> bool:
    """A sentence asked as a question, whatever needs its clauses name: it ends in "?" and is phrased as one.

    "I wonder if a project manager should see …, or should he only …?" and "Just so that I understand you right,
    as a user I don't have to log in or anything?" ask; neither states a requirement, and neither does any of its
    clauses. A statement with a closing tag ("…, right?", "… you know?") or a bare "?" after a statement ("So the
    manager is the admin?") is no question here: the classifier reads it.
    """
    text = strip_fillers(sentence).rstrip()
    if not text.endswith("?") or _TAG_QUESTION.search(text) or _TAG_TAIL_ASKED.search(text):
        return False
    return question_form(text) or bool(_CHECKING.search(text))


#: Closing tags a question mark may follow on a statement ("…, you know how I mean?", "… or something?").
_TAG_TAIL_ASKED = re.compile(r"(?:you know(?: how| what)? i mean|or something(?: like that)?|or whatever|or not|"
                             r"is that (?:right|correct|okay|ok))\s*\?\s*$", re.IGNORECASE)


#: Moving the meeting along a topic: "So maybe let's start with the user roles.", "I think it's more important that
#: we actually talk about the different roles.", "We have to think of how we could reflect such a role system." —
#: the speakers (we, let's, you generic) as the subject of talking, starting, thinking about something.
_AGENDA = re.compile(
    r"^\W*(?:(?:so|and|but|okay|ok|well|now|then|first|maybe|perhaps|i think|i guess|i mean|of course|yeah)\W+)*"
    r"(?:(?:let's|let us)\s+(?:(?:maybe|just|first|now|then|quickly)\s+)?(?:start|begin|continue|move on|go on|"
    r"talk|discuss|focus|get back|come back|turn)\b|"
    r"(?:[^.?!]{0,60}?\b(?:more important|important|better|good idea|first) (?:that|if|to) )?(?:we|you) "
    r"(?:(?:actually|really|properly|already|also|first|just|still|probably|all)\s+)*(?:(?:have|need|ought|got) to|"
    r"should|must|can|could)?\s*(?:(?:actually|really|properly|already|also|first|just|still|probably)\s+)*"
    r"(?:talk|discuss|think|start|begin|focus|brainstorm)\s+(?:about|of|on|with|through)?\s*"
    r"(?:how|whether|what|which|who|the different|our|the|this|that|these|those)\b)", re.IGNORECASE)


def agenda_talk(sentence: str) -> bool:
    """The speakers steering the meeting to a topic or to thinking something through, stating no need of the product.

    "So maybe let's start with the user roles.", "It's more important that we actually talk about the different
    roles too.", "Of course, you have to properly think of how we can reflect such a role system." A sentence with a
    need of a product actor beside it ("…, so users must confirm it") is left to the classifier.
    """
    text = strip_fillers(sentence)
    found = _AGENDA.search(text) or _DELIBERATE.search(text)
    if not found:
        return False
    rest = text[found.end():]
    return not _ACTOR_NEED.search(rest) and not _ACTOR_NEED.search(text[:found.start()])


#: The speakers deliberating how they themselves would go about something, anywhere in the sentence: "… you have to
#: think of how we can reflect such a role system in a technical way" (the team's approach, not the product's need).
_DELIBERATE = re.compile(r"\b(?:we|you)\b[^.?!]{0,40}?\b(?:think|talk|discuss)\s+(?:about|of)\s+(?:how|whether|what)\s+"
                         r"(?:we|you|i)\b", re.IGNORECASE)
#: A product actor or the system named with a need, which no agenda talk hides ("… how users should sign in").
_ACTOR_NEED = re.compile(r"\b(?:users?|customers?|clients?|admins?|managers?|employees?|members?|visitors?|system|"
                         r"app|application|tool|platform)\s+(?:\w+ly\s+)?(?:should|must|shall|needs? to|has to|"
                         r"have to|wants? to|can|could)\b", re.IGNORECASE)


#: Talk about what to call something: "maybe a project manager will be a suitable word", "it's just a word we came up
#: with", "I wouldn't call it admin". The words as words, not a need of the product.
_NAMING = re.compile(r"\b(?:(?:suitable|good|better|right|nice|proper|fitting|best|another|different|neutral) "
                     r"(?:word|name|term|label|wording)s?|(?:just |only )?an? (?:word|name|term) (?:we|i|you|they) "
                     r"(?:came up with|come up with|use|used|chose|picked)|(?:wouldn't|would not|won't|don't|do not|"
                     r"wouldn't really|would rather|rather) call (?:it|them|this|that|him|her)|(?:we|i|you) (?:could|"
                     r"would|might|can) (?:also )?call (?:it|them|this|that|him|her)|the naming)\b", re.IGNORECASE)


def naming_talk(sentence: str) -> bool:
    """Talk about what to call something that states no need ("Maybe a project manager will be a suitable word.")."""
    text = strip_fillers(sentence)
    return bool(_NAMING.search(text)) and not _NEED_CUE.search(text)


def meeting_chatter(sentence: str) -> bool:
    """A sentence that runs the meeting or reports on the work rather than stating a need.

    It addresses a participant (a question put to one by name too), says nothing once hedges are removed, reports
    progress (:func:`progress_report`), talks dates and availability (:func:`scheduling`), is a courtesy
    (:func:`courtesy`) or tells an anecdote (:func:`anecdote`).
    """
    return (addresses_participant(sentence) or len(content_left(sentence)) < 2 or asks_someone(sentence)
            or progress_report(sentence) or scheduling(sentence) or courtesy(sentence) or anecdote(sentence)
            or call_trouble(sentence) or asked_sentence(sentence) or agenda_talk(sentence) or naming_talk(sentence))


def progress_of(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Progress reported in the meeting: the :func:`progress_report` statements, each quoted verbatim.

    Consecutive reports of one turn are one item ("Dark mode is about eighty percent done. What's left is the
    mobile apps …. Two weeks for one engineer to finish."), quoted as said and cited, with its speaker. A question,
    a statement already placed elsewhere (a decision, an action item) and one with under two content words
    ("10 shipped.") are none.
    """
    runs: list[list[dict[str, Any]]] = []
    previous = -2
    for n, unit in enumerate(units):
        sentence = unit["sentence"]
        if (unit.get("skip") or sentence.rstrip().endswith("?") or len(content_left(sentence)) < 2
                or not progress_report(sentence)):
            continue
        if previous == n - 1 and runs[-1][-1]["turn"] is unit["turn"]:
            runs[-1].append(unit)
        else:
            runs.append([unit])
        previous = n
    items: list[dict[str, Any]] = []
    for run in runs:
        turn = run[0]["turn"]
        said = " ".join(u["sentence"] for u in run)
        quote = find_span(turn["quote"], said) or run[0]["sentence"]
        items.append(with_speaker({"report": _clean(quote), **cite_turn(turn, quote)}, "speaker",
                                  run[0].get("speaker")))
    return items


def _stems(sentence: str) -> frozenset[str]:
    """Content-word stems of a statement, for its lexical overlap with another."""
    return frozenset(_singular(w) for w in content_left(sentence))


#: A statement that adds one more thing to a list of needs ("Plus a conflict record", "And an email to …").
_ADDS = re.compile(r"^\W*(?:(?:plus|and|also|and also|in addition),?\s+)+(?:an?|another|one more)\s", re.IGNORECASE)


#: The noun right before a need's modal, its subject ("The receptionist needs to …", "Every invoice must …").
_SUBJECT_NOUN = re.compile(r"\b(?:the|a|an|each|every|all|our|their|his|her|its|any|some)\s+(?:[a-z'-]+\s+){0,2}?"
                           r"([a-z][a-z'-]{3,})\s*$", re.IGNORECASE)


_PASSIVE = re.compile(r"\s*(?:\w+ly\s+|also\s+|still\s+|not\s+)*(?:be|been|get|got)\s+(?:\w+ly\s+)?\w+(?:ed|en|wn|t)\b",
                      re.IGNORECASE)


def _actor(sentence: str) -> str | None:
    """Whom or what a statement's need is for, or None.

    The role named before its modal ("Managers need to …"), else the noun its subject ends on ("The receptionist
    needs to …", "Every invoice must …"); None for a pronoun subject or a passive ("… could be edited by …").
    """
    want = _WANT.search(sentence)
    if not want:
        return None
    found = _ACTOR.findall(sentence[: want.start()])
    if found:
        return _singular(found[-1].lower())
    if _PASSIVE.match(sentence[want.end():]):
        return None  # "The questions could be edited by the manager": the subject is what is acted on
    subject = _SUBJECT_NOUN.search(sentence[: want.start()].rstrip(" ,"))
    return _singular(subject.group(1).lower()) if subject and content_words(subject.group(1)) else None


def _affinity(vectors: np.ndarray, stems: list[frozenset[str]], at: list[int], actors: list[str | None],
              kinds: list[str | None], adds: list[bool]) -> np.ndarray:
    """Pairwise similarity of requirement statements: meaning, shared words and nearness in the conversation.

    MiniLM cosine, plus ``LEXICAL_WEIGHT`` x the Jaccard overlap of their content words, plus
    ``ADJACENCY_BONUS`` decaying to 0 over ``ADJACENT_WINDOW`` sentences between them (a subject is
    discussed in a run of statements). Needs for two different actors (:func:`_actor`) or of two kinds
    (functional, a quality kind), and an item added to a list ("Plus a …", "And an …"), stay apart; otherwise a
    restatement (cosine >= ``MERGE_SIMILARITY``) is
    always one item.
    """
    sim = vectors @ vectors.T
    n = len(at)
    lexical = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            union = stems[i] | stems[j]
            lexical[i, j] = lexical[j, i] = len(stems[i] & stems[j]) / len(union) if union else 0.0
    gaps = np.abs(np.subtract.outer(np.asarray(at), np.asarray(at))).astype(np.float64)
    near = np.clip(1.0 - gaps / ADJACENT_WINDOW, 0.0, 1.0)
    out = sim + LEXICAL_WEIGHT * lexical + ADJACENCY_BONUS * near
    out[sim >= MERGE_SIMILARITY] = 2.0
    for i in range(n):
        if adds[i]:  # "Plus a …", "And an email to …": one more thing, listed on its own
            out[i, :] = out[:, i] = np.where(sim[i] >= MERGE_SIMILARITY, 2.0, -1.0)
    for i in range(n):
        for j in range(i + 1, n):
            if (actors[i] and actors[j] and actors[i] != actors[j]) or kinds[i] != kinds[j]:
                out[i, j] = out[j, i] = -1.0  # "employees should …" / "managers need …", a quality and a feature
    return np.asarray(out)


def _consolidate(affinity: np.ndarray) -> list[list[int]]:
    """Groups of statements (indices, in spoken order) that state one requirement: average linkage."""
    n = len(affinity)
    if n == 1:
        return [[0]]
    from scipy.cluster.hierarchy import fcluster, linkage

    distances = np.clip(2.0 - affinity, 0.0, 4.0)
    groups = fcluster(linkage(distances[np.triu_indices(n, k=1)], method="average"),
                      t=CONSOLIDATE_DISTANCE, criterion="distance")
    members: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(int(g), []).append(i)
    return sorted(members.values(), key=lambda m: m[0])


def _absorb(groups: list[list[int]], affinity: np.ndarray, needs: list[bool]) -> list[list[int]]:
    """Groups with each lone statement that states no need (:func:`need_clause`) folded into its closest group.

    A remark said once and phrased as no need ("So the questions evolve around motivation.") is context for the
    requirement it is closest to (mean affinity at least ``ABSORB_AFFINITY``, no actor or kind conflict), quoted and
    cited there rather than listed as a requirement of its own; one that is close to no group stays an item.
    """
    out = [list(g) for g in groups]
    for lone in [g for g in out if len(g) == 1 and not needs[g[0]]]:
        i = lone[0]
        best, score = None, ABSORB_AFFINITY
        for other in out:
            if other is lone or not other or (len(other) == 1 and not needs[other[0]]):
                continue
            row = affinity[i, other]
            if float(np.min(row)) < 0:
                continue  # another actor or another kind
            if float(np.mean(row)) >= score:
                best, score = other, float(np.mean(row))
        if best is not None:
            best.append(i)
            best.sort()
            lone.clear()
    return [g for g in out if g]


def raised(at: list[int], gap: int = MOMENT_GAP) -> int:
    """Distinct moments a requirement was raised: runs of its statements (sentence positions ``at``).

    Inside a run no two statements are more than ``gap`` sentences apart: three statements in a row are one
    moment, not three.
    """
    spots = sorted(set(at))
    return sum(1 for k, n in enumerate(spots) if k == 0 or n - spots[k - 1] > gap)


def _key_statement(group: list[int], affinity: np.ndarray, texts: list[str], scores: list[float]) -> int:
    """The statement that heads a group.

    Preferred in order: of readable length, no question, no tag ("I don't know"), phrased as a need, the
    most central; the earliest on a tie.
    """
    def rank(i: int) -> tuple[bool, bool, bool, bool, float, int]:
        others = [affinity[i, j] for j in group if j != i]
        central = float(np.mean(np.minimum(others, 1.5))) if others else 0.0
        line = headline(texts[i])
        words = len(line.split())
        need = need_clause(texts[i]) is not None or _i_want(line.rstrip(".!?")) is not None
        return (HEADLINE_WORDS[0] <= words <= HEADLINE_WORDS[1], not line.endswith("?"), not tagged(line), need,
                round(central + 0.05 * scores[i], 1), -i)

    return max(group, key=rank)


def claim(line: str) -> str:
    """What a headline says is needed: its words after the need modal, else the whole line.

    "define these texts for his company" of "The project manager can define these texts for his company."; the whole
    line when it has no modal or too little after it. Its subject is left out: statements naming the same role are
    not the same point for that.
    """
    for rule in (_STRONG_NEED, _WEAK_NEED):
        found = rule.search(line)
        if found and len(content_left(line[found.end():])) >= 2:
            return line[found.end():]
    return line


def _on_claim(groups: list[list[int]], affinity: np.ndarray, vectors: np.ndarray, texts: list[str],
              scores: list[float]) -> list[tuple[list[int], int]]:
    """Each group kept to the statements on its headline's claim, with its key statement; the others regrouped.

    A statement joins a group by its affinity to the whole group (meaning, shared words, said close by), which can
    gather a run of talk about one subject under a headline about another ("The project manager can define these
    texts" over ten remarks on the role hierarchy). Per member, the MiniLM cosine to the headline's claim
    (:func:`claim`) must reach ``CLAIM_FLOOR``; the members under it are consolidated among themselves into groups
    of their own (with their own headlines), round after round: a group only ever shrinks, so it ends. A statement
    left on its own that states no need (:func:`need_clause`) was context for a point it is not about: it is dropped,
    not listed as a requirement of its own.
    """
    out: list[tuple[list[int], int]] = []
    queue = [(list(g), False) for g in groups]
    while queue:
        keys = [_key_statement(g, affinity, texts, scores) for g, _ in queue]
        claims = embed_statements([claim(headline(texts[k])) for k in keys])
        later: list[tuple[list[int], bool]] = []
        for (group, split), key, target in zip(queue, keys, claims, strict=True):
            close = vectors[group] @ np.asarray(target, dtype=vectors.dtype)
            off = [m for m, c in zip(group, close, strict=True) if m != key and float(c) < CLAIM_FLOOR]
            on = [m for m in group if m not in off]
            if not (split and len(on) == 1 and need_clause(texts[key]) is None):
                out.append((on, key))
            if off:
                later += [([off[i] for i in sub], True) for sub in _consolidate(affinity[np.ix_(off, off)])]
        queue = later
    return sorted(out, key=lambda pair: pair[0][0])


def _alike(word: str) -> str:
    """A word without an "-ing" or plural "-s" ending, so "bringing" / "bring" and "ideas" / "idea" are said alike."""
    if len(word) >= 6 and word.endswith("ing"):
        return word[:-3]
    return word[:-1] if len(word) >= 4 and word.endswith("s") and not word.endswith("ss") else word


#: How many words in a row two claims must share to say the same thing, and how many content words among them.
RESTATED_RUN = 5
RESTATED_CONTENT = 2
#: Words of the need's frame, not of what is needed ("be able to …", "have the possibility to …").
_MODAL_WORDS = frozenset("able allowed possibility possible option options ability".split())


def _runs(line: str) -> set[tuple[str, ...]]:
    """Runs of ``RESTATED_RUN`` words of a headline's claim that hold ``RESTATED_CONTENT`` content words or more."""
    words = [_alike(w) for w in re.findall(r"[a-z][a-z'-]*", claim(line).lower())]
    content = {_alike(w) for w in content_words(claim(line)) if w not in _MODAL_WORDS}
    return {tuple(words[i:i + RESTATED_RUN]) for i in range(len(words) - RESTATED_RUN + 1)
            if sum(w in content for w in words[i:i + RESTATED_RUN]) >= RESTATED_CONTENT}


def _restated(items: list[dict[str, Any]], group_at: dict[int, list[int]]) -> list[dict[str, Any]]:
    """Items whose claims share a run of words (:func:`_runs`), merged: one need said twice apart is one item.

    "… they should be bringing in their own ideas …" and "… should have the possibility to bring in their own ideas"
    are one item whatever kind the classifier guessed for each. Needs of two named actors stay apart. The shorter
    headline heads the merged item.
    """
    out: list[dict[str, Any]] = []
    for item in items:
        runs = _runs(item["requirement"])
        actor = _actor(item["requirement"])
        into = next((o for o in out if runs & _runs(o["requirement"])
                     and not (actor and _actor(o["requirement"]) and actor != _actor(o["requirement"]))), None)
        if into is None:
            out.append(item)
            continue
        if len(item["requirement"].split()) < len(into["requirement"].split()):
            for key in ("requirement", "type", "category", "speaker"):
                if key in item:
                    into[key] = item[key]
                else:
                    into.pop(key, None)
            into["quotes"] = [*item["quotes"], *into["quotes"]]
        else:
            into["quotes"] = [*into["quotes"], *item["quotes"]]
        into["citations"] = list(dict.fromkeys(q["signal_id"] for q in into["quotes"]))
        group_at[id(into)] = sorted(group_at[id(into)] + group_at.pop(id(item)))
    return out


def _same_words(one: str, other: str) -> bool:
    """Whether two statements say the same words (case, punctuation and spacing aside): one statement, one quote."""
    return re.findall(r"[\w']+", one.lower()) == re.findall(r"[\w']+", other.lower())


def requirements_of(units: list[dict[str, Any]], labels: tuple[np.ndarray, list[Any]] | None = None
                    ) -> list[dict[str, Any]]:
    """Consolidated requirement items of ordered sentence units (``{"turn", "sentence", "speaker", "skip"}``).

    Statements the classifier labels F or A become requirements unless they are meeting chatter
    (:func:`meeting_chatter`). Statements about one subject — similar in meaning or words, and said
    close together (:func:`_affinity`) — are one item: its headline is its key statement as said
    (fillers dropped, :func:`tidy`), and it cites and quotes every statement. Items are grouped by topic,
    each with a draft story. ``labels`` are :func:`classified` units when the caller has them already.
    """
    texts = [u["sentence"] for u in units]
    if not texts:
        return []
    vectors, labelled = labels if labels is not None else classified(units)
    salience = salience_table(texts)
    kept = [n for n, (unit, statement) in enumerate(zip(units, labelled, strict=True))
            if statement.is_requirement and not unit.get("skip") and not meeting_chatter(unit["sentence"])]
    if not kept:
        return []
    affinity = _affinity(vectors[kept], [_stems(texts[n]) for n in kept], kept, [_actor(texts[n]) for n in kept],
                         [labelled[n].kind for n in kept], [bool(_ADDS.match(texts[n])) for n in kept])
    items: list[dict[str, Any]] = []
    group_at: dict[int, list[int]] = {}
    groups = _absorb(_consolidate(affinity), affinity, [need_clause(texts[n]) is not None for n in kept])
    for group, key in _on_claim(groups, affinity, vectors[kept], [texts[n] for n in kept],
                                [labelled[n].score for n in kept]):
        head = kept[key]
        order = [head, *(kept[g] for g in group if g != key)]
        quotes: list[dict[str, str]] = []
        for n in order:
            quote = {"signal_id": units[n]["turn"]["signal_id"], "quote": texts[n]}
            if not any(_same_words(q["quote"], texts[n]) for q in quotes):  # one statement said once: one quote
                quotes.append(quote)
        quality = [labelled[n].kind for n in order if labelled[n].kind]
        kind = labelled[head].kind or (quality[0] if 2 * len(quality) > len(order) else None)
        item = {"requirement": headline(texts[head]), "type": "non-functional" if kind else "functional",
                "category": kind or "functional", "citations": list(dict.fromkeys(q["signal_id"] for q in quotes)),
                "quotes": quotes}
        items.append(with_speaker(item, "speaker", units[head].get("speaker")))
        group_at[id(item)] = [kept[g] for g in group]
    items = _restated(items, group_at)
    topics = _topics(items, salience)
    order_of = sorted(dict.fromkeys(topics), key=lambda t: t == "Other")  # in order of mention, "Other" last
    for item, topic in zip(items, topics, strict=True):
        item["topic"] = topic
        withheld: list[str] = []
        story = draft_story(_clean(item["quotes"][0]["quote"]), item["quotes"], withheld)  # as said: hedges decide
        if story:
            item["story"] = story
        elif withheld:
            item["story_withheld"] = withheld[0]
        moments = raised(group_at[id(item)])
        if moments > 1:
            item["raised"] = moments
    return sorted(items, key=lambda i: order_of.index(i["topic"]))


# ------------------------------------------------------------------------------------------- extract


def _named_commit(sentence: str, speakers: list[str]) -> str | None:
    """The person a sentence says will do a follow-up task ("Maria will check …"), or None."""
    firsts = {first_name(s).lower() for s in speakers}
    for found in _NAMED_COMMIT.finditer(sentence):
        name = found.group(1)
        if name.lower() in _NOT_NAME:
            continue
        if name.lower() in firsts or re.search(r"\w", sentence[: found.start()]):
            return full_name(name, speakers)
    return None


def _answers(turns: list[dict[str, Any]], i: int) -> int | None:
    """Index of the next turn by someone else (the next turn when speakers are unknown)."""
    speaker = turns[i].get("speaker")
    for k in range(i + 1, min(i + 3, len(turns))):
        if not speaker or turns[k].get("speaker") != speaker:
            return k
    return None


def extract(turns: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Decisions, action items, open questions, requirements and progress reported, of ordered turns (evidence rows)."""
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
        parts = sentences(text)
        for j, sentence in enumerate(parts):
            question = sentence.endswith("?")
            unit = {"turn": turn, "sentence": sentence, "speaker": speaker, "skip": False}
            units.append(unit)
            if _DECISION.search(sentence) and not question and len(sentence.split()) >= 6 and _decided(sentence):
                rest = [s for s in parts[j + 1:] if not s.endswith("?") and not _COMMIT.search(s)]
                quote = find_span(text, " ".join([sentence, *rest])) or sentence
                decisions.append(with_speaker({"decision": _clean(quote), **cite_turn(turn, quote)}, "speaker",
                                              speaker))
                decided.add(i)
                unit["skip"] = True
            elif j == 0 and _AGREEMENT.match(sentence) and i > 0 and i - 1 not in decided:
                previous = turns[i - 1]
                proposal = next((s for s in reversed(sentences(previous["quote"])) if not s.endswith("?")), None)
                if proposal and len(proposal.split()) >= 4 and len(content_left(proposal)) >= 2:
                    item = {"decision": _clean(proposal), **cite_turn(previous, proposal)}
                    item["citations"].append(turn["signal_id"])
                    item["quotes"].append({"signal_id": turn["signal_id"], "quote": sentence})
                    decisions.append(with_speaker(item, "speaker", speaker))
                    decided.add(i)
            if _COMMIT.search(sentence) and not question and i not in answered and not _IN_MEETING.search(sentence):
                actions.append({"owner": speaker or OWNER_UNKNOWN, "item": _clean(sentence),
                                **cite_turn(turn, sentence)})
                unit["skip"] = True
            elif _TEAM_COMMIT.search(sentence) and not question and not _DECISION.search(sentence):
                actions.append({"owner": speaker or OWNER_UNKNOWN, "item": _clean(sentence),
                                **cite_turn(turn, sentence)})
                unit["skip"] = True
            elif not question and not _IN_MEETING.search(sentence):
                named = _named_commit(sentence, speakers)
                if named or _LETS_TASK.search(sentence):
                    actions.append({"owner": named or OWNER_UNKNOWN, "item": _clean(sentence),
                                    **cite_turn(turn, sentence)})
                    unit["skip"] = True
            owned = _OWN.search(sentence)
            if owned:
                owner = full_name(owned.group(1), speakers)
                asker = turns[i - 1] if i else None
                task = sentences(asker["quote"])[0] if asker else sentence
                item = {"owner": owner, "item": _clean(task), **cite_turn(turn, sentence)}
                if asker:
                    item["citations"].insert(0, asker["signal_id"])
                    item["quotes"].insert(0, {"signal_id": asker["signal_id"], "quote": task})
                    for other in units:  # the task handed over is an action item, not also a requirement
                        if other["turn"] is asker and other["sentence"] == task:
                            other["skip"] = True
                actions.append(item)
            if question:
                said = [(turn, s) for s in parts[:j]] or (
                    [(turns[i - 1], s) for s in sentences(turns[i - 1]["quote"])] if i else [])
                _question(sentence, turn, at, reply, speakers, actions, answered, unit, said)
    decisions = _context_decisions(units, decisions)
    labels = classified(units)
    questions, settled = _open_questions(units, labels)
    return {"decisions": decisions, "action_items": actions, "open_questions": questions,
            "answered_questions": settled, "requirements": requirements_of(units, labels),
            "progress": progress_of(units)}


def _cited(parts: list[tuple[dict[str, Any], str]], text: str) -> dict[str, Any]:
    """A decision item ``text`` citing each (unit, verbatim quote) of ``parts``, with the deciding speaker."""
    item: dict[str, Any] = {"decision": text, "citations": [], "quotes": []}
    for unit, quote in parts:
        if unit["turn"]["signal_id"] not in item["citations"]:
            item["citations"].append(unit["turn"]["signal_id"])
        item["quotes"].append({"signal_id": unit["turn"]["signal_id"], "quote": quote})
    return with_speaker(item, "speaker", parts[-1][0].get("speaker"))


def _context_decision(units: list[dict[str, Any]], n: int) -> dict[str, Any] | None:
    """A decision the statement at ``units[n]`` records with its context, or None.

    - an agreement recalled with a hedge ("I think we agreed to export CSV first") that a statement right after
      confirms ("It was decided yesterday."): both quoted. One naming only pronouns and people ("we agreed to do
      this on our own, the three of us") states no decision, confirmed or not;
    - a yes/no answer that settles scope ("Nah, I wouldn't do this in phase one … keep it simple") to the
      question just before it: the question and the answer quoted;
    - the team committing to keep the scope small ("we should keep it simple and …"), or to what a phase or
      release holds ("phase one will …", "in the first release we won't …");
    - a time or budget box the team states ("we have a timeframe of around six months for phase one").
    """
    unit = units[n]
    sentence = unit["sentence"]
    if sentence.endswith("?"):
        return None
    if _DECISION.search(sentence) and not _decided(sentence):
        if not _names_what(sentence):
            return None  # "we agreed to do this on our own": a confirmation cannot say what was decided
        for k in range(n + 1, min(len(units), n + 4)):
            later = units[k]["sentence"]
            if _CONFIRM.match(later) and len(later.split()) <= 10:
                text = _LEAD_HEDGE.sub("", _clean(sentence))
                return _cited([(unit, sentence), (units[k], later)], text[:1].upper() + text[1:])
        return None
    if (_SCOPE.search(sentence) or _SIMPLE.search(sentence)) and _ANSWER_LEAD.match(sentence):
        for k in range(n - 1, max(-1, n - 3), -1):
            asked = units[k]["sentence"]
            if asked.endswith("?"):
                if len(content_left(asked)) < 2:
                    return None
                units[k]["decided"] = True  # the question is the decision's context, not also an answered question
                said = _ANSWER_LEAD.sub("", strip_fillers(sentence)).strip(" ,")
                item = _cited([(units[k], asked), (unit, sentence)], tidy(_clean(said or sentence)))
                item["context"] = _clean(asked)
                return item
        return None
    hedged = _MUSING.search(sentence.split(",")[0]) if "," in sentence else None
    plan = _SCOPE.search(sentence) and re.search(_SCOPE.pattern + r"\s+(?:will|won't|is going to|must|should)\b",
                                                sentence, re.IGNORECASE)
    if (_SIMPLE.search(sentence) or _SCOPE.search(sentence)) and (_WE_COMMIT.search(sentence) or plan) and not hedged \
            and len(content_left(sentence)) >= 3:
        return _cited([(unit, sentence)], _clean(sentence))
    box = _TIMEBOX.search(sentence)
    if box:
        quote = box.group(0).strip()
        return _cited([(unit, quote)], _clean(quote))
    return None


def _context_decisions(units: list[dict[str, Any]], decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``decisions`` plus those only the context shows (:func:`_context_decision`), in spoken order.

    A statement recorded as a decision is not also a requirement.
    """
    quoted = {q["quote"] for d in decisions for q in d["quotes"]}

    def at(item: dict[str, Any]) -> int:
        first = item["quotes"][0]
        return next((n for n, u in enumerate(units) if u["turn"]["signal_id"] == first["signal_id"]
                     and (u["sentence"] in first["quote"] or first["quote"] in u["sentence"])), 0)

    found = list(decisions)
    for n, unit in enumerate(units):
        if unit["sentence"] in quoted or unit.get("skip"):
            continue
        item = _context_decision(units, n)
        if item is not None:
            found.append(item)
            unit["skip"] = True
    return sorted(found, key=at)


def _decided(sentence: str) -> bool:
    """A decision taken, not recalled with a hedge ("I think we agreed …"), that names what was decided.

    Only pronouns and people ("to do this on our own, the three of us") name nothing.
    """
    if _HEDGED_DECISION.search(sentence):
        return False
    return _names_what(sentence)


def _names_what(sentence: str) -> bool:
    """An agreement that states what was agreed: two content words besides the agreeing ones (not only people)."""
    return len([w for w in content_left(sentence) if w not in _DECISION_WORDS and w not in _REFLEXIVE]) >= 2


def _question(sentence: str, turn: dict[str, Any], at: int | None, reply: dict[str, Any] | None, speakers: list[str],
              actions: list[dict[str, Any]], answered: set[int],
              unit: dict[str, Any], said: list[tuple[dict[str, Any], str]] | None = None) -> None:
    """A request accepted (an action item), or a question about the product to settle later, or nothing.

    A question to settle marks its unit ``asked`` (``"labelled"`` for "Open question: …");
    :func:`_open_questions` reads what follows it. Meeting chatter (:func:`tools.meeting_chatter.chatter_question`:
    facilitation, turn-taking, "how do you mean …?", no content), tag questions, logistics and
    questions under five words are none.

    ``said`` holds the sentences just before the question (this turn's, else the previous turn's):
    a short task whose object is a bare pronoun ("frame it") names what it refers to from them.
    """
    ask = _ASK.match(sentence) or _ASK_ABOUT.match(sentence)
    anyone = None if ask else _ASK_ANYONE.match(sentence)
    accepted = reply is not None and bool(_YES.match(reply["quote"]) or SELF.search(reply["quote"]))
    if (ask or anyone) and accepted and reply is not None and not _LOGISTICS.search(sentence):
        if ask:
            owner = full_name(ask.group(1), speakers)
            task = ask.group(2)
        else:
            owner = reply.get("speaker") or OWNER_UNKNOWN
            task = anyone.group(1) if anyone else sentence
        item = {"owner": owner, "item": _clean(task), **cite_turn(turn, sentence)}
        topic = _antecedent(said or []) if _BARE_OBJECT.match(task.strip()) else None
        if topic:
            row, words = topic
            item["item"] += f": {_clean(words).rstrip('.!')[:1].lower()}{_clean(words).rstrip('.!')[1:]}"
            if row["signal_id"] not in item["citations"]:
                item["citations"].insert(0, row["signal_id"])
            item["quotes"].insert(0, {"signal_id": row["signal_id"], "quote": words})
        promise = next((s for s in sentences(reply["quote"]) if SELF.search(s)), None)
        if promise:
            item["item"] += f" (“{promise}”)"
            item["citations"].append(reply["signal_id"])
            item["quotes"].append({"signal_id": reply["signal_id"], "quote": promise})
            if at is not None:
                answered.add(at)
        actions.append(item)
        unit["skip"] = True
        return
    if _OPEN_LABEL.search(sentence):
        unit["asked"] = "labelled"
    elif not (len(sentence.split()) < 5 or _TAG_QUESTION.search(sentence) or _LOGISTICS.search(sentence)
              or chatter_question(sentence) or small_talk(sentence) or _PROPOSAL.search(sentence)
              or not (question_form(sentence) or _CHECKING.search(sentence))):
        unit["asked"] = "asked"


def _settle(k: int, units: list[dict[str, Any]], labelled: list[Any]) -> tuple[bool, dict[str, Any] | None]:
    """(answered, the sentence that answers or defers it) for the question at ``units[k]``.

    Reads the statements after it — other speakers' when speakers are named, skipping follow-up
    questions — up to ``ANSWER_WINDOW`` of them. A deferral leading a statement ("I'm not sure …",
    "depends on …") leaves it open; a requirement, a yes/no to a yes/no question or any statement
    with content answers it; backchannels ("Yeah.", "Okay.") are read past. Nothing: open.
    """
    asker = units[k].get("speaker")
    yes_no = bool(_YES_NO.match(strip_fillers(units[k]["sentence"])))
    read = 0
    for n in range(k + 1, min(len(units), k + 1 + 4 * ANSWER_WINDOW)):
        other = units[n]
        said = other["sentence"]
        asks = said.endswith("?") or other.get("asked")
        if (asker and other.get("speaker") == asker) or other.get("asked") == "labelled" or (
                asks and not _PROPOSAL.search(said)):
            continue  # a follow-up or open question is read past; a suggestion ("maybe we could …?") answers
        read += 1
        if _DEFER.search(" ".join(strip_fillers(said).split()[:8])) and not labelled[n].is_requirement:
            return False, other
        if labelled[n].is_requirement or (yes_no and _ANSWER_LEAD.match(said)) or len(content_left(said)) >= 2:
            return True, other
        if read >= ANSWER_WINDOW:
            break
    return False, None


def _elaboration(units: list[dict[str, Any]], n: int) -> dict[str, Any] | None:
    """The statement right after a bare yes/no answer, when the same speaker (or an unnamed one) says it."""
    if n + 1 >= len(units):
        return None
    after = units[n + 1]
    same = after.get("speaker") == units[n].get("speaker")
    if same and not after["sentence"].endswith("?") and len(content_left(after["sentence"])) >= 2:
        return after
    return None


def _open_questions(units: list[dict[str, Any]], labels: tuple[np.ndarray, list[Any]]
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(open questions, questions answered in the meeting, each with its answer) of the ``asked`` units."""
    open_: list[dict[str, Any]] = []
    settled: list[dict[str, Any]] = []
    for k, unit in enumerate(units):
        if not unit.get("asked") or unit.get("decided"):
            continue
        turn, sentence = unit["turn"], unit["sentence"]
        answered, reply = _settle(k, units, labels[1])
        run = [k, *(m for m in range(k + 1, len(units)) if units[m] is not reply and units[m].get("asked")
                    and all(units[x].get("asked") for x in range(k + 1, m + 1)))]  # questions asked in a row
        if answered and reply is not None and not any(_about(m, reply, units, labels[0]) for m in run):
            answered = False  # a reply about something else leaves the question open
        more = None
        if answered and reply is not None:
            at = next(n for n, u in enumerate(units) if u is reply)  # by identity: "Yeah." units compare equal
            more = _elaboration(units, at) if len(content_left(reply["sentence"])) < 2 else None
            if backchannel(reply["sentence"]):  # a bare "Yeah.": it answers with the statement after it, if any
                if more is None or not (need_clause(more["sentence"]) is not None
                                        or any(_addresses(m, more, units, labels[0]) for m in run)):
                    answered, more = False, None  # "Yeah." and then a new point: a backchannel, not an answer
            elif not filler(reply["sentence"]) and not any(_addresses(m, reply, units, labels[0]) for m in run):
                answered, more = False, None
        entry = with_speaker({"question": _clean(sentence), **cite_turn(turn, sentence)}, "asked_by", unit["speaker"])
        if reply is not None and (answered or not filler(reply["sentence"]) or _next_step(reply["sentence"])):
            # "I'm not really sure here." cites nothing; "I'm not sure yet, let's ask them." names a next step
            if reply["turn"]["signal_id"] not in entry["citations"]:
                entry["citations"].append(reply["turn"]["signal_id"])
            entry["quotes"].append({"signal_id": reply["turn"]["signal_id"], "quote": reply["sentence"]})
        if answered and unit["asked"] != "labelled" and reply is not None:
            answer = _clean(str(reply["sentence"]))
            if more is not None:  # a bare "Yeah." to a yes/no question: with the statement that follows it
                answer = f"{answer} {_clean(more['sentence'])}"
                if more["turn"]["signal_id"] not in entry["citations"]:
                    entry["citations"].append(more["turn"]["signal_id"])
                entry["quotes"].append({"signal_id": more["turn"]["signal_id"], "quote": more["sentence"]})
            earlier = next((e for e in settled if e["_reply"] is reply), None)
            if earlier is not None:  # questions asked in a row, one answer: one exchange, its questions together
                earlier["question"] = f"{earlier['question']} {entry['question']}"
                earlier["quotes"].insert(-1 - earlier["_more"], entry["quotes"][0])
                if entry["citations"][0] not in earlier["citations"]:
                    earlier["citations"].insert(-1, entry["citations"][0])
                continue
            settled.append({**entry, "answer": answer, "_reply": reply, "_more": int(more is not None)})
        else:
            context = _context(units, k) if elliptical(sentence) else None
            if context is not None:  # "What if he has every survey available?": the statement it follows
                entry["context"] = _clean(context["sentence"])
                if context["turn"]["signal_id"] not in entry["citations"]:
                    entry["citations"].append(context["turn"]["signal_id"])
                entry["quotes"].append({"signal_id": context["turn"]["signal_id"], "quote": context["sentence"]})
            open_.append(entry)
    for entry in settled:
        del entry["_reply"], entry["_more"]
    return open_, settled


def _about(k: int, reply: dict[str, Any], units: list[dict[str, Any]], vectors: np.ndarray) -> bool:
    """Whether a reply answers the question at ``units[k]``.

    It does when another named speaker says it (an exchange), or, when the transcript names no speakers (a
    reply may be the asker going on), when it is a suggestion ("why don't we …"), a yes/no to a yes/no
    question, shares a content word with it, or has MiniLM cosine >= ``ANSWER_SIMILARITY`` with it.
    """
    question, said = units[k]["sentence"], reply["sentence"]
    asker, replier = units[k].get("speaker"), reply.get("speaker")
    if (asker and replier and asker != replier) or _PROPOSAL.search(said):
        return True
    if _YES_NO.match(strip_fillers(question)) and _ANSWER_LEAD.match(said):
        return True
    return _shares_content(k, reply, units, vectors)


def _shares_content(k: int, reply: dict[str, Any], units: list[dict[str, Any]], vectors: np.ndarray) -> bool:
    """Whether ``reply`` shares a content word with the question at ``units[k]``, or is close to it.

    Close: MiniLM cosine >= ``ANSWER_SIMILARITY``.
    """
    question, said = units[k]["sentence"], reply["sentence"]
    if {_singular(w) for w in content_left(question)} & {_singular(w) for w in content_left(said)}:
        return True
    at = next((n for n, u in enumerate(units) if u is reply), None)
    cosine = float(vectors[k] @ vectors[at]) if at is not None and len(vectors) > max(k, at) else 0.0
    return cosine >= ANSWER_SIMILARITY


#: "we should add this because …", "that would work": a bare demonstrative standing for what was just asked.
_REFERS_BACK = re.compile(r"\b(?:this|that)(?=\s*(?:[.,;!?]|$|\s+(?:is|was|would|will|should|could|can|'s|works?|"
                          r"sounds|because|and|or|but|for|in|on|at|to|with|as|so|too|first|now|then)\b))",
                          re.IGNORECASE)


def filler(sentence: str) -> bool:
    """A sentence with no content word once hedges, backchannels and fillers are removed: no one's evidence.

    "Yeah.", "Maybe, I don't know.", "I'm not really sure here.".
    """
    return not content_left(sentence)


def _next_step(sentence: str) -> bool:
    """A reply that names a next step ("let's ask them", "I'll check"), content words or not."""
    return bool(_LETS_TASK.search(sentence) or _COMMIT.search(sentence) or _TEAM_COMMIT.search(sentence))


def backchannel(sentence: str) -> bool:
    """A reply that is a bare yes/no or acknowledgement ("Yeah.", "Okay, sure."): no content, one word at most.

    Words besides its lead count: "Yes, all of them." says more, it answers a yes/no question on its own.
    """
    rest = _ANSWER_LEAD.sub("", strip_fillers(sentence))
    return filler(sentence) and len(re.findall(r"[A-Za-z']+", rest)) < 2


def _addresses(k: int, said: dict[str, Any], units: list[dict[str, Any]], vectors: np.ndarray) -> bool:
    """Whether a reply with content (``said``) is about the question at ``units[k]``, whoever says it.

    It is when it shares a content word with the question, answers a yes/no question with a yes or no and content
    in the same sentence ("No, actually there isn't one."), is a suggestion ("maybe we could …"), refers back to
    what was asked in its first words ("I think we should add this …"), or has MiniLM cosine >= ``ANSWER_SIMILARITY``
    with it. A reply that opens a point of its own after a "Yeah." is none of these.
    """
    question, reply = units[k]["sentence"], said["sentence"]
    if _PROPOSAL.search(reply) or elliptical(reply) or _REFERS_BACK.search(" ".join(strip_fillers(reply).split()[:8])):
        return True
    if _YES_NO.match(strip_fillers(question)) and _ANSWER_LEAD.match(reply) and not filler(reply):
        return True
    return _shares_content(k, said, units, vectors)


def _context(units: list[dict[str, Any]], k: int) -> dict[str, Any] | None:
    """The statement an elliptical question follows: the nearest earlier one with content (two sentences back)."""
    for n in range(k - 1, max(-1, k - 3), -1):
        if len(content_left(units[n]["sentence"])) >= 2:
            return units[n]
    return None


def _antecedent(said: list[tuple[dict[str, Any], str]]) -> tuple[dict[str, Any], str] | None:
    """The statement a pronoun in a request refers to: the last sentence before it that states something."""
    for row, sentence in reversed(said):
        if not sentence.endswith("?") and len(_clean(sentence).split()) >= 5 and not _LOGISTICS.search(sentence):
            return row, sentence
    return None

