"""Goal-scoped topics: clusters of the goal-relevant evidence, named in the goal's and the evidence's words.

The writer builds stories, brief sections and decision options from these topics, never from the
workspace's themes as such. Clustering reuses what the theme analysis already knows about each signal
(its theme membership, a semantic cluster of the whole workspace), restricted to the evidence found for
the goal; a topic's *name* is then taken from its own quotes: the phrase most of them share, preferring
the goal's words and words that set it apart from the other topics. Names are verbatim phrases of the
evidence: never a brand or a proper noun the goal does not use, never praise ("great app").
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from kernel.text import STOPWORDS as _KERNEL_STOPWORDS
from tools.story_quality import ACTION_VERBS

#: Words a topic name never starts or ends with: kernel's stopwords plus the fillers, greetings, time words and
#: generic verbs customer text is full of, which name no capability ("need", "thanks", "today", "use").
STOPWORDS = _KERNEL_STOPWORDS | frozenset("""
able ago already always anyone anything day days even evening ever every everyone everything gets getting hello
help hi like lot lots made make makes maybe month months morning much need needs new now old one please see since
someone something still sure thank thanks thing things time times today tomorrow tonight two us use used using
want wanted wants way week weeks year years yes yesterday yet
""".split())
#: Praise and filler words: a capability is never named after them.
PRAISE = frozenset("""
great good nice love loved loving awesome amazing excellent best better perfect fantastic wonderful cool
brilliant superb fine favorite favourite happy thank thanks stars star recommend recommended bad terrible
awful horrible worst stupid annoying useless wow okay ok app apps application product
""".split())
#: Words before a noun: 'a transfer' is a thing even though 'transfer' is also a verb.
DETERMINERS = frozenset("a an the my your our their his her its this that these those".split())
#: Words that open a verb's object: a phrase ending on a verb just before one is cut ('ATMs accept | my card').
OBJECT_START = DETERMINERS | frozenset("it them me us him any all every some each".split())
#: Auxiliaries and copulas: a phrase with one inside is a clause ('exchange rate was wrong', 'top up would be
#: reverted'), not the name of a capability ('wrong exchange rate', 'top up reverted').
AUXILIARIES = frozenset("am is are was were be been being would will shall should could can may might must has "
                        "have had do does did isn't wasn't aren't weren't won't wouldn't can't cannot".split())
#: Modals a name never starts with ('can't', 'could not' still do: they name a problem).
_MODALS = frozenset("shall must should will would may might".split())
#: Particles and adverbs a name never ends on: 'card back', 'sync again' are fragments of a longer thought.
TRAILING = frozenset("""
back again anymore away around yet ever instead though too also either neither quickly fast slowly properly
correctly right still already well really asap soon now later
""".split())
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_BREAK = re.compile(r"[.!?;:,()\[\]\"“”\n]+")
#: A name spans at most this many words ('card out of the ATM') ...
MAX_WORDS = 5
#: ... of which at most this many content words ('ATM kept my card': ATM, kept, card).
MAX_CONTENT = 3


def _norm(word: str) -> str:
    word = word.lower().replace("’", "'")
    return word[:-1] if word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "'s", "us", "is")) else word


def goal_words(goal: str) -> set[str]:
    """Content words of the goal (normalised), the words a topic name should prefer."""
    return {_norm(w) for w in _WORD.findall(goal) if w.lower() not in STOPWORDS and len(w) > 2}


#: Words that say what to write, not what about: two goals sharing only these are not about the same thing.
INSTRUCTION_WORDS = frozenset(_norm(w) for w in "draft write prepare produce create requirements requirement prd "
                              "stories story spec brief memo decision document docs plan should".split())
#: Content words two goals must share (all of them when the shorter has fewer) to be about the same thing ...
SAME_SUBJECT_WORDS = 2
#: ... and the share of the shorter goal's content words they must cover.
SAME_SUBJECT_SHARE = 0.5


def subject_words(text: str) -> set[str]:
    """Content words of a goal or question, instruction words ('draft', 'requirements' …) left out."""
    return goal_words(text) - INSTRUCTION_WORDS


def same_subject(a: str | set[str], b: str | set[str]) -> bool:
    """Whether two goals are about the same thing: several shared content words, not one incidental word.

    They must share :data:`SAME_SUBJECT_WORDS` content words (every one when the shorter has fewer)
    and at least :data:`SAME_SUBJECT_SHARE` of the shorter goal's content words.
    """
    x = subject_words(a) if isinstance(a, str) else set(a) - INSTRUCTION_WORDS
    y = subject_words(b) if isinstance(b, str) else set(b) - INSTRUCTION_WORDS
    shorter = min(len(x), len(y))
    if not shorter:
        return False
    shared = len(x & y)
    return shared >= min(SAME_SUBJECT_WORDS, shorter) and shared >= SAME_SUBJECT_SHARE * shorter


_VERB_SLOT = r"\b(?:we|to|should|shall|can|could|must|let's|i)\s+"


def _ing(verb: str) -> str:
    """The -ing form of a base-form verb ('fix' → 'fixing', 'make' → 'making', 'stop' → 'stopping')."""
    v = verb.lower()
    if v.endswith("ie"):
        return v[:-2] + "ying"
    if v.endswith("e") and not v.endswith(("ee", "ye", "oe")) and len(v) > 2:
        return v[:-1] + "ing"
    if len(v) <= 4 and re.fullmatch(r"[^aeiou]*[aeiou][bdgklmnprt]", v):
        return v + v[-1] + "ing"
    return v + "ing"


def option_phrase(option: str, goal: str) -> str:
    """An option as a noun phrase for 'Prioritise … ahead of …': its verb as a gerund, else the option quoted.

    The first word is taken as a verb only where the goal puts it in a verb's place ('should we fix sync
    bugs' → 'fixing sync bugs'); an option already led by an -ing word stays as it is.
    """
    words = option.split()
    if not words:
        return option
    if words[0].lower().endswith("ing"):
        return option
    if re.search(_VERB_SLOT + re.escape(option), goal, re.IGNORECASE):
        return " ".join([_ing(words[0]), *words[1:]])
    return f"“{option}”"


def _proper_noun(word: str, first: bool) -> bool:
    """A capitalised word inside a sentence that is not an acronym: a brand or a name."""
    return not first and word[:1].isupper() and not word.isupper() and word[1:].islower()


def proper_nouns(texts: Sequence[str]) -> set[str]:
    """Words written capitalised inside a sentence somewhere in ``texts`` (brands, names), normalised.

    A brand that also opens a sentence elsewhere ('Dropbox sync fails') is recognised from its other uses.
    """
    found: set[str] = set()
    for text in texts:
        found.update(_text_proper_nouns(text))
    return found


@lru_cache(maxsize=4096)
def _text_proper_nouns(text: str) -> frozenset[str]:
    """:func:`proper_nouns` of one text (cached: topic naming asks again for every topic of a goal)."""
    found: set[str] = set()
    for clause in re.split(r"(?<=[.!?])\s+|\n+", text):
        words = _WORD.findall(clause)
        found.update(_norm(w) for i, w in enumerate(words) if _proper_noun(w, i == 0))
    return frozenset(found)


def _ngrams(text: str, goal: set[str], names: frozenset[str] = frozenset()) -> set[tuple[str, ...]]:
    """Candidate phrases of one quote: 1-4 words inside one clause, content words at both ends."""
    out: set[tuple[str, ...]] = set()
    for clause in _BREAK.split(text):
        words = _WORD.findall(clause)
        for i in range(len(words)):
            for n in range(1, MAX_WORDS + 1):
                span = words[i:i + n]
                if len(span) < n:
                    break
                lows = [w.lower().replace("’", "'") for w in span]
                if lows[0] in STOPWORDS or lows[-1] in STOPWORDS or any(w in PRAISE for w in lows):
                    continue
                if lows[-1] in TRAILING or lows[-1] in AUXILIARIES or lows[0] in _MODALS:
                    continue  # 'response time shall', 'shall comply': a requirement's modal is not its subject
                if sum(1 for w in lows if w not in STOPWORDS) > MAX_CONTENT:
                    continue
                if any(w in AUXILIARIES for w in lows[1:-1]):
                    continue
                if any(any(c.isdigit() for c in w) or w in ("and", "or", "but") for w in lows) or len(lows[-1]) < 2:
                    continue
                after = words[i + n].lower() if i + n < len(words) else ""
                if n > 1 and lows[-1] in ACTION_VERBS and lows[-2] not in DETERMINERS and after in OBJECT_START:
                    continue  # 'ATMs accept (my card)': a clause cut before its object; 'exchange rate (was)' is a noun
                if any((_proper_noun(w, i + k == 0) or _norm(w) in names) and _norm(w) not in goal
                       for k, w in enumerate(span)):
                    continue
                out.add(tuple(span))
    return out


@lru_cache(maxsize=4096)
def _keyed_grams(text: str, goal: frozenset[str], names: frozenset[str]
                 ) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """Each candidate phrase of one quote with its :func:`_key`, in :func:`_ngrams`' order.

    Cached: naming a goal's topics reads every quote once for its own topic and again as one of the
    other topics' quotes (``others``), so each quote's phrases were found once per topic.
    """
    return tuple((gram, _key(gram)) for gram in _ngrams(text, set(goal), names))


def _key(gram: Sequence[str]) -> tuple[str, ...]:
    """A phrase's content words, stemmed and unordered.

    'cancel a transfer' and 'cancel my transfer' are one phrase, and so are 'ATM swallowed my card',
    'card swallowed by an ATM' and 'ATM swallowing my card' (the most common wording names the topic).
    """
    return tuple(sorted({stem(w) for w in gram if w.lower().replace("’", "'") not in STOPWORDS}))


def name_topic(quotes: Sequence[str], goal: str, others: Sequence[str] = (), fallback: str = "",
               unlike: Sequence[str] = ()) -> str:
    """The phrase that names a topic: verbatim from its quotes, shared by most of them.

    Score = quotes containing the phrase × its share of all occurrences (``others`` are the other
    topics' quotes: a phrase every topic uses tells nothing) × a bonus for goal words × a small bonus
    for longer phrases. Phrases are compared by their content words in any order ('cancel a transfer',
    'cancel my transfer'; 'ATM swallowed my card', 'card swallowed by an ATM'), and the most common wording
    names the topic. A phrase naming the same capability as one of ``unlike`` (other topics' names) is
    passed over. ``fallback`` (e.g. the goal's subject) when no phrase qualifies.
    """
    gwords = goal_words(goal)
    gstems = {stem(w) for w in gwords}
    names = frozenset(proper_nouns([*quotes, *others]))
    frozen = frozenset(gwords)
    forms: dict[tuple[str, ...], Counter[tuple[str, ...]]] = defaultdict(Counter)
    inside: Counter[tuple[str, ...]] = Counter()
    for quote in quotes:
        seen: set[tuple[str, ...]] = set()
        for gram, key in _keyed_grams(quote, frozen, names):
            forms[key][gram] += 1
            seen.add(key)
        inside.update(seen)
    outside: Counter[tuple[str, ...]] = Counter()
    for quote in others:
        outside.update({key for _, key in _keyed_grams(quote, frozen, names)})
    need = 2 if len(quotes) >= 2 else 1
    best, best_score = None, 0.0
    for key, count in inside.items():
        content = list(key)
        on_goal = sum(1 for w in content if w in gstems)
        # A single word names a topic only when the goal uses it or most of the quotes do.
        if count < need or (len(content) == 1 and not on_goal and count < 0.5 * len(quotes)):
            continue
        if any(same_capability(" ".join(forms[key].most_common(1)[0][0]), u) for u in unlike):
            continue
        coverage = (count / len(quotes)) ** 0.5
        # The goal's own words are shared by every topic of the goal: they keep a floor of distinctiveness.
        distinct = count / (count + outside[key])
        distinct = max(distinct, 0.6) if on_goal else distinct
        score = coverage * distinct * (1 + on_goal) * (1 + 0.8 * (len(content) - 1))
        if score > best_score or (score == best_score and best is not None and key < best):
            best, best_score = key, score
    if best is None:
        return fallback
    words = list(forms[best].most_common(1)[0][0])
    if words[0][:1].isupper() and words[0][1:].islower():  # a capital only because it opened a sentence
        words[0] = words[0].lower()
    return " ".join(words)


def cluster(ids: Sequence[str], membership: Mapping[str, str | None], texts: Mapping[str, str],
            min_size: int = 2) -> list[list[str]]:
    """Groups of evidence ids: by theme membership; small groups join the group they share most words with.

    ``ids`` are in relevance order and each group keeps that order. Ids without a theme, or in a theme
    with fewer than ``min_size`` of the ids, join the large group whose words they share most (ties:
    the earlier group), or stay together as one group of their own when they share nothing.
    """
    groups: dict[str, list[str]] = {}
    for sid in ids:
        groups.setdefault(membership.get(sid) or f"_:{sid}", []).append(sid)
    large = [g for g in groups.values() if len(g) >= min_size]
    small = [sid for g in groups.values() if len(g) < min_size for sid in g]
    if not large:
        return [list(ids)] if ids else []
    vocab = [Counter(w for sid in g for w in _content(texts.get(sid, ""))) for g in large]
    rest: list[str] = []
    for sid in small:
        words = set(_content(texts.get(sid, "")))
        overlaps = [sum(1 for w in words if v[w]) for v in vocab]
        best = max(range(len(large)), key=lambda i: (overlaps[i], -i))
        if overlaps[best] >= 2:
            large[best].append(sid)
        else:
            rest.append(sid)
    order = {sid: i for i, sid in enumerate(ids)}
    out = [sorted(g, key=order.__getitem__) for g in large]
    if len(rest) >= min_size:
        out.append(rest)
    return out


def _content(text: str) -> Iterable[str]:
    return (_norm(w) for w in _WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 2)


def mentions(text: str, words: set[str]) -> int:
    """How many of ``words`` (normalised content words) occur in ``text``."""
    return len(set(_content(text)) & words)


def option_words(name: str, others: Sequence[str]) -> set[str]:
    """The words that tell an option apart from the others ('fix sync bugs' vs 'dark mode' → sync, bug)."""
    generic = {"fix", "fixing", "build", "building", "add", "adding", "improve", "improving", "ship", "make",
               "support", "issue", "problem", "feature"}
    own = {w for w in _content(name) if w not in generic}
    shared = set().union(*(set(_content(o)) for o in others)) if others else set()
    return (own - shared) or own


def summarise_topics(topics: Sequence[Mapping[str, Any]], limit: int = 5) -> str:
    """'a (12), b (7)' for a context line."""
    return ", ".join(f"{t['label']} ({t['size']})" for t in topics[:limit])


# --------------------------------------------------------------------------- goal fit

#: A topic other than the goal's best needs at least this many signals of the goal's evidence ...
MIN_MEMBERS = 3
#: ... and the best one this many (with less, the evidence is too thin for a story).
MIN_BEST = 2
#: A topic whose centroid is more than this (cosine) below the best topic's, against the goal's queries, is off goal.
DENSE_MARGIN = 0.10
#: Share of a topic's quotes that must use a goal word (stemmed) — unless its centroid is as close as the best's.
MIN_WORD_SHARE = 0.2
#: A topic counts as reporting a problem when this share of its signals are bugs, complaints or churn risks ...
PROBLEM_SHARE = 0.4
#: ... and as reporting none below this share.
NO_PROBLEM_SHARE = 0.2
_PROBLEM_TYPES = frozenset({"bug", "complaint", "churn_risk"})
#: A goal that asks to stop or fix something: its topics are the problem, not questions or praise around it.
PROBLEM_GOAL = re.compile(
    r"\b(?:stop|stops|stopping|fix|fixes|fixing|prevent\w*|reduc\w*|avoid\w*|bugs?|buggy|crash\w*|fail\w*|errors?|"
    r"broken|break\w*|wrong|no\s+longer|issues?|problems?|complain\w*|slow\w*|lost|los(?:e|es|ing)|glitch\w*|"
    r"outages?|defects?|flaky|unreliable)\b", re.IGNORECASE)
_INSTRUCTION = frozenset("draft write prepare produce create requirement requirements prd stories story spec brief "
                         "memo decision document docs plan should".split())
_SUFFIX = re.compile(r"(?:ing|ed|es|s)$")


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A crude stem for matching goal words with the evidence's ('cancelling' ~ 'cancel', 'verify' ~ 'verification')."""
    word = word.lower().replace("’", "'").split("'")[0]
    if len(word) > 4 and word.endswith("es") and not re.search(r"(?:[sxz]|[cs]h)es$", word):
        word = word[:-1]  # 'rates' → 'rate', 'fees' → 'fee' (but 'boxes' → 'box')
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]  # 'fees' ~ 'fee', 'bugs' ~ 'bug'
    elif len(word) > 4:
        word = _SUFFIX.sub("", word)
        if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":  # 'stopped' → 'stop'
            word = word[:-1]
        elif word.endswith("ll") and len(word) > 5:  # 'cancelled' → 'cancel'
            word = word[:-1]
    if len(word) > 3 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]  # 'rate' ~ 'rated', 'change' ~ 'changed'
    return word[:-1] + "i" if word.endswith("y") else word


def _stems_match(a: str, b: str) -> bool:
    return a == b or (len(a) >= 6 and len(b) >= 6 and a[:6] == b[:6])


def topic_words(goal: str) -> set[str]:
    """Stems of the goal's content words, instruction words ('draft', 'requirements') left out."""
    return {stem(w) for w in _WORD.findall(goal)
            if w.lower() not in STOPWORDS and w.lower() not in _INSTRUCTION and len(w) > 2}


def uses_goal_words(text: str, words: set[str]) -> bool:
    """Whether ``text`` uses one of ``words`` (stems from :func:`topic_words`)."""
    own = {stem(w) for w in _WORD.findall(text) if len(w) > 2}
    return any(_stems_match(a, b) for a in own for b in words)


def goal_names(label: str, goal: str) -> bool:
    """Whether the goal names ``label``: every content word of it is one of the goal's (stemmed).

    'exchange rate' for 'Make exchange rates and fees transparent', 'top up' for 'Reduce failed top-ups'.
    """
    own, words = topic_words(label), topic_words(goal)
    return bool(own and words) and all(any(_stems_match(a, b) for b in words) for a in own)


def is_problem_goal(goal: str) -> bool:
    """Whether the goal asks to stop or fix something ('stop ATMs from keeping cards', 'fix sync bugs')."""
    return bool(PROBLEM_GOAL.search(goal))


#: Words that join the parts of a search query ('faster delivery | of | new physical cards').
_LINKS = re.compile(r"\b(?:of|from|for|at|to|by|with|in|on|into|onto|about|after|before|during|without|when|while|"
                    r"so|that|and|or|but)\b", re.IGNORECASE)


def query_parts(query: str) -> list[str]:
    """The parts of a search query between its linking words, when it has two or more ('' parts dropped).

    'faster delivery of new physical cards' → ['faster delivery', 'new physical cards'];
    'stop ATMs from keeping customers' cards' → ['stop ATMs', "keeping customers' cards"]; 'dark mode' → [].
    """
    chunks = [c.strip(" ,;:'\"-") for c in _LINKS.split(query)]
    found = [c for c in chunks if any(w.lower() not in STOPWORDS and len(w) > 2 for w in _WORD.findall(c))]
    return found if len(found) >= 2 else []


#: Verbs that ask to act on a problem ('stop ATMs …'): a part led by one names its object, not the problem.
_ACTIONS = frozenset("stop stops stopping fix fixes fixing prevent prevents preventing reduce reduces reducing avoid "
                     "avoids avoiding".split())


def states_problem(part: str) -> bool:
    """Whether a part of a query names the problem itself ('the wrong exchange rate', 'failed top-ups').

    Such a part is the goal's ask, not its object alone: a group about it is on the goal. A leading action verb
    is not the problem ('stop ATMs' names the ATMs).
    """
    words = _WORD.findall(part)
    while words and words[0].lower() in _ACTIONS:
        words = words[1:]
    return is_problem_goal(" ".join(words))


# --------------------------------------------------------------------------- what the goal asks: action vs subject

#: Verbs that only ask for the change ('stop', 'let', 'make' …): the evidence names what is to change, not them.
_ASKING = frozenset(_ACTIONS | frozenset(
    "let lets allow allows allowing enable enables enabling make makes making help helps improve improves improving "
    "ensure ensures support supports supporting need needs want wants get gets give gives".split()))
#: Words naming who acts or what product it is: neither the ask nor its object ('customers', 'the app').
_ACTORS = frozenset("""
customer customers user users admin admins administrator administrators people person member members staff team teams
client clients owner owners manager managers app apps application applications product products system systems
""".split())
#: Irregular verb forms, as their base form: 'the ATM kept my card' is about 'keeping', 'lost' about 'losing'.
IRREGULAR = {
    "lost": "lose", "kept": "keep", "sent": "send", "paid": "pay", "stolen": "steal", "stole": "steal",
    "taken": "take", "took": "take", "got": "get", "gotten": "get", "held": "hold", "left": "leave", "stuck": "stick",
    "broke": "break", "broken": "break", "spent": "spend", "bought": "buy", "shown": "show", "seen": "see",
    "saw": "see", "done": "do", "did": "do", "went": "go", "gone": "go", "wrote": "write", "written": "write",
    "gave": "give", "given": "give", "found": "find", "froze": "freeze", "frozen": "freeze", "chose": "choose",
    "chosen": "choose", "made": "make", "hid": "hide", "hidden": "hide", "ate": "eat", "eaten": "eat",
    "withdrew": "withdraw", "withdrawn": "withdraw", "forgot": "forget", "forgotten": "forget", "fell": "fall",
    "shut": "shut", "ran": "run", "began": "begin", "begun": "begin", "came": "come", "told": "tell",
    "sold": "sell", "swallowed": "swallow", "declined": "decline",
}
#: Words that state a condition of what is asked about ('charged twice', 'faster delivery', 'missing refund').
_CONDITIONS = frozenset("""
twice double duplicate duplicated again missing stuck pending late delayed wrong incorrect unable
faster slower quicker sooner easier cheaper later earlier longer shorter higher lower mistake mistaken accidentally
unknown unrecognised unrecognized unexpected failure failures failed fail fails failing error errors crash crashes
""".split())
#: '-ing' words that are nouns, not an action ('online banking', 'pricing', 'a meeting').
_ING_NOUNS = frozenset("""
banking pricing onboarding setting settings meeting meetings morning evening thing things nothing something anything
everything string strings spring during building buildings heading headings ceiling wedding shipping billing
""".split())
#: Negations: the verb after one states a condition ('do not recognise', "can't verify").
_NEGATIONS = frozenset("not never cannot can't don't doesn't didn't won't isn't wasn't aren't weren't no".split())
#: Words after which a noun phrase starts (its words are an object, not an action): 'a bank transfer'.
_NOUN_START = DETERMINERS | frozenset("any all every some each no one two".split())
#: Weight of an action or condition term against a subject term in :func:`coverage`: what is asked counts double.
ACTION_WEIGHT = 2.0
SUBJECT_WEIGHT = 1.0


def _base(word: str) -> str:
    """A word's stem, irregular verb forms taken to their base form first ('kept' ~ 'keeping').

    Stemmed twice, so a plural and its singular meet: 'hearings' → 'hearing' → 'hear', as 'hearing' → 'hear'.
    """
    low = word.lower().replace("’", "'").split("'")[0]
    return stem(stem(IRREGULAR.get(low, low)))


def _verbal(low: str) -> bool:
    """Whether a lowercase word is a verb form or a condition by its shape or the lexicons (POS-free)."""
    if low in IRREGULAR or low in _CONDITIONS or PROBLEM_GOAL.fullmatch(low):
        return True
    if low.endswith("ing") and len(low) > 5 and low not in _ING_NOUNS:
        return True
    return low.endswith("ed") and len(low) > 4 and not low.endswith("eed")


def goal_terms(*texts: str) -> dict[str, str]:
    """The goal's content words (stems) as ``'action'`` (what is asked: a verb or a condition) or ``'subject'``.

    POS-free: a word is an action when it has a verb's or a condition's shape or is in the lexicons (irregular
    forms, :data:`_CONDITIONS`, :data:`PROBLEM_GOAL`, '-ing' and '-ed' forms), or is an action verb
    (:data:`tools.story_quality.ACTION_VERBS`) outside a noun phrase — not after a determiner ('a bank transfer')
    nor right after another action (its object: 'export reports'). Words that only ask for the change ('stop',
    'let', 'fix'), instruction words ('draft', 'requirements') and actors ('customers', 'the app') are left out.
    'stop the app from losing my notes when sync fails' → losing, sync, fails: action; notes: subject.
    A stem that is an action in one text stays one.
    """
    out: dict[str, str] = {}
    for text in texts:
        in_phrase = negated = False
        for word in _WORD.findall(text):
            full = word.lower().replace("’", "'")
            low = full.split("'")[0]
            if full in _NEGATIONS or low in _NEGATIONS:
                negated = True
                continue
            was_negated, negated = negated, False  # a negation states the condition of the next word only
            if low in _NOUN_START:
                in_phrase = True
                continue
            if _LINKS.fullmatch(low) or low in AUXILIARIES:
                in_phrase = False
                continue
            if low in STOPWORDS or low in _INSTRUCTION or low in _ASKING or len(low) < 3 or low in _ACTORS \
                    or _norm(low) in _ACTORS:
                continue
            key = _base(low)
            if was_negated or _verbal(low) or (low in ACTION_VERBS and not in_phrase) or \
                    (IRREGULAR.get(low) or "") in ACTION_VERBS:
                out[key] = "action"
                in_phrase = True  # what follows is its object ('export reports', 'losing my notes')
            else:
                out.setdefault(key, "subject")
    return out


def _own_terms(text: str) -> set[str]:
    """The stems of a text's content words (irregular forms as their base: 'lost' ~ 'losing')."""
    return {_base(w) for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in STOPWORDS}


def coverage(text: str, terms: Mapping[str, str]) -> float:
    """Share of the goal's terms ``text`` uses, an action term weighing :data:`ACTION_WEIGHT` and a subject term 1.

    Evidence naming only the goal's object ('my notes') scores below evidence about what is asked ('losing').
    """
    if not terms:
        return 0.0
    own = _own_terms(text)
    weights = {t: ACTION_WEIGHT if kind == "action" else SUBJECT_WEIGHT for t, kind in terms.items()}
    found = sum(w for t, w in weights.items() if any(_stems_match(t, o) for o in own))
    return round(found / sum(weights.values()), 3)


def covers(text: str, terms: Mapping[str, str]) -> bool:
    """Whether ``text`` is about what the goal asks: it uses one of its action terms.

    For a goal that names no action ('ATM cards'), one of its subject terms. Mentioning the object alone is not enough.
    """
    own = _own_terms(text)
    asked = [t for t, kind in terms.items() if kind == "action"] or list(terms)
    return any(_stems_match(t, o) for t in asked for o in own)


def part_queries(queries: Sequence[str]) -> set[int]:
    """Indexes of the queries that search one part of another query: every content word of it is in that other.

    'system availability' is a part of 'response time and system availability'.
    """
    own = [{w.lower() for w in _WORD.findall(q) if w.lower() not in STOPWORDS} for q in queries]
    return {j for j, words in enumerate(own)
            if words and any(k != j and words < other for k, other in enumerate(own))}


def goal_fit(groups: Sequence[Sequence[str]], *, goal: str, texts: Mapping[str, str], types: Mapping[str, str],
             queries: Sequence[str] = (), closeness: Sequence[Sequence[float]] | None = None,
             problems: bool = True, parts: Sequence[Sequence[Sequence[float]]] | None = None) -> list[str | None]:
    """For each group of evidence ids: ``None`` when it is about the goal, else why it is not.

    ``closeness[i][j]`` is group i's centroid cosine to the goal's search query ``queries[j]`` (None: no
    vectors, then the goal is the only query). Each group is judged against its nearest query and that
    query's best group — the closest of those with :data:`MIN_MEMBERS` signals, else the largest. The best
    group overall is on the goal when it has :data:`MIN_BEST` signals (else nothing is); so is the best group of a
    query that searches one part of the goal (:func:`part_queries`), with a fifth of its quotes using the goal's
    words. Another group is off it when
    - it has fewer than :data:`MIN_MEMBERS` signals;
    - fewer than :data:`MIN_WORD_SHARE` of its quotes use a goal word, and it is not as close as the best;
    - (unless it is its query's best) its centroid is more than :data:`DENSE_MARGIN` further from the query
      than the best group's;
    - (unless it is its query's best) its query asks to stop or fix a problem (``problems``), the best group
      reports one, and this group reports none (questions next to the problem — 'which ATMs accept my
      card?' for 'stop ATMs keeping cards' — or praise);
    - (unless it is its query's best) it is about one part of its query rather than the whole: ``parts[i][j][k]``
      is group i's centroid cosine to part k of query j (:func:`query_parts`); the group is closer to that part
      alone than to the query, and by more than :data:`DENSE_MARGIN` beyond the best group's gain on it ('I need
      more physical cards' for 'faster delivery of new physical cards': the goal's object without its ask). A
      part that is the ask is exempt: one that names the problem (:func:`states_problem`: 'the wrong exchange
      rate') or that the goal searches on its own (one of ``queries``);
    - (unless it is its query's best) the goal states an action or condition (:func:`goal_terms`: 'losing' and
      'fails' in 'stop the app from losing my notes when sync fails') that at least :data:`MIN_WORD_SHARE` of the
      best group's quotes use (:func:`covers`), fewer of this group's do, and it is not as close as the best: it
      names the goal's subject ('my notes') without what is asked.
    """
    if not groups:
        return []
    queries = list(queries) if closeness is not None else [goal]
    close = [list(c) for c in closeness] if closeness is not None else [[0.0] for _ in groups]
    sizes = [len(g) for g in groups]
    nearest = [max(range(len(queries)), key=lambda j: (row[j], -j)) for row in close]
    problem = [sum(1 for s in g if types.get(s) in _PROBLEM_TYPES) / len(g) for g in groups]
    best: dict[int, int] = {}
    for j in set(nearest):
        near = [i for i in range(len(groups)) if nearest[i] == j]
        eligible = [i for i in near if sizes[i] >= MIN_MEMBERS] or near
        if problems and is_problem_goal(queries[j]):
            # A goal that asks to stop a problem is best answered by a group that reports it, if one is about
            # as close as the closest ('my card got stuck in the ATM' over 'which ATMs accept my card?').
            top = max(close[i][j] for i in eligible)
            eligible = [i for i in eligible if problem[i] >= PROBLEM_SHARE and close[i][j] >= top - DENSE_MARGIN] \
                or eligible
        best[j] = max(eligible, key=lambda i: (close[i][j], sizes[i], -i)) if closeness is not None else \
            max(eligible, key=lambda i: (sizes[i], -i))
    overall = max(best.values(), key=lambda i: (sizes[i] >= MIN_MEMBERS, close[i][nearest[i]], sizes[i], -i))
    if sizes[overall] < MIN_BEST:  # too thin to write anything from: every group is context
        return [f"only {n} signal{'s' if n != 1 else ''}" for n in sizes]
    words = topic_words(" ".join([goal, *queries]))
    terms = goal_terms(goal, *queries)
    asked = {t for t, kind in terms.items() if kind == "action"}
    # The goal's action words tell its evidence apart only where its best group uses them ('lost my notes' for
    # 'stop losing notes'); where people word the ask otherwise ('takes ages' for 'faster approval'), they do not.
    anchored = bool(asked) and _asks_share(groups[overall], texts, terms) >= MIN_WORD_SHARE
    listed = part_queries(queries) if closeness is not None else set()
    out: list[str | None] = []
    for i, group in enumerate(groups):
        j = nearest[i]
        top = best[j]
        if i == overall:
            out.append(None)
            continue
        share = sum(1 for s in group if uses_goal_words(texts.get(s, ""), words)) / len(group) if words else 1.0
        if i == top and j in listed and sizes[i] >= MIN_BEST and share >= MIN_WORD_SHARE:
            out.append(None)  # a listed part's own best group stands like the goal's best: no part dropped silently
        elif sizes[i] < MIN_MEMBERS:
            out.append(f"only {sizes[i]} signal{'s' if sizes[i] != 1 else ''}")
        elif share < MIN_WORD_SHARE and (closeness is None or close[i][j] < close[overall][nearest[overall]]):
            out.append(f"{share:.0%} of its quotes use the goal's words")
        elif i == top:
            out.append(None)
        elif close[i][j] < close[top][j] - DENSE_MARGIN:
            out.append(f"further from the goal (cosine {close[i][j]:.2f} vs {close[top][j]:.2f})")
        elif problems and is_problem_goal(queries[j]) and problem[top] >= PROBLEM_SHARE \
                and problem[i] < NO_PROBLEM_SHARE:
            out.append("reports no problem (the goal asks to stop one)")
        elif anchored and _asks_share(group, texts, terms) < MIN_WORD_SHARE \
                and (closeness is None or close[i][j] < close[overall][nearest[overall]]):
            shown = ", ".join(sorted(w for w in _surface(goal, *queries) if _base(w) in asked)[:3])
            out.append(f"names the goal's subject, not what it asks ({shown})")
        else:
            out.append(_part_only(i, top, j, close, parts, queries))
    return out


def _asks_share(group: Sequence[str], texts: Mapping[str, str], terms: Mapping[str, str]) -> float:
    """Share of a group's quotes about what the goal asks (:func:`covers`)."""
    return sum(1 for s in group if covers(texts.get(s, ""), terms)) / len(group) if group else 0.0


def _surface(*texts: str) -> set[str]:
    """The lowercase words of ``texts`` (to show a goal's action terms as it wrote them)."""
    return {w.lower() for t in texts for w in _WORD.findall(t)}


def _part_only(i: int, top: int, j: int, close: Sequence[Sequence[float]],
               parts: Sequence[Sequence[Sequence[float]]] | None, queries: Sequence[str]) -> str | None:
    """Why group ``i`` is about one part of query ``j`` rather than all of it (None when it is not)."""
    if parts is None:
        return None
    names = query_parts(queries[j])
    searched = {q.strip().lower() for q in queries}
    for k, cosine in enumerate(parts[i][j]):
        if k < len(names) and (names[k].strip().lower() in searched or states_problem(names[k])):
            continue  # that part is what the goal asks about, not its object alone
        gain = cosine - close[i][j]
        if gain > 0 and gain > parts[top][j][k] - close[top][j] + DENSE_MARGIN:
            part = names[k] if k < len(names) else f"part {k + 1}"
            return f"about '{part}' alone, not the goal (cosine {cosine:.2f} vs {close[i][j]:.2f})"
    return None


def capability_words(name: str) -> frozenset[str]:
    """A topic name's content words, stemmed: what :func:`same_capability` compares ('cards on file' → card, file)."""
    return frozenset(stem(w) for w in _WORD.findall(name) if w.lower() not in STOPWORDS)


def name_share(name: str, quotes: Sequence[str]) -> float:
    """Share of ``quotes`` that use every content word of ``name`` (stemmed): how well the name describes them."""
    words = capability_words(name)
    if not words or not quotes:
        return 0.0
    hits = 0
    for quote in quotes:
        own = {stem(w) for w in _WORD.findall(quote)}
        hits += all(any(_stems_match(w, o) for o in own) for w in words)
    return hits / len(quotes)


#: A name tells its topic apart from another when it describes the other's quotes at most this share as well.
NAME_APART = 0.5


def told_apart(name: str, own: Sequence[str], other: Sequence[str]) -> bool:
    """Whether ``name`` tells its topic (quotes ``own``) apart from another topic (quotes ``other``).

    It does unless it describes the other's quotes at least :data:`NAME_APART` as well as its own
    (:func:`name_share`): 'extra fee' for card-payment fees when the other topic's messages say 'extra fee' too.
    """
    mine = name_share(name, own)
    return mine > 0 and name_share(name, other) < NAME_APART * mine


def same_capability(a: str, b: str) -> bool:
    """Whether two topic names ask for one capability: the content words of one are all in the other."""
    wa, wb = capability_words(a), capability_words(b)
    return bool(wa and wb) and (wa <= wb or wb <= wa)
