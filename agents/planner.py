"""Planner: turns the goal into a Plan — deliverables, audience, research questions, options.

Offline, deliverables come from keyword rules and options from the goal's wording ("X before Y",
"X or Y", "X vs Y"); with an LLM, a structured ``Plan`` call decides, and the result is normalised
the same way (known deliverables only, at most three research questions, a landscape question first).
Both modes mark from the goal's wording (and a roadmap deliverable) whether the goal asks for a
landscape ("what should we build next?"): only then do the workspace's themes become candidate topics.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from agents import prompts
from agents.context import RunContext, timed
from agents.deliverables import DELIVERABLES
from agents.deliverables.decision_memo import _PM_VERBS, predicate_queries
from agents.deliverables.labels import strip_framing
from agents.state import PMState
from kernel.errors import TransientError
from kernel.llm import LLMUsage, invoke_structured
from kernel.text import split_sentences
from tools.topics import STOPWORDS, is_problem_goal, stem, topic_words
from tools.wording import BINOMIALS

logger = logging.getLogger(__name__)

MAX_QUESTIONS = 3
#: Research questions at most: the goal's, then one per option or listed object.
MAX_RESEARCH = 5
DEFAULT_DELIVERABLES = ("requirements", "brief")
AUDIENCES = ("exec", "eng", "sales")


class ResearchQuestion(BaseModel):
    """One question to answer from the user memory."""

    question: str = Field(description="The question, in plain words.")
    query: str = Field(description="A short search query (keywords) for the user memory.")
    focus: str | None = Field(default=None, description="Name of the option this question is about, if any.")
    segment: str | None = Field(default=None, description="Customer segment to restrict the search to, if any.")


class PlannedOption(BaseModel):
    """A candidate option the decision compares."""

    name: str = Field(description="Short name, e.g. 'fix sync bugs'.")
    description: str = Field(default="", description="What choosing this option means.")


class Plan(BaseModel):
    """The plan of a run: what to draft, for whom, and what to research."""

    deliverables: list[str] = Field(description="Deliverable kinds to draft, from the available list.")
    audience: str = Field(default="exec", description="Audience of the brief: exec, eng or sales.")
    questions: list[ResearchQuestion] = Field(description="At most 3 research questions, most important first.")
    options: list[PlannedOption] = Field(
        default_factory=list, description="Alternatives the goal compares; empty when it compares none."
    )


_INSTRUCTION = re.compile(
    r"\b(draft|write|prepare|produce|create|give me|i need)\b|\b(prd|memo|brief)\b", re.IGNORECASE
)
_LEAD = re.compile(
    r"^\s*(?:should|shall|can|could|do|must)\s+we\s+|^\s*(?:whether|decide\s+(?:whether|if))\s+(?:we\s+should\s+|to\s+)?"
    r"|^\s*(?:let'?s|we\s+should)\s+",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s+(?:before|instead\s+of|rather\s+than|vs\.?|versus|or)\s+", re.IGNORECASE)
_TAIL = re.compile(r"\s+(?:first|now|next|later|instead|(?:this|next)\s+(?:week|month|quarter|sprint|year|release)|"
                   r"in\s+Q[1-4])\s*$", re.IGNORECASE)


_LANDSCAPE = re.compile(
    r"\bwhat\s+(?:should|shall|could|do|can)\s+(?:we|i)\s+(?:build|do|work\s+on|focus\s+on|prioriti[sz]e|fix)\b"
    r"|\bwhat\s+to\s+(?:build|work\s+on|prioriti[sz]e)\b|\b(?:build|ship|do)\s+next\b|\broadmap\b|\blandscape\b"
    r"|\b(?:biggest|top|main|key|most\s+common)\s+(?:\w+\s+)?(?:pain\s+points?|problems?|issues?|requests?|"
    r"complaints?|themes?|opportunit(?:y|ies)|needs?)\b"
    r"|\bprioriti[sz]e\s+(?:the|our)\s+backlog\b|\boverall\s+(?:user\s+|customer\s+)?feedback\b"
    r"|\bwhat\s+(?:are|do)\s+(?:our\s+)?(?:users|customers)\s+(?:asking\s+for|want(?:ing)?|complaining\s+about)\s*\??$",
    re.IGNORECASE,
)


def wants_landscape(goal: str, deliverables: list[str] | None = None) -> bool:
    """Whether the goal asks for the landscape of what users say ("what should we build next?", a roadmap)."""
    return bool(_LANDSCAPE.search(goal)) or "roadmap" in (deliverables or [])


_INSTRUCTION_LEAD = re.compile(
    r"^\s*(?:please\s+)?(?:(?:draft|write|prepare|produce|create|give\s+me|i\s+need|we\s+need)\s+)?"
    r"(?:(?:a|an|the|some)\s+)?(?:(?:short|quick|one-page|leadership|stakeholder|exec(?:utive)?|team)\s+)?"
    r"(?:(?:product\s+)?requirements?|prd|brief|(?:decision\s+)?memo|spec(?:ification)?|"
    r"user\s+stories|stories|document)\s+(?:for|to|on|about|so\s+that|so|that|where|when)\s+",
    re.IGNORECASE,
)
#: A trailing request for a document ("…, and a decision memo", "plus a brief for leadership"): what to write,
#: not what to search. Only document words that are rarely a product's own feature (not "roadmap", "notes").
_INSTRUCTION_TAIL = re.compile(
    r"\s*,?\s*\b(?:and|plus|then)\s+(?:also\s+)?(?:(?:draft|write|prepare|produce|create|give\s+me)\s+)?"
    r"(?:(?:a|an|the|some)\s+)?(?:(?:product\s+)?requirements(?:\s+doc(?:ument)?)?|prd|(?:stakeholder\s+)?brief|"
    r"(?:decision\s+)?memo|spec(?:ification)?|user\s+stories|status\s+(?:update|report))"
    r"(?:\s+(?:for|to)\s+(?:leadership|stakeholders|the\s+team|execs|executives|management))?\s*[.?!]*\s*$",
    re.IGNORECASE,
)
_AND = re.compile(r"\s*(?:,|\band\b|&)\s*", re.IGNORECASE)
_KEEP_AND = "\x01"


def _binomial(left: str, right: str) -> bool:
    return f"{left.lower().strip(',.?!')}+{right.lower().strip(',.?!')}" in BINOMIALS


def _and_pieces(text: str) -> list[str]:
    """The pieces of a list, split at commas and "and", with "and" kept inside one noun phrase.

    A well-known pair stays whole ("search and replace"); so do two single words between a determiner and the
    rest of one noun phrase ("the terms and conditions page", "a black and white print mode", "the look and feel
    of the screens"), when the phrase lists nothing else.
    """
    words = text.split(" ")
    single = len(_AND.findall(text)) == 1
    for i, word in enumerate(words):
        if word.lower() not in ("and", "&") or not 0 < i < len(words) - 1:
            continue
        left, right = words[i - 1], words[i + 1]
        if _binomial(left, right) and not left.endswith(","):
            words[i] = _KEEP_AND
        elif single and i >= 2 and words[i - 2].lower() in _DETERMINERS and not left.endswith(",") \
                and right.lower() not in _DETERMINERS | _GOAL_VERBS | _DECISION_VERBS | _LIST_PREPOSITIONS:
            words[i] = _KEEP_AND
    return [p.strip(" .?!").replace(_KEEP_AND, "and") for p in _AND.split(" ".join(words)) if p.strip(" .?!")]


#: A leading label naming the deliverable ("Decision memo:", "Brief:", "Requirements -", "PRD:"): what to write,
#: not what to search.
_LABEL = re.compile(
    r"^\s*(?:(?:decision|product|stakeholder|exec(?:utive)?|status|meeting|research|draft)\s+)?"
    r"(?:requirements?(?:\s+doc(?:ument)?)?|prd|brief|memo|spec(?:ification)?|user\s+stories|stories|update|"
    r"report|notes|summary|one[- ]pager)\s*(?::|\s[—–-])\s*",
    re.IGNORECASE,
)


def strip_label(text: str) -> str:
    """``text`` without a leading deliverable label ("Decision memo: should we …" → "should we …")."""
    stripped = strip_framing(_LABEL.sub("", text, count=1).strip())
    return stripped or text.strip()


def search_query(text: str) -> str:
    """The topic of a goal sentence for searching, without the document requests around it.

    A leading label ("Decision memo: …"), a leading "Draft requirements for …" and a trailing "… and a decision
    memo" are removed.
    """
    stripped = _INSTRUCTION_LEAD.sub("", strip_label(text), count=1).strip()
    stripped = _INSTRUCTION_TAIL.sub("", stripped, count=1).strip().rstrip("?.!").strip()
    return stripped or text.strip()


#: Verbs a goal opens with that are shared by every object it lists ("reduce failed and pending top-ups").
_GOAL_VERBS = frozenset("""
reduce stop prevent cut lower clarify explain simplify speed make keep help fix improve build add support
""".split())
#: Endings of a word that modifies the noun after it ("failed", "pending", "social", "privacy"): a lone modifier
#: in a list shares the last item's noun ("failed and pending top-ups" → "failed top-ups", "pending top-ups").
_MODIFIER = re.compile(r"\w{2,}(?:ed|ing|al|ic|ive|ous|ful|less|able|ible|ary|acy)$", re.IGNORECASE)


def conjuncts(phrase: str, limit: int = MAX_QUESTIONS - 1) -> list[str]:
    """The objects a phrase lists, each searchable on its own, or ``[]`` when it lists none.

    "sync reliability and dark mode" → two topics; a leading verb is shared by every object ("reduce failed and
    pending top-ups"); a lone modifier takes the last object's noun ("failed" → "failed top-ups", "social and
    entertainment features" → "social features", "entertainment features"). Only 2-``limit`` short objects.
    """
    parts = _and_pieces(search_query(phrase))
    if not 2 <= len(parts) <= limit or not all(1 <= len(p.split()) <= 5 for p in parts):
        return []
    head = parts[0].split()
    if len(head) > 1 and head[0].lower() in _GOAL_VERBS:
        parts[0] = " ".join(head[1:])
    last = parts[-1].split()
    # "speed and reliability of sync": a lone noun shares the last object's prepositional phrase, unless that object
    # has a determiner of its own ("notifications and the display of balances": two objects)
    at = next((i for i, w in enumerate(last) if i >= 1 and w.lower() in _LIST_PREPOSITIONS), None)
    own = len(last) > 1 and (last[1] if last[0].lower() in _GOAL_VERBS | _DECISION_VERBS else last[0]).lower()
    if at is not None and own not in _DETERMINERS and all(len(_bare(p)) == 1 for p in parts[:-1]):
        return [f"{p} {' '.join(last[at:])}" for p in parts[:-1]] + [parts[-1]]
    if len(last) >= 2:
        parts = [f"{p} {last[-1]}" if len(p.split()) == 1 and _MODIFIER.fullmatch(p) else p for p in parts[:-1]] \
            + [parts[-1]]
    return parts


def _bare(phrase: str) -> list[str]:
    """The words of a phrase after its leading verb and determiner ("improving the look" → ["look"])."""
    words = phrase.split()
    if len(words) > 1 and words[0].lower() in _GOAL_VERBS | _DECISION_VERBS:
        words = words[1:]
    return words[1:] if words and words[0].lower() in _DETERMINERS else words


#: Who reports a problem, opening a goal sentence ("Customers", "Many older users", "We").
_PEOPLE = (r"(?:(?:many|most|some|our|the|a\s+lot\s+of|lots\s+of|too\s+many|more\s+and\s+more|several|new|"
           r"older|younger|small|large|\w+)\s+){0,2}(?:customers?|users?|clients?|people|members?|buyers?|sellers?|"
           r"shoppers?|patients?|students?|teachers?|drivers?|riders?|admins?|administrators?|employees?|staff|"
           r"developers?|visitors?|subscribers?|merchants?|owners?|teams?|managers?|parents?|travell?ers?|guests?|"
           r"hosts?|readers?|players?|tenants?|researchers?|doctors?|nurses?|volunteers?|partners?|vendors?|"
           r"businesses|companies|accounts?|everyone|folks|residents?|citizens?|families|households?|callers?|applicants?|"
           r"candidates?|agents?|operators?|seniors?|children|kids|learners?|instructors?|farmers?|homeowners?|"
           r"renters?|borrowers?|investors?|traders?|freelancers?|contractors?|designers?|engineers?|analysts?|"
           r"marketers?|editors?|writers?|authors?|creators?|viewers?|listeners?|attendees?|organi[sz]ers?|campers?|"
           r"commuters?|passengers?|couriers?|retailers?|suppliers?|\w+(?:ists|ians)|we|they)")
#: How the goal says they report or suffer it: what is said, not what is said about ("keep getting hit with").
_REPORTING = (r"(?:(?:keep|keeps|kept)\s+(?:on\s+)?|still\s+|often\s+|always\s+|constantly\s+|regularly\s+|"
              r"repeatedly\s+|frequently\s+|are\s+|were\s+|is\s+|have\s+been\s+|has\s+been\s+|get\s+|"
              r"getting\s+|got\s+)*"
              r"(?:complain(?:s|ed|ing)?(?:\s+(?:about|of|that))?|ask(?:s|ed|ing)?(?:\s+us)?\s+(?:for|about)|"
              r"request(?:s|ed|ing)?|mention(?:s|ed|ing)?|report(?:s|ed|ing)?|talk(?:s|ed|ing)?\s+about|"
              r"tell(?:s|ing)?\s+us(?:\s+(?:about|that))?|told\s+us(?:\s+(?:about|that))?|"
              r"(?:write|writes|writing|call|calls|calling|email|emails|emailing)\s+(?:in\s+|us\s+|support\s+)?about|"
              r"hit\s+(?:by|with)|run(?:s|ning)?\s+into|ran\s+into|struggl(?:e|es|ed|ing)\s+(?:with|to)|"
              r"suffer(?:s|ed|ing)?\s+from|(?:face|faces|faced|facing)|deal(?:s|t|ing)?\s+with|hate(?:s)?|"
              r"dislike(?:s)?|want(?:s)?|need(?:s)?|wish(?:es)?\s+for|experienc(?:e|es|ed|ing)|"
              r"(?:frustrated|confused|annoyed|surprised|upset|unhappy|angry|worried|tired|fed\s+up|caught\s+out|"
              r"tripped\s+up|put\s+off)\s+(?:by|with|about|at|of|over))")
_FRAME = re.compile(rf"^\s*{_PEOPLE}\s+(?:{_REPORTING}\s+(?:that\s+|to\s+)?|"
                    r"(?:can|could|(?:should\s+)?be\s+able\s+to|are\s+able\s+to)\s+)", re.IGNORECASE)
#: "We keep hearing about …", "Too many complaints about …", "Lots of tickets on …".
_HEARD = re.compile(
    r"^\s*(?:(?:we|i)\s+(?:keep\s+|still\s+|often\s+)*(?:hear(?:ing)?|get(?:ting)?|see(?:ing)?|receiv(?:e|ing))\s+"
    r"(?:(?:a\s+lot\s+of|lots\s+of|many|more|too\s+many|so\s+many)\s+)?"
    r"(?:(?:complaints?|tickets?|questions?|requests?|reviews?|feedback|messages?|calls?|reports?)\s+)?|"
    r"(?:there\s+are\s+)?(?:(?:a\s+lot\s+of|lots\s+of|many|more|too\s+many|so\s+many)\s+)"
    r"(?:complaints?|tickets?|questions?|requests?|reviews?|messages?|calls?|reports?)\s+)"
    r"(?:about|on|regarding|over|of|mentioning)\s+", re.IGNORECASE)
#: "Let customers …", "Allow users to …", "Help older people …": who the goal is for, then what it is about.
_FOR_PEOPLE = re.compile(rf"^\s*(?:let|allow|help|enable|get)\s+{_PEOPLE}\s+(?:to\s+)?(?=\w)", re.IGNORECASE)
#: "Make X painless": X is the subject; the pain the goal removes is a second search ("problems adding money").
_MAKE = re.compile(
    r"^\s*make\s+(?P<x>.+?)\s+(?:(?:much|a\s+lot|far)\s+)?(?:(?:more|less)\s+\w+|painless|easy|easier|simple|"
    r"simpler|fast|faster|quick|quicker|clear|clearer|transparent|reliable|safe|safer|cheap|cheaper|predictable|"
    r"smooth|smoother|seamless|intuitive|accessible|obvious|visible|effortless|instant|friendlier|friendly|"
    r"straightforward|painless)(?:\s+(?:for|to)\s+.+)?\s*$", re.IGNORECASE)


#: "Reduce support contacts about X", "Cut tickets on X": the contacts are how the goal measures X, X is searched.
_CONTACTS = re.compile(
    r"^\s*(?:reduce|reducing|cut|cutting|lower|lowering|decrease|decreasing|minimi[sz]e|minimi[sz]ing|fewer|less)\s+"
    r"(?:the\s+)?(?:(?:number|volume|amount|rate)\s+of\s+)?(?:(?:support|customer|service|help\s*desk|inbound|"
    r"repeat)\s+)*(?:contacts?|tickets?|calls?|complaints?|questions?|requests?|e-?mails?|messages?|chats?|"
    r"enquir(?:y|ies)|inquir(?:y|ies)|cases)\s+(?:about|on|regarding|over|for|of|related\s+to|concerning|"
    r"mentioning|caused\s+by)\s+(?=\w)", re.IGNORECASE)


#: A question about what hurts ("What is hurting customers most in X?", "What are the biggest problems users have
#: with X?", "What goes wrong when people X?"): X is the subject, its problems are what to search.
_PAIN_QUESTION = re.compile(
    rf"^\s*(?:what|which)\s+(?:(?:is|are|'s|do|does)\s+)?(?:(?:the\s+)?(?:biggest|main|top|worst|most\s+common|"
    r"major|key)\s+)?(?:hurting|hurts|bothering|bothers|frustrating|frustrates|annoying|annoys|troubling|"
    r"troubles|blocking|blocks|pain\s*points?|problems?|issues?|complaints?|frustrations?|struggles?|"
    r"goes\s+wrong|go(?:es)?\s+wrong|breaks|fails)\s+"
    rf"(?:(?:for|of)\s+)?(?:(?:our|the|a)\s+)?(?:{_PEOPLE}\s+)?(?:(?:have|face|hit|report|mention|see)\s+)?"
    rf"(?:(?:the\s+)?most\s+)?(?:in|with|about|on|around|when|while|during)\s+(?:the\s+)?(?:{_PEOPLE}\s+)?(?=\w)",
    re.IGNORECASE)
#: PM words for a part of the product that users do not say ("card and top-up flows").
_PROCESS_NOUN = re.compile(r"\s+(?:flows?|journeys?|experiences?|process(?:es)?|funnels?|areas?)\s*$", re.IGNORECASE)


def pain_question(text: str) -> str | None:
    """The subject of a question about what hurts, or ``None``.

    "What is hurting customers most in card and top-up flows?" → "card and top-up" (a PM's process noun dropped).
    """
    rest = _PAIN_QUESTION.sub("", text, count=1).strip().rstrip("?.!").strip()
    if rest == text.strip().rstrip("?.!").strip():
        return None
    rest = _PROCESS_NOUN.sub("", rest).strip()
    return rest if topic_words(rest) else None


def _decision_object(text: str) -> str:
    """What a yes/no decision is about: "Should we build X in the app?" → "X in the app" (else ``text``).

    A verb that asks to stop a problem stays ("Should we fix sync conflicts first?" → "fix sync conflicts"); so
    does a decision whose verb is not one ("Should we keep …" is kept whole).
    """
    lead = _LEAD.match(text)
    if not lead:
        return text
    words = _TAIL.sub("", re.sub(r"\s+or\s+not\s*$", "", text[lead.end():], flags=re.IGNORECASE)).split()
    if len(words) < 2 or words[0].lower() not in _DECISION_VERBS | _GOAL_VERBS:
        return text
    if is_problem_goal(words[0]):
        return " ".join(words)
    words = words[1:]
    if len(words) > 1 and words[0].lower() in ("in", "on", "into"):  # "invest in onboarding", "work on search"
        words = words[1:]
    return " ".join(words)


def goal_topic(focus: str) -> tuple[str, str | None]:
    """What a goal sentence is about, without who reports it or the outcome it asks for; and the pain, if any.

    "Customers keep getting hit with surprise fees on cash machines" → "surprise fees on cash machines";
    "We keep hearing about slow exports" → "slow exports"; "Let customers cancel a transfer" → "cancel a
    transfer"; "Make adding money to an account painless" → "adding money to an account", with the pain
    "problems adding money to an account". A goal without such framing keeps its wording (:func:`search_query`).
    """
    text = search_query(focus)
    hurt = pain_question(text)
    if hurt:
        return hurt, f"problems {hurt}" if hurt.split()[0].lower().endswith("ing") else f"problems with {hurt}"
    decided = _decision_object(text)
    if decided != text and topic_words(decided):
        text = decided
    for frame in (_FRAME, _HEARD, _FOR_PEOPLE, _CONTACTS):
        rest = frame.sub("", text, count=1).strip()
        if rest != text and topic_words(rest):
            text = rest
            break
    made = _MAKE.match(text)
    if made and topic_words(made.group("x")):
        subject = made.group("x").strip()
        lead = subject.split()[0].lower()
        pain = f"problems {subject}" if lead.endswith("ing") else f"problems with {subject}"
        return subject, pain
    return text, None


#: Nouns that name a kind of thing, shared by the items before them ("login, sync and export bugs").
_KIND_NOUNS = frozenset("""
bugs issues problems errors fees charges costs features options settings limits notifications reports flows screens
pages crashes delays failures times messages emails alerts
""".split())
_LIST_PREPOSITIONS = frozenset("on for in at with from to of about via during across through when".split())
_DETERMINERS = frozenset("a an the my our their your his her its this that these those some any every each".split())
#: Irregular participles and plain adjectives that modify the noun after them ("lost or stolen card").
_PLAIN_MODIFIERS = frozenset("""
lost stolen broken frozen hidden forgotten known shown written chosen given taken sent spent paid unpaid bought built
held kept left made new old existing missing slow fast bad poor long short big small high low wrong late early free
duplicate unknown large tiny cheap expensive basic premium public private manual automatic monthly annual yearly weekly
daily full partial
""".split())


def _modifier(word: str) -> bool:
    w = word.lower().strip(",.")
    return w in _PLAIN_MODIFIERS or bool(_MODIFIER.fullmatch(w))


def listed_parts(topic: str, limit: int = MAX_RESEARCH - 1) -> list[str]:
    """The objects a goal's topic lists, each with what they share, or ``[]`` when it lists none.

    A head before a preposition is shared by every object of a list after it ("surprise fees on cash machines,
    transfers and card payments" → "surprise fees on cash machines", "… on transfers", "… on card payments");
    a kind noun after a list is shared by every object before it ("login, sync and export bugs" → "login
    bugs", …); otherwise :func:`conjuncts` (a shared verb, a lone modifier). At most ``limit`` objects.
    """
    pieces = _and_pieces(topic)
    if not 2 <= len(pieces) <= limit:
        return []
    first, rest = pieces[0].split(), [p.split() for p in pieces[1:]]
    plain = all(1 <= len(r) <= 3 and r[0].lower() not in _DETERMINERS and not _modifier(r[0])
                and r[0].lower() not in _GOAL_VERBS | _DECISION_VERBS and not r[0].lower().endswith("ing")
                and not _LIST_PREPOSITIONS & {w.lower() for w in r} for r in rest)
    at = max((i for i, w in enumerate(first[:-1]) if w.lower() in _LIST_PREPOSITIONS), default=-1)
    if plain and at >= 1 and len(first) - at - 1 <= 3:
        head = first[: at + 1]
        if len(head) > 2 and head[0].lower() in _GOAL_VERBS:  # "reduce fees on …": the verb is the goal's
            head = head[1:]
        return [" ".join(head + first[at + 1:])] + [" ".join(head + r) for r in rest]
    shared = _shared_qualifier(first, rest)
    if shared:
        return shared
    last, lead = rest[-1], first[:-1]
    if len(last) >= 2 and last[-1].lower() in _KIND_NOUNS and all(len(r) == 1 for r in rest[:-1]) \
            and (not lead or (len(lead) == 1 and lead[0].lower() in _GOAL_VERBS)):
        return [" ".join([*item, last[-1]]) for item in [first[-1:], *rest[:-1]]] + [" ".join(last)]
    return conjuncts(topic, limit)


#: Past participles not formed with -ed ("cards stolen abroad", "emails sent to …"). A word ending in -en that is
#: not one of these is a noun or an adjective ("screen", "token", "kitchen", "children", "golden").
_IRREGULAR_PARTICIPLES = frozenset("""
arisen awoken beaten begun bent bitten blown borne born bought bound broken brought built burnt caught chosen
dealt done drawn driven dug eaten fallen fed felt fought forbidden forgiven forgotten frozen given gone gotten
ground grown held hidden hung kept knelt known laid lain led left lent lost made meant met mistaken overdone
overridden overtaken overwritten overthrown paid proven ridden risen rewritten sent sewn shaken shown shrunk slain
sold sought spent spoken spun stolen stuck stricken striven struck sung sunk sworn taken taught thought thrown told
torn undone understood unpaid upheld withdrawn withheld woken won worn written wrung
""".split())
#: Words ending in -ed that are not past participles: nouns and adjectives ("seed", "feed", "speed", "hundred").
_ED_NOUNS = frozenset("""
bed bleed breed creed deed embed feed greed heed hundred hatred infrared kindred naked need proceed reed red
sacred seed shed shred sled speed steed succeed exceed weed wicked biped
""".split())


def _participle(word: str) -> bool:
    """A past participle: an irregular one ("sent", "broken") or a verb's -ed form ("charged", "declined").

    Not a noun or adjective that only ends like one ("screen", "token", "garden", "seed", "speed", "hundred").
    """
    w = word.lower().strip(",.")
    if w in _IRREGULAR_PARTICIPLES:
        return True
    if w in ("agreed", "decreed", "freed", "guaranteed", "refereed"):  # -eed verbs; other -eed words are nouns
        return True
    return len(w) > 3 and w.endswith("ed") and w not in _ED_NOUNS and not w.endswith("eed")


#: Words that make a list's piece a clause, not a noun phrase ("What do parents …", "… staff need for …").
_CLAUSE_WORDS = frozenset("""
is are was were be been being am has have had do does did can could will would shall should may might must need needs
want wants come comes but or yet so if i we you he she they it what who whom which how why where whether
""".split())
#: Plurals not ending in -s.
_IRREGULAR_PLURALS = frozenset("children people men women data media criteria staff".split())


def _plural(word: str) -> bool:
    """A plural noun ("payments", "top-ups", "children"), not a singular ending in s ("access", "status")."""
    w = word.lower().strip(",.")
    return w in _IRREGULAR_PLURALS or (len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")))


def _noun_phrase(words: list[str]) -> bool:
    """A short noun phrase: no preposition, determiner, verb of a clause or participle after its first word."""
    lowered = {w.lower().strip(",.") for w in words}
    return not (_LIST_PREPOSITIONS | _DETERMINERS | _CLAUSE_WORDS) & lowered \
        and not any(_participle(w) for w in words[1:])


def _shared_qualifier(first: list[str], rest: list[list[str]]) -> list[str]:
    """Long objects of a list :func:`conjuncts` leaves whole, each searchable on its own, or ``[]``.

    "card payments and ATM withdrawals charged at the wrong exchange rate" → "card payments charged at the wrong
    exchange rate", "ATM withdrawals charged at …": the participle and its preposition after the last object
    qualify every object of the list, when the others are short noun phrases with no qualifier of their own.
    """
    last = rest[-1]
    at = next((i for i in range(1, len(last) - 1)
               if _participle(last[i]) and last[i + 1].lower() in _LIST_PREPOSITIONS | {"by", "as", "under", "after"}),
              None)
    if at is None:
        # "self-service card activation and card delivery tracking in the app": objects of two or more words
        # each, the last with a place of its own, are searched each as written (too long for :func:`conjuncts`)
        phrase = next((i for i in range(2, len(last) - 1) if last[i].lower() in _LIST_PREPOSITIONS), None)
        earlier = [first, *rest[:-1]]
        if phrase is None or len(last) <= 5 or not all(
                2 <= len(o) <= 4 and not o[0].lower().endswith("ing") and _noun_phrase(o)
                for o in [*earlier, last[:phrase]]):
            return []
        if earlier[0][0].lower() in _GOAL_VERBS | _DECISION_VERBS:
            return []
        return [" ".join(o) for o in earlier] + [" ".join(last)]
    objects = [first, *rest[:-1], last[:at]]
    # Shared only by a list of like things: plural noun phrases each ("password reset and login emails sent to …"
    # or "dark mode and the settings screen …" are not; the participle qualifies the last object alone).
    if not all(1 <= len(o) <= 4 and _noun_phrase(o) and _plural(o[-1]) for o in objects):
        return []
    if len(objects[0]) > 1 and objects[0][0].lower() in _GOAL_VERBS:  # "reduce X and Y charged …": the goal's verb
        objects[0] = objects[0][1:]
    return [" ".join([*o, *last[at:]]) for o in objects]


def topic_parts(focus: str) -> list[str]:
    """The topics a goal lists ("sync reliability and dark mode" → two), each with what they share."""
    return listed_parts(goal_topic(focus)[0])



def research_focus(goal: str) -> str:
    """The part of the goal that is about the product (instructions and labels like 'Decision memo:' removed)."""
    sentences = [strip_label(s) for s in split_sentences(goal)]
    topical = [s for s in sentences if not _INSTRUCTION.search(s)]
    return " ".join(topical or sentences).strip()


#: Verbs a decision puts before its options ("build sync or dark mode"): shared by all of them when only the first
#: option is led by one.
_DECISION_VERBS = frozenset("""
add build building create design do doing extend finish fix fixing focus implement improve improving invest
launch make offer prioritise prioritize redesign release rework ship shipping start support tackle work adding
creating designing extending finishing implementing investing launching migrate migrating offering redesigning
releasing reworking starting supporting tackling
""".split())
#: Words that make an "or" part of a phrase, not a choice: "10 or more", "one or two", "or not", "sooner or later".
_NUMBER = (r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a\s+few|few|several|once|twice|more|less|"
           r"fewer|sooner|whether)")
_PHRASE_OR = re.compile(rf"\b({_NUMBER})\s+or\b|\bor\s+(?=(?:{_NUMBER}|so|not|else|otherwise|later|never|"
                        r"nothing|anything|whatever|both|neither)\b)", re.IGNORECASE)
_KEEP_OR = "\x00"
#: A part that opens like this is a clause, not an option ("… before *they* lose edits", "*what* do users say …").
_CLAUSE_LEAD = re.compile(r"^(?:i|you|he|she|it|we|they|there|this|that|these|those|what|which|who|whom|whose|how|"
                          r"why|when|where|do|does|did|is|are|was|were|has|have|had|can|could|will|would)\b",
                          re.IGNORECASE)
#: What makes a sentence a choice even when its options are joined by a bare "or".
_CHOICE_CUE = re.compile(r"\b(?:first|next|instead|rather|prioriti[sz]e|which|either|whether|choose|pick|decide|"
                         r"versus|vs)\b", re.IGNORECASE)
_PREPOSITION = re.compile(r"^(.*\b(?:to|for|in|on|into|with|from|via|as)\s+)\S+$", re.IGNORECASE)


_STRONG_SPLIT = re.compile(r"\s+(?:before|instead\s+of|rather\s+than|vs\.?|versus)\s+", re.IGNORECASE)


def _or_inside_phrases(text: str) -> str:
    """``text`` with each "or" that joins words inside one noun phrase kept (not an option separator).

    "lost or stolen card": two modifiers of one noun. Next to a stronger separator ("X before Y"), an "or" joins
    options only between verb phrases ("fix X before improving Y or building Z"), never inside Y's noun phrase.
    """
    words = text.split(" ")
    strong = bool(_STRONG_SPLIT.search(text))
    for i, word in enumerate(words):
        if word.lower() != "or" or not 0 < i < len(words) - 1:
            continue
        before, after = words[i - 1].rstrip(","), words[i + 1]
        verb = after.lower() in _DECISION_VERBS or after.lower().endswith("ing") or after.lower() in ("to", "either")
        inside = _modifier(before) and _modifier(after) and i + 2 < len(words) or _binomial(before, after)
        if inside or (strong and not verb):
            words[i] = _KEEP_OR
    return " ".join(words)


def _modifier_choice(text: str) -> list[str]:
    """Two modifiers of one noun joined by "or" after a choice verb or "should we": options sharing the noun.

    "Should we launch a free or paid plan?" → "free plan", "paid plan"; "focus on small or large businesses" →
    "small businesses", "large businesses". Not a well-known pair ("lost or stolen card"), nor next to a stronger
    separator ("fix the lost or stolen card flow before …": one option's noun phrase), nor after another verb
    ("warn users about lost or expired cards"). ``[]`` otherwise.
    """
    if _STRONG_SPLIT.search(text):
        return []
    clause = next((c for c in re.split(r"[,:;—–]\s*|\s+-\s+", text) if re.search(r"\bor\b", c, re.IGNORECASE)), "")
    lead = _LEAD.match(clause)
    words = (clause[lead.end():] if lead else clause).split()
    ors = [i for i, w in enumerate(words) if w.lower() == "or"]
    if len(ors) != 1 or not 1 <= ors[0] < len(words) - 2:
        return []
    i = ors[0]
    first, second = words[i - 1], words[i + 1]
    if not (_modifier(first) and _modifier(second)) or _binomial(first, second):
        return []
    pre = [w.lower() for w in words[: i - 1]]
    if pre and pre[-1] in _DETERMINERS:
        pre = pre[:-1]
    if len(pre) == 2 and pre[-1] in _LIST_PREPOSITIONS:  # "focus on", "invest in"
        pre = pre[:-1]
    if not (not pre and (lead or _CHOICE_CUE.search(text)) or len(pre) == 1 and pre[0] in _DECISION_VERBS):
        return []
    noun = []
    for word in _TAIL.sub("", " ".join(words[i + 2:])).split():  # the noun, up to a preposition ("… calls to X")
        if word.lower() in _LIST_PREPOSITIONS | _DETERMINERS | {"and", "or"}:
            break
        noun.append(word)
    if not 1 <= len(noun) <= 3:
        return []
    return [f"{first} {' '.join(noun)}", f"{second} {' '.join(noun)}"]


#: "Decide between X and Y", "the choice between X and Y": a choice whose options "and" joins.
_BETWEEN = re.compile(r"\b(?:decid\w*|choos\w*|chose|pick\w*|choice|trade-?offs?|prioriti[sz]\w*)\s+between\s+"
                      r"(.+?)\s+and\s+(.+)$", re.IGNORECASE)


def _between(text: str) -> str:
    """'Decide between fixing X and adding Y' → 'fixing X versus adding Y' ('' when the sentence has no such choice).

    The "and" that separates the options is the one before a verb ("… and adding Y") when there is one, else the
    first.
    """
    match = _BETWEEN.search(text)
    if not match:
        return ""
    rest = f"{match.group(1)} and {match.group(2)}"
    at = re.search(r"\s+and\s+(?=(?:\w+ing|" + "|".join(sorted(_DECISION_VERBS)) + r")\b)", rest, re.IGNORECASE)
    if at is None:
        at = re.search(r"\s+and\s+", rest)
    assert at is not None
    return f"{rest[:at.start()]} versus {rest[at.end():]}"


def _option_parts(sentence: str) -> list[str]:
    """The options of one sentence, or ``[]`` when it compares none (see :func:`extract_options`)."""
    text = sentence.strip().rstrip("?.!").strip()
    text = _between(text) or text
    text = _PHRASE_OR.sub(lambda m: re.sub(r"\bor\b", _KEEP_OR, m.group(0), flags=re.IGNORECASE), text)
    # "prioritise X over Y", "choose X over Y": a choice; elsewhere "over" is a preposition ("fees over $10")
    text = re.sub(r"(\b(?:prioriti[sz]e|prioriti[sz]ing|choose|pick|favou?r|put)\b.*?)\s+over\s+", r"\1 versus ", text,
                  count=1, flags=re.IGNORECASE)
    choice = _modifier_choice(text)
    if choice:  # "launch a free or paid plan": the two modifiers are the options, sharing the noun
        return choice
    text = _or_inside_phrases(text)
    pieces = _SPLIT.split(text)
    if len(pieces) < 2:
        return []
    # The choice lies between the last clause break before the first connector and the first one after the last.
    pieces[0] = re.split(r"[,:;—–]\s*|\s+-\s+", pieces[0].rstrip(" ,;:—–-"))[-1]
    pieces[-1] = re.split(r"[,:;—–]\s*|\s+-\s+", pieces[-1])[0]
    parts = [_TAIL.sub("", _LEAD.sub("", p.replace(_KEEP_OR, "or").strip())).strip(" ,;:") for p in pieces]
    parts = [re.sub(r"^(?:to|either)\s+", "", p, flags=re.IGNORECASE) for p in parts]
    if any(not p or len(p.split()) > 8 or _CLAUSE_LEAD.match(p) for p in parts):
        return []
    if not any(re.search(r"[a-z0-9]", p, re.IGNORECASE) and p.lower() not in STOPWORDS for p in parts[1:]):
        return []
    bare_or = all(m.group(0).strip().lower() == "or" for m in _SPLIT.finditer(text))
    if bare_or and not (_LEAD.search(sentence) or _CHOICE_CUE.search(sentence) or len(text.split()) <= 8):
        return []  # "users who lose or forget their password": an "or" inside a phrase, not a choice
    verbs = [p.split()[0].lower() in _DECISION_VERBS and len(p.split()) > 1 for p in parts]
    # "fix X or reduce Y": each option has its own verb (a PM's: reduce, stop, solve …), none is shared
    own_verb = [p.split()[0].lower() in _PM_VERBS and len(p.split()) > 1 for p in parts]
    if verbs[0] and not any(own_verb[1:]):  # "build sync or dark mode": the verb is shared, the options are its objects
        parts[0] = parts[0].split(None, 1)[1]
        # "invest in search or in templates": the verb's preposition is shared too
        parts = [re.sub(r"^(?:either|in|on|into)\s+", "", p, flags=re.IGNORECASE) for p in parts]
        # "export to PDF or Word": the other option completes the same phrase
        lead = _PREPOSITION.match(parts[0])
        if lead and len(parts[0].split()) >= 3:
            parts = [parts[0], *(lead.group(1) + p if len(p.split()) <= 2 and not _PREPOSITION.match(p) else p
                                 for p in parts[1:])]
    return _shared_head(parts)


def _shared_head(parts: list[str]) -> list[str]:
    """Two names of one noun phrase share its head: "PDF or Excel export" → "PDF export", "Excel export".

    Only a one-word name led by a determiner ("the iOS") or written as a name (an acronym, a brand: "PDF",
    "iOS"), next to a two-word name whose first word is a name too ("Excel export", "Android app").
    """
    if len(parts) != 2:
        return parts
    left, right = parts[0].split(), parts[1].split()
    named = len(left) == 2 and left[0].lower() in _DETERMINERS or len(left) == 1 and bool(re.search(r".[A-Z]", left[0]))
    if named and len(right) == 2 and right[0][:1].isupper() and right[1].islower():
        return [f"{parts[0]} {right[1]}", parts[1]]
    return parts


#: An alternative that names nothing the evidence could be about: "anything else", "other work", "everything".
_VAGUE = re.compile(r"^(?:(?:the|all|any)\s+)?(?:anything|everything|something|nothing|whatever|others?|rest|"
                    r"(?:other|remaining)\s+(?:work|things|stuff|features|items|priorities|projects|requests|topics|"
                    r"ideas|tasks|bugs|issues)|rest\s+of\s+(?:the\s+)?(?:backlog|roadmap|work))(?:\s+else)?$",
                    re.IGNORECASE)


def vague(option: str) -> bool:
    """Whether an option names no subject ("anything else", "other work"): no evidence can be about it."""
    return bool(_VAGUE.match(option.strip()))


def _option_stems(name: str) -> set[str]:
    return topic_words(name) - {stem(w) for w in _DECISION_VERBS}


def _distinct(parts: list[str]) -> list[str]:
    """Options without the ones another option already covers ("fee to transfer" within "fees": one option)."""
    out: list[str] = []
    for part in parts:
        words = _option_stems(part)
        # "new onboarding" / "old onboarding": names that differ in their modifier are two options
        k = next((k for k, o in enumerate(out) if words and _option_stems(o)
                  and not (o.split()[1:] == part.split()[1:] and o.split()[0].lower() != part.split()[0].lower())
                  and (words <= _option_stems(o) or _option_stems(o) <= words)), None)
        if k is None:
            out.append(part)
        elif len(words) < len(_option_stems(out[k])):  # the broader name stands for both
            out[k] = part
    return out


def extract_options(goal: str) -> list[dict[str, str]]:
    """Options compared by the goal's wording: 'X before Y', 'X or Y', 'X vs Y', 'X instead of Y'.

    The choice is read inside its clause ("Which is more urgent, sync or dark mode?" → sync, dark mode); a verb
    only the first option carries is shared ("build sync or dark mode first" → sync, dark mode); an "or" inside a
    phrase is no choice ("10 or more seats", "or not", "users who lose or forget their password"), nor is a part
    that reads as a clause ("warn users before they lose edits"). A vague alternative ("anything else", "other
    work") names nothing to score and is left out (:func:`vague_alternatives` keeps it for a note); an option whose
    words another option covers ("fee to transfer" next to "fees") is one option with it.
    """
    for sentence in split_sentences(goal):
        if _INSTRUCTION.search(sentence) and not sentence.rstrip().endswith("?"):
            continue
        parts = _option_parts(sentence)
        if len(parts) >= 2:
            ordered = " before " in f" {sentence.lower()} "
            loose = [p for p in parts if vague(p)]
            parts = _distinct([p for p in parts if not vague(p)])
            options = []
            for i, part in enumerate(parts[:4]):
                others = ", ".join(p for j, p in enumerate(parts) if j != i)
                if not others:
                    description = (f"Focus on {part} first; “{loose[0]}” names no subject the evidence could be "
                                   "about, so it is not scored as an option.") if loose else f"Focus on {part}."
                elif ordered:
                    description = f"Prioritise {part} ahead of {others}."
                else:
                    description = f"Choose {part} over {others}."
                options.append({"name": part, "description": description})
            return options
    return []


def vague_alternatives(goal: str) -> list[str]:
    """The alternatives of the goal's choice that name no subject ("anything else"): left out of the options."""
    for sentence in split_sentences(goal):
        if _INSTRUCTION.search(sentence) and not sentence.rstrip().endswith("?"):
            continue
        parts = _option_parts(sentence)
        if len(parts) >= 2:
            return [p for p in parts if vague(p)]
    return []


def choose_deliverables(goal: str) -> list[str]:
    """Deliverables whose keywords occur in the goal (default: requirements and a brief)."""
    text = f" {goal.lower()} "
    chosen = [kind for kind, spec in DELIVERABLES.items() if any(k in text for k in spec.keywords)]
    return chosen or list(DEFAULT_DELIVERABLES)


def choose_audience(goal: str) -> str:
    """Brief audience from the goal's wording (exec by default)."""
    text = goal.lower()
    # who the document is for wins over what it is about ("status update for leadership on engineering progress")
    if re.search(r"\b(?:for|to)\s+(?:the\s+)?(?:leadership|execs?|executives?|management|board|c-suite|ceo)\b", text):
        return "exec"
    if re.search(r"\b(?:for|to)\s+(?:the\s+)?(?:sales|account executives?|customer success|cs team)\b", text):
        return "sales"
    if re.search(r"\b(engineers?|engineering|eng team|developers|tech lead)\b", text):
        return "eng"
    if re.search(r"\b(sales|account executive|customer success|cs team)\b", text):
        return "sales"
    return "exec"


def option_questions(options: list[dict[str, str]], start: int = 1) -> list[dict[str, Any]]:
    """One question per option; an option that lists objects ("social and entertainment features") one per object."""
    out: list[dict[str, Any]] = []
    for option in options:
        for query in conjuncts(option["name"]) or [search_query(option["name"])]:
            out.append({"id": f"q{start + len(out)}", "question": f"What evidence do users give about {query}?",
                        "query": query, "scope": "option", "focus": option["name"], "segment": None})
    for option in options:  # the option's condition in the users' words ('top-up failures'), after every option
        for query in predicate_queries(option["name"]):
            out.append({"id": f"q{start + len(out)}", "question": f"What evidence do users give about {query}?",
                        "query": query, "scope": "option", "focus": option["name"], "segment": None})
    return out


def _questions(goal: str, options: list[dict[str, str]], landscape: bool = False) -> list[dict[str, Any]]:
    focus = research_focus(goal)
    # A decision's sentence is searched whole (its options are searched each); any other goal by its topic.
    topic, pain = (search_query(focus), None) if options else goal_topic(focus)
    questions: list[dict[str, Any]] = [
        {"id": "q0", "question": f"What do users say that matters for: {focus}", "query": topic,
         "scope": "landscape", "focus": None, "segment": None, "landscape": landscape}
    ]
    questions += option_questions(options[:4])[: MAX_RESEARCH - 1]
    if not options:  # a goal that lists topics: one search per topic (a joint query dilutes each)
        parts = listed_parts(topic) or ([pain] if pain else [])
        if pain and pain_question(search_query(focus)) and parts != [pain]:  # what hurts in each part listed
            parts = [f"{part} problems" for part in parts]
        for i, part in enumerate(parts[: MAX_RESEARCH - 1], 1):
            questions.append({"id": f"q{i}", "question": f"What do users say about {part}?", "query": part,
                              "scope": "search", "focus": None, "segment": None})
    return questions


def offline_plan(goal: str, deliverables: list[str] | None, audience: str | None) -> dict[str, Any]:
    """The deterministic plan."""
    options = extract_options(goal)
    chosen = list(deliverables) if deliverables else choose_deliverables(goal)
    landscape = wants_landscape(goal, chosen)
    return {
        "deliverables": chosen,
        "audience": audience or choose_audience(goal),
        "questions": _questions(goal, options, landscape),
        "options": options,
        "focus": research_focus(goal),
        "landscape": landscape,
        "vague_options": vague_alternatives(goal),
    }


def normalise_plan(plan: Plan, goal: str, deliverables: list[str] | None, audience: str | None) -> dict[str, Any]:
    """A model's Plan made safe: known deliverables, ≤3 questions, a landscape question first."""
    chosen = list(deliverables) if deliverables else [d for d in plan.deliverables if d in DELIVERABLES]
    options = [{"name": o.name.strip(), "description": o.description.strip()} for o in plan.options if o.name.strip()]
    options = [o for o in options if not vague(o["name"])] or extract_options(goal)  # "X before Y" compares X and Y
    questions: list[dict[str, Any]] = []
    for i, q in enumerate(plan.questions[:MAX_QUESTIONS]):
        focus = q.focus if q.focus and any(o["name"] == q.focus for o in options) else None
        questions.append({"id": f"q{i}", "question": q.question.strip(), "query": search_query(q.query or q.question),
                          "scope": "option" if focus else "search", "focus": focus, "segment": q.segment})
    if not questions:
        questions = _questions(goal, options)[:1]
    # Each option is searched on its own: a joint query ("sync before dark mode") dilutes both.
    covered = {q["focus"] for q in questions}
    extra = option_questions([o for o in options[:4] if o["name"] not in covered], len(questions))
    questions += extra[: max(0, MAX_RESEARCH - len(questions))]
    chosen = chosen or choose_deliverables(goal)
    landscape = wants_landscape(goal, chosen)
    questions[0]["scope"] = "landscape"
    questions[0]["landscape"] = landscape
    return {
        "landscape": landscape,
        "deliverables": chosen,
        "audience": audience or (plan.audience if plan.audience in AUDIENCES else choose_audience(goal)),
        "questions": questions,
        "options": options[:4],
        "focus": research_focus(goal),
        "vague_options": vague_alternatives(goal),
    }


def _summary(update: dict[str, Any]) -> str:
    plan = update["plan"]
    return (f"deliverables: {', '.join(plan['deliverables'])}; {len(plan['questions'])} research questions; "
            f"{len(plan['options'])} options")


@timed("planner", _summary)
def plan(state: PMState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Decide deliverables, audience, research questions and options."""
    context = runtime.context
    goal = state["goal"]
    requested = state.get("deliverables") or None
    audience = state.get("audience")
    usage = LLMUsage()
    if context.offline:
        result = offline_plan(goal, requested, audience)
    else:
        model = context.chat("planner", usage)
        messages = [
            SystemMessage(prompts.PLANNER_SYSTEM),
            HumanMessage(prompts.PLANNER_USER.format(
                available=", ".join(DELIVERABLES), requested=", ".join(requested or []), audience=audience or "",
                goal=prompts.pm_text(goal),
                strategy=prompts.pm_text(json.dumps(state.get("strategy") or {}, ensure_ascii=False)[:4000]),
            )),
        ]
        try:
            # The run's prefetched work starts as the request goes out (RunContext.cache).
            plan_ = invoke_structured(model, Plan, messages, usage=usage, config=context.cache.on_model_call().config)
            result = normalise_plan(plan_, goal, requested, audience)
        except TransientError as exc:
            # The goal's wording still yields a sound plan; a model that stays unreachable or unusable
            # after the retries should not cost the PM the whole run.
            logger.warning("planner: model unavailable, planning from the goal's wording: %s", exc)
            context.emit("error", "planner", f"model unavailable ({exc}); planned from the goal's wording")
            result = offline_plan(goal, requested, audience)
    return {"plan": result, "mode": "offline" if context.offline else "llm", "llm": usage.as_dict(),
            "review_rounds": 0, "review_notes": [], "dropped_invalid": 0}
