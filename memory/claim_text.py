"""Claim text: which claim a customer signal supports, its key phrase, and the word sets claims are compared by.

Pure functions of the text (no store, no model). :mod:`memory.profiles` merges the claims they produce.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kernel.schemas import ClaimType, Signal, SignalType
from kernel.text import split_sentences
from memory.sparse import tokenize
from memory.tagging import score_text, tag_text

#: Most words in a key phrase.
MAX_PHRASE_WORDS = 7

_C = ClaimType
_SIGNAL_TO_CLAIM: dict[SignalType, ClaimType | None] = {
    SignalType.BUG: _C.PAIN_POINT,
    SignalType.COMPLAINT: _C.PAIN_POINT,
    SignalType.FEATURE_REQUEST: _C.FEATURE_REQUEST,
    SignalType.PRAISE: _C.PREFERENCE,
    SignalType.CHURN_RISK: _C.CHURN_RISK,
    SignalType.USAGE_PATTERN: _C.USAGE_PATTERN,
    SignalType.QUESTION: None,
    SignalType.OTHER: None,
}

_OBJECTION = re.compile(
    r"\b(?:too (?:expensive|pricey|costly)|overpriced|(?:price|pricing|cost) is (?:too )?(?:high|steep)|"
    r"can't justify|cannot justify|not worth|out of (?:our|my) budget|no budget|(?:security|compliance|"
    r"privacy|legal) (?:concerns?|review|team)|doesn't integrate with|does not integrate with|"
    r"not compliant|lock-?in|hard to justify|(?:our|my) (?:boss|cfo|it team|procurement) (?:won't|will not))"
)
_NEED = re.compile(
    r"\b(?:we|i|our team|they|the team)\s+(?:really\s+|absolutely\s+|still\s+|also\s+)?"
    r"(?:need|needs|require|requires|must have|have to have|rely on)\b|\bis a must\b|\bmust-have\b"
)
_NO_NEED = re.compile(
    r"\b(?:we|i|our team|they|the team)\s+(?:do ?n't|do not|does ?n't|does not|no longer|never)\s+"
    r"(?:really\s+)?(?:need|require|use|care about)\b|\bno (?:longer a )?need for\b|\bnot needed\b"
)
_REQUEST = re.compile(
    r"\b(?:add|adding|support(?: for)?|allow(?:ing)?|a way to|an option to|option to|ability to|"
    r"integration with|would (?:be )?(?:great|nice|awesome|cool|helpful|useful|love|like)(?: if| to)?(?: you)?|"
    r"wish(?: you| there| it)?|please|could you|can you|would like|'d like|want|wants|see)\b"
)
_PREFER = re.compile(r"\b(?:prefer|prefers|preferred|rather|favou?rite|would choose)\b")

_WORD = re.compile(r"[a-z0-9][a-z0-9'+#.-]*[a-z0-9+#]|[a-z0-9]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
_CLAUSE = re.compile(r"(?<=;)\s+")
_NEGATORS = frozenset({"not", "no", "never", "without", "cannot", "nothing"})

# Words dropped from key phrases: function words and conversational filler. Negators, "too" and
# the content words stay, so "too expensive" and "not syncing" keep their meaning.
_PHRASE_STOP = frozenset(
    """
    a an the and or but so of to in on at by for from with into onto about as than then that this these
    those it its it's is are was were be been being am do does did doing have has had having i i'm i've
    i'd i'll me my mine we we're we've we'd we'll us our ours you you're your yours he she they them their
    theirs his her what which who whom whose when where why how there here just really very quite pretty
    actually basically literally honestly please kindly hi hello hey thanks thank ok okay yeah yes well
    also even still some any all every each much many lot lots bit kind sort thing things stuff can could
    would should will shall may might must get got gets getting like guys team one anymore now time times
    way today currently recently since lately
    """.split()
)
# Words that carry intent or sentiment rather than topic: dropped when comparing topics.
_NON_TOPIC = frozenset(tokenize(
    """
    love loved loving like great awesome amazing excellent fantastic perfect good nice best helpful useful
    easy hate terrible awful horrible worst bad poor slow fast broken crash crashes crashing fails failing
    failed error errors bug bugs buggy issue issues problem problems annoying frustrating confusing
    expensive cheap need needs needed want wants wish add please would could should must require required
    support request missing lack works working work not no never too way really much more less better
    worse keep keeps always again love
    """
)) | {"not", "no", "never", "too"}

_VALUE = re.compile(
    r"\b(?:\d+(?:[.,]\d+)?%?|hourly|daily|weekly|monthly|quarterly|yearly|annually|once|twice|"
    r"every (?:day|week|month|hour|morning|evening|quarter|year)|free|basic|starter|pro|premium|"
    r"business|enterprise|team|teams)\b"
)


def _normalise(text: str) -> str:
    return " ".join(text.translate(_APOSTROPHES).lower().split())


def _words(text: str) -> list[str]:
    out: list[str] = []
    for word in _WORD.findall(_normalise(text).replace("n't", " not")):
        if word in ("can't", "cant", "won't", "wont"):
            word = "not"
        out.append(word)
    return out


def _best_sentence(text: str) -> str:
    """The sentence (or ``;`` clause) that carries the signal's point: the one with the strongest tagging cue."""
    sentences = [c for s in split_sentences(text) for c in _CLAUSE.split(s) if c]
    if len(sentences) <= 1:
        return text.strip()
    return max(sentences, key=lambda s: (_strength(s), -sentences.index(s)))


@lru_cache(maxsize=4096)
def _strength(sentence: str) -> float:
    """The strongest tagging cue of a sentence, questions aside (a feature request's sentence is scored twice)."""
    scores = score_text(sentence).scores
    return max((v for k, v in scores.items() if k is not SignalType.QUESTION), default=0.0)


def key_phrase(text: str, max_words: int = MAX_PHRASE_WORDS) -> str:
    """A short canonical phrase of what a text is about ("sync conflicts lose edits").

    Lower-cased content words of the sentence that carries the point, in their original order,
    without function words or repeats; negators and "too" are kept so the meaning survives.
    """
    words: list[str] = []
    seen: set[str] = set()
    for word in _words(_best_sentence(text)):
        if word in _PHRASE_STOP or word in seen:
            continue
        if word in _NEGATORS:
            word = "not"
            if words and words[-1] == "not":
                continue
        seen.add(word)
        words.append(word)
    while words and words[-1] in ("not", "too"):
        words.pop()
    return " ".join(words[:max_words])


# Claim texts are compared with every claim of their subject on every merge: the word sets of a
# text are computed once per process (pure functions of the text).
@lru_cache(maxsize=65536)
def _content(text: str) -> frozenset[str]:
    tokens = set(tokenize(text.replace("no need for", "")))
    tokens.update(w for w in _words(text) if w == "not")
    return frozenset(tokens)


@lru_cache(maxsize=65536)
def _topic(text: str) -> frozenset[str]:
    return frozenset(t for t in tokenize(text.replace("no need for", "")) if t not in _NON_TOPIC)


@lru_cache(maxsize=65536)
def _values(text: str) -> frozenset[str]:
    return frozenset(_VALUE.findall(_normalise(text)))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def claim_polarity(claim_type: ClaimType, text: str) -> int:
    """+1 or -1: the direction a claim takes on its topic (used to spot contradictions).

    Preferences are positive; pain points and objections negative; needs and feature requests
    positive unless stated as "no need for ...". Churn risk and usage patterns are positive
    statements of fact and never contradict anything.
    """
    if claim_type in (ClaimType.PAIN_POINT, ClaimType.OBJECTION):
        return -1
    if claim_type is ClaimType.NEED and text.startswith("no need for"):
        return -1
    return 1


_FAMILY: dict[ClaimType, str] = {
    _C.PREFERENCE: "opinion", _C.PAIN_POINT: "opinion", _C.OBJECTION: "opinion",
    _C.NEED: "need", _C.FEATURE_REQUEST: "need",
    _C.CHURN_RISK: "churn", _C.USAGE_PATTERN: "usage",
}


def _claim_type_and_text(signal: Signal) -> tuple[ClaimType, str] | None:
    """What claim (if any) one customer signal supports."""
    text = signal.text or ""
    norm = _normalise(text)
    stype = signal.signal_type
    if stype is SignalType.OTHER and not signal.text.strip():
        return None
    if _NO_NEED.search(norm):
        phrase = key_phrase(_NO_NEED.split(norm, maxsplit=1)[-1] or norm)
        return (ClaimType.NEED, f"no need for {phrase}") if phrase else None
    if stype in (SignalType.QUESTION, SignalType.OTHER, SignalType.COMPLAINT) and _OBJECTION.search(norm):
        ctype: ClaimType | None = ClaimType.OBJECTION
    elif stype in (SignalType.QUESTION, SignalType.OTHER) and _NEED.search(norm):
        ctype = ClaimType.NEED
    elif stype in (SignalType.QUESTION, SignalType.OTHER) and _PREFER.search(norm):
        ctype = ClaimType.PREFERENCE
    elif stype is SignalType.OTHER:
        ctype = _SIGNAL_TO_CLAIM[tag_text(text, signal.rating)[0]]
    else:
        ctype = _SIGNAL_TO_CLAIM[stype]
    if ctype is None:
        return None
    if ctype is ClaimType.NEED:
        match = _NEED.search(norm)
        phrase = key_phrase(norm[match.end():] if match else norm) or key_phrase(norm)
    elif ctype is ClaimType.FEATURE_REQUEST:
        sentence = _normalise(_best_sentence(text))
        tails = [sentence[m.end():] for m in _REQUEST.finditer(sentence)]
        phrase = next((p for p in (key_phrase(t) for t in reversed(tails)) if len(p.split()) >= 1), "")
        phrase = phrase or key_phrase(text)
    else:
        phrase = key_phrase(text)
    return (ctype, phrase) if phrase else None
