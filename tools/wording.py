"""Wording of drafted documents: pure text functions on topics, quotes and evidence rows.

What a topic is about ('fix sync bugs' → 'sync'), whether users report a problem, ask for something
or ask a question, the role and the benefit a story takes from its evidence, a short report that names
a topic, and how reporters are counted. Every deliverable kind shares them (``agents/deliverables``),
and the scorer uses :func:`distinct_topics`; none reads graph state.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from tools import story_quality
from tools.reqtype import classify_requirement

#: The marker of a gap the evidence cannot fill: the PM decides.
PM = "[PM to decide]"

_LEAD_VERB = re.compile(
    r"^(?:fix(?:ing)?|build(?:ing)?|add(?:ing)?|improv(?:e|ing)|ship(?:ping)?|support(?:ing)?|implement(?:ing)?|"
    r"creat(?:e|ing)|mak(?:e|ing)|launch(?:ing)?|rework(?:ing)?|redesign(?:ing)?|invest(?:ing)? in)\s+",
    re.IGNORECASE,
)
_PROBLEM_WORDS = re.compile(r"\s+(?:bugs?|issues?|problems?|errors?|failures?|crash(?:es)?)$", re.IGNORECASE)
QUOTE_CUT = 230
#: Words that open a verb's object: after an action verb they make the name an action ('change my PIN').
_OBJECT_START = frozenset("my our your the a an this that these those their his her its it them me us all every "
                          "any some more new".split())
_REQUEST_LEAD = re.compile(
    r"^(?:please\s+)?(?:add(?:ing)?|need(?:s|ed)?|want(?:s|ed)?|get|have|bring(?:\s+back)?|support|allow|enable|"
    r"implement|introduce)\s+", re.IGNORECASE)
_PROBLEM_TYPES = frozenset({"bug", "complaint", "churn_risk"})
_IMPERATIVE = re.compile(r"^\W*(?:please|fix|add|make|stop|give|let|get|bring|build)\b", re.IGNORECASE)
_CONTRAST = re.compile(r"[,;]?\s+(?:but|however|except that|although)\s+(?=\S)", re.IGNORECASE)

#: A topic as any layer holds it (graph state's ``Topic``, a scorer's working dict).
T = TypeVar("T", bound=Mapping[str, Any])


def subject(name: str) -> str:
    """The thing a topic is about: 'fix sync bugs' → 'sync', 'Building dark mode' → 'dark mode'.

    Words with a capital after their first letter keep their spelling ('SSO', 'iOS', 'GitHub').
    """
    core = _LEAD_VERB.sub("", name.strip()).strip()
    core = _PROBLEM_WORDS.sub("", core).strip()
    return " ".join(w if any(c.isupper() for c in w[1:]) else w.lower() for w in (core or name).split())


def topic_nature(topic: Mapping[str, Any], evidence: Mapping[str, Mapping[str, Any]]
                 ) -> Literal["problem", "request", "question"]:
    """Whether users mostly report problems with a topic, ask for something new, or ask how it works."""
    types = Counter(evidence[sid]["signal_type"] for sid in topic["signal_ids"] if sid in evidence)
    problems = types["bug"] + types["complaint"] + types["churn_risk"]
    if types["question"] > problems + types["feature_request"]:
        return "question"
    return "problem" if problems >= types["feature_request"] else "request"


def persona(ids: list[str], evidence: Mapping[str, Mapping[str, Any]]) -> str:
    """The role of a story: the dominant segment of its evidence."""
    segments = Counter(evidence[sid].get("segment") for sid in ids if sid in evidence and evidence[sid].get("segment"))
    if not segments:
        return "user"
    words = str(segments.most_common(1)[0][0]).replace("_", " ").split()
    # A short word without vowels is an acronym ('smb' → 'SMB'), so it reads (and takes its article) as one.
    words = [w.upper() if len(w) <= 4 and not re.search(r"[aeiouy]", w, re.IGNORECASE) else w for w in words]
    return f"{' '.join(words)} customer"


_CLAUSE = r"(?P<c>[^.!?\n]+?)\s*(?P<end>[.!?]|$)"
#: A word of the object in 'would make <object> happy' (not an intensifier of the adjective).
_W = r"(?!(?:very|so|much|far|way|really|a|more|less)\b)[\w'-]+"
#: Benefit clauses users state, and how each becomes a "so that" (None: the clause as it is).
_BENEFITS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"\bso\s+that\s+" + _CLAUSE, re.IGNORECASE), None),
    (re.compile(r"\bso\s+(?=(?:I|we|my|our)\b)" + _CLAUSE, re.IGNORECASE), None),
    (re.compile(r"\b(?:in\s+order|to\s+be\s+able)\s+to\s+" + _CLAUSE, re.IGNORECASE), "I can {c}"),
    (re.compile(r"\bbecause\s+(?:I|we)\s+(?:need|have|want)\s+to\s+" + _CLAUSE, re.IGNORECASE), "I can {c}"),
    (re.compile(r"\botherwise\s+(?:I|we)\s+(?:will|'ll|’ll)\s+" + _CLAUSE, re.IGNORECASE), "I won't {c}"),
    (re.compile(r"\botherwise\s+(?:I|we)\s+(?:can't|cannot|can’t)\s+" + _CLAUSE, re.IGNORECASE), "I can {c}"),
    (re.compile(r"\botherwise\s+(?:I|we)\s+(?!will\b|'ll|can|am\b|was\b|would\b)" + _CLAUSE, re.IGNORECASE),
     "I don't {c}"),
    # 'would make my designers very happy', 'makes it easier to share', 'would make us faster at billing'
    (re.compile(rf"\b(?:(?:would|will|could|it'?d)\s+(?:really\s+)?make|makes)\s+(?P<o>me|us|it|(?:{_W}\s+){{0,3}}{_W})"
                r"\s+(?P<c>(?:(?:very|so|much|a\s+lot|far|way|a\s+bit|really)\s+)?(?:happy|happier|easier|faster|"
                r"quicker|simpler|safer|better|more\s+productive|more\s+efficient|less\s+\w+)\b[^.!?\n]*?)"
                r"\s*(?P<end>[.!?]|$)", re.IGNORECASE), "{o} would be {c}"),
    # 'would save us hours a week', 'could save me a trip to the bank'
    (re.compile(r"\b(?:would|will|could|to|it'?d)\s+save\s+(?P<o>me|us)\s+" + _CLAUSE, re.IGNORECASE),
     "{o} would save {c}"),
)
#: How a benefit's object reads as the subject of its "so that" clause.
_SUBJECT = {"me": "I", "us": "we"}


def stated_benefit(quote: str) -> str | None:
    """The benefit a quote states ('… so that I can pay rent', '… otherwise I lose my notes'), or None.

    Only a whole clause (up to the end of its sentence) of 3-20 words is taken, never a cut one; a quote
    cut at its length limit (no closing punctuation) gives nothing from its last sentence.
    """
    for pattern, template in _BENEFITS:
        for match in pattern.finditer(quote):
            clause = " ".join(match.group("c").split()).strip(" ,;:-")
            closed = bool(match.group("end")) or len(quote) < QUOTE_CUT
            found = match.groupdict()
            who = " ".join(str(found.get("o") or "").split())
            who = _SUBJECT.get(who.lower(), who)
            text = template.format(c=clause, o=who) if template else clause
            words = (text if who else clause).split()
            if not closed or not 3 <= len(words) <= 20 or words[0].lower() == "that":
                continue
            if not story_quality.check_story(story_quality.from_fields("user", "x", text)).defects:
                return text
    return None


def benefit(ids: list[str], evidence: Mapping[str, Mapping[str, Any]]) -> str | None:
    """A benefit users stated themselves in one of the cited quotes, if any."""
    for sid in ids:
        found = stated_benefit(evidence[sid]["quote"]) if sid in evidence else None
        if found:
            return found
    return None


def requirement_type(text: str) -> Literal["functional", "non-functional"]:
    """Functional or non-functional (tools.reqtype)."""
    kind, _ = classify_requirement(text)
    return "non-functional" if str(kind).startswith("non") else "functional"


def known_reporters(rows: Iterable[Mapping[str, Any]]) -> int:
    """Distinct users/accounts the rows name (rows without a user or account id are not counted)."""
    return len({r.get("user_id") or r.get("account_id") for r in rows} - {None, ""})


def from_reporters(rows: Sequence[Mapping[str, Any]]) -> str:
    """'from 4 users/accounts', 'from 2 known users/accounts' (some rows name none), or 'users not recorded'."""
    known = known_reporters(rows)
    if not known:
        return "users not recorded"
    named = sum(1 for r in rows if r.get("user_id") or r.get("account_id"))
    return f"from {known} {'known ' if named < len(rows) else ''}user{'s' if known != 1 else ''}/accounts"


def short_id(sid: str) -> str:
    """The short citation mark of a signal id ('[s:1a2b3c4d]')."""
    return f"[s:{sid[:8]}]"


def capability(name: str, nature: str, example: str = "") -> str:
    """What a story asks for, from its topic's name and a short report of it.

    'dark mode', 'to change my PIN', 'a fix for “The ATM would not give my card back”' (a problem, shown by
    a user's own words when a short one names it), 'answers to questions like “What ATMs accept my card?”'.
    """
    core = _REQUEST_LEAD.sub("", name.strip()).strip() or name.strip()
    words = core.lower().split()
    # 'change my PIN' is an action; 'rate for my payment' is not (a noun that is also a verb).
    if len(words) > 1 and words[0] in story_quality.ACTION_VERBS and words[1] in _OBJECT_START:
        return f"to {core}"
    if nature == "question":
        return f"answers to questions like “{example}”" if example else f"clear answers about “{core}”"
    if nature == "problem":
        return f"a fix for “{example.rstrip('.!')}”" if example else f"a fix for the “{core}” problem"
    return core


def example_report(ids: list[str], name: str, nature: str, evidence: Mapping[str, Mapping[str, Any]],
                   role: str = "user") -> str:
    """A short quote (≤ 90 characters) that names the topic and reads as the story's capability, or ''.

    A question for a question topic, a statement otherwise; never one the story check would flag.
    """
    words = {w.lower() for w in re.findall(r"\w+", name)}
    best: tuple[int, int, str] | None = None
    for sid in ids:
        row = evidence.get(sid, {})
        quote = str(row.get("quote") or "").strip()
        kind = row.get("signal_type", "bug")
        # A mixed report ('Great editor, but sync between phone and laptop is hit or miss'): the part after the
        # contrast is the problem (tagged praise or other, as the whole may be).
        contrast = _CONTRAST.search(quote) if nature == "problem" and kind not in _PROBLEM_TYPES else None
        if contrast:
            quote, kind = quote[contrast.end():].strip(), "complaint"
        overlap = len(words & {w.lower() for w in re.findall(r"\w+", quote)})
        if not quote or len(quote) > 90 or not overlap or quote.endswith("?") != (nature == "question"):
            continue
        # A whole report of the situation: 4+ words ('For me, sync.' is not one), and for a problem, a report of
        # it (a bug or complaint), not a request to fix it ('Fix sync, skip the gimmicks.').
        if len(re.findall(r"\w+", quote)) < 4 or (nature == "problem" and (
                kind not in _PROBLEM_TYPES or _IMPERATIVE.match(quote))):
            continue
        draft = capability(name, nature, quote)
        if story_quality.check_story(story_quality.from_fields(role, draft, PM)).defects:
            continue
        key = (-overlap, len(quote), quote)
        if best is None or key < best:
            best = key
    return best[2] if best else ""


def distinct_topics(topics: list[T], overlap: float = 0.5) -> list[T]:
    """Topics minus those that repeat a stronger one (same subject, or ≥ ``overlap`` of its evidence shared)."""
    kept: list[T] = []
    for topic in topics:
        ids = set(topic["signal_ids"])
        duplicate = any(
            subject(topic["name"]) == subject(other["name"])
            or (ids and len(ids & set(other["signal_ids"])) / len(ids) >= overlap)
            for other in kept
        )
        if not duplicate:
            kept.append(topic)
    return kept


def lower_first(text: str) -> str:
    """'Requests for dark mode' → 'requests for dark mode' (an acronym or brand keeps its capital)."""
    first = text.split()[0] if text.split() else ""
    return text[:1].lower() + text[1:] if first[1:].islower() or len(first) == 1 else text
