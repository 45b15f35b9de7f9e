"""The stance a signal takes on a question's topic, and the two camps an answer weighs.

*critical* (complaints, bugs, churn risk, problem wording, negative sentiment), *requesting* (feature
requests, questions) and *favourable* (praise, positive sentiment), read from cue words first and the
stored type and sentiment as tie-breakers. Critical and requesting together are the *concerned* camp
(wanting a change), favourable the other side.
"""

from __future__ import annotations

import re
from typing import Literal

from kernel.schemas import Signal, SignalType

Stance = Literal["critical", "requesting", "favourable", "neutral"]
_SENTIMENT_EDGE = 0.25

_CRITICAL = re.compile(
    r"\b(hate|hates|broken|breaks?|nightmare|deal[- ]?breaker|leave|leaving|churn|cancel+(ing|ed)?|unreadable|"
    r"hurts?|frustrat\w*|annoy\w*|fails?|failing|crash\w*|terrible|awful|worse|worst|painful|pain|lost|"
    r"los(e|ing)|removed?|blocker|blocked|unusable|too (expensive|slow|hard)|switch(ing)? to|disappoint\w*|"
    r"confus\w*|bug(gy|s)?|gripes?|complain\w*|problems?|issues?|unreliable|flaky|hit[- ]or[- ]miss|cannot|"
    r"failed|declined|rejected|refused|stuck|unable|errors?|wrong|reverted|bounced|"
    r"(doesn|didn|can|won|isn|wasn)['’]t|does not|did not|not work\w*)\b",
    re.IGNORECASE)
#: Where a text turns ("Great editor, but sync is hit or miss"): the clause after the turn carries the stance.
_CONTRAST = re.compile(
    r"\b(but|however|though|although|except|yet)\b|\bonly (gripe|complaint|issue|problem|downside)\b", re.IGNORECASE)
_FAVOURABLE = re.compile(
    r"\b(love[sd]?|great|happy|thanks?|thank you|perfect|easier|excellent|awesome|amazing|enjoy\w*|works well|"
    r"lifesaver|helpful|delight\w*|fantastic|nice|glad|best)\b", re.IGNORECASE)
_REQUESTING = re.compile(
    r"\b(need|needs|want|wants|wish|would love|please add|missing|request\w*|must[- ]have|requires?|"
    r"before we can|can you add|is there a way|would like)\b", re.IGNORECASE)


def is_cue(word: str) -> bool:
    """Whether ``word`` on its own is a stance cue ("wrong", "declined", "love", "need"): how, not what."""
    return any(rx.fullmatch(word) for rx in (_CRITICAL, _FAVOURABLE, _REQUESTING))


#: Praise negated ("not very happy", "never great"): a critical cue, not a favourable one.
_NEGATED = re.compile(r"\b(not|never|no longer|hardly)\s+(\w+\s+)?$", re.IGNORECASE)


def _cues(text: str) -> tuple[int, int]:
    """Critical and favourable cue counts of ``text``; negated praise counts as critical."""
    critical = len(_CRITICAL.findall(text))
    favourable = 0
    for match in _FAVOURABLE.finditer(text):
        if _NEGATED.search(text[max(0, match.start() - 24):match.start()]):
            critical += 1
        else:
            favourable += 1
    return critical, favourable


#: A requirement's own form: a user story ("As an archivist, I want to …") or a specification's "The system
#: shall …". Such a text asks for something whatever words its want or benefit uses: "so that it makes finding
#: photographs easier" is not praise, "so that files are not lost" not a problem report.
_REQUEST_FORM = re.compile(
    r"^\W*(as an?\s+[^,.;]{1,80}?,?\s+i\s+(want|need|would like|'d like|’d like|wish|should|must|can|am able)\b"
    r"|(?!(i|we|you|my|me)\b)([\w'’/-]+\s+){1,6}(shall|must(?!\s+(have|be)\b)|will be able to)\b)", re.IGNORECASE)


def is_request_form(text: str) -> bool:
    """Whether ``text`` is written as a requirement: a user story ("As a …, I want …") or "The … shall …"."""
    return bool(_REQUEST_FORM.match(text))


def stance_of(signal: Signal) -> Stance:
    """The stance a signal's text takes: cue words first, the stored type and sentiment as tie-breakers.

    Stored tags are kept as a fallback only: they describe the signal as a whole ("feature request"),
    while the stance here is how the user feels about the topic ("I love dark mode" is favourable).
    A text written as a requirement (:func:`is_request_form`) is a request, whatever cue words its want or
    benefit holds.
    """
    if is_request_form(signal.text):
        return "requesting"
    turns = list(_CONTRAST.finditer(signal.text))
    if turns:
        # "Great editor, but sync is hit or miss": the clause after the last turn decides when it has a cue.
        tail = signal.text[turns[-1].start():]
        critical, favourable = _cues(tail)
        if critical > favourable:
            return "critical"
        if favourable > critical:
            return "favourable"
    critical, favourable = _cues(signal.text)
    if critical > favourable:
        return "critical"
    if favourable > critical:
        return "favourable"
    if _REQUESTING.search(signal.text):
        return "requesting"
    kind = signal.signal_type
    if kind in (SignalType.COMPLAINT, SignalType.BUG, SignalType.CHURN_RISK):
        return "critical"
    if kind == SignalType.PRAISE:
        return "favourable"
    if kind in (SignalType.FEATURE_REQUEST, SignalType.QUESTION):
        return "requesting"
    if signal.sentiment <= -_SENTIMENT_EDGE:
        return "critical"
    if signal.sentiment >= _SENTIMENT_EDGE:
        return "favourable"
    return "neutral"


Camp = Literal["concerned", "favourable", "neutral"]

#: Stances grouped into the two sides of an answer: wanting change (pain or requests) vs content as is.
CAMP: dict[Stance, Camp] = {
    "critical": "concerned",
    "requesting": "concerned",
    "favourable": "favourable",
    "neutral": "neutral",
}
#: The camp that disagrees with each polar camp. Neutral signals take no stance, so they disagree with no one and
#: nothing disagrees with a neutral majority: dissent is only ever the opposing stance.
OPPOSITE: dict[Camp, Camp] = {"concerned": "favourable", "favourable": "concerned"}
