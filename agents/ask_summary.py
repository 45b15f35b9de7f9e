"""What the evidence says, in its own words: the key phrases most of an answer's signals share.

An offline answer cannot paraphrase; it can count. Every relevant signal's quote is cut into candidate
phrases (1-5 words inside one clause, content words at both ends, no brand or praise: the phrase rules of
:mod:`tools.topics`), phrases are compared by their content words in any order ("top up failed",
"failed top up"), and the phrases shared by the most signals become the answer's points, each with how
many signals use it and one signal whose quote contains it verbatim (that signal is cited). A phrase
made only of the question's own words says nothing the question did not ("top up" for a top-up
question) and is skipped; so is a phrase another chosen point already covers.

The question's *angle* is read from its form, never its topic: one asking what goes wrong (problems,
trouble, errors, complaints, failures) prefers signals that report a problem; one asking what users
want prefers requests (:func:`angle_of`).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from agents.ask_stance import is_cue
from memory.sparse import tokenize
from tools.citations import find_span
from tools.relevance import FRAMING_WORDS, Background
from tools.topics import DETERMINERS, _key, _ngrams, goal_words, proper_nouns

Angle = Literal["problem", "request", "any"]

#: Words that ask what goes wrong: the answer should come from signals reporting a problem.
_PROBLEM_QUESTION = re.compile(
    r"\b(problems?|trouble\w*|issues?|wrong|fail\w*|errors?|complain\w*|complaints?|difficult\w*|struggl\w*|"
    r"frustrat\w*|pain(s| points?)?|bugs?|broken|break|stuck|go(es)? wrong|went wrong|can(no|')t|unable|"
    r"obstacles?|annoy\w*|hurdles?|blockers?|declined?|rejected?)\b", re.IGNORECASE)
#: Words that ask what users want: the answer should come from requests.
_REQUEST_QUESTION = re.compile(
    r"\b(want\w*|wish\w*|request\w*|ask(ing)? for|would like|like to|need\w*|expect\w*|hope\w*|"
    r"missing|improve\w*|add(ed)?|features?)\b", re.IGNORECASE)
#: Light verbs: on its own one says nothing about the topic ("tried", "keeps", "know"), so it is never a point
#: alone (it can be part of one: "didn't work", "keeps getting declined").
LIGHT_VERBS = frozenset("""
try tries tried trying keep keeps kept keeping go goes went going gone get gets got getting work works worked
working happen happens happened know knows knew seem seems seemed take takes took taking give gives gave put
come comes came say says said tell told think thought find found look looks looked want wanted need needed
let lets show shows showed do does did done make makes made see saw seen
""".split())
#: Share of the signals above which a phrase is their scope rather than a point.
SCOPE_SHARE = 0.8
#: Most points an answer lists.
MAX_POINTS = 4
#: Fewest signals that must share a phrase for it to be a point (a single signal is an anecdote).
MIN_SHARE = 2
#: ... and the share of the signals it must reach: two of fifty is an anecdote too, not what they report.
POINT_SHARE = 0.1
#: How much more often than in the workspace's background sample the signals must use a phrase for it to be a
#: point: one they use about as often as everyone else ("account", "money" in a bank's messages) says nothing
#: (half the attainable lift when the signals are a large part of a small workspace).
MIN_LIFT = 2.0
#: Share of the signals a single-word point must reach: one word used by a few of many ("item", 7 of 56) is a
#: stray word of some of them, not what they share (phrases of two or more words name more and need less).
SINGLE_SHARE = 0.25
#: Share of the workspace's background sample above which a single word is the workspace's common vocabulary
#: ("information", "transaction" in a permit backlog): it names no topic of these signals.
SINGLE_COMMON = 0.05

#: A user story's role ("As an OlderPerson, I want …", "As a Development Staff member, …").
_ROLE = re.compile(r"^\W*as an?\s+([^,.;]{1,60}?)\s*,?\s+i\s", re.IGNORECASE)


def template_roles(texts: Iterable[str]) -> set[str]:
    """Lower-case words (and word parts: 'OlderPerson' → older, person) of the roles the texts' story template names.

    A role is who asks, shared by every story of that persona: it names no topic, so it is never a point or a
    nearest topic ("OlderPerson (4 of 4)", "Topics … evidence on: MedicalCaregiver").
    """
    out: set[str] = set()
    for text in texts:
        match = _ROLE.match(text)
        if match:
            words = _TOKEN.findall(match.group(1))
            out |= {w.lower() for w in words} | _parts(words)
    return out


def names_topic(gram: Sequence[str], texts: Sequence[str], roles: set[str] | None = None) -> bool:
    """Whether a phrase (its words) can be a point: it names something, not who asks nor how they feel.

    Rejected: a phrase of a story template's roles only (:func:`template_roles`), and a single word that is a
    stance cue ("wrong", "declined"), a light verb, a question-framing word ("user", "app") or never used as a
    noun in ``texts`` (never right after a determiner: "returned", "seconds") unless it is an acronym ("SSO").
    """
    words = [w for w in gram if w.lower() != "not"]
    if roles and words and _parts(words) <= roles | {w.lower() for w in DETERMINERS}:
        return False
    if len(words) != 1:
        return True
    word = words[0]
    if len(word) >= 2 and word.isupper():
        return True
    if is_cue(word) or word.lower() in LIGHT_VERBS or set(tokenize(word)) <= FRAMING_WORDS:
        return False
    after = re.compile(r"\b(?:{})\s+{}\b".format("|".join(sorted(DETERMINERS)), re.escape(word)), re.IGNORECASE)
    return any(after.search(t) for t in texts)


def angle_words(question: str) -> list[str]:
    """The words of ``question`` that state its angle ("goes wrong", "problems", "want"), not its topic."""
    return [w for rx in (_PROBLEM_QUESTION, _REQUEST_QUESTION) for m in rx.finditer(question)
            for w in _TOKEN.findall(m.group(0))]


def angle_of(question: str) -> Angle:
    """What the question asks for, from its form: problems, requests or anything."""
    if _PROBLEM_QUESTION.search(question):
        return "problem"
    if _REQUEST_QUESTION.search(question):
        return "request"
    return "any"


@dataclass(frozen=True)
class Point:
    """A phrase the evidence shares: how many signals use it, and one whose quote holds it verbatim."""

    phrase: str
    count: int
    signal_id: str


def _find(quote: str, words: Sequence[str]) -> str | None:
    """The words as they stand in ``quote`` (original case and punctuation), or None.

    A run of whitespace between them is rendered as one space ("reported  lost" → "reported lost"): the
    phrase is still the quote's words (:func:`tools.citations.find_span` finds it), without a double space.
    """
    pattern = r"(?<![\w'’-])" + r"\W+".join(re.escape(w) for w in words) + r"(?![\w'’-])"
    match = re.search(pattern, quote, re.IGNORECASE)
    return re.sub(r"\s+", " ", match.group(0)) if match else None


_NEGATION = re.compile(r"^(not|no|never|cannot|\w+n['’]t|(can|won|don|didn|doesn|isn|wasn|aren|couldn|shouldn|"
                       r"wouldn|hasn|haven)t)$", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_PARTICLES = frozenset("through back out off in up down over".split())
_CLAUSE = re.compile(r"[.!?;:,()\[\]\"“”\n]+")


def _negations(quote: str, asked: set[str]) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Negated claims ("didn't work", "won't my top up work", "not go through"): (key, verbatim words).

    The key is ("not", the first content word after the negation that the question does not use), so
    "didn't work", "not worked" and "won't … work" are one claim; the words run from the negation to that
    word (and a particle after it: "go through").
    """
    out = set()
    for clause in _CLAUSE.split(quote):
        words = _TOKEN.findall(clause)
        for i, word in enumerate(words):
            if not _NEGATION.match(word):
                continue
            for j in range(i + 1, min(i + 6, len(words))):
                stems = set(tokenize(words[j]))
                if not stems or stems <= asked or _parts([words[j].lower()]) <= asked:
                    continue
                end = j + 1 if j + 1 < len(words) and words[j + 1].lower() in _PARTICLES else j
                out.add((("not", *sorted(stems)), tuple(words[i:end + 1])))
                break
    return out


def _parts(words: Iterable[str]) -> set[str]:
    """Lower-case parts of words split at hyphens, apostrophes and inner capitals ('OlderPerson')."""
    spaced = (re.sub(r"(?<=[a-z])(?=[A-Z])", " ", w) for w in words)
    return {p.lower() for w in spaced for p in re.split(r"[-'’\s]", w) if p}


def key_points(quotes: Sequence[tuple[str, str]], question: str, background: Background | None = None,
               limit: int = MAX_POINTS, claims: bool = True, cited: int | None = None) -> list[Point]:
    """The phrases ``quotes`` (``(signal_id, quote)``, best first) share most distinctively, best first.

    A phrase's score is keyness: the signals using it × log(its share among them / its share of the
    workspace's ``background`` sample), so a phrase every message uses ("work", "tried") ranks below one
    that sets these signals apart ("pending", "declined"). A point's ``signal_id`` is the first
    (best-ranked) signal whose quote contains the phrase verbatim. ``claims=False`` keeps noun phrases only
    (no negated claims such as "didn't work": a topic's name, not what is said about it). A point is shared by
    at least :data:`POINT_SHARE` of the signals (and :data:`MIN_SHARE`), and, with a background, used at least
    :data:`MIN_LIFT` times as often as in the workspace (negated claims excepted). With ``cited``,
    a phrase is a point only when one of the first ``cited`` quotes (the ones the answer cites) holds it;
    its count is still over all ``quotes``.
    """
    if not quotes:
        return []
    asked = _parts(goal_words(question)) | set(tokenize(question))
    names = frozenset(proper_nouns([q for _, q in quotes]))
    forms: dict[tuple[str, ...], Counter[tuple[str, ...]]] = defaultdict(Counter)
    users: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for sid, quote in quotes:
        seen: set[tuple[str, ...]] = set()
        grams = [(_key(g), g) for g in _ngrams(quote, asked, names)]
        grams += sorted(_negations(quote, asked)) if claims else []
        for key, gram in grams:
            if not key or _parts(gram) <= asked or set(tokenize(" ".join(gram))) <= asked:
                continue
            if len(gram) == 1 and gram[0].lower() in LIGHT_VERBS or re.search(r"['’]s$", gram[-1]):
                continue  # a light verb alone, or a phrase cut after a possessive ("the user's")
            forms[key][gram] += 1
            if key not in seen:
                seen.add(key)
                users[key].append(sid)
    total = len(quotes)
    least = max(MIN_SHARE, math.ceil(POINT_SHARE * total))
    texts = [q for _, q in quotes]
    roles = template_roles(texts)

    def shown(key: tuple[str, ...]) -> bool:
        # A point names a topic (names_topic); a single word also needs a quarter of the signals and, unless an
        # acronym, to be uncommon in the workspace (under SINGLE_COMMON of its background).
        surface = forms[key].most_common(1)[0][0]
        if key[0] == "not":
            return True
        if len(surface) == 1:
            count = len(users[key])
            if count < SINGLE_SHARE * total:
                return False
            if background is not None and background.size and not surface[0].isupper():
                stems = set(tokenize(surface[0])) or {""}
                if min(background.df.get(t, 0) for t in stems) >= SINGLE_COMMON * background.size:
                    return False
        return names_topic(surface, texts, roles)

    def lift_of(key: tuple[str, ...]) -> float:
        if background is None or not background.size:
            return math.inf
        # The key's words are stems ("exchang"); the background counts tokenize()d words, so look up the
        # phrase's most common surface form ("exchange rate") in it.
        surface = forms[key].most_common(1)[0][0] if forms[key] else key
        stems = set(tokenize(" ".join(w for w in surface if w.lower() != "not"))) or {""}
        df = min(background.df.get(t, 0) for t in stems)
        return (len(users[key]) / total) / ((df + 1) / (background.size + 1))

    def keyness(key: tuple[str, ...]) -> float:
        count = len(users[key])
        if background is None or not background.size:
            return count * (1 + 0.25 * (len(key) - 1))
        lift = lift_of(key)
        weight = max(math.log(max(lift, 1.0)), 1.0) if key[0] == "not" else math.log(max(lift, 1.0))
        return count * weight * (1 + 0.5 * (len(key) - 1))

    # When these signals are a large part of the workspace no phrase can be much more common among them than
    # in it (lift ≤ size/total): then half of that attainable lift is enough.
    size = background.size if background is not None and background.size else 0
    min_lift = min(MIN_LIFT, 0.5 * (size + 1) / total) if size else 0.0
    # A phrase nearly every signal uses ("OlderPerson" in a backlog's role) is their scope, not a point.
    ranked = sorted((k for k in users if len(users[k]) >= least and keyness(k) > 0
                     and (k[0] == "not" or lift_of(k) >= min_lift)
                     and (not claims or total < 10 or len(users[k]) <= SCOPE_SHARE * total) and shown(k)),
                    key=lambda k: (-keyness(k), -len(k), k))
    by_id = dict(quotes)
    citable = {sid for sid, _ in quotes[:cited]} if cited is not None else set(by_id)
    out: list[Point] = []
    taken: list[set[str]] = []
    for key in ranked:
        words = _parts(key) - asked
        if any(words <= t or t <= words for t in taken):
            continue  # another point already says it ('failed' inside 'top up failed')
        ordered = [g for g, _ in sorted(forms[key].items(), key=lambda f: (-f[1], len(f[0]), f[0]))]
        hit = next(((sid, found) for sid in users[key] if sid in citable for gram in ordered
                    if (found := _find(by_id[sid], gram)) is not None), None)
        if hit is not None:
            out.append(Point(hit[1], len(users[key]), hit[0]))
            taken.append(words)
        if len(out) == limit:
            break
    return sorted(out, key=lambda p: -p.count)


def describe(points: Sequence[Point], total: int, base: str = "") -> str:
    """The points as one sentence of phrases and counts, over one stated base.

    ``base`` names the ``total`` messages the counts are of, in the words of their counts ("that report a
    problem", "that ask for something or how to do it (8) or report a problem (1)"): "Phrases most used by
    the 13 that report a problem, in their words: “didn't work” (6 of 13), …".
    Empty: the counts are of every message the answer read ("by these 13 messages").
    """
    if not points:
        return ""
    who = f"the {total} {base}" if base else f"these {total} message{'s' if total != 1 else ''}"
    return (f"Phrases most used by {who}, in their words: "
            + ", ".join(f"“{p.phrase}” ({p.count} of {total})" for p in points) + ".")


def is_problem_report(stance: str, signal_type: str) -> bool:
    """Whether a signal reports a problem: its stance is critical or ingest tagged it bug/complaint/churn risk."""
    return stance == "critical" or signal_type in ("bug", "complaint", "churn_risk")


def is_request(stance: str, signal_type: str) -> bool:
    """Whether a signal asks for something: a requesting stance or a feature-request tag."""
    return stance == "requesting" or signal_type == "feature_request"


def count_phrase(count: int, bound: str) -> str:
    """'about 108' or 'at least 200' (never an exact figure the search cannot vouch for)."""
    return f"{bound} {count}"


_QUOTED = re.compile(r"“([^”]{3,})”|\"([^\"]{3,})\"")


def grounded_text(answer: str, texts: list[str]) -> tuple[str, int]:
    """The model's answer with every quoted phrase that no shown signal contains verbatim removed.

    Returns the text and how many quotations were removed (counted in ``dropped_invalid``).
    """
    removed = 0

    def check(match: re.Match[str]) -> str:
        nonlocal removed
        quote = match.group(1) or match.group(2)
        if any(find_span(t, quote) is not None for t in texts):
            return match.group(0)
        removed += 1
        return "[unverifiable quote removed]"

    return _QUOTED.sub(check, answer), removed
