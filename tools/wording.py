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
from dataclasses import dataclass
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


def stated_role(quote: str) -> str:
    """The role a quote states as a user story ('As an OlderPerson, I want …' → 'OlderPerson'), or ''."""
    story = story_quality.parse(quote)
    if not story.role or not story.means or story_quality.check_story(story).kinds.count("role_brackets"):
        return ""
    role = re.sub(r"^(?:an?|the)\s+", "", story.role, flags=re.IGNORECASE).strip(" ,")
    return role if 1 <= len(role.split()) <= 4 else ""


def persona(ids: list[str], evidence: Mapping[str, Mapping[str, Any]]) -> str:
    """The role of a story: the one its evidence states ('As an OlderPerson, …'), else its dominant segment.

    A stated role counts when most of the quotes that state a role name it; without one the
    dominant segment ('SMB customer'), else 'user'.
    """
    rows = [evidence[sid] for sid in ids if sid in evidence]
    stated = Counter(r for r in (stated_role(str(row.get("quote") or "")) for row in rows) if r)
    if stated:
        role, count = stated.most_common(1)[0]
        if 2 * count > sum(stated.values()):
            return role
    segments = Counter(row.get("segment") for row in rows if row.get("segment"))
    if not segments:
        return "user"
    words = str(segments.most_common(1)[0][0]).replace("_", " ").split()
    # A short word without vowels is an acronym ('smb' → 'SMB'), so it reads (and takes its article) as one.
    words = [w.upper() if len(w) <= 4 and not re.search(r"[aeiouy]", w, re.IGNORECASE) else w for w in words]
    return f"{' '.join(words)} customer"


#: 'The system shall be able to …', 'The product must …': a requirement statement's subject and its verb phrase.
_SHALL = re.compile(r"^\W*(?P<s>(?:the|a|an|our|each|every|all)\s+(?:[\w-]+\s+){0,2}?[\w-]+)\s+"
                    r"(?:shall|must|should|will|needs?\s+to)\s+(?:be\s+able\s+to\s+)?(?P<v>[^.!?\n]+?)\s*[.!?]?\s*$",
                    re.IGNORECASE)
_WANT = re.compile(r"\bI\s+(?:would\s+like|'d\s+like|want|need|wish)\s+(?P<to>to\s+)?(?P<v>[^.!?\n]+?)\s*"
                   r"(?:,?\s+(?:so\s+that|so|in\s+order\s+to|because)\b[^.!?\n]*)?(?:[.!?]|$)", re.IGNORECASE)


#: Where a want's benefit or reason starts: never part of what is wanted ('… by my name, because I keep …').
BENEFIT_SPLIT = r",?\s+(?:so\s+that|in\s+order\s+to|because)\b"


def wanted(quote: str) -> str:
    """What a quote asks for, as a story's "I want" in its own words, or '' when it states no whole request.

    'As an OlderPerson, I want to decide who has access to my data, so that …' → 'to decide who has access to
    my data'; 'The system shall perform with 1500 users at a time.' → 'the system to perform with 1500 users
    at a time'; 'I need to export my notes.' → 'to export my notes'. Only a result the story check passes.
    """
    text = " ".join(str(quote).split())
    found = ""
    story = story_quality.parse(text)
    if story.role and story.means:
        lead = "to " if re.search(r"(?:\bto|can|could|able to)$", story.means_indicator.strip(), re.IGNORECASE) \
            and not story.means.lower().startswith("to ") else ""
        found = lead + story.means
    elif (match := _SHALL.match(text)) is not None:
        found = f"{lower_first(match.group('s'))} to {match.group('v')}"
    elif (match := _WANT.search(text)) is not None:
        found = ("to " if match.group("to") else "") + match.group("v")
    # the benefit is the story's "so that", never part of what is wanted ('… shall be intuitive so that they can …')
    found = re.split(BENEFIT_SPLIT, found, maxsplit=1, flags=re.IGNORECASE)[0]
    found = found.strip(" ,;:.!")
    if not found or not 2 <= len(found.split()) <= 20:
        return ""
    return "" if story_quality.check_story(story_quality.from_fields("user", found, PM)).defects else found


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
    cut at its length limit (no closing punctuation) gives nothing from its last sentence. A user story's
    benefit is its "so that" part: its "I want to be able to …" is what it asks for, not why.
    """
    story = story_quality.parse(quote)
    if story.role and story.means:
        if not story.ends:
            return None
        quote = f"{story.ends_indicator} {story.ends}"
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
            if not story_quality.check_story(story_quality.from_fields("user", "to do it", text)).defects:
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
    asked = wanted(example) if example else ""
    # The evidence's own request replaces a bare word ('data', 'users') and is kept as a backlog states it.
    structured = bool(example) and (bool(story_quality.parse(example).role) or bool(_SHALL.match(example)))
    return asked if asked and (structured or (len(words) == 1 and core.islower())) else core


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
        # A request is shown by what it asks for (a backlog line may be longer than a report).
        limit = 160 if nature == "request" else 90
        if not quote or len(quote) > limit or not overlap or quote.endswith("?") != (nature == "question"):
            continue
        if nature == "request" and not wanted(quote):
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


_PERSON = {"i": "they", "me": "them", "my": "their", "mine": "theirs", "myself": "themselves", "i'm": "they're",
           "we": "they", "us": "them", "our": "their", "i've": "they've", "am": "are"}
#: A report of something a user could not do: 'I can't get cash from the ATM' → 'get cash from the ATM'.
_CANNOT = re.compile(r"\b(?:can't|can’t|cannot|can\s+not|couldn't|couldn’t|unable\s+to|not\s+able\s+to|"
                     r"(?:won't|doesn't|didn't|wouldn't)\s+let\s+me|fail(?:s|ed)?\s+to|trouble)\s+"
                     r"(?P<v>[a-z][^.!?,;]*?)\s*(?:[.!?,;]|$)", re.IGNORECASE)


#: Where a reported action's circumstance starts ('log in since the update' → 'log in'): when, not what.
_CIRCUMSTANCE = re.compile(
    r"\s+(?:since|after|before|when|whenever|while|because|until|unless|if|as\s+of|any\s?more|anymore|"
    r"at\s+the\s+moment|right\s+now|now|today|yesterday|recently|lately|this\s+(?:morning|week|month)|"
    r"(?:for|in|over)\s+(?:the\s+)?(?:last|past)\b|for\s+\d+|for\s+(?:days|weeks|hours|months|ages))\b.*$",
    re.IGNORECASE)
#: A quote that asks ('Why was I charged twice?') is quoted in a criterion, never retold in the third person.
_ASKS = re.compile(r"^\W*(?:what|how|why|when|where|who|which|can|could|should|is|are|am|do|does|did|was|were|"
                   r"will|would|has|have)\b", re.IGNORECASE)
#: Plurals that do not end in -s ('people are'); a head word ending in -ss/-us/-is is singular ('the status is').
_PLURAL = frozenset({"people", "children", "men", "women", "staff", "police"})


def _be(subject_phrase: str) -> str:
    """'is' or 'are' for a subject by its last word: 'reports are', 'their data is', 'the admins are'."""
    head = subject_phrase.split()[-1].lower() if subject_phrase.split() else ""
    plural = head in _PLURAL or (head.endswith("s") and not head.endswith(("ss", "us", "is", "'s", "’s")))
    return "are" if plural else "is"


def third_person(text: str) -> str:
    """A user's words about themselves told of them: 'get my card back' → 'get their card back'."""
    return re.sub(r"[\w'’]+", lambda m: _PERSON.get(m.group(0).lower(), m.group(0)), text)


#: A want's condition ('to change my estimate **as long as** the draw has not been completed'): the criterion's Given.
_CONDITION = re.compile(r"^(?P<a>.+?)\s*,?\s+(?P<m>as\s+long\s+as|(?:up\s+)?until|while|as\s+soon\s+as|once|"
                        r"only\s+if|if|when|whenever|after|before)\s+(?P<c>.+)$", re.IGNORECASE)
#: Words an action never ends with: 'an upgrade step for | when …' is no action cut from its condition.
_DANGLING = frozenset("for of to in on at by with from about the a an that which who whose and or but be".split())
_NEGATED = re.compile(r"\b(has|have|had|is|are|was|were|does|do|did|can|could|will)\s+not\b|"
                      r"\b(has|have|had|is|are|was|were|does|do|did|ca|could|wo)n[’']t\b", re.IGNORECASE)


def condition_of(want: str) -> tuple[str, str, str] | None:
    """(action, marker, condition) of a want that states when it applies, or None.

    'to change my estimate as long as the draw has not been completed' → ('to change my estimate', 'as long as',
    'the draw has not been completed'). The action keeps 2+ words and does not end on a preposition; the condition
    has 3+ words: 'to know which reports are coming out when' states no condition.
    """
    found = _CONDITION.match(" ".join(want.split()).rstrip(" .!"))
    if not found:
        return None
    action, marker, condition = found.group("a").strip(" ,"), found.group("m").lower(), found.group("c").strip(" ,")
    words = re.sub(r"^to\s+(?:be\s+able\s+to\s+)?", "", action, flags=re.IGNORECASE).split()
    if len(words) < 2 or words[-1].lower() in _DANGLING or len(condition.split()) < 3:
        return None
    return action, " ".join(marker.split()), condition


def _positive(condition: str) -> str:
    """A negated condition stated positively ('the draw has not been completed' → 'the draw has been completed')."""
    return _NEGATED.sub(lambda m: m.group(1) or {"ca": "can", "wo": "will"}.get(m.group(2).lower(), m.group(2)),
                        condition, count=1)


def conditional_given(a_role: str, said: str, want: str) -> tuple[str, str]:
    """(Given clause, the action) of a want: its condition goes to the Given, the action alone to the When.

    'Given a participant who asked for it in [s:…], and the draw has not been completed' and 'to change my estimate';
    a want without a condition: the plain Given and the want as it is.
    """
    given = f"Given {a_role} who asked for it in {said}"
    parsed = condition_of(want)
    if parsed is None:
        return given, want
    action, marker, condition = parsed
    when = {"until": "before", "up until": "before", "as long as": "while", "only if": "if"}.get(marker, marker)
    return f"{given}, {when} {third_person(condition)}", action


def boundary_criterion(role: str, want: str) -> str:
    """The case a want's condition rules out, as a criterion; '' when its condition has no clear opposite.

    'to change my estimate as long as the draw has not been completed' → 'Given a participant, once the draw has
    been completed, When they try to change their estimate, Then they cannot (…)'; 'until X' → 'once X'.
    """
    parsed = condition_of(want)
    if parsed is None:
        return ""
    action, marker, condition = parsed
    if marker in ("until", "up until"):
        opposite = condition
    elif marker in ("as long as", "while", "only if") and _NEGATED.search(condition):
        opposite = _positive(condition)
    else:
        return ""
    doing = re.sub(r"^to\s+(?:be\s+able\s+to\s+)?", "", action, flags=re.IGNORECASE)
    a_role = f"{story_quality.article(role)} {role}"
    return (f"Given {a_role}, once {third_person(opposite)}, When they try to {third_person(doing)}, Then they cannot "
            f"({PM}: what they are told)")


def situation_criterion(role: str, nature: str, i_want: str, sid: str, quote: str) -> str:
    """The first acceptance criterion of a story, in its evidence's words, never one template for all.

    A problem a user could not do something in ('I can't get cash from the ATM') → 'When they get cash from
    the ATM after the change, Then they can'; another report is quoted as what no longer happens; a question
    is answered; a request is done as asked ('Then they are able to decide who sees their data').
    """
    a_role = f"{story_quality.article(role)} {role}"
    mark = short_id(sid) if sid else "the evidence"
    said = f"{mark}: “{quote}”" if quote else mark
    if nature == "question":
        asked = quote or i_want
        return (f"Given {a_role} who asks {said}, When they look for the answer in the product or its help, "
                f"Then they find one that answers “{asked.rstrip('?')}” without contacting support")
    if nature == "problem":
        action = _CANNOT.search(quote or "")
        if action:
            verb = third_person(_CIRCUMSTANCE.sub("", action.group("v")).strip() or action.group("v"))
            return f"Given {a_role} who reported {said}, When they {verb} after the change, Then they can {verb}"
        # The report itself, without a question or a second sentence after it ('…, what do I do?').
        first = re.split(r"[,;]\s*(?=(?:what|how|why|can|could|should|is|do|does|please)\b)|(?<=\w)[.!?](?:\s|$)",
                         quote or i_want, maxsplit=1, flags=re.IGNORECASE)[0]
        if _ASKS.match(first) or (quote or i_want)[len(first):len(first) + 1] == "?":
            asked_report = " ".join(first.split()).rstrip(" ?")
            return (f"Given {a_role} who reported {said}, When they do it again after the change, "
                    f"Then they no longer have to ask “{asked_report}?”")
        report = third_person(first.rstrip(".!?")).strip()
        return (f"Given {a_role} who reported {said}, When they do it again after the change, "
                f"Then this no longer happens: {lower_first(report) if report else PM}")
    asked = third_person(re.sub(r"^to\s+be\s+able\s+to\s+", "to ", i_want, flags=re.IGNORECASE))
    if asked.startswith("to "):
        then = f"they are able {asked}"
    elif (shall := re.match(r"^(?P<s>.+?)\s+to\s+(?P<v>.+)$", asked)) and not asked.lower().startswith(("a ", "an ")):
        # 'reports to be exported as PDF' → 'reports are exported as PDF'; 'the admins to approve new users' →
        # 'the admins are able to approve new users'.
        who, verb = shall.group("s"), shall.group("v")
        passive = re.match(r"be\s+(?P<rest>.+)$", verb, re.IGNORECASE)
        then = f"{who} {_be(who)} {passive.group('rest')}" if passive else f"{who} {_be(who)} able to {verb}"
    else:
        then = f"they have {asked}"
    given, _ = conditional_given(a_role, said, i_want)
    parsed = condition_of(asked)
    if parsed is not None and asked.startswith("to "):  # the condition is the Given's: 'they are able to change …'
        then = f"they are able {parsed[0]}"
    return f"{given}, When the change is released, Then {then}"


def complete_phrase(name: str, quotes: Iterable[str]) -> str:
    """A topic name made whole from its quotes ('problems with my top' → '… my top up'): see story_quality."""
    return story_quality.complete_phrase(name, list(quotes))


# --------------------------------------------------------------------------- measurable thresholds

#: Units a stated limit is measured in, by dimension, with their factor to the dimension's base unit.
_UNITS: dict[str, tuple[str, float]] = {
    "ms": ("duration", 0.001), "millisecond": ("duration", 0.001), "milliseconds": ("duration", 0.001),
    "second": ("duration", 1), "seconds": ("duration", 1), "sec": ("duration", 1), "secs": ("duration", 1),
    "minute": ("duration", 60), "minutes": ("duration", 60), "min": ("duration", 60), "mins": ("duration", 60),
    "hour": ("duration", 3600), "hours": ("duration", 3600), "hr": ("duration", 3600), "hrs": ("duration", 3600),
    "day": ("duration", 86400), "days": ("duration", 86400), "week": ("duration", 604800),
    "weeks": ("duration", 604800), "month": ("duration", 2592000), "months": ("duration", 2592000),
    "year": ("duration", 31536000), "years": ("duration", 31536000),
    "%": ("percentage", 1), "percent": ("percentage", 1), "per cent": ("percentage", 1),
    "kb": ("size", 1e3), "mb": ("size", 1e6), "gb": ("size", 1e9), "tb": ("size", 1e12),
    "bytes": ("size", 1), "kilobytes": ("size", 1e3), "megabytes": ("size", 1e6), "gigabytes": ("size", 1e9),
    "kbps": ("rate", 1e3), "mbps": ("rate", 1e6), "gbps": ("rate", 1e9),
}
#: Things a count limit is stated in ('1500 users at a time', 'up to 10 files').
_COUNTED = (r"(?:concurrent\s+|simultaneous\s+)?(?:users|customers|people|accesses|requests|transactions|records|"
            r"files|items|pages|clicks|steps|attempts|sessions|connections|queries|reports|documents|times)")
_COMPARATOR = (r"(?:no\s+(?:more|less|longer|later|fewer|slower)\s+than|not\s+(?:more|less|longer|exceed(?:ing)?)\s+"
               r"(?:than\s+)?|(?:less|more|fewer|longer|shorter)\s+than|at\s+(?:least|most|a\s+minimum\s+of|a\s+maximum"
               r"\s+of)|up\s+to|within|under|over|exceed(?:s|ing)?|maximum(?:\s+[\w-]+){0,3}\s+of|minimum(?:\s+[\w-]+)"
               r"{0,3}\s+of|a\s+maximum\s+of|a\s+minimum\s+of|no\s+later|after|every|in)")
#: A number, whole ('2', '0.5', '1,500', '10 000'), never the tail of another ('000' of '10 000', '2' of 'x2').
_NUMBER = r"(?<![\w.,])(?P<n>\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+(?![\d.,])|\d+(?:\.\d+)?)"
_UNIT_RE = "|".join(sorted((re.escape(u) for u in _UNITS if u != "%"), key=len, reverse=True))
_LIMIT = re.compile(
    rf"(?:(?<!\w)(?P<cmp>{_COMPARATOR})\s+(?:(?:a|an|the)\s+)?)?{_NUMBER}\s*(?:(?P<pct>\\?%)|(?P<u>(?:{_UNIT_RE})\b)"
    rf"|(?P<c>{_COUNTED}\b))"
    r"(?P<q>(?:\s+(?:per|a|an|each)\s+(?:second|minute|hour|day|week|month|year|user|request))?"
    r"(?:\s+(?:for\s+)?\d+(?:\.\d+)?\s*(?:\\?%|percent)\s+of\s+(?:the\s+)?[\w-]+"
    r"(?:\s+(?!(?:and|or|but|unless|if|when|while|with|the|a|an)\b)[\w-]+)?)?)",
    re.IGNORECASE)
#: A quote states a limit it asks for (a requirement or a user's request), not a number it observed.
_REQUIRES = re.compile(r"\b(?:shall|must|should|need(?:s|ed)?\s+to|want|would\s+like|'d\s+like|required?"
                       r"|expect(?:s|ed)?|has\s+to|have\s+to)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Limit:
    """A measurable limit a quote states: its dimension, value in the dimension's base unit, and words.

    ``measured`` is what the limit qualifies, in the quote's words ('the response time of schedule generation',
    'respond to a search'), '' when the sentence does not say.
    """

    dimension: str
    value: float
    text: str
    sid: str
    measured: str = ""

    @property
    def thing(self) -> tuple[str, ...]:
        """The measured thing's content words, spelling and plurals aside: limits with equal ones are comparable."""
        words = [w.lower() for w in re.findall(r"[A-Za-z]+|\d+(?:\.\d+)?", self.measured)]  # 90 % ≠ 98 % of tasks
        return tuple(sorted({w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                             for w in words if w not in _FILLER}))


#: Words that do not tell what is measured: articles, modals, light verbs and the generic actor of a requirement.
_FILLER = frozenset("a an the any each every all its their our of to for be is are been being shall must should will "
                    "would can could may need needs have has take takes able then also and or it".split())
#: A requirement's generic actor ('The system shall respond …'): the verb phrase, not the actor, is measured.
_ACTOR = frozenset("system systems product application app software site website service platform tool solution "
                   "user users we i it they".split())
#: Where the clause a limit belongs to starts: a sentence's punctuation or a conjunction joining clauses.
_CLAUSE_START = re.compile(r"[,;:(]\s*|\s+(?:and|but|or|then|while|whereas)\s+", re.IGNORECASE)
_MODAL = re.compile(r"\b(?:shall|must|should|will|needs?\s+to|has\s+to|have\s+to|is\s+required\s+to|"
                    r"are\s+required\s+to)\s+(?:be\s+able\s+to\s+)?", re.IGNORECASE)
_LIGHT = re.compile(r"^(?:(?:be|have|has|take|takes|provide|offer|get|a|an|the|then|also)\b\s*)+", re.IGNORECASE)


def _measured(clause: str, comparator: str) -> str:
    """What a limit qualifies: the clause's subject (unless a generic actor) and verb phrase, in its words.

    'The response time of schedule generation shall take' → 'the response time of schedule generation';
    'The system shall respond to a search' → 'respond to a search'; 'shall have a maximum response time of' →
    'response time' (the comparator names it; 'the processing time should have a maximum response time of' →
    'processing time response time').
    """
    inner = re.match(r"(?:a\s+)?(?:maximum|minimum)\s+(?P<w>.+?)\s+of$", comparator.strip(), re.IGNORECASE)
    clause = clause.strip(" '\"‘’“”")
    modal = _MODAL.search(clause)
    subject_words, verb = (clause[:modal.start()], clause[modal.end():]) if modal else ("", clause)
    subject_words = re.sub(r"^(?:the|a|an|any|each|every|all)\s+", "", subject_words.strip(), flags=re.IGNORECASE)
    head = subject_words.split()[-1].lower() if subject_words.split() else ""
    verb = _LIGHT.sub("", verb.strip())
    verb = re.sub(r"\s+(?:with|by|at|for|in|on|to|of|a|an|the)$", "", verb, flags=re.IGNORECASE).strip()
    if inner:  # 'the processing time should have a maximum response time of': both say what is measured
        verb = inner.group("w")
    parts = [subject_words if head not in _ACTOR else "", verb]
    return " ".join(p for p in parts if p).strip()


def stated_limits(ids: Sequence[str], evidence: Mapping[str, Mapping[str, Any]]) -> list[Limit]:
    """The measurable limits the cited quotes state as required ('no more than 2 seconds for 95% of responses').

    Durations, percentages, sizes, rates, and counts with a comparator ('up to 10 files'), each in the quote's
    own words; only from quotes that ask for something (shall, must, want, need …), never a number a user
    reports having seen ('I waited 3 days'). A percentage that qualifies another limit stays part of it.
    """
    found: list[Limit] = []
    for sid in ids:
        quote = " ".join(str(evidence.get(sid, {}).get("quote") or "").split())
        # Only what a sentence asks for: the limits after its 'shall', 'must', 'want' …, not a number before it.
        asked = [(sentence, required.end()) for sentence in re.split(r"(?<=[.!?])\s+", quote)
                 if (required := _REQUIRES.search(sentence))]
        for sentence, start in asked:
            _limits_in(sentence, start, sid, found)
    return found


def _limits_in(quote: str, start: int, sid: str, found: list[Limit]) -> None:
    """The limits of one sentence after position ``start``, appended to ``found``."""
    for match in _LIMIT.finditer(quote, start):
        number = float(match.group("n").replace(",", "").replace(" ", ""))
        comparator = match.group("cmp") or ""
        if match.group("pct"):
            dimension, factor = "percentage", 1.0
        elif match.group("u"):
            dimension, factor = _UNITS[match.group("u").lower()]
        else:
            if not comparator and not re.search(r"\bat\s+a\s+time\b|\bconcurrent|\bsimultaneous",
                                                quote[match.end():match.end() + 20] + match.group(0),
                                                re.IGNORECASE):
                continue
            dimension, factor = "count", 1.0
        if comparator.lower() in {"in", "after", "every"} and dimension != "duration":
            continue
        text = match.group(0).replace("\\%", "%").strip()
        period = re.search(r"\b(?:per|a|an|each)\s+(second|minute|hour|day|week|month|year|user|request)\b",
                           match.group("q") or "", re.IGNORECASE)
        if period:  # '24 hours per day' is a share of a period, not a duration to compare with '5 seconds'
            dimension = f"{dimension} per {period.group(1).lower()}"

        if comparator.lower() == "in" and dimension == "duration":
            text = text[3:]
        if comparator.lower() == "every" and dimension == "duration":  # 'every 24 hours': how often, not how long
            dimension = "frequency"
        before = quote[:match.start()]
        starts = [m.end() for m in _CLAUSE_START.finditer(before)]
        clause = before[starts[-1] if starts else 0:]
        found.append(Limit(dimension, number * factor, text, sid, _measured(clause, comparator)))


def _amount(limit: Limit) -> str:
    """The number and unit of a limit, without its comparator: 'no more than 2 seconds …' → '2 seconds'."""
    match = re.search(rf"{_NUMBER}\s*(?:%|[\w-]+)", limit.text)
    return match.group(0) if match else limit.text


def limit_criteria(role: str, limits: Sequence[Limit], most: int = 4, shown: int = 4) -> list[tuple[str, str]]:
    """Given/When/Then criteria of the stated limits, one per measured thing (most stated first), with citations.

    Limits are compared only when they qualify the same thing in the same dimension ('the response time shall be
    no more than 2 seconds', 'a maximum response time of 5 seconds'); a search's response time, a backup's
    interval ('every 24 hours': a frequency) and a lockout wait are each their own criterion, and so is a limit
    whose sentence does not say what it measures. One value: 'Then it meets the stated limit: “no more than 2
    seconds …” [s:…]'. Sources that state different values for one thing: the range (lowest to highest) and each
    source, never a number of its own. Returns (criterion, open question or '') pairs: a range leaves the choice
    to the PM.
    """
    groups: dict[tuple[str, tuple[str, ...], str], list[Limit]] = {}
    for limit in limits:
        thing = limit.thing
        # Without a measured thing only the same words (a repeated row) are one limit.
        groups.setdefault((limit.dimension, thing, "" if thing else limit.text), []).append(limit)
    keys = list(groups)
    order = sorted(keys, key=lambda k: (-len({lim.sid for lim in groups[k]}), keys.index(k)))[:most]
    out: list[tuple[str, str]] = []
    a_role = f"{story_quality.article(role)} {role}"
    for key in order:
        dimension = key[0]
        group = groups[key]
        sources: dict[str, list[str]] = {}  # the same words in several quotes (a repeated row) are listed once
        for lim in group:
            sources.setdefault(lim.text, [])
            if lim.sid not in sources[lim.text]:
                sources[lim.text].append(lim.sid)
        texts = list(sources)
        listed = "; ".join(f"“{text}” " + " ".join(short_id(sid) for sid in sources[text]) for text in texts[:shown])
        if len(texts) > shown:
            rest = dict.fromkeys(sid for text in texts[shown:] for sid in sources[text])
            listed += f"; {len(texts) - shown} more in " + " ".join(short_id(sid) for sid in rest)
        low = min(group, key=lambda lim: (lim.value, lim.sid))
        high = max(group, key=lambda lim: (lim.value, lim.sid))
        base, _, period = dimension.partition(" per ")
        measured = f"time per {period}" if base == "duration" and period else \
            _MEASURED.get(base, base) + (f" per {period}" if period else "")
        what = group[0].measured.strip(" ,;:")
        # 'the “response time of schedule generation”', 'the time taken for “respond to a search”'
        measured = f"“{what}”" if base == "duration" and not period and "time" in key[1] else \
            f"{measured} for “{what}”" if what else measured
        when = f"Given {a_role} under the conditions the sources state, When the {measured} is measured"
        if low.value == high.value:
            out.append((f"{when}, Then it meets the stated limit: {listed}", ""))
            continue
        span = f"from {_amount(low)} {short_id(low.sid)} to {_amount(high)} {short_id(high.sid)}"
        out.append((f"{when}, Then it meets the limit chosen within the sources' range {span}: {listed}",
                    f"the sources state different limits for the {measured} ({span}): which applies?"))
    return out


_MEASURED = {"duration": "time taken", "frequency": "interval", "percentage": "share", "size": "size", "rate": "rate",
             "count": "number"}


#: Well-known pairs that name one thing ("terms and conditions", "drag and drop"): never split into two topics,
#: options or stories (the planner's goal parts, the requirements writer's compound wants).
BINOMIALS = frozenset("""
terms+conditions drag+drop search+replace find+replace black+white research+development sales+marketing lost+stolen
look+feel copy+paste cut+paste pros+cons trial+error questions+answers profit+loss mergers+acquisitions health+safety
read+write click+collect plug+play point+click track+trace wear+tear buy+sell hit+miss true+false yes+no back+forth
terms+services rules+regulations sign+in cash+carry
""".split())
