"""Requirement statements in a conversation: functional (F), quality (A, with its kind) or neither.

A meeting transcript is mostly conversation ("Yeah.", "Let me get my notes.", "Maybe we have to
think about this."); a minority of statements state what the product must do (functional) or how
well (quality). :func:`classify_statements` tells them apart with a small linear model:

- **features**: the MiniLM embedding (bundled, offline) of the statement with fillers removed,
  the mean embedding of its neighbours (requirements come in runs), and general conversation
  cues — modal verbs (should / must / need to / has to / want), ability ("able to", "allow"),
  product actors and objects (user, admin, screen, report ...), an actor or the system as the
  subject of a modal, the user-story form, wh- and yes/no questions, hedges, backchannel openers,
  meeting-logistics talk, length, the shares of discourse words and of content words, and how much
  of the statement uses the meeting's own recurring vocabulary (computed per transcript, no word
  list from any data set);
- **weights**: logistic regression fitted by ``python -m bench.meetings --refit`` on labelled
  conversation (see docs/automations.md) and shipped as ``statements_model.json``, so nothing
  reads a data set or trains at run time;
- **type**: a requirement statement is a quality requirement (A) when it clearly names a quality
  attribute (the ISO 25010 / PROMISE lexicon of :mod:`tools.reqtype` scores at least
  ``QUALITY_THRESHOLD``), with that category as its kind; otherwise functional (F). A linear
  model over the embedding, fitted on PROMISE plus the meeting, did worse than always-F by
  cross-validation, so it is not used (docs/automations.md).

A statement phrased as an unhedged obligation (:func:`explicit_requirement`) is a requirement
whatever its score; one that reports a dependency, a fact or a plan and states no need
(:func:`not_a_requirement`) is none. The threshold on the score was chosen by cross-validation for
precision (a PM forwards these notes: filler listed as a requirement costs more than a missed one); see the
model file's ``cv``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from kernel.errors import InputError
from tools.reqtype import NFR_CATEGORIES, NFR_THRESHOLD, classify_requirement

__all__ = ["MODEL_PATH", "TIDY_RULE", "Statement", "classify_statements", "content_words", "embed_statements",
           "explicit_requirement", "hand_features", "not_a_requirement", "quality_kind", "salience_table",
           "shipped_threshold", "statement_matrix", "strip_fillers", "tidy_requirement"]

MODEL_PATH = Path(__file__).with_name("statements_model.json")
#: Lexicon score (tools.reqtype) from which a requirement statement counts as a quality requirement: the lexicon's
#: own threshold. 1.5 (before) missed spoken quality statements: PROMISE NFR read as spoken lines ("So, it should uh,
#: refresh the display every 60 seconds.", ``python -m bench.meetings --quality``), projects held out from tuning,
#: F-vs-quality accuracy 0.688 -> 0.779, quality recall 0.573 -> 0.759, precision 0.924 -> 0.889.
QUALITY_THRESHOLD = NFR_THRESHOLD

#: Whether :func:`tidy_requirement` accepts statements whatever their score (``python -m bench.meetings
#: --no-tidy-rule`` measures without it).
TIDY_RULE = True

Label = Literal["F", "A"]

# ------------------------------------------------------------------------------------------ fillers

_FILLER = re.compile(
    r"(?:,\s*)?(?:"
    r"(?:(?<=^)|(?<=[\s,.;]))(?:u+m+|u+h+|e+r+m*|h+m+|mm+|ah+)(?=[\s,.;!?]|$)"  # um, uh, erm, hmm
    r"|\byou know\b(?!\s+(?:how|what|where|why|when|who|that|the|if|about))"  # "you know" as a tag
    r"|(?:(?<=^)|(?<=[,.;]\s)|(?<=,))\s*like(?=,)"  # "like," as a filler, not "I'd like"
    r"|\bi mean(?=,)"
    r")(?:,)?",
    re.IGNORECASE,
)
_STUTTER = re.compile(r"\b(\w+(?:'\w+)?(?:\s+\w+(?:'\w+)?){0,2})(?:,?\s+\1\b)+", re.IGNORECASE)
_LEADING = re.compile(r"^(?:(?:(?:so|and|but|well|yeah|yes|okay|ok|oh|alright)\b[,.]?|right[,.])\s+)+", re.IGNORECASE)


def strip_fillers(text: str) -> str:
    """A statement without fillers (um, uh, like, you know, I mean), stutters and leading "So, yeah,".

    Used for summary lines and for the classifier's embedding; quotes always stay verbatim.
    """
    out = _FILLER.sub(" ", _LEADING.sub("", text.strip()))  # before: "Right, um, the" is no "Right the" after
    out = _STUTTER.sub(r"\1", out)
    out = re.sub(r"\s+([,.;!?])", r"\1", out)
    out = re.sub(r"([,;])(?:\s*[,;])+", r"\1", out)
    out = re.sub(r"\s{2,}", " ", out).strip(" ,;")
    out = _LEADING.sub("", out).strip(" ,;")
    if not re.search(r"[A-Za-z0-9]", out):
        return text.strip()
    return out[:1].upper() + out[1:]


# ------------------------------------------------------------------------------------------ question form
# One definition of the interrogative form, shared by the classifier's features (a refit follows any change) and by
# tools.meeting_chatter / tools.meeting_points (open questions, yes/no answers).

#: Discourse words that may precede a question's opening word ("So, what …", "And is …", "By the way, why …").
_LEAD_WORDS = r"(?:so|and|but|or|then|okay|ok|nonetheless|well|yeah|just|also|now|by the way|anyway|i mean)"
_WH_WORDS = r"(?:what|how|why|who|whom|whose|where|when|which)"
_MODAL_AUX = r"(?:can|could|should|would|will|shall|may|might|must|won't|wouldn't|shouldn't|can't|couldn't)"
_DO_AUX = r"(?:do|does|did|don't|doesn't|didn't)"
_BE_HAVE_AUX = r"(?:is|are|was|were|has|have|had|isn't|aren't|wasn't|weren't|hasn't|haven't)"
_AUX_WORDS = rf"(?:{_MODAL_AUX}|{_DO_AUX}|{_BE_HAVE_AUX})"
_SUBJECT = r"(?:you|we|they|he|she|it|i|that|this|there|these|those|the|a|an|our|your|his|their|everyone|anyone)"
#: What a question's subject opens with: a pronoun or determiner, a quantifier, a name (capitalised) or a plural noun
#: ("Should managers …"; a modal takes a bare verb, so a word in -s after it is a noun).
_SUBJECT_START = (rf"(?:{_SUBJECT}|my|her|its|him|them|us|me|one|someone|somebody|everybody|anybody|everything|"
                  r"anything|something|nothing|people|each|every|all|any|some|no|(?-i:[A-Z][\w'-]*)|"
                  r"(?!(?:always|sometimes|perhaps|also|as|is|was|has|does|yes|less|unless|thus)\b)[a-z][\w'-]*s)\b")
#: A question's auxiliary opens its clause and its subject follows: "Do we …", "Should managers …", "Is there …".
#: "Must support CSV export.", "Don't show it.", "Has to be fast.", "Was decided yesterday." (a dropped subject, an
#: imperative) are statements: after a modal or "do" a subject must follow; after "be" / "have" no "to", participle
#: or adverb may.
_AUX_CLAUSE = (rf"(?:(?:{_MODAL_AUX}|{_DO_AUX})\s+{_SUBJECT_START}|"
               rf"{_BE_HAVE_AUX}\s+(?!(?:to|been|being|not|also|always|never|just|only|already|still|\w+ed)\b)\w)")
#: With its "?" kept, an auxiliary opens a question before any word but a verb's own ("Should failed messages be
#: retried?"; not "Has to be fast?").
_AUX_ASKED = (rf"{_AUX_WORDS}\s+(?!(?:to|be|been|being|have|not|also|always|never|just|only|already|still)\b)\w"
              r"(?=[^\n]*\?\s*$)")
_AUX_OPENS = rf"(?:{_AUX_CLAUSE}|{_AUX_ASKED})"
_OPENING = rf"^\W*(?:{_LEAD_WORDS},?\s+)*"
#: A wh-word opening the sentence after discourse words ("So, what …").
_WH = re.compile(rf"{_OPENING}{_WH_WORDS}\b", re.IGNORECASE)
#: An auxiliary opening the sentence after discourse words, its subject after it: a yes/no question ("And is there …",
#: "Do we …").
YES_NO_OPENING = re.compile(rf"{_OPENING}{_AUX_OPENS}", re.IGNORECASE)
#: Relative pronouns: after a comma they open a relative clause (", which is the page …", ", who has the most …"),
#: a question only with the auxiliary before a personal pronoun (", which do you prefer").
_RELATIVE = r"(?:which|who|whom|whose)"
#: Interrogative form: a wh-word or an auxiliary with its subject opening the sentence, a question clause after a comma
#: ("…, or should he …", "…, what do you think", "…, and do we …"; not a relative clause: ", which lists …", ", which is
#: the page …", nor a second predicate: "…, and has the most items"),
#: "I wonder if …", or a closing "… or would you?". "He should …, you know how I mean?" has none.
_QUESTION_FORM = re.compile(
    rf"{_OPENING}(?:{_WH_WORDS}\b|{_AUX_OPENS})|"
    rf",\s*(?:or\s+)?(?:(?:what|how|why|where|when)\s+)?{_AUX_WORDS}\s+{_SUBJECT}\b|"
    rf",\s*(?:and|so|but)\s+(?:(?:what|how|why|where|when)\s+{_AUX_WORDS}\s+{_SUBJECT}|"
    rf"{_AUX_WORDS}\s+(?:you|we|they|he|she|it|i|there))\b|"
    rf",\s*(?:(?:or|and|so|but)\s+)?{_RELATIVE}\s+{_AUX_WORDS}\s+(?:you|we|they|he|she|i)\b|"
    rf"\bi(?:'m| am)? wonder(?:ing)?,? (?:if|whether|how|what|why|who)\b|"
    rf"\bor {_AUX_WORDS} (?:you|we|they|he|she|it|i)\s*\?\s*$", re.IGNORECASE)


def question_form(text: str) -> bool:
    """Phrased as a question (with or without its "?": transcripts lose it), not a statement with a tag."""
    return bool(_QUESTION_FORM.search(strip_fillers(text)))


def direct_question(text: str) -> bool:
    """A question asked outright: it ends in "?" and opens with a wh-word or an auxiliary ("Do we have to …?").

    It asks rather than states, so it is no requirement statement; "I wonder if a manager should …?" and a
    statement ending in "?" ("So the manager is the admin?") are not direct questions.
    """
    stripped = strip_fillers(text)
    return stripped.rstrip().endswith("?") and bool(_WH.search(stripped) or YES_NO_OPENING.search(stripped))


# ------------------------------------------------------------------------------------------ features

#: Function words and conversation fillers of the salience features. Part of the shipped classifier's
#: feature definition (statements_model.json), so not kernel.text.STOPWORDS: changing it means a refit
#: (``python -m bench.meetings --refit``).
_STOP = frozenset(
    "the a an and or but so if then than that this these those there here it its it's is are was were be been "
    "being have has had do does did i you he she we they me him her us them my your his our their what which who "
    "whom when where why how not no yes yeah okay ok right um uh like mean know think just really maybe also very "
    "much more most some any all can could would should will shall must need want going get got say said thing "
    "things something stuff well actually about with from into onto for of on in at to by as up out over under "
    "again sure don't i'm we're you're that's let's let also only even still because would've could've i'd "
    "i'll we'll you'll they'll it'll he's she's there's what's here's isn't aren't wasn't doesn't didn't can't "
    "won't wouldn't shouldn't probably guess quite kind sort lot little bit yeah guys".split()
)
_CUES: tuple[tuple[str, str], ...] = (
    ("modal_should", r"\b(?:should|shall|must|ought to)\b"),
    ("need_to", r"\b(?:need|needs|needed)\b"),
    ("have_to", r"\b(?:has|have|had|got) to\b"),
    ("want", r"\b(?:want|wants|wanted|would like|'d like|like it if|wish)\b"),
    ("ability", r"\b(?:able to|possibility|possible to|allow|allows|allowed|let (?:the|them|users?)|can|cannot)\b"),
    ("actor", r"\b(?:users?|customers?|clients?|admins?|administrators?|managers?|employees?|members?|owners?|"
              r"roles?|accounts?|people|visitors?|staff|team leaders?|operators?)\b"),
    ("artifact", r"\b(?:system|app|application|tool|platform|product|feature|screen|page|button|dashboard|"
                 r"report|reports|email|emails|notification|notifications|form|list|settings?|data|database|"
                 r"login|log in|interface|menu|search|filter|export|upload|download|mobile|device|devices|"
                 r"browser|website|service|services)\b"),
    ("question", r"\?\s*$"),
    ("hedge", r"\b(?:maybe|perhaps|i think|i guess|not sure|i don't know|probably|i wonder)\b"),
    ("backchannel", r"^(?:yeah|yes|yep|okay|ok|right|cool|sure|exactly|perfect|hm+|u+m+|u+h+|oh|true|great|"
                    r"nice|alright|fine|thanks|thank you|no|nope|wait)\b"),
    ("first_singular", r"\b(?:i|me|my|i'm|i'd|i'll|i've)\b"),
    ("first_plural", r"\b(?:we|our|us|we're|we'd|we'll|we've|let's)\b"),
    ("second_person", r"\b(?:you|your|you're|you'd|you'll)\b"),
    ("conditional", r"\b(?:will|would|could|might)\b"),
    ("meeting_talk", r"\b(?:meeting|agenda|notes|talk about|discuss\w*|later on|mute|hear me|hear you|"
                     r"screen ?share|call|minutes|email (?:you|me)|next week|tomorrow|today)\b"),
    ("imperative", r"^(?:please\s+)?(?:add|make|show|allow|send|create|provide|display|store|keep|let|give|"
                   r"support|use|enable|disable|remove|include|notify|export|import|save)\b"),
    ("negation", r"\b(?:not|never|no|don't|doesn't|won't|can't|cannot|shouldn't)\b"),
    ("because", r"\b(?:because|so that|in order to|such that)\b"),
    ("number", r"\b\d+(?:[.,]\d+)?\b|\b(?:one|two|three|four|five|ten|hundred|thousand)\b"),
)
_CUE_RES = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _CUES)
#: The requirement form: a product actor or the system as the subject of a modal ("the user should", "managers can",
#: "the system shall", "it must").
_ACTOR_MODAL = re.compile(
    r"\b(?:the |a |an |each |every |all |our )?(?:users?|customers?|clients?|admins?|administrators?|managers?|"
    r"employees?|members?|owners?|visitors?|staff|operators?|system|app|application|product|platform|tool|it|they|he|"
    r"she|participants?|respondents?|people)\s+(?:\w+ly\s+)?(?:should|shall|must|can|could|will|would|needs? to|"
    r"has to|have to|is able to|are able to|may)\b", re.IGNORECASE)
#: The user-story form: "As a …, I want …", "I want to be able …", "… so that …".
_STORY_FORM = re.compile(r"\bas an? [\w -]{1,40},? i (?:want|would like|need|can|should)\b|\bi want to be able\b|"
                         r"\bso that\b", re.IGNORECASE)
#: Talk about the meeting or the conversation itself ("as I just mentioned", "I should've said this earlier", "let me
#: write this down", "go into detail"); tools.meeting_chatter reads it too.
META_TALK = re.compile(
    r"\b(?:(?:i|we|you)(?:'ve| have)? (?:just |already |briefly )?(?:mentioned|said|talked about|discussed|explained|"
    r"went through|covered)|(?:i|we) (?:should|could)(?:'ve| have) (?:mentioned|said)|as (?:i|we) (?:said|mentioned)|"
    r"(?:this|the|today's|our|next) (?:meeting|call|agenda|"
    r"session)|(?:write|take|jot|note|get) (?:this|that|it) down|my notes|go into (?:more |the )?details?|"
    r"(?:if|may|can) i (?:can |could )?(?:talk|say something|jump in|add something|interrupt)(?: here)?|"
    r"quick (?:overview|input|question|note)|(?:just )?to finish my (?:thing|point|thought|sentence)|"
    r"(?:let me|can i|may i) (?:finish|continue)|(?:talk|think) about (?:\w+\s+){0,4}?(?:later|another time|next time)|"
    r"(?:did|have|has) (?:you|everyone|everybody|he|she|they) (?:already |all )?"
    r"(?:receive[ds]?|get|got|seen?|read|open(?:ed)?)\b|(?:join|joining|joined) (?:us|the|today))\b", re.IGNORECASE)
#: Conversation that is no statement of need, as fitted cues:
#: a closing tag ("…, right.", "… you know?"), a scenario ("let's say …", "imagine …"), the speakers narrating what
#: they did or thought ("I thought about …", "we came up with …"), and an opinion on an option ("I think … better").
_TAG_END = re.compile(r"(?:,\s*right|\byou know(?: what i mean)?|\bor something(?: like that)?|\bor whatever|"
                      r"\bi guess|\bisn't it|,\s*no)\s*[.?!]*\s*$", re.IGNORECASE)
_SCENARIO = re.compile(r"\b(?:let's say|let us say|for example|for instance|imagine|suppose)\b", re.IGNORECASE)
_NARRATION = re.compile(r"\b(?:i|we)\s+(?:(?:just|already|actually|also|first|never|really)\s+)?(?:thought|said|"
                        r"mentioned|came up|discussed|talked|was|were|did|didn't|had|went|tried|saw|wanted|meant|got|"
                        r"found|noticed|realized|used to)\b", re.IGNORECASE)
_OPINION = re.compile(r"\b(?:i think|i guess|i believe|i feel|in my opinion|to me)\b[^.?!]{0,30}\b(?:more|better|"
                      r"ideal|easier|fine|good|overkill|enough|important)\b", re.IGNORECASE)
#: Discourse markers, fillers and pronouns: how much of a statement is conversation rather than subject matter.
_DISCOURSE = frozenset("yeah yes okay ok so well right um uh like mean know think just really maybe actually basically "
                       "sort kind guess i you we it that this oh".split())
#: The requirement structure in any domain, whatever the subject's noun: a third-party subject (not the speakers,
#: "someone" or a demonstrative) directly before a modal and its verb ("the first patient on the waiting list should
#: get an offer", "each invoice must show …", "it needs to …").
_SUBJECT_MODAL = re.compile(
    r"\b(?!(?:i|you|we|someone|somebody|anyone|one|that|this|which|who|what|there|then|so|and|or|but|just|maybe|"
    r"probably|really|also)\b)[a-z][\w'-]*\s+(?:\w+ly\s+)?(?:should|must|shall|can|will be able to|needs? to|has to|"
    r"have to|"
    r"(?:is|are) able to|(?:is|are) allowed to)\s+(?:not\s+|also\s+|always\s+|never\s+|only\s+|still\s+)?"
    r"(?:be able to\s+)?[a-z]{2,}", re.IGNORECASE)
#: A condition clause before a need: "When a slot frees up, … should …", "If the payment fails, … must …".
_CONDITION_MODAL = re.compile(
    r"^\W*(?:(?:so|and|also|okay|then|now),?\s+)*(?:when|whenever|if|once|after|before|as soon as|each time|every time|"
    r"while|unless)\b[^.?!]{3,}?,\s*[^.?!]*?\b(?:should|must|shall|needs? to|has to|have to|can|will)\b",
    re.IGNORECASE)
#: A need placed on the product by the speakers or users: "we need it to …", "they want the report to …".
_NEED_OBJECT = re.compile(r"\b(?:we|they|i|users?|customers?|clients?)\s+(?:really\s+)?(?:need|needs|want|wants|"
                          r"would like|'d like)\s+(?:it|them|the [\w-]+|each [\w-]+|every [\w-]+|all [\w-]+)\s+to\b",
                          re.IGNORECASE)
#: The speakers' own obligation or plan ("I have to leave", "we should ask Jane", "you need to unmute"): logistics.
_SPEAKER_MODAL = re.compile(r"\b(?:i|we|you|someone|somebody|let's)(?:'ll|'d)?\s+(?:(?:just|also|really|still|"
                            r"probably|first|all)\s+)?(?:should|must|need to|have to|has to|will have to|"
                            r"gotta|got to)\b(?!\s+be able)", re.IGNORECASE)
#: A person named as the subject of the modal ("Beatriz should be in that conversation", "and then Owen must sign
#: it"): a person's task or plan, not a need of the product. A name is one capitalised word with no determiner before
#: it (at a sentence's start or after a conjunction); a plural ("Tenants can …"), an -ing feature ("Billing should …"),
#: a CamelCase product ("IzognMovies should …") or a role or team ("Admin can …", "Support should …") is no name.
_NAME_WORD = re.compile(r"[A-Z][a-z]+")
_BEFORE_NAME = frozenset("and or but so then also because while when if once".split())
_ROLES = frozenset("it admin administrator manager supervisor owner user member customer client visitor guest host "
                   "buyer seller operator reviewer editor author developer designer student teacher patient staff "
                   "employee driver caretaker receptionist doctor nurse tenant landlord agent auditor accountant "
                   "support finance legal sales marketing security ops operations billing accounting engineering "
                   "design product management hr it qa reception procurement compliance".split())


def _names_a_person(text: str, found: re.Match[str]) -> bool:
    """Whether the subject of a :data:`_SUBJECT_MODAL` match is a person's name (see :data:`_NAME_WORD`)."""
    subject = found.group(0).split()[0]
    if not _NAME_WORD.fullmatch(subject) or subject.lower() in _ROLES or subject.endswith(("s", "ing")):
        return False
    before = text[:found.start()].split()
    if before and before[-1].lower() in _BEFORE_NAME and len(before) > 1 and _NAME_WORD.fullmatch(before[-2]):
        return False  # one name of two words: "the product's Look and Feel should …"
    return not before or before[-1][-1] in ".,;:!?" or before[-1].lower() in _BEFORE_NAME


HAND_FEATURES: tuple[str, ...] = (*(n for n, _ in _CUES), "words", "short", "salience", "salient_share",
                                  "actor_modal", "story_form", "wh_question", "yes_no_question", "discourse_share",
                                  "content_share", "interrogative", "tag_end", "meta_talk", "scenario",
                                  "narration", "opinion")


def content_words(text: str) -> list[str]:
    """Lower-cased words of four letters or more that are not function words or conversation fillers."""
    return [w for w in re.findall(r"[a-z][a-z'-]+", text.lower()) if w not in _STOP and len(w) >= 4]


def salience_table(texts: Sequence[str]) -> Counter[str]:
    """In how many statements of one transcript each content word occurs (its recurring vocabulary)."""
    return Counter(w for t in texts for w in set(content_words(t)))


def hand_features(text: str, salience: Counter[str]) -> list[float]:
    """The conversation cues of one statement (order of :data:`HAND_FEATURES`)."""
    low = text.lower().strip()
    values = [1.0 if rx.search(low) else 0.0 for _, rx in _CUE_RES]
    words = len(low.split())
    content = content_words(text)
    recurring = [salience[w] for w in content if salience[w] >= 3]
    tokens = re.findall(r"[a-z']+", low)
    question = low.endswith("?")
    wh = bool(_WH.search(low))
    values += [
        min(words, 40) / 40,
        1.0 if words <= 4 else 0.0,
        sum(np.log1p(c) for c in recurring) / 10,
        len(recurring) / max(1, len(content)),
        1.0 if _ACTOR_MODAL.search(low) else 0.0,
        1.0 if _STORY_FORM.search(low) else 0.0,
        1.0 if question and wh else 0.0,
        1.0 if question and not wh else 0.0,
        sum(t in _DISCOURSE for t in tokens) / max(1, len(tokens)),
        len(content) / max(1, len(tokens)),
        1.0 if question_form(text) else 0.0,
        *(1.0 if rx.search(low) else 0.0 for rx in (_TAG_END, META_TALK, _SCENARIO, _NARRATION, _OPINION)),
    ]
    return values


def _neighbours(vectors: np.ndarray) -> np.ndarray:
    """Mean of the previous and next statement's vectors (zeros past either end)."""
    zero = np.zeros((1, vectors.shape[1]), dtype=vectors.dtype)
    before = np.vstack([zero, vectors[:-1]])
    after = np.vstack([vectors[1:], zero])
    mean: np.ndarray = (before + after) / 2
    return mean


def statement_matrix(texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """Feature matrix of ordered statements: own embedding, neighbours' embedding, conversation cues.

    Args:
        texts: The statements of one transcript, in spoken order.
        vectors: Their embeddings (MiniLM of :func:`strip_fillers` text), same order.
    """
    salience = salience_table(texts)
    hand = np.array([hand_features(t, salience) for t in texts], dtype=np.float64).reshape(len(texts), -1)
    return np.hstack([vectors, _neighbours(vectors), hand])


# ------------------------------------------------------------------------------------------ explicit rule

_EXPLICIT = re.compile(
    r"\b(?:must|shall|has to|have to|needs? to|should (?:never|always|not)|never|at p\d\d|"
    r"within (?:\d+|one|two|three|five|ten|a few) (?:ms|milliseconds?|seconds?|minutes?|hours?))\b", re.IGNORECASE)
_NOT_EXPLICIT = re.compile(
    r"\b(?:don't|doesn't|didn't|won't|wouldn't|you'd|we'd|i'd) (?:have|need)\b|"
    # the speakers' own to-do ("we need to discuss", "I'll have to check"), not a third party's obligation
    # ("backups have to go offsite", "the system has to check permissions")
    r"\b(?:i|we)(?:'d|'ll|'m|'re)?,?\s+(?:(?:i|we|will|would|shall|should|might|may|could|must|also|still|just|"
    r"really|first|then|all|both|probably|definitely|actually|only|now|certainly|even|again|already|going|gonna|"
    r"got|um|uh),?\s+){0,3}(?:need|has|have|had|got) to (?:discuss|talk|think|specify|decide|clarify|check|ask|"
    r"leave|go)\b|"
    r"\b(?:maybe|i think|not sure|i don't know|probably|i guess|i wonder|perhaps|think about|talk about)\b",
    re.IGNORECASE)


#: Hedges, tags and discourse that make a modal statement conversation rather than a stated need.
_UNTIDY = re.compile(r"\b(?:maybe|perhaps|i think|i guess|i believe|not sure|i don't know|probably|i wonder|"
                     r"or something|or whatever|kind of|sort of|you know|i mean|like,|let's say|for example|"
                     r"imagine|suppose|would|could|might)\b|,\s*right\s*[.?!]*$|"
                     # what it needs is said elsewhere: "these people can then decide", "it should be possible to do so"
                     r"\b(?:these|those|such)\s+[\w-]+\s+(?:should|must|can|need|needs|have|has)\b|"
                     r"\bdo (?:so|it|that|this|them)\s*[.!]?\s*$", re.IGNORECASE)


def tidy_requirement(text: str) -> bool:
    """A need stated plainly: a third-party subject before a modal and a verb, or a condition clause before one.

    E.g. "When a slot frees up, the first patient on the waiting list should get an offer.", "Each invoice should
    show the tax number.", "We need it to export a month as a spreadsheet." Unhedged, no question, no scenario,
    no talk about the meeting, not the speakers' own to-do ("we should ask Jane", "I have to leave"), not a named
    person's ("Beatriz should be in that conversation").
    Like :func:`explicit_requirement`, a requirement whatever the model scores.
    """
    stripped = strip_fillers(text)
    condition = bool(_CONDITION_MODAL.search(stripped))  # "When a slot frees up, …": a wh-word that asks nothing
    if len(stripped.split()) < 6 or stripped.endswith("?") or (question_form(stripped) and not condition):
        return False
    if _UNTIDY.search(stripped) or META_TALK.search(stripped) or _SPEAKER_MODAL.search(stripped):
        return False
    if _NOT_EXPLICIT.search(stripped):
        return False
    subject_modal = any(not _names_a_person(stripped, found) for found in _SUBJECT_MODAL.finditer(stripped))
    return condition or subject_modal or bool(_NEED_OBJECT.search(stripped))


def explicit_requirement(text: str) -> bool:
    """A statement phrased as an unhedged obligation ("must", "has to", "should never", "within 2 seconds").

    Such statements are requirements whatever the model scores: a model fitted on one meeting's
    conversation under-weights the crisp phrasing of written requirements.
    """
    stripped = text.strip()
    return (len(stripped.split()) >= 6 and not stripped.endswith("?") and bool(_EXPLICIT.search(stripped))
            and not _NOT_EXPLICIT.search(stripped))


# ------------------------------------------------------------------------------------------ rule layer

_NOT_A_NEED = re.compile(
    r"\b(?:depends? on|dependent on|blocked (?:by|on)|waiting (?:on|for)|relies on|"  # a dependency
    r"most (?:requested|asked|common|popular)|(?:is|are|was|were) (?:the )?(?:single |second |third )?"
    r"(?:most|least|top|biggest|number one)|"  # a report of facts
    r"to summari[sz]e|in summary|to recap)\b|;[^;]*;",  # a plan or a recap: a list of clauses
    re.IGNORECASE)
_NEED_WORDS = re.compile(r"\b(?:should|must|shall|needs?|has to|have to|wants?|would like|able to)\b", re.IGNORECASE)


#: Any modal: a scenario without one ("let's say a manager creates a survey") states no need.
_ANY_MODAL = re.compile(r"\b(?:should|must|shall|needs?|has to|have to|wants?|would|could|can|cannot|will|may|might|"
                        r"able to|allowed)\b|'(?:ll|d)\b", re.IGNORECASE)


def not_a_requirement(text: str, questions: bool = True) -> bool:
    """A statement that states no need: a dependency, a fact, a plan, a direct question, or a bare scenario.

    E.g. "X depends on Y's work", "X is the most requested feature", "A first; B after; C by Friday",
    "Do we have to assign users?" (it asks, :func:`direct_question`), "Let's say a manager creates a survey."
    (a scenario with no modal).

    Such statements are never requirements whatever the model scores (a rule layer on top of the classifier).
    ``questions=False`` leaves direct questions to the model's score (measured: ``python -m bench.meetings
    --no-question-veto``). The veto stays: the model already scores the dev meeting's 4 direct questions labelled
    requirements 1.7-3.1 below their fold's threshold, so without it 5-fold CV recall stays 0.637 while precision
    falls 0.892 -> 0.853 (three other questions pass: "is there a regular admin?"); a direct-question feature in the
    model instead gives the same 0.853 / 0.637.
    """
    if _SCENARIO.search(text) and not _ANY_MODAL.search(text):
        return True
    return (questions and direct_question(text)) or (bool(_NOT_A_NEED.search(text)) and not _NEED_WORDS.search(text))


# ------------------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class Statement:
    """One statement with its requirement score and label."""

    text: str
    score: float
    label: Label | None
    kind: str | None = None

    @property
    def is_requirement(self) -> bool:
        """True for functional and quality requirements."""
        return self.label is not None


@dataclass(frozen=True)
class _Classifier:
    """The shipped logistic regression (``statements_model.json``, written by ``bench.meetings``)."""

    coef: np.ndarray
    intercept: float
    threshold: float


@lru_cache(maxsize=1)
def _model() -> _Classifier:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    part = data["relevance"]
    return _Classifier(coef=np.asarray(part["coef"], dtype=np.float64).ravel(),
                       intercept=float(np.asarray(part["intercept"], dtype=np.float64).ravel()[0]),
                       threshold=float(data["threshold"]))


def shipped_threshold() -> float:
    """The score from which the shipped model alone calls a statement a requirement."""
    return _model().threshold


def embed_statements(texts: Sequence[str]) -> np.ndarray:
    """MiniLM vectors of statements with fillers removed (the bundled model, whatever ``PMPILOT_EMBEDDINGS`` says).

    The classifier's weights belong to this model, so a configured remote embedder is never used here.
    """
    from memory.embeddings import LocalEmbedder

    return LocalEmbedder().embed([strip_fillers(str(t)) for t in texts]).astype(np.float64)


def quality_kind(text: str) -> str | None:
    """The quality kind when the statement names a quality attribute (lexicon score >= ``QUALITY_THRESHOLD``)."""
    try:
        kind, code = classify_requirement(text, threshold=QUALITY_THRESHOLD)
    except InputError:
        return None
    return NFR_CATEGORIES[code] if kind == "non-functional" else None


def classify_statements(texts: Sequence[str], *, vectors: np.ndarray | None = None,
                        threshold: float | None = None) -> list[Statement]:
    """Label the ordered statements of one transcript as functional, quality or neither.

    Args:
        texts: Statements (sentences or short turns) in spoken order.
        vectors: Their MiniLM embeddings of :func:`strip_fillers` text, when already computed.
        threshold: Score above which a statement is a requirement (default: the shipped one).
    """
    items = [str(t) for t in texts]
    if not items:
        return []
    model = _model()
    if vectors is None:
        vectors = embed_statements(items)
    features = statement_matrix(items, vectors)
    scores = features @ model.coef + model.intercept
    cut = model.threshold if threshold is None else float(threshold)
    out: list[Statement] = []
    for i, text in enumerate(items):
        score = float(scores[i])
        chosen = ((score >= cut or explicit_requirement(text) or (TIDY_RULE and tidy_requirement(text)))
                  and not not_a_requirement(text))
        kind = quality_kind(text) if chosen else None
        label: Label | None = ("A" if kind else "F") if chosen else None
        out.append(Statement(text, score, label, kind))
    return out
