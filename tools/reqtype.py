"""Requirement type of a drafted story or requirement: functional, or which non-functional quality.

A lexicon scorer, not a trained model: each non-functional category (codes of the PROMISE NFR
set) has cue phrases drawn from the ISO/IEC 25010 quality vocabulary and common requirements
phrasing, plus a few structural cues (a number with a time unit is a performance or availability
constraint). A requirement is non-functional when its best category scores at least
``NFR_THRESHOLD``; otherwise it is functional ("F"). Nothing is downloaded or trained at import.
"""

from __future__ import annotations

import re
from typing import Literal

from kernel.errors import InputError

__all__ = ["NFR_CATEGORIES", "NFR_THRESHOLD", "RequirementKind", "classify_requirement", "score_requirement"]

RequirementKind = Literal["functional", "non-functional"]

#: Codes and names of the non-functional categories (PROMISE NFR).
NFR_CATEGORIES: dict[str, str] = {
    "US": "usability",
    "SE": "security",
    "O": "operational",
    "PE": "performance",
    "LF": "look and feel",
    "A": "availability",
    "SC": "scalability",
    "MN": "maintainability",
    "L": "legal",
    "FT": "fault tolerance",
    "PO": "portability",
}

#: Minimum category score for a requirement to count as non-functional.
NFR_THRESHOLD = 1.0

_TIME = r"(?:milli)?seconds?|secs?|ms|minutes?|mins?|hours?|hrs?|days?"

_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "US": (
        (r"easy to (?:use|learn|understand|navigate|read|find|operate)|ease of (?:use|learning)|"
         r"user[- ]friendly|intuitive|usability|usable|learnab\w+|self[- ]explanatory", 1.5),
        (r"(?:without|no|minimal|little) (?:prior |additional |formal )?training|(?:be )?trained|"
         r"training (?:time|session|course)|learn (?:to|how)|novice|first[- ]time users?|new users?", 1.2),
        (r"understand(?:able)?|readable|legible|accessib(?:le|ility)|disabilit\w+|screen readers?|"
         r"(?:help|instructions?|guidance|tooltips?|online help)", 0.8),
        (r"\d+ ?% of (?:the )?(?:users?|viewers?|people|participants)|satisf(?:ied|action)|"
         r"(?:number of )?(?:clicks?|keystrokes?|steps) (?:to|required)|efficien(?:t|cy) of use", 1.0),
        (r"conven(?:ient|ience)|simple|consistent (?:navigation|interface|terminology)|"
         r"error messages?|meaningful", 0.6),
        (r"easy for (?:\w+ ){1,3}to|understandabl\w+|untrained|(?:\d+|two|three|four) out of (?:\d+|three|four|"
         r"five|ten)|productivity|mistakes|locale|locali[sz]\w+|(?:native|chosen|preferred|target) languages?|"
         r"languages?|customi[sz]\w+|personali[sz]\w+|preferences", 1.0),
    ),
    "SE": (
        (r"secur(?:e|ity|ed)|authori[sz](?:ed|ation|e)|unauthori[sz]ed|authenticat\w+|encrypt\w*|"
         r"password\w*|privacy|confidential\w*|permissions?|privileges?|access (?:control|rights?|levels?)",
         1.6),
        (r"log ?(?:in|on)|sign ?in|credentials?|user ?(?:id|name)s?|roles?|firewall|virus(?:es)?|malicious|"
         r"attacks?|hack\w*|tamper\w*|ssl|tls|https|audit (?:trail|log)s?|protect(?:ed|ion)?", 1.0),
        (r"only (?:be )?(?:accessible|available|visible|viewable|editable) (?:to|by)|"
         r"(?:only|solely) (?:authori[sz]ed )?(?:users?|administrators?|admins?|managers?|staff|members) "
         r"(?:\w+ )?(?:shall|will|can|may|must|should)|restrict(?:ed)? access|prevent (?:unauthori|access)",
         1.4),
        (r"(?:have|has|gain|get|with) (?:\w+ )?access|access to|(?:data )?integrity|(?:invalid|incorrect|"
         r"corrupt(?:ed)?) data|(?:not|never) be able to (?:view|see|access|modify|read|change)|revok\w+|"
         r"only (?:people|persons?|users?|ones?) who|(?:the )?only (?:people|persons?|users?)", 1.3),
    ),
    "O": (
        (r"operat(?:ing system|ional environment|e (?:in|on|with|within|under))|run (?:on|in|under)|"
         r"(?:windows|linux|unix|mac ?os|android|ios|solaris)\b|(?:web )?browsers?|internet explorer|"
         r"firefox|chrome|netscape", 1.4),
        (r"interface with|(?:developed|written|implemented|built) (?:with|in|using)|programming languages?|"
         r"j2ee|j2se|java|\.net|equipment|supported (?:by|using|on)|(?:office|field|outdoor) environments?|"
         r"conditions|operated (?:in|by|on)|\bapi\b", 1.2),
        (r"integrat(?:e|ed) with|compatible with|(?:existing|current|legacy) "
         r"(?:system|database|infrastructure|hardware|network|software)|hardware|servers?|databases?|"
         r"oracle|sql|network|install(?:ed|ation)?|deploy(?:ed|ment)?|environment", 0.9),
        (r"backup|back up|batch|nightly|scheduled|print(?:ers?)?|handheld|devices?|(?:pc|workstation)s?",
         0.5),
    ),
    "PE": (
        (rf"(?:within|under|less than|no (?:more|longer) than|at most|maximum of|in) (?:\d+(?:\.\d+)?|one|two|"
         rf"three|five|ten|a) ?(?:{_TIME})", 1.8),
        (rf"acceptable (?:amount of )?time|timely|no later(?: than)?|(?:longer|more) than \d+ ?(?:{_TIME})|"
         r"of a second|multi-?threading|load balancing|parallel processing|asynchronous\w*|"
         r"\d+ ?% of (?:all )?(?:the )?(?:requests?|transactions?|leads?|queries|searches|cases)|"
         r"every (?:hour|day|minute|night)|once (?:per|a|every) (?:day|hour|minute|night)", 1.4),
        (r"response time|respond(?:s)? (?:within|in)|latency|throughput|per second|transactions? per|"
         r"performance|fast(?:er)?|quick(?:ly)?|speed|real[- ]time|promptly|immediately|delay", 1.2),
        (rf"every \d+ ?(?:{_TIME})|refresh\w*|(?:load|display|return|complete|process|generate)\w* "
         r"(?:within|in under)", 1.0),
    ),
    "LF": (
        (r"colou?rs?|fonts?|look and feel|appearance|look(?:s)? (?:like|professional|attractive|modern)|"
         r"aesthetic\w*|attractive|appealing|logos?|branding|corporate (?:style|identity|colou?rs)|"
         r"style ?guides?|graphics?|icons?|layout|visual(?:ly)?", 1.5),
        (r"screens? (?:shall|will|should) (?:be|have|look)|professional(?:ly)?|consistent (?:with|look)|"
         r"theme|display(?:ed)? (?:in|with) (?:a|the) (?:\w+ )?(?:style|manner|format)", 0.8),
    ),
    "A": (
        (r"availability|(?:be|is|are|remain|stay) (?:\w+ )?available (?:to (?:\w+ ){1,2})?(?:\d|24|during|at all|"
         r"all|for use|around|every|between|from|on|except|when|whenever|without)|up ?time|down ?time|"
         r"24 ?(?:/|x|hours? a day|hours? per day)|24 ?hours|"
         r"7 days a week|365 days|\d+(?:\.\d+)? ?% of the time|outages?|business hours|hours a day", 1.5),
        (r"accessible (?:at all times|anytime|24)|maintenance windows?|scheduled maintenance", 1.2),
    ),
    "SC": (
        (r"scal(?:able|ability|ing)|scales? (?:up|out|down|to|with|horizontally|vertically|well)\b|(?:at|to) scale\b|"
         r"concurrent(?:ly)?|simultaneous(?:ly)?|(?:up to|at least|minimum of|"
         r"support|handle|accommodate) (?:\d[\d,]*|a (?:large|growing)) (?:\w+ )?(?:users?|records?|"
         r"transactions?|requests?|customers?|clients?|sessions?)", 1.6),
        (r"capacity|growth|grow(?:s|ing)?|increas(?:e|ed|ing) (?:in )?(?:the )?(?:number|volume|load)|"
         r"volume|expand\w*|(?:number of )?users? (?:at once|at the same time)", 1.0),
    ),
    "MN": (
        (r"maintainab\w+|maintenance|modifiab\w+|extensib\w+|modular\w*|reusab\w+|upgrad\w+|"
         r"configurab\w+|changeable|(?:easy|easily|ease of|quickly|able to be) (?:to )?(?:maintain|modif|chang|"
         r"updat|extend|adapt)\w*|updat(?:e|ed|ing) (?:the )?(?:system|software|application|code)", 1.3),
        (r"source code|coding standards?|documented|documentation|(?:new|future) (?:releases?|versions?)|"
         r"patch\w*|fix(?:ed)? within|without (?:re)?compil\w+|without (?:changing|modifying)", 1.0),
    ),
    "L": (
        (r"laws?|legal\w*|legislat\w+|regulat(?:ion|ions|ory|ed)|compl(?:y|ies|iance|iant) with|"
         r"in accordance with|statut\w+|copyright\w*|licen[cs]\w*|hipaa|sarbanes|sox|gdpr|ada|"
         r"\bact\b|policy|policies|government(?:al)?|federal|state (?:of|law)|guidelines?|standards?|"
         r"court|contract\w*|terms and conditions", 1.5),
        (r"audit\w*|retain(?:ed)? for|retention|record[- ]keeping", 0.8),
    ),
    "FT": (
        (r"fault\w*|failures?|fail[- ]?over|recover(?:y|ed|able)?|redundan\w+|restor(?:e|ed|ation)|"
         r"crash\w*|toleran\w+|resilien\w+|degrad\w+|continue to (?:operate|function|work|run)|"
         r"loss of (?:data|power|connection|connectivity|network)|(?:power|network|system) (?:failure|outage)",
         1.6),
        (r"backups?|back ?up|error handling|gracefully|interrupt\w*|without (?:losing|loss)", 0.8),
    ),
    "PO": (
        (r"portab\w+|port(?:ed)? to|platform[- ]independent|cross[- ]platform|(?:any|multiple|different|"
         r"other) (?:platforms?|operating systems?|browsers?|devices?|hardware)|independent of", 1.6),
    ),
}

# Functional phrasing: an actor doing a domain action. Weak evidence, it only offsets stray NFR words.
_FUNCTIONAL = re.compile(
    r"\b(?:shall|will|must|should|can) (?:be able to |allow (?:the )?(?:\w+ )?(?:users? )?to |"
    r"let (?:the )?\w+ )?(?:add|create|delete|remove|edit|update|record|store|save|generate|send|"
    r"notify|calculate|compute|select|search|view|display|print|export|import|enter|submit|assign|"
    r"schedule|track|list|sort|filter|upload|download|email|approve|reject|request|register|book|"
    r"cancel|check|validate|verify|show|provide|produce|maintain a list|retrieve|allow)\b"
)

#: One pattern per cue, so cues may overlap ("load within two seconds" is both a load verb and a time bound).
_PATTERNS: tuple[tuple[str, float, re.Pattern[str]], ...] = tuple(
    (code, weight, re.compile(r"(?<![\w])(?:" + fragment + r")(?![\w])"))
    for code, cues in _CUES.items() for fragment, weight in cues
)


def score_requirement(text: str) -> dict[str, float]:
    """Score of each non-functional category (codes of ``NFR_CATEGORIES``) and of "F"."""
    norm = " ".join(text.replace("\\%", "%").lower().split())
    scores = dict.fromkeys(NFR_CATEGORIES, 0.0)
    for code, weight, pattern in _PATTERNS:
        scores[code] += weight * sum(1 for _ in pattern.finditer(norm))
    scores["F"] = 0.7 * len(_FUNCTIONAL.findall(norm))
    return scores


def classify_requirement(text: str, threshold: float = NFR_THRESHOLD) -> tuple[RequirementKind, str]:
    """Classify a requirement as functional or non-functional, with its category code.

    Args:
        text: One requirement or user story.
        threshold: Minimum score of the best non-functional category (tunable for evaluation).

    Returns:
        ``("functional", "F")`` or ``("non-functional", code)`` with a code of ``NFR_CATEGORIES``.

    Raises:
        InputError: ``text`` is empty.
    """
    if not text or not text.strip():
        raise InputError("requirement text is empty")
    scores = score_requirement(text)
    functional = scores.pop("F")
    code = max(NFR_CATEGORIES, key=lambda c: (scores[c], -list(NFR_CATEGORIES).index(c)))
    if scores[code] >= threshold and scores[code] >= functional:
        return "non-functional", code
    return "functional", "F"
